"""Idempotency-Key on POST /services/{serviceId}/applications: a repeat from the same client and
account replays the first answer and creates nothing; another body with the same key is a 422."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from govflow.applications.models import Application
from govflow.govstack import ids
from govflow.govstack.idempotency import purge_expired_keys
from govflow.govstack.models import Client, IdempotencyKey

from ..threads import run_together
from .conftest import PORTAL, PREFIX

SERVICE = "/services/{serviceId}/applications"
OTHER_PORTAL = "eGovStack/GOV/90000009/other-portal"


def create(client, key: str | None, baby_name: str = "小宝"):
    extra = {} if key is None else {"HTTP_IDEMPOTENCY_KEY": key}
    return client.client.post(PREFIX + SERVICE.format(serviceId=ids.service_id("newborn")),
                              {"applicantId": "me", "formData": {"data": {"baby_name": {"value": baby_name}}}},
                              format="json", **extra)


@pytest.mark.django_db
def test_a_repeat_replays_the_first_answer_and_creates_nothing(demo_catalog, govstack, citizen_alice):
    alice = govstack(citizen_alice)
    first = alice.post(SERVICE, params={"serviceId": ids.service_id("newborn")},
                       body={"applicantId": "me", "formData": {"data": {"baby_name": "小宝"}}})
    assert first.status_code == 200
    # The contract checks the answers (conftest); a repeat under a key, then the same again.
    keyed = create(alice, "k-1")
    again = create(alice, "k-1")
    assert keyed.status_code == again.status_code == 200
    assert again["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in keyed
    assert again.json() == keyed.json()
    assert Application.objects.filter(applicant=citizen_alice).count() == 2


@pytest.mark.django_db
def test_another_body_under_the_same_key_is_a_422(demo_catalog, govstack, citizen_alice):
    alice = govstack(citizen_alice)
    assert create(alice, "k-1").status_code == 200
    reused = create(alice, "k-1", baby_name="小明")
    assert reused.status_code == 422
    body = reused.json()
    assert body["code"] == "422" and body["message"] and body["traceId"]
    assert Application.objects.count() == 1


@pytest.mark.django_db
def test_keys_are_scoped_to_the_client_and_the_account(demo_catalog, govstack, citizen_alice, citizen_carol):
    Client.objects.create(identifier=OTHER_PORTAL, name="Other portal")
    assert create(govstack(citizen_alice), "k-1").status_code == 200
    other_client = create(govstack(citizen_alice, header=OTHER_PORTAL), "k-1")
    other_person = create(govstack(citizen_carol), "k-1")
    assert other_client.status_code == other_person.status_code == 200
    assert "Idempotent-Replayed" not in other_client and "Idempotent-Replayed" not in other_person
    assert Application.objects.count() == 3


@pytest.mark.django_db
def test_errors_are_not_kept_and_bad_keys_are_a_400(demo_catalog, govstack, citizen_alice):
    alice = govstack(citizen_alice)
    refused = alice.client.post(PREFIX + SERVICE.format(serviceId=ids.service_id("newborn")), {"applicantId": 5},
                                format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert refused.status_code == 400 and not IdempotencyKey.objects.exists()
    assert create(alice, "k-1").status_code == 200  # the same key, after an error: a fresh try
    for key in ("", " ", "ключ", "x" * 256):
        response = create(alice, key)
        assert response.status_code == 400 and response.json()["code"] == "400", key
    assert Application.objects.count() == 1


@pytest.mark.django_db
def test_keys_expire_after_the_settings_hours(demo_catalog, govstack, citizen_alice, settings):
    settings.GOVFLOW_GOVSTACK_IDEMPOTENCY_HOURS = 2
    alice = govstack(citizen_alice)
    assert create(alice, "k-1").status_code == 200
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(minutes=119))
    assert create(alice, "k-1")["Idempotent-Replayed"] == "true"
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(minutes=121))
    fresh = create(alice, "k-1", baby_name="小明")
    assert fresh.status_code == 200 and "Idempotent-Replayed" not in fresh
    assert Application.objects.count() == 2
    IdempotencyKey.objects.create(client=Client.objects.get(identifier=PORTAL), user=citizen_alice, key="old",
                                  method="POST", path="/x", request_hash="x",
                                  created_at=timezone.now() - timedelta(hours=3))
    assert purge_expired_keys() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["k-1"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="real concurrency needs PostgreSQL")
def test_five_simultaneous_creates_with_one_key_create_one_file(demo_catalog, portal, citizen_alice):
    _instance, token = AuthToken.objects.create(citizen_alice)

    def post():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}", HTTP_INFORMATION_MEDIATOR_CLIENT=PORTAL)
        return client.post(PREFIX + SERVICE.format(serviceId=ids.service_id("newborn")),
                           {"applicantId": "me", "formData": {"data": {"baby_name": {"value": "小宝"}}}},
                           format="json", HTTP_IDEMPOTENCY_KEY="c-1")

    results = run_together([post for _ in range(5)])

    assert all(not isinstance(r, Exception) and r.status_code in (200, 409) for r in results), results
    assert sum(r.status_code == 200 and "Idempotent-Replayed" not in r for r in results) == 1
    assert Application.objects.filter(applicant=citizen_alice).count() == 1
