"""Tokens, login lockout (django-axes) and self-registration over HTTP."""
from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.db import connection
from django.test import Client
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from govflow.accounts.models import User
from govflow.notifications.models import OutboxMessage
from govflow.notifications.rendering import render

from ..factories import CitizenFactory, UserFactory, id_number_for
from ..threads import run_together

pytestmark = pytest.mark.django_db

PASSWORD = "govflow-test-pw"
TOKEN_URL = "/api/v1/auth/token/"
REGISTER_URL = "/api/v1/auth/register/"
HOME = "203.0.113.10"
ELSEWHERE = "198.51.100.20"


def login(username, password, ip=HOME, client=None):
    client = client or APIClient()
    return client.post(TOKEN_URL, {"username": username, "password": password}, format="json", REMOTE_ADDR=ip)


def authenticated(token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


# -- tokens -------------------------------------------------------------------------------------

def test_the_right_credentials_give_a_token_that_authenticates(citizen_alice):
    response = login("alice", PASSWORD)

    assert response.status_code == 200
    token = response.json()["token"]
    assert set(response.json()) == {"token", "expiry"}
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/applications/").status_code == 200


def test_each_login_gives_a_new_token_and_both_work(citizen_alice):
    first, second = login("alice", PASSWORD).json()["token"], login("alice", PASSWORD).json()["token"]

    assert first != second
    assert AuthToken.objects.filter(user=citizen_alice).count() == 2
    assert all(authenticated(token).get("/api/v1/applications/").status_code == 200 for token in (first, second))


def test_a_successful_login_updates_last_login(citizen_alice):
    login("alice", PASSWORD)
    citizen_alice.refresh_from_db()
    assert citizen_alice.last_login is not None


@pytest.mark.parametrize("body, field", [
    ({"password": PASSWORD}, "username"),
    ({"username": "alice"}, "password"),
    ({"username": "", "password": PASSWORD}, "username"),
    ({"username": ["alice"], "password": PASSWORD}, "username"),
    ({"username": {"a": 1}, "password": PASSWORD}, "username"),
    ({"username": "alice", "password": None}, "password"),
    ({"username": "a" * 10_000, "password": PASSWORD}, "username"),
    ({"username": "alice", "password": "p" * 100_000}, "password"),
])
def test_missing_or_malformed_fields_are_field_errors(citizen_alice, body, field):
    response = APIClient().post(TOKEN_URL, body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not AccessAttempt.objects.exists()  # not a login attempt


@pytest.mark.parametrize("raw", [b"{", b"[]", b"null", b'"alice"', b"\xff\xfe"])
def test_a_body_that_is_not_an_object_is_a_400(citizen_alice, raw):
    response = APIClient().post(TOKEN_URL, raw, content_type="application/json")
    assert response.status_code == 400


@pytest.mark.parametrize("url", [TOKEN_URL, REGISTER_URL])
def test_a_body_over_the_upload_limit_is_a_413(db, url):
    raw = b'{"username": "' + b"a" * 3_000_000 + b'"}'
    response = APIClient().post(url, raw, content_type="application/json")
    assert response.status_code == 413
    assert "detail" in response.json()


@pytest.mark.parametrize("username, password", [("alice", "wrong-password"), ("nobody", PASSWORD)])
def test_wrong_credentials_are_a_400_without_saying_which(citizen_alice, username, password):
    response = login(username, password)

    assert response.status_code == 400
    assert list(response.json()) == ["non_field_errors"]


def test_an_inactive_user_cannot_log_in(citizen_alice):
    citizen_alice.is_active = False
    citizen_alice.save()
    assert login("alice", PASSWORD).status_code == 400


def test_a_stale_token_or_session_does_not_get_in_the_way_of_logging_in(citizen_alice):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert login("alice", PASSWORD, client=client).status_code == 200


def test_deleting_the_token_revokes_it(citizen_alice):
    token = login("alice", PASSWORD).json()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    assert client.delete(TOKEN_URL).status_code == 204

    assert not AuthToken.objects.filter(user=citizen_alice).exists()
    response = client.get("/api/v1/applications/")
    assert response.status_code == 401
    assert login("alice", PASSWORD).json()["token"] != token  # a new one on the next login


def test_deleting_a_token_needs_authentication():
    response = APIClient().delete(TOKEN_URL)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Token")


@pytest.mark.parametrize("header", [None, "Token nope", "Token", "Bearer abc", "Token a b"])
def test_protected_endpoints_answer_401_with_a_token_challenge(header):
    client = APIClient()
    if header:
        client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get("/api/v1/applications/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Token")


# -- lockout ------------------------------------------------------------------------------------

def fail(times, username="alice", ip=HOME):
    return [login(username, "wrong-password", ip=ip).status_code for _ in range(times)]


def test_five_failures_lock_the_username_from_that_address_even_with_the_right_password(citizen_alice):
    assert fail(4) == [400] * 4
    locked = login("alice", "wrong-password")
    assert locked.status_code == 429

    response = login("alice", PASSWORD)

    assert response.status_code == 429
    assert response["Retry-After"] == str(15 * 60)
    assert "15" in response.json()["detail"]  # the wait, in minutes, in the request's language
    assert not AuthToken.objects.filter(user=citizen_alice).exists()


def test_a_lockout_does_not_reach_another_address(citizen_alice):
    """Nobody can lock a citizen out from elsewhere."""
    fail(6, ip=ELSEWHERE)
    assert login("alice", PASSWORD, ip=ELSEWHERE).status_code == 429

    assert login("alice", PASSWORD, ip=HOME).status_code == 200


def test_a_lockout_does_not_reach_another_username_from_the_same_address(citizen_alice, citizen_carol):
    fail(6, username="alice")
    assert login("carol", PASSWORD).status_code == 200


def test_a_success_forgets_earlier_failures(citizen_alice):
    fail(4)
    assert login("alice", PASSWORD).status_code == 200
    assert fail(4) == [400] * 4
    assert login("alice", PASSWORD).status_code == 200


def test_the_lockout_ends_after_the_cool_off(citizen_alice):
    fail(5)
    assert login("alice", PASSWORD).status_code == 429

    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        assert login("alice", PASSWORD).status_code == 200


def test_unknown_usernames_are_locked_out_too(citizen_alice):
    """Guessing usernames is limited as well (and answers the same as for a real one)."""
    assert fail(5, username="mallory")[-1] == 429


def test_the_admin_login_is_locked_out_the_same_way(db):
    UserFactory(username="root", is_staff=True, is_superuser=True)
    client = Client(REMOTE_ADDR=HOME)
    for _ in range(5):
        client.post("/admin/login/", {"username": "root", "password": "wrong-password"})

    response = client.post("/admin/login/?next=/admin/", {"username": "root", "password": PASSWORD})

    assert response.status_code == 429
    assert response["Retry-After"] == str(15 * 60)
    assert response["Content-Type"].startswith("text/html")
    assert "_auth_user_id" not in client.session
    # Another address is unaffected.
    other = Client(REMOTE_ADDR=ELSEWHERE)
    assert other.post("/admin/login/?next=/admin/", {"username": "root", "password": PASSWORD}).status_code == 302


def test_the_admin_and_the_api_share_one_count(citizen_alice):
    client = Client(REMOTE_ADDR=HOME)
    for _ in range(3):
        client.post("/admin/login/", {"username": "alice", "password": "wrong-password"})
    assert fail(2)[-1] == 429


# -- password spraying: failures per address across usernames ------------------------------------

@time_machine.travel("2026-12-01 10:30:00+08:00", tick=False)  # inside one clock hour
def test_spraying_many_usernames_from_one_address_is_refused(citizen_alice):
    """2 passwords x 13 usernames: no username reaches its own limit, the address reaches its."""
    victims = [UserFactory(username=f"victim{n}").username for n in range(13)]
    answers = [login(name, password).status_code for password in ("Winter2026!", "Password1!") for name in victims]

    assert answers[:20] == [400] * 20
    assert set(answers[20:]) == {429}
    refused = login("alice", PASSWORD)  # even the right password, for another user
    assert refused.status_code == 429
    assert refused["Retry-After"] == str(30 * 60)  # until the hour ends
    assert "from your address" in refused.json()["detail"] and "this account" not in refused.json()["detail"]
    assert not AuthToken.objects.filter(user=citizen_alice).exists()
    # Another address is unaffected, and the next hour starts afresh.
    assert login("alice", PASSWORD, ip=ELSEWHERE).status_code == 200
    with time_machine.travel("2026-12-01 11:00:01+08:00", tick=False):
        assert login("alice", PASSWORD).status_code == 200


@time_machine.travel("2026-12-01 10:30:00+08:00", tick=False)
def test_the_address_limit_covers_the_admin_and_portal_logins(citizen_alice):
    for n in range(20):
        login(f"nobody{n}", "wrong-password")
    admin = Client(REMOTE_ADDR=HOME).post("/admin/login/?next=/admin/", {"username": "alice", "password": PASSWORD})
    portal = Client(REMOTE_ADDR=HOME).post("/accounts/login/", {"username": "alice", "password": PASSWORD})

    assert admin.status_code == portal.status_code == 429
    assert admin["Retry-After"] == portal["Retry-After"] == str(30 * 60)


@time_machine.travel("2026-12-01 10:30:00+08:00", tick=False)
def test_the_address_limit_is_a_setting(citizen_alice, settings):
    settings.GOVFLOW_LOGIN_ADDRESS_FAILURE_LIMIT = 3
    assert fail(3, username="nobody") == [400] * 3
    assert login("alice", PASSWORD).status_code == 429


# -- registration -------------------------------------------------------------------------------

def registration(**overrides):
    body = {"username": "newcomer", "password": "a-Long-unusual-passphrase-42", "name": "林新",
            "id_number": id_number_for(501, birth="19950815"), "phone": "13912345678",
            "email": "newcomer@example.org"}
    body.update(overrides)
    return body


def register(body, ip=HOME):
    return APIClient().post(REGISTER_URL, body, format="json", REMOTE_ADDR=ip)


def test_registration_creates_a_citizen_who_can_log_in(db):
    body = registration()
    response = register(body)

    assert response.status_code == 201, response.content
    data = response.json()
    assert set(data) == {"detail", "username", "name", "id_number", "phone", "email"}
    assert data["username"] == "newcomer" and data["name"] == "林新"
    assert data["phone"] == "13912345678" and data["email"] == "newcomer@example.org"
    assert data["id_number"] == body["id_number"][:3] + "*" * 11 + body["id_number"][-4:]
    assert body["id_number"] not in response.content.decode()
    user = User.objects.get(username="newcomer")
    assert user.id_number == body["id_number"] and user.is_active and not user.is_staff
    assert not user.memberships.exists()
    assert login("newcomer", body["password"]).status_code == 200


def test_a_lower_case_check_character_is_normalised(db):
    number = next(id_number_for(n) for n in range(1, 100) if id_number_for(n).endswith("X"))
    response = register(registration(id_number=number.lower()))

    assert response.status_code == 201, response.content
    assert User.objects.get(username="newcomer").id_number == number


def test_email_is_optional(db):
    body = registration()
    del body["email"]
    assert register(body).status_code == 201


@pytest.mark.parametrize("overrides, field", [
    ({"id_number": id_number_for(501, birth="19950815")[:17] + "0"}, "id_number"),  # check digit
    ({"id_number": "33010619950815501"}, "id_number"),
    ({"id_number": "330106" + "20991231" + "0011"}, "id_number"),
    ({"phone": "12345678901"}, "phone"),
    ({"phone": "1391234567"}, "phone"),
    ({"email": "not-an-email"}, "email"),
    ({"username": "has space"}, "username"),
    ({"username": ""}, "username"),
    ({"name": ""}, "name"),
    ({"name": "   "}, "name"),
    ({"password": "12345678"}, "password"),
    ({"password": "short"}, "password"),
    ({"password": "password123"}, "password"),
    ({"password": "newcomer1"}, "password"),  # too similar to the username
    ({"username": ["x"]}, "username"),
    ({"id_number": 330106199508155010}, "id_number"),
    ({"phone": {"n": 1}}, "phone"),
    ({"name": "名" * 1000}, "name"),
    ({"id_number": "3" * 100_000}, "id_number"),
])
def test_invalid_registrations_are_field_errors_and_create_nothing(db, overrides, field):
    response = register(registration(**overrides))

    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not User.objects.exists()


def test_every_field_is_required_but_email(db):
    response = APIClient().post(REGISTER_URL, {}, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"username", "password", "name", "id_number", "phone"}


@pytest.mark.parametrize("raw", [b"{", b"[]", b"null", b"\x00"])
def test_a_registration_body_that_is_not_an_object_is_a_400(db, raw):
    assert APIClient().post(REGISTER_URL, raw, content_type="application/json").status_code == 400


def test_a_taken_username_is_a_field_error(db):
    CitizenFactory(username="newcomer")
    response = register(registration(username="NewComer"))

    assert response.status_code == 400
    assert list(response.json()) == ["username"]


def test_one_account_per_id_number_without_saying_whether_it_has_one(db):
    """The answer for a registered id number is the answer for a new one; the owner is told."""
    existing = CitizenFactory(username="first", phone="13700000001", email="first@example.org")
    fresh = register(registration(username="second", id_number=id_number_for(502)))
    before = User.objects.count()

    response = register(registration(username="third", id_number=existing.id_number))

    assert response.status_code == fresh.status_code == 201
    assert set(response.json()) == set(fresh.json())
    assert response.json()["detail"] == fresh.json()["detail"]
    assert response.json()["username"] == "third"
    assert "first" not in response.content.decode()
    assert User.objects.count() == before and not User.objects.filter(username="third").exists()
    assert login("third", registration()["password"]).status_code == 400
    notice = OutboxMessage.objects.get(event="account.registration_attempt")
    assert notice.recipient == existing and notice.kind == "notification"
    existing.language = "en"
    rendered = render(notice, existing)
    assert "ID number" in rendered.subject and "/accounts/login/" in rendered.sms
    existing.language = "zh-hans"
    assert "身份证号码" in render(notice, existing).subject


@time_machine.travel("2026-12-01 10:30:00+08:00", tick=False)  # inside one day's window
def test_the_owner_hears_of_at_most_three_attempts_a_day(db):
    existing = CitizenFactory(username="first")
    answers = [register(registration(username=f"probe{n}", id_number=existing.id_number), ip=f"198.51.100.{n}")
               for n in range(5)]

    assert [r.status_code for r in answers] == [201] * 5
    assert OutboxMessage.objects.filter(event="account.registration_attempt", recipient=existing).count() == 3


def test_a_new_registration_notifies_nobody(db):
    assert register(registration()).status_code == 201
    assert not OutboxMessage.objects.filter(event="account.registration_attempt").exists()


@time_machine.travel("2026-12-01 10:30:00+08:00", tick=False)  # inside one rate-limit window
def test_registrations_are_limited_per_address(db):
    for n in range(10):
        response = register(registration(username=f"u{n}", id_number=id_number_for(600 + n), phone="13912345678"))
        assert response.status_code == 201, response.content

    refused = register(registration(username="u10", id_number=id_number_for(610)))

    assert refused.status_code == 429
    assert refused["Retry-After"] == str(30 * 60)  # until the window ends
    assert not User.objects.filter(username="u10").exists()
    assert register(registration(username="u10", id_number=id_number_for(610)), ip=ELSEWHERE).status_code == 201


@time_machine.travel("2026-12-01 10:30:00+08:00", tick=False)
def test_failed_registrations_count_against_the_limit_too(db):
    for _ in range(10):
        assert register(registration(phone="1")).status_code == 400
    assert register(registration()).status_code == 429


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="real concurrency needs PostgreSQL")
def test_two_simultaneous_registrations_of_one_id_number_make_one_account():
    number = id_number_for(777)
    results = run_together([
        lambda index=index: register(registration(username=f"twin{index}", id_number=number),
                                     ip=f"192.0.2.{index + 1}").status_code
        for index in range(2)])

    assert results == [201, 201]  # the second answer tells nothing either
    assert User.objects.filter(id_number=number).count() == 1
    assert OutboxMessage.objects.filter(event="account.registration_attempt").count() == 1
