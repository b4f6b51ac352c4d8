"""Idempotency-Key on POST /applications/ and POST /applications/{id}/submit/."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from govflow.api.idempotency import purge_expired_idempotency_records, request_hash
from govflow.api.models import IdempotencyRecord
from govflow.applications.models import Application, ApplicationStatus, TimelineEntry

from ..stories import draft
from ..threads import run_together

pytestmark = pytest.mark.django_db

CREATE = "/api/v1/applications/"


def post(user, url, body=None, key=None, raw=None):
    client = APIClient()
    client.force_authenticate(user)
    headers = {} if key is None else {"HTTP_IDEMPOTENCY_KEY": key}
    if raw is not None:
        return client.post(url, raw, content_type="application/json", **headers)
    return client.post(url, body, format="json", **headers)


def submit_url(app) -> str:
    return f"/api/v1/applications/{app.pk}/submit/"


NEW = {"one_thing": "newborn", "data": {"baby_name": "小宝"}}


# -- create -------------------------------------------------------------------------------------

def test_a_repeated_create_replays_the_first_answer_and_creates_nothing(citizen_alice, demo_catalog):
    first = post(citizen_alice, CREATE, NEW, key="k-1")
    again = post(citizen_alice, CREATE, NEW, key="k-1")

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Application.objects.filter(applicant=citizen_alice).count() == 1


def test_the_same_body_in_another_key_order_or_spacing_is_a_repeat(citizen_alice, demo_catalog):
    post(citizen_alice, CREATE, NEW, key="k-1")
    raw = b'{ "data" : {"baby_name":"\\u5c0f\\u5b9d"},\n "one_thing": "newborn" }'

    again = post(citizen_alice, CREATE, raw=raw, key="k-1")

    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert Application.objects.count() == 1


def test_a_repeat_with_another_body_is_a_422(citizen_alice, demo_catalog):
    post(citizen_alice, CREATE, NEW, key="k-1")

    response = post(citizen_alice, CREATE, {"one_thing": "newborn", "data": {"baby_name": "大宝"}}, key="k-1")

    assert response.status_code == 422
    assert "detail" in response.json()
    assert Application.objects.count() == 1


def test_without_the_header_every_post_creates(citizen_alice, demo_catalog):
    assert post(citizen_alice, CREATE, NEW).status_code == 201
    assert post(citizen_alice, CREATE, NEW).status_code == 201
    assert Application.objects.count() == 2
    assert not IdempotencyRecord.objects.exists()


def test_keys_are_scoped_to_the_user(citizen_alice, citizen_carol, demo_catalog):
    post(citizen_alice, CREATE, NEW, key="shared")
    response = post(citizen_carol, CREATE, NEW, key="shared")

    assert response.status_code == 201 and "Idempotent-Replayed" not in response
    assert Application.objects.filter(applicant=citizen_carol).count() == 1


def test_keys_are_scoped_to_the_path(citizen_alice, demo_catalog):
    app = draft(citizen_alice, "newborn")
    post(citizen_alice, CREATE, NEW, key="shared")

    response = post(citizen_alice, submit_url(app), key="shared")

    assert response.status_code == 200 and "Idempotent-Replayed" not in response


def test_errors_are_not_stored_so_the_client_may_retry(citizen_alice, demo_catalog):
    failed = post(citizen_alice, CREATE, {"one_thing": "no-such-thing"}, key="k-1")
    assert failed.status_code == 400
    assert not IdempotencyRecord.objects.exists()

    response = post(citizen_alice, CREATE, NEW, key="k-1")

    assert response.status_code == 201 and "Idempotent-Replayed" not in response


@pytest.mark.parametrize("raw", [b"{", b"[1, 2]", b"\xff", b"null"])
def test_malformed_bodies_are_400_and_leave_no_record(citizen_alice, demo_catalog, raw):
    response = post(citizen_alice, CREATE, raw=raw, key="k-1")

    assert response.status_code == 400
    assert not IdempotencyRecord.objects.exists()


def test_a_body_over_the_upload_limit_is_a_413(citizen_alice, demo_catalog):
    raw = json.dumps({"one_thing": "newborn", "data": {"baby_name": "x" * 3_000_000}}).encode()
    assert post(citizen_alice, CREATE, raw=raw, key="k-1").status_code == 413
    assert not IdempotencyRecord.objects.exists()


def test_a_request_still_running_gets_a_409(citizen_alice, demo_catalog):
    IdempotencyRecord.objects.create(user=citizen_alice, key="k-1", method="POST", path=CREATE,
                                     request_hash=request_hash(json.dumps(NEW).encode()))

    response = post(citizen_alice, CREATE, NEW, key="k-1")

    assert response.status_code == 409
    assert not Application.objects.exists()


def test_a_request_that_died_long_ago_is_taken_over(citizen_alice, demo_catalog):
    IdempotencyRecord.objects.create(user=citizen_alice, key="k-1", method="POST", path=CREATE,
                                     request_hash="x", created_at=timezone.now() - timedelta(minutes=11))

    response = post(citizen_alice, CREATE, NEW, key="k-1")

    assert response.status_code == 201
    assert IdempotencyRecord.objects.get().completed_at is not None


def test_keys_expire_after_24_hours(citizen_alice, demo_catalog):
    post(citizen_alice, CREATE, NEW, key="k-1")
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=25))

    response = post(citizen_alice, CREATE, {"one_thing": "newborn"}, key="k-1")

    assert response.status_code == 201 and "Idempotent-Replayed" not in response
    assert Application.objects.count() == 2


@pytest.mark.parametrize("key", ["", "   ", "k" * 256, "clé-ü", "a\tb"])
def test_bad_keys_are_a_400(citizen_alice, demo_catalog, key):
    response = post(citizen_alice, CREATE, NEW, key=key)

    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()
    assert not Application.objects.exists()


def test_a_key_of_255_characters_is_fine(citizen_alice, demo_catalog):
    assert post(citizen_alice, CREATE, NEW, key="k" * 255).status_code == 201
    assert post(citizen_alice, CREATE, NEW, key="k" * 255)["Idempotent-Replayed"] == "true"


def test_the_header_is_checked_only_after_authentication(demo_catalog):
    response = APIClient().post(CREATE, NEW, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert response.status_code == 401
    assert not IdempotencyRecord.objects.exists()


# -- submit -------------------------------------------------------------------------------------

def test_a_repeated_submit_replays_and_submits_once(citizen_alice, demo_catalog):
    app = draft(citizen_alice, "newborn")

    first = post(citizen_alice, submit_url(app), key="s-1")
    again = post(citizen_alice, submit_url(app), key="s-1")

    assert first.status_code == again.status_code == 200
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert first.json()["status"] == ApplicationStatus.SUBMITTED
    assert TimelineEntry.objects.filter(application=app, kind="application.submitted").count() == 1
    # Without the key the state decides, as before.
    assert post(citizen_alice, submit_url(app)).status_code == 409


def test_a_submit_that_fails_validation_can_be_retried_with_the_same_key(citizen_alice, demo_catalog):
    app = draft(citizen_alice, "newborn", materials={})

    assert post(citizen_alice, submit_url(app), key="s-1").status_code == 400
    assert not IdempotencyRecord.objects.exists()


def test_another_citizens_application_is_a_404_and_not_stored(citizen_alice, citizen_carol, demo_catalog):
    app = draft(citizen_alice, "newborn")

    assert post(citizen_carol, submit_url(app), key="s-1").status_code == 404
    assert not IdempotencyRecord.objects.exists()


def test_a_huge_id_with_a_key_is_a_404(citizen_alice, demo_catalog):
    url = f"/api/v1/applications/{'9' * 300}/submit/"
    assert post(citizen_alice, url, key="s-1").status_code == 404


# -- cleanup ------------------------------------------------------------------------------------

def test_purge_deletes_only_expired_records(citizen_alice):
    old = IdempotencyRecord.objects.create(user=citizen_alice, key="old", method="POST", path=CREATE,
                                           request_hash="x", created_at=timezone.now() - timedelta(hours=25))
    fresh = IdempotencyRecord.objects.create(user=citizen_alice, key="fresh", method="POST", path=CREATE,
                                             request_hash="x", created_at=timezone.now() - timedelta(hours=23))

    assert purge_expired_idempotency_records() == 1

    assert list(IdempotencyRecord.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert not IdempotencyRecord.objects.filter(pk=old.pk).exists()


# -- real concurrency (PostgreSQL) ---------------------------------------------------------------

def concurrent(test):
    """Real threads, each with its own connection: PostgreSQL only (CI runs it there)."""
    for mark in (pytest.mark.postgres, pytest.mark.django_db(transaction=True),
                 pytest.mark.skipif(connection.vendor != "postgresql", reason="real concurrency needs PostgreSQL")):
        test = mark(test)
    return test


@concurrent
def test_two_simultaneous_submits_with_one_key_submit_once(citizen_alice, demo_catalog):
    app = draft(citizen_alice, "newborn")

    results = run_together([lambda: post(citizen_alice, submit_url(app), key="s-1") for _ in range(2)])

    codes = sorted(r.status_code for r in results)
    assert codes in ([200, 200], [200, 409]), results
    if codes == [200, 200]:
        assert any(r.get("Idempotent-Replayed") == "true" for r in results)
    assert TimelineEntry.objects.filter(application=app, kind="application.submitted").count() == 1
    app.refresh_from_db()
    assert app.status == ApplicationStatus.SUBMITTED


@concurrent
def test_five_simultaneous_creates_with_one_key_create_one_draft(citizen_alice, demo_catalog):
    results = run_together([lambda: post(citizen_alice, CREATE, NEW, key="c-1") for _ in range(5)])

    assert all(r.status_code in (201, 409) for r in results), results
    assert sum(r.status_code == 201 and "Idempotent-Replayed" not in r for r in results) == 1
    assert Application.objects.filter(applicant=citizen_alice).count() == 1


def test_the_beat_job_purges_every_interfaces_expired_keys(citizen_alice, settings, django_assert_max_num_queries):
    """``idempotency-purge`` (hourly): /api/v1/'s records past 24 hours and GovStack's keys past
    GOVFLOW_GOVSTACK_IDEMPOTENCY_HOURS go, live ones stay; a bounded number of queries however many."""
    from govflow.govstack.models import Client, IdempotencyKey
    from govflow.notifications.tasks import purge_idempotency_keys

    assert "govflow.notifications.tasks.purge_idempotency_keys" in {
        entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    settings.GOVFLOW_GOVSTACK_IDEMPOTENCY_HOURS = 48
    now = timezone.now()
    client = Client.objects.create(identifier="eGovStack/GOV/1/portal", name="Portal")
    for i in range(5):
        IdempotencyRecord.objects.create(user=citizen_alice, key=f"old-{i}", method="POST", path=CREATE,
                                         request_hash="x", created_at=now - timedelta(hours=25 + i))
        IdempotencyKey.objects.create(client=client, user=citizen_alice, key=f"old-{i}", method="POST", path=CREATE,
                                      request_hash="x", created_at=now - timedelta(hours=49 + i))
    live_api = IdempotencyRecord.objects.create(user=citizen_alice, key="live", method="POST", path=CREATE,
                                                request_hash="x", created_at=now - timedelta(hours=23))
    # 30 hours: past /api/v1/'s retention, within GovStack's.
    live_govstack = IdempotencyKey.objects.create(client=client, user=citizen_alice, key="live", method="POST",
                                                  path=CREATE, request_hash="x", created_at=now - timedelta(hours=30))

    with django_assert_max_num_queries(8):
        purged = purge_idempotency_keys(period=3600)

    assert purged == {"api.IdempotencyRecord": 5, "govstack.IdempotencyKey": 5}
    assert list(IdempotencyRecord.objects.values_list("pk", flat=True)) == [live_api.pk]
    assert list(IdempotencyKey.objects.values_list("pk", flat=True)) == [live_govstack.pk]
    assert purge_idempotency_keys(period=3600) is None  # once per period, however many beats
