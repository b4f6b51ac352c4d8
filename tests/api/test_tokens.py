"""API tokens (django-rest-knox): stored hashed, expiring, dying with the password, the account or a DELETE."""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

import pytest
import time_machine
from django.contrib.auth import authenticate
from django.core.cache import cache
from django.db import connection
from django.test import Client
from knox.models import AuthToken
from rest_framework.test import APIClient, APIRequestFactory

from govflow.accounts.models import User
from govflow.accounts.services import issue_token
from govflow.api.authentication import TokenAuthentication
from govflow.errors import InvalidInput

from ..factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "govflow-test-pw"
NEW_PASSWORD = "a-Fresh-passphrase-73"
TOKEN_URL = "/api/v1/auth/token/"
PROTECTED = "/api/v1/applications/"
NOON = datetime.fromisoformat("2026-12-01T12:00:00+08:00")


@pytest.fixture(autouse=True)
def _fresh_lockouts():
    cache.clear()
    yield
    cache.clear()


def login(username="alice", password=PASSWORD) -> dict:
    response = APIClient().post(TOKEN_URL, {"username": username, "password": password}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def status_with(token: str) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client.get(PROTECTED).status_code


def superuser_client() -> Client:
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(root)
    return client


# -- expiry --------------------------------------------------------------------------------------

def test_a_token_expires_ten_hours_after_login(citizen_alice):
    with time_machine.travel(NOON, tick=False):
        answer = login()
    assert datetime.fromisoformat(answer["expiry"]) == NOON + timedelta(hours=10)

    with time_machine.travel(NOON + timedelta(hours=9, minutes=59), tick=False):
        assert status_with(answer["token"]) == 200
    with time_machine.travel(NOON + timedelta(hours=10, seconds=1), tick=False):
        response = APIClient(HTTP_AUTHORIZATION=f"Token {answer['token']}").get(PROTECTED)

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Token")
    assert not AuthToken.objects.filter(user=citizen_alice).exists()  # an expired token is deleted


def test_the_lifetime_is_a_setting(citizen_alice, settings):
    settings.REST_KNOX = {**settings.REST_KNOX, "TOKEN_TTL": timedelta(minutes=30)}
    with time_machine.travel(NOON, tick=False):
        answer = login()
    assert datetime.fromisoformat(answer["expiry"]) == NOON + timedelta(minutes=30)
    with time_machine.travel(NOON + timedelta(minutes=31), tick=False):
        assert status_with(answer["token"]) == 401


def test_a_login_clears_the_users_expired_tokens(citizen_alice):
    with time_machine.travel(NOON, tick=False):
        old = login()["token"]
    with time_machine.travel(NOON + timedelta(hours=11), tick=False):
        new = login()["token"]
        assert AuthToken.objects.filter(user=citizen_alice).count() == 1
        assert status_with(old) == 401 and status_with(new) == 200


# -- storage and the admin -----------------------------------------------------------------------

def test_the_database_holds_only_a_digest(citizen_alice):
    token = login()["token"]

    row = AuthToken.objects.get(user=citizen_alice)
    assert row.digest == hashlib.sha512(token.encode()).hexdigest()
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM knox_authtoken")
        stored = [str(value) for value in cursor.fetchall()[0]]
    assert not any(token in value for value in stored)
    assert "authtoken_token" not in connection.introspection.table_names()  # the clear-text table is gone


def test_the_admin_lists_tokens_but_never_shows_one(citizen_alice):
    token = login()["token"]
    row = AuthToken.objects.get(user=citizen_alice)
    client = superuser_client()

    listing = client.get("/admin/api/apitoken/")
    detail = client.get(f"/admin/api/apitoken/{row.pk}/change/")

    assert listing.status_code == 200 and detail.status_code == 200
    assert "alice" in listing.content.decode()
    for page in (listing, detail):
        assert token not in page.content.decode()
        assert token[:15] not in page.content.decode()
    # Nobody can mint a token in the admin (knox's own admin would show it in a message).
    assert client.get("/admin/api/apitoken/add/").status_code == 403


def test_the_admin_revokes_a_token(citizen_alice):
    token = login()["token"]
    row = AuthToken.objects.get(user=citizen_alice)

    response = superuser_client().post("/admin/api/apitoken/", {
        "action": "delete_selected", "_selected_action": [row.pk], "post": "yes"})

    assert response.status_code == 302
    assert status_with(token) == 401


# -- revocation ----------------------------------------------------------------------------------

def test_delete_revokes_only_the_token_it_carries(citizen_alice):
    phone, laptop = login()["token"], login()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {phone}")

    assert client.delete(TOKEN_URL).status_code == 204

    assert status_with(phone) == 401
    assert status_with(laptop) == 200


def test_delete_over_a_browser_session_revokes_every_token_of_the_user(citizen_alice):
    token = login()["token"]
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(citizen_alice)
    client.get("/api/v1/one-things/")  # any page; the CSRF cookie comes from the login page in a browser
    assert client.delete(TOKEN_URL).status_code == 403  # a session without the CSRF token is refused
    assert status_with(token) == 200

    client.cookies["csrftoken"] = csrf = "x" * 32
    assert client.delete(TOKEN_URL, HTTP_X_CSRFTOKEN=csrf).status_code == 204

    assert status_with(token) == 401


def test_a_password_change_kills_the_tokens(citizen_alice):
    token = login()["token"]

    citizen_alice.set_password(NEW_PASSWORD)
    citizen_alice.save()

    assert status_with(token) == 401
    assert status_with(login(password=NEW_PASSWORD)["token"]) == 200


def test_a_password_change_in_the_admin_kills_the_tokens(citizen_alice):
    token = login()["token"]

    response = superuser_client().post(f"/admin/accounts/user/{citizen_alice.pk}/password/", {
        "usable_password": "true", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    assert response.status_code == 302
    assert status_with(token) == 401


def test_a_staff_members_own_password_change_kills_their_tokens(db):
    clerk = UserFactory(username="clerk", is_staff=True)
    token = login("clerk")["token"]
    client = Client()
    client.force_login(clerk)

    response = client.post("/admin/password_change/", {
        "old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert response.status_code == 302
    assert status_with(token) == 401


def test_deactivation_kills_the_tokens(citizen_alice):
    token = login()["token"]

    citizen_alice.is_active = False
    citizen_alice.save()

    assert not AuthToken.objects.filter(user=citizen_alice).exists()
    assert status_with(token) == 401


def test_an_inactive_users_token_is_refused_even_if_the_save_bypassed_the_signal(citizen_alice):
    token = login()["token"]

    User.objects.filter(pk=citizen_alice.pk).update(is_active=False)

    assert status_with(token) == 401


@pytest.mark.parametrize("change", [
    lambda user: user.save(update_fields=["last_login"]),
    lambda user: setattr(user, "phone", "13912345678") or user.save(),
])
def test_other_saves_of_the_user_leave_the_tokens_alone(citizen_alice, change):
    token = login()["token"]

    change(User.objects.get(pk=citizen_alice.pk))

    assert status_with(token) == 200


@pytest.mark.parametrize("header", ["Token caf\xe9", "Token \xff\xfe", "Token " + "a" * 5000])
def test_a_malformed_token_is_a_401_not_a_500(db, header):
    response = APIClient(HTTP_AUTHORIZATION=header).get(PROTECTED)

    assert response.status_code == 401
    assert "detail" in response.json()


def test_authenticating_a_token_costs_one_query(citizen_alice, django_assert_num_queries):
    """knox would also read all the user's other tokens on every request; ours reads the one."""
    for _ in range(3):
        login()
    token = login()["token"]
    request = APIRequestFactory().get(PROTECTED, HTTP_AUTHORIZATION=f"Token {token}")

    with django_assert_num_queries(1):
        user, auth = TokenAuthentication().authenticate(request)

    assert user == citizen_alice and isinstance(auth, AuthToken)


def test_a_password_changed_between_the_check_and_the_token_leaves_no_token(citizen_alice):
    checked = authenticate(APIRequestFactory().post("/api/v1/auth/token/"), username="alice",
                           password="govflow-test-pw")
    assert checked is not None
    fresh = User.objects.get(pk=citizen_alice.pk)
    fresh.set_password("a-Brand-new-passphrase-9")
    fresh.save()  # committed by someone else after the password was checked

    with pytest.raises(InvalidInput):
        issue_token(user=checked)
    assert not AuthToken.objects.filter(user=citizen_alice).exists()
