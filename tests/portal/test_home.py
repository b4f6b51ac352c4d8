"""The portal home page (stub) and the health check."""
from __future__ import annotations

import socket

import pytest
from django.db import OperationalError
from django.test import Client
from django.urls import reverse

from govflow.catalog.jurisdictions import ancestors, default_division
from govflow.catalog.models import Department, OneThing, OneThingVersion, Procedure

pytestmark = pytest.mark.django_db


def _province():
    """The root above the default division: a one thing offered there is on a visitor's list."""
    return ancestors(default_division())[-1]


def _one_thing(code: str, *, name: dict, published: bool, steps: int = 2) -> OneThing:
    department, _ = Department.objects.get_or_create(code="amr", defaults={"name": {"en": "Market Regulation"}})
    procedures = [
        Procedure.objects.get_or_create(
            code=f"{code}-p{i}", defaults={"department": department, "name": {"en": f"Procedure {i}"},
                                           "statutory_days": 10, "committed_days": 1})[0]
        for i in range(steps)
    ]
    one_thing = OneThing.objects.create(code=code, name=name, description={"en": f"About {code}."},
                                        committed_days=3, division=_province())
    if published:
        definition = {
            "format": "govflow.catalog/1",
            "one_things": [{"code": code, "name": name, "description": {"en": f"About {code}."},
                            "committed_days": 3,
                            "steps": [{"procedure": p.code} for p in procedures]}],
        }
        version = OneThingVersion.objects.create(one_thing=one_thing, number=1, definition=definition, digest="x")
        one_thing.is_published = True
        one_thing.current_version = version
        one_thing.save()
    return one_thing


def test_it_lists_published_one_things_and_hides_unpublished_ones(client):
    _one_thing("business-startup", name={"en": "Start a business", "zh-hans": "开办企业一件事"},
               published=True, steps=3)
    _one_thing("secret-draft", name={"en": "Draft not yet published"}, published=False)

    response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    body = response.content.decode()
    assert '<html lang="en">' in body
    assert "Start a business" in body
    assert "About business-startup." in body
    assert "Draft not yet published" not in body
    cards = response.context["one_things"]
    assert [card.code for card in cards] == ["business-startup"]
    assert cards[0].procedure_count == 3
    assert cards[0].committed_days == 3
    # A visitor's staff link is the workbench (it asks them to sign in), not the admin's sign-in.
    assert reverse("workbench:queue") in body and reverse("admin:index") not in body


def test_it_shows_chinese_names_to_chinese_speakers(client):
    _one_thing("business-startup", name={"en": "Start a business", "zh-hans": "开办企业一件事"}, published=True)

    response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="zh-hans")

    body = response.content.decode()
    assert '<html lang="zh-hans">' in body
    assert "开办企业一件事" in body


def test_it_hides_a_published_flag_without_a_version(client):
    one_thing = _one_thing("half-done", name={"en": "Half done"}, published=False)
    one_thing.is_published = True
    one_thing.save()

    response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en")

    assert "Half done" not in response.content.decode()


def test_it_answers_with_an_empty_list(client):
    response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert response.context["one_things"] == []


def test_the_home_page_runs_a_constant_number_of_queries(client, django_assert_max_num_queries):
    for i in range(5):
        _one_thing(f"thing-{i}", name={"en": f"Thing {i}"}, published=True)

    with django_assert_max_num_queries(3):
        client.get(reverse("home"))


def test_healthz_reports_the_contract_json(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok", "database": "ok", "broker": "eager"}


def test_healthz_needs_no_login_and_is_not_cached(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_healthz_refuses_other_methods(method):
    client = Client(enforce_csrf_checks=True)  # as a real client: no CSRF 403 before the 405

    response = getattr(client, method)("/healthz")

    assert response.status_code == 405


@pytest.fixture
def broker_url(settings):
    """Point settings and the Celery app at a broker for one test, and back afterwards."""
    from govflow.celery import app

    original = app.conf.broker_url

    def use(url: str) -> None:
        settings.CELERY_TASK_ALWAYS_EAGER = False
        settings.CELERY_BROKER_URL = url
        app.conf.broker_url = url

    yield use
    app.conf.broker_url = original


def _redis_is_listening() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return False
    return True


def test_healthz_reports_an_unreachable_broker(client, broker_url):
    broker_url("redis://127.0.0.1:1/0")  # nothing listens on port 1

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "ok", "broker": "error"}


@pytest.mark.skipif(not _redis_is_listening(), reason="no Redis on 127.0.0.1:6379")
def test_healthz_reports_a_reachable_broker(client, broker_url):
    broker_url("redis://127.0.0.1:6379/15")

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}


class _BrokenConnection:
    def cursor(self):
        raise OperationalError("connection refused")


def test_healthz_reports_a_broken_database(client, monkeypatch):
    from govflow import health

    monkeypatch.setattr(health, "connection", _BrokenConnection())

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "error", "broker": "eager"}
