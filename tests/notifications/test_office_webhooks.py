"""Webhooks per office: an office with its own webhook gets its cases' events there, signed with
its own secret; an office without one falls back to its department's. Real local receivers."""
from __future__ import annotations

import pytest

from govflow.catalog.models import Division, Office
from govflow.notifications import delivery
from govflow.notifications.models import OutboxMessage, OutboxStatus
from govflow.notifications.webhooks import verify

from ..background import WEBHOOK_SECRET, register_webhook
from ..factories import CitizenFactory
from ..stories import approve, submitted

pytestmark = pytest.mark.django_db

OFFICE_SECRET = "shangcheng-amr-own-secret-0123456789"


@pytest.fixture
def shangcheng_citizen(demo_catalog):
    return CitizenFactory(username="sc-founder", residence=Division.objects.get(code="330102"))


def own_webhook(code: str, url: str, secret: str = OFFICE_SECRET) -> Office:
    Office.objects.filter(code=code).update(webhook_url=url, webhook_secret=secret)
    return Office.objects.get(code=code)


def sent_rows(app) -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(application=app, kind="webhook").order_by("id"))


def test_an_office_with_its_own_webhook_gets_its_events_signed_with_its_secret_the_others_the_departments(
        citizen_alice, shangcheng_citizen, clerks, receiver, django_capture_on_commit_callbacks):
    department_system, office_system = receiver(), receiver()
    register_webhook("amr", department_system.url)
    own_webhook("amr-330102", office_system.url)
    with django_capture_on_commit_callbacks(execute=True):
        shangcheng = submitted(shangcheng_citizen, "business-startup")
        xihu = submitted(citizen_alice, "business-startup")
        approve(xihu, "amr-licence", clerks["amr"])

    assert [r.json["application"]["number"] for r in office_system.requests] == [shangcheng.number]
    first = office_system.requests[0]
    assert first.json["case"]["office"] == "amr-330102" and first.json["case"]["department"] == "amr"
    assert verify(OFFICE_SECRET, first.headers["X-Govflow-Signature"], first.body)
    assert not verify(WEBHOOK_SECRET, first.headers["X-Govflow-Signature"], first.body)

    assert [(r.json["type"], r.json["case"]["office"]) for r in department_system.requests] == [
        ("case.queued", "amr-330106"), ("case.claimed", "amr-330106"), ("case.approved", "amr-330106")]
    assert all(verify(WEBHOOK_SECRET, r.headers["X-Govflow-Signature"], r.body) for r in department_system.requests)
    assert not verify(OFFICE_SECRET, department_system.requests[0].headers["X-Govflow-Signature"],
                      department_system.requests[0].body)
    assert all(r.status == OutboxStatus.SENT for r in sent_rows(shangcheng) + sent_rows(xihu))


def test_an_office_webhook_works_without_one_of_its_department(citizen_alice, shangcheng_citizen, receiver,
                                                              django_capture_on_commit_callbacks):
    office_system = receiver()
    own_webhook("amr-330102", office_system.url)
    with django_capture_on_commit_callbacks(execute=True):
        shangcheng = submitted(shangcheng_citizen, "business-startup")
        xihu = submitted(citizen_alice, "business-startup")
    assert [r.json["case"]["procedure"] for r in office_system.requests] == ["amr-licence"]
    assert len(sent_rows(shangcheng)) == 1
    assert sent_rows(xihu) == []  # neither Xihu's office nor the department has a system


def test_delivery_follows_the_current_webhook_of_the_office_then_of_its_department(shangcheng_citizen, receiver):
    department_system, office_system = receiver(), receiver()
    register_webhook("amr", department_system.url)
    own_webhook("amr-330102", office_system.url)
    app = submitted(shangcheng_citizen, "business-startup")
    (row,) = sent_rows(app)
    # The office gives up its own system before the row is sent: its department's receives it.
    own_webhook("amr-330102", "", "")
    assert delivery.deliver(row.pk).status == "sent"
    assert office_system.requests == []
    (request,) = department_system.requests
    assert request.json["case"]["office"] == "amr-330102"
    assert verify(WEBHOOK_SECRET, request.headers["X-Govflow-Signature"], request.body)


def test_an_office_webhook_without_a_secret_sends_nothing_unsigned_and_says_whose_it_is(shangcheng_citizen,
                                                                                        receiver):
    department_system, office_system = receiver(), receiver()
    register_webhook("amr", department_system.url)
    own_webhook("amr-330102", office_system.url, secret="")
    app = submitted(shangcheng_citizen, "business-startup")
    (row,) = sent_rows(app)
    assert delivery.deliver(row.pk).status == "dead"
    assert office_system.requests == [] and department_system.requests == []  # not the department's secret either
    row.refresh_from_db()
    assert "office 'amr-330102'" in row.last_error and "no secret" in row.last_error


def test_a_message_queued_before_offices_goes_to_the_department(citizen_alice, demo_catalog, receiver):
    department_system = receiver()
    register_webhook("amr", department_system.url)
    own_webhook("amr-330106", "https://never.example.org/hook")
    app = submitted(citizen_alice, "business-startup")
    (row,) = sent_rows(app)
    payload = dict(row.payload)
    payload["case"] = {k: v for k, v in payload["case"].items() if k != "office"}
    OutboxMessage.objects.filter(pk=row.pk).update(payload=payload)
    assert delivery.deliver(row.pk).status == "sent"
    (request,) = department_system.requests
    assert "office" not in request.json["case"]
    assert verify(WEBHOOK_SECRET, request.headers["X-Govflow-Signature"], request.body)


def test_an_office_webhook_on_plain_http_is_dead_lettered_naming_the_office(shangcheng_citizen, receiver, settings):
    department_system, office_system = receiver(), receiver()
    register_webhook("amr", department_system.url.replace("http://", "https://"))
    own_webhook("amr-330102", office_system.url)  # http://127.0.0.1:…
    app = submitted(shangcheng_citizen, "business-startup")
    (row,) = sent_rows(app)
    settings.DEBUG = False
    settings.GOVFLOW_ALLOW_HTTP_WEBHOOKS = False
    assert delivery.deliver(row.pk).status == "dead"
    assert office_system.requests == [] and department_system.requests == []
    row.refresh_from_db()
    assert "office 'amr-330102' has a plain http://" in row.last_error
