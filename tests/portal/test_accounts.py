"""Account: register, sign in and out, profile."""
from __future__ import annotations

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from govflow.accounts.models import User
from govflow.notifications.models import OutboxMessage
from tests.factories import CitizenFactory, id_number_for

pytestmark = pytest.mark.django_db

GOOD = {
    "name": "王小明", "id_number": id_number_for(77, birth="19880512"), "phone": "13800138000",
    "email": "wang@example.org", "username": "wangxm", "password1": "Kaiban-yijianshi-26",
    "password2": "Kaiban-yijianshi-26",
}


NEUTRAL = "Registration received."


def test_a_citizen_registers_then_signs_in(en_client):
    response = en_client.post(reverse("register"), GOOD, follow=True)

    assert response.redirect_chain == [(reverse("login"), 302)]
    assert NEUTRAL in response.content.decode()
    user = User.objects.get(username="wangxm")
    assert (user.name, user.id_number, user.phone, user.email) == (
        "王小明", GOOD["id_number"], "13800138000", "wang@example.org")
    assert user.check_password(GOOD["password1"])
    signed_in = en_client.post(reverse("login"), {"username": "wangxm", "password": GOOD["password1"]})
    assert signed_in.status_code == 302
    assert en_client.get(reverse("profile")).status_code == 200


def test_registration_goes_back_where_the_citizen_was(en_client, demo_catalog):
    response = en_client.post(reverse("register"), {**GOOD, "next": "/apply/business-startup/"})

    assert response["Location"] == reverse("login") + "?next=%2Fapply%2Fbusiness-startup%2F"


def test_registration_refuses_an_offsite_next(en_client):
    response = en_client.post(reverse("register"), {**GOOD, "next": "https://evil.example/"})

    assert response["Location"] == reverse("login")


@pytest.mark.parametrize(("field", "value", "message"), [
    ("id_number", id_number_for(77)[:17] + ("1" if id_number_for(77)[17] == "0" else "0"), "check digit"),
    ("id_number", "12345", "at least 18"),
    ("phone", "12345678901", "mobile number"),
    ("email", "not-an-email", "valid email"),
    ("password2", "something-else-26", "do not match"),
    ("password1", "12345678", "password"),
    ("username", "bad name!", "only letters"),
    ("name", "", "required"),
])
def test_registration_errors_are_summarised_and_tied_to_their_field(en_client, field, value, message):
    data = {**GOOD, field: value}
    if field == "password1":
        data["password2"] = value

    response = en_client.post(reverse("register"), data)

    assert response.status_code == 200
    assert not User.objects.filter(username=data["username"]).exists()
    body = response.content.decode()
    assert 'class="error-summary"' in body and f'href="#id_{field}"' in body
    assert f'id="id_{field}-error"' in body
    assert 'aria-invalid="true"' in body
    assert message in body.lower() or message in body


def test_a_registered_id_number_gets_the_answer_a_new_one_gets(en_client):
    """Nobody learns who is registered: the same redirect and message; the owner is told."""
    owner = CitizenFactory(id_number=GOOD["id_number"])
    fresh = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="198.51.100.7").post(
        reverse("register"), {**GOOD, "username": "other", "id_number": id_number_for(78, birth="19880512")},
        follow=True)

    response = en_client.post(reverse("register"), GOOD, follow=True)

    assert response.redirect_chain == fresh.redirect_chain == [(reverse("login"), 302)]
    assert NEUTRAL in response.content.decode() and NEUTRAL in fresh.content.decode()
    assert "An account already exists" not in response.content.decode()
    assert not User.objects.filter(username="wangxm").exists()
    assert OutboxMessage.objects.get(event="account.registration_attempt").recipient == owner


def test_a_username_taken_in_the_meantime_is_reported_on_the_field(en_client, monkeypatch):
    from govflow.accounts import services
    from govflow.errors import InvalidInput

    def taken(**kwargs):
        raise InvalidInput("x", errors={"username": ["This username is already taken."]})

    monkeypatch.setattr(services, "citizen_register", taken)

    response = en_client.post(reverse("register"), GOOD)

    assert response.status_code == 200
    assert "This username is taken. Choose another." in response.content.decode()


def test_a_username_differing_only_in_case_is_taken(en_client):
    CitizenFactory(username="WangXM")

    response = en_client.post(reverse("register"), GOOD)

    assert response.status_code == 200
    assert "This username is taken. Choose another." in response.content.decode()
    assert User.objects.filter(username__iexact="wangxm").count() == 1


@time_machine.travel("2026-12-01 10:30:00+08:00", tick=False)  # inside one clock hour
def test_registrations_are_limited_per_address_on_the_portal_too(db):
    client = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="203.0.113.10")
    for n in range(10):
        data = {**GOOD, "username": f"u{n}", "id_number": id_number_for(600 + n, birth="19880512")}
        assert client.post(reverse("register"), data).status_code == 302

    refused = client.post(reverse("register"), {**GOOD, "username": "u10"})

    assert refused.status_code == 429
    assert refused["Retry-After"] == str(30 * 60)
    assert "Too many registrations from your address" in refused.content.decode()
    assert not User.objects.filter(username="u10").exists()
    # One count for the portal and the API; another address is unaffected.
    api = APIClient().post("/api/v1/auth/register/", {}, format="json", REMOTE_ADDR="203.0.113.10")
    assert api.status_code == 429
    other = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="198.51.100.7")
    assert other.post(reverse("register"), {**GOOD, "username": "u10"}).status_code == 302


def test_sign_in_and_out(en_client, citizen_alice):
    page = en_client.get(reverse("login"))
    assert page.status_code == 200 and 'for="id_username"' in page.content.decode()

    response = en_client.post(reverse("login"), {"username": "alice", "password": "govflow-test-pw"})
    assert response.status_code == 302 and response["Location"] == reverse("applications")

    response = en_client.post(reverse("logout"))
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert en_client.get(reverse("applications")).status_code == 302


def test_a_wrong_password_is_an_error_with_a_summary(en_client, citizen_alice):
    response = en_client.post(reverse("login"), {"username": "alice", "password": "wrong"})

    assert response.status_code == 200
    body = response.content.decode()
    assert "Enter a correct username and password" in body
    assert 'class="error-summary"' in body


def test_sign_in_follows_next(en_client, citizen_alice):
    response = en_client.post(reverse("login") + "?next=/applications/1/",
                              {"username": "alice", "password": "govflow-test-pw", "next": "/applications/1/"})

    assert response["Location"] == "/applications/1/"


def test_pages_that_need_an_account_send_to_sign_in(en_client, demo_catalog):
    for url in ("/applications/", "/apply/business-startup/", "/applications/1/", "/accounts/profile/"):
        response = en_client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")


def test_the_profile_shows_a_masked_id_number_and_updates_contact_details(alice_client, citizen_alice):
    page = alice_client.get(reverse("profile")).content.decode()
    assert citizen_alice.id_number not in page
    assert citizen_alice.masked_id_number in page

    response = alice_client.post(reverse("profile"), {"phone": "139 0013 9000", "email": "alice@example.net"})

    assert response.status_code == 302
    citizen_alice.refresh_from_db()
    assert (citizen_alice.phone, citizen_alice.email) == ("13900139000", "alice@example.net")


def test_the_profile_refuses_a_bad_phone(alice_client, citizen_alice):
    response = alice_client.post(reverse("profile"), {"phone": "123", "email": "alice@example.net"})

    assert response.status_code == 200
    assert "Enter a valid mainland China mobile number" in response.content.decode()
    citizen_alice.refresh_from_db()
    assert citizen_alice.email != "alice@example.net"


def test_every_form_needs_a_csrf_token(citizen_alice):
    client = Client(enforce_csrf_checks=True)

    assert client.post(reverse("register"), GOOD).status_code == 403
    assert client.post(reverse("login"), {"username": "alice", "password": "govflow-test-pw"}).status_code == 403
    client.force_login(citizen_alice)
    assert client.post(reverse("profile"), {"phone": "13900139000", "email": "a@example.org"}).status_code == 403


def test_a_clerk_signing_in_goes_to_the_workbench(en_client, clerk_bob_amr):
    response = en_client.post(reverse("login"), {"username": "bob-amr", "password": "govflow-test-pw"})

    assert response.status_code == 302
    assert response["Location"] == reverse("workbench:queue")
