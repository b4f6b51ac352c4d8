"""Following a counter application with its receipt's number and code, and claiming it."""
from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from govflow.applications import counter
from govflow.applications.models import Application

from ..counter_story import counter_clerk, counter_office, walk_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def receipt(demo_catalog, citizen_alice):
    return walk_in(counter_clerk(), counter_office(), id_number=citizen_alice.id_number, name=citizen_alice.name)


def english(user=None) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    return client


def test_anyone_with_the_number_and_code_follows_it_read_only(receipt):
    app, code = receipt
    client = english()
    assert client.get(reverse("follow-receipt")).status_code == 200
    with CaptureQueriesContext(connection) as captured:
        page = client.post(reverse("follow-receipt"), {"number": app.number.lower(), "code": counter.format_code(code)})
    assert page.status_code == 200, page.content.decode()[:500]
    print("follow page queries", len(captured))
    assert len(captured) <= 8
    text = page.content.decode()
    assert app.number in text and "data-follow-status" in text and "<form" not in text.split("<main")[1]


def test_a_wrong_code_is_a_clear_400_and_too_many_a_429(receipt):
    app, code = receipt
    client = english()
    before = Application.objects.values().get(pk=app.pk)
    for _ in range(counter.NUMBER_LIMIT):
        page = client.post(reverse("follow-receipt"), {"number": app.number, "code": "AAAAA-AAAAA"})
        assert page.status_code == 400 and "The application number or the code is not right" in page.content.decode()
    page = client.post(reverse("follow-receipt"), {"number": app.number, "code": code})
    assert page.status_code == 429 and page["Retry-After"]
    assert Application.objects.values().get(pk=app.pk) == before
    assert client.post(reverse("follow-receipt"), {"number": "", "code": ""}).status_code == 400


def test_claiming_needs_an_account_and_claims_once(receipt, citizen_alice, citizen_carol):
    app, code = receipt
    assert english().get(reverse("claim")).status_code == 302  # to the sign-in page
    refused = english(citizen_carol).post(reverse("claim"), {"number": app.number, "code": code})
    assert refused.status_code == 403 and "only they can claim it" in refused.content.decode()
    response = english(citizen_alice).post(reverse("claim"), {"number": app.number, "code": code})
    assert response.status_code == 302 and response["Location"] == reverse("application", args=[app.pk])
    assert Application.objects.get(pk=app.pk).claimed_by == citizen_alice
    again = english(citizen_alice).post(reverse("claim"), {"number": app.number, "code": code})
    assert again.status_code == 400
