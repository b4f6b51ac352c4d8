"""Two-factor sign-in (issue 20): enrolment, the code step, recovery codes, lockout, the pending
state, citizens' opt-in, the administrator's reset, and the API token in both modes."""
from __future__ import annotations

import time

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import translation
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from govflow.accounts import two_factor
from govflow.accounts.models import SecurityEvent
from govflow.accounts.models import SecurityEventKind as Kind
from tests.factories import CitizenFactory, MembershipFactory, UserFactory

PASSWORD = "govflow-test-pw"
REQUIRED = override_settings(GOVFLOW_STAFF_TWO_FACTOR="required")
OPTIONAL = override_settings(GOVFLOW_STAFF_TWO_FACTOR="optional")


def code_for(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    """The code the person's app shows now (or ``steps_ahead`` periods later)."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def enrolled(user) -> tuple[TOTPDevice, list[str]]:
    """``user`` with a confirmed authenticator and recovery codes (through the domain)."""
    device = two_factor.enrolment_device(user=user)
    codes = two_factor.confirm_enrolment(user=user, device_id=device.pk, code=code_for(device))
    return device, codes


def kinds(user=None, username: str = "") -> list[str]:
    events = SecurityEvent.objects.order_by("id")
    events = events.filter(user=user) if user is not None else events.filter(username=username)
    return list(events.values_list("kind", flat=True))


def password_step(client: Client, username: str, password: str = PASSWORD, next_url: str = ""):
    data = {"username": username, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post(reverse("login"), data)


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


# -- the web sign-in ----------------------------------------------------------------------------------

@REQUIRED
@pytest.mark.django_db
def test_staff_without_an_authenticator_enrol_before_they_are_signed_in(clerk_bob_amr):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = password_step(client, "bob-amr")
    assert response.status_code == 302 and response["Location"] == reverse("login-enrol")
    assert not signed_in(client)
    assert client.get(reverse("workbench:queue")).status_code == 302  # still signed out

    page = client.get(reverse("login-enrol"))
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user=clerk_bob_amr, confirmed=False)
    text = page.content.decode()
    assert two_factor.secret_text(device) in text and 'src="data:image/svg+xml' in text and "novalidate" in text
    # Reloading keeps the same secret (the app may already have it).
    client.get(reverse("login-enrol"))
    assert TOTPDevice.objects.filter(user=clerk_bob_amr).count() == 1

    wrong = client.post(reverse("login-enrol"), {"code": "000000" if code_for(device) != "000000" else "111111"})
    assert wrong.status_code == 400 and not signed_in(client)

    response = client.post(reverse("login-enrol"), {"code": code_for(device)})
    assert response.status_code == 302 and response["Location"] == reverse("two-factor-codes")
    assert signed_in(client)
    codes_page = client.get(reverse("two-factor-codes"))
    codes = list(StaticToken.objects.filter(device__user=clerk_bob_amr).values_list("token", flat=True))
    assert len(codes) == two_factor.RECOVERY_CODES
    assert all(code in codes_page.content.decode() for code in codes)
    assert reverse("workbench:queue") in codes_page.content.decode()
    # Shown once.
    assert client.get(reverse("two-factor-codes")).status_code == 302
    assert kinds(clerk_bob_amr)[-2:] == [Kind.FACTOR_ENROLLED, Kind.LOGIN_SUCCEEDED]


@REQUIRED
@pytest.mark.django_db
def test_code_step_wrong_then_right(clerk_bob_amr):
    device, _codes = enrolled(clerk_bob_amr)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = password_step(client, "bob-amr", next_url="/applications/")
    assert response["Location"] == reverse("login-code") and not signed_in(client)
    with translation.override("en"):
        wrong = client.post(reverse("login-code"), {"code": "12345x"})
    assert wrong.status_code == 400 and not signed_in(client)
    assert "This code is not right" in wrong.content.decode()
    with time_machine.travel(time.time() + 10):  # django-otp waits a second after a wrong code
        response = client.post(reverse("login-code"), {"code": code_for(device, steps_ahead=1)})
    assert response.status_code == 302 and response["Location"] == "/applications/"
    assert signed_in(client)
    assert Kind.SECOND_FACTOR_FAILED in kinds(clerk_bob_amr)
    assert kinds(clerk_bob_amr)[-2:] == [Kind.SECOND_FACTOR_SUCCEEDED, Kind.LOGIN_SUCCEEDED]


@REQUIRED
@pytest.mark.django_db
def test_the_code_page_needs_a_right_password_first(clerk_bob_amr):
    enrolled(clerk_bob_amr)
    client = Client()
    assert client.get(reverse("login-code"))["Location"] == reverse("login")
    assert password_step(client, "bob-amr", password="wrong-password").status_code == 200
    assert client.get(reverse("login-code"))["Location"] == reverse("login")


@REQUIRED
@pytest.mark.django_db
def test_a_recovery_code_works_once(clerk_bob_amr):
    _device, codes = enrolled(clerk_bob_amr)
    client = Client()
    password_step(client, "bob-amr")
    response = client.post(reverse("login-code"), {"code": codes[0].upper()})
    assert response.status_code == 302 and signed_in(client)
    assert two_factor.recovery_codes_left(clerk_bob_amr) == two_factor.RECOVERY_CODES - 1
    assert Kind.RECOVERY_CODE_USED in kinds(clerk_bob_amr)

    other = Client()
    password_step(other, "bob-amr")
    with time_machine.travel(time.time() + 10):
        assert other.post(reverse("login-code"), {"code": codes[0]}).status_code == 400
    assert not signed_in(other)


@REQUIRED
@override_settings(AXES_FAILURE_LIMIT=3)
@pytest.mark.django_db
def test_wrong_codes_lock_the_account_out_like_wrong_passwords(clerk_bob_amr):
    device, _codes = enrolled(clerk_bob_amr)
    client = Client()
    password_step(client, "bob-amr")
    statuses = [client.post(reverse("login-code"), {"code": "000000"}).status_code for _ in range(3)]
    assert statuses[:2] == [400, 400] and statuses[2] == 429
    # Locked: even the right password and code are refused now.
    assert password_step(client, "bob-amr").status_code == 429
    assert not signed_in(client)
    assert Kind.LOCKED_OUT in kinds(username="bob-amr")
    assert device.pk  # the authenticator is kept


@REQUIRED
@pytest.mark.django_db
def test_the_pending_sign_in_expires(clerk_bob_amr, settings):
    device, _codes = enrolled(clerk_bob_amr)
    client = Client()
    now = time.time()
    with time_machine.travel(now, tick=False):
        password_step(client, "bob-amr")
    with time_machine.travel(now + settings.GOVFLOW_TWO_FACTOR_PENDING_MINUTES * 60 + 5, tick=False):
        response = client.post(reverse("login-code"), {"code": code_for(device)})
    assert response["Location"] == reverse("login") and not signed_in(client)


@OPTIONAL
@pytest.mark.django_db
def test_optional_mode_signs_staff_without_an_authenticator_straight_in(clerk_bob_amr):
    client = Client()
    response = password_step(client, "bob-amr")
    assert response["Location"] == reverse("workbench:queue") and signed_in(client)
    # … but whoever has one gives its code.
    enrolled(clerk_bob_amr)
    client = Client()
    assert password_step(client, "bob-amr")["Location"] == reverse("login-code")
    assert not signed_in(client)


@REQUIRED
@pytest.mark.django_db
def test_admin_login_takes_the_same_steps(db):
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    client = Client()
    response = client.post("/admin/login/?next=/admin/", {"username": "root", "password": PASSWORD, "next": "/admin/"})
    assert response["Location"] == reverse("login-enrol") and not signed_in(client)
    assert root.pk


# -- citizens opt in and out --------------------------------------------------------------------------

@REQUIRED
@pytest.mark.django_db
def test_citizen_opts_in_and_out(citizen_alice):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert password_step(client, "alice")["Location"] == reverse("applications")  # not forced
    assert reverse("two-factor") in client.get(reverse("profile")).content.decode()
    assert "two-factor-turn-on" in client.get(reverse("two-factor")).content.decode()
    client.get(reverse("two-factor-setup"))
    device = TOTPDevice.objects.get(user=citizen_alice)
    response = client.post(reverse("two-factor-setup"), {"code": code_for(device)})
    assert response["Location"] == reverse("two-factor-codes")
    assert two_factor.has_authenticator(citizen_alice)

    # Signing in now asks for the code.
    other = Client()
    assert password_step(other, "alice")["Location"] == reverse("login-code")

    # Turning it off needs a valid code.
    with time_machine.travel(time.time() + 5):
        assert client.post(reverse("two-factor-off"), {"code": "abc"}).status_code == 400
    assert two_factor.has_authenticator(citizen_alice)
    with time_machine.travel(time.time() + 10):
        response = client.post(reverse("two-factor-off"), {"code": code_for(device, steps_ahead=1)})
    assert response["Location"] == reverse("two-factor")
    assert not two_factor.has_authenticator(citizen_alice)
    assert kinds(citizen_alice).count(Kind.FACTOR_REMOVED) == 1


@REQUIRED
@pytest.mark.django_db
def test_staff_cannot_turn_it_off_where_required(clerk_bob_amr):
    device, _codes = enrolled(clerk_bob_amr)
    client = Client()
    client.force_login(clerk_bob_amr)
    assert client.post(reverse("two-factor-off"), {"code": code_for(device)}).status_code == 400
    assert two_factor.has_authenticator(clerk_bob_amr)


@REQUIRED
@pytest.mark.django_db
def test_new_recovery_codes_replace_the_old_ones(citizen_alice):
    _device, old = enrolled(citizen_alice)
    client = Client()
    client.force_login(citizen_alice)
    assert client.post(reverse("two-factor-new-codes"))["Location"] == reverse("two-factor-codes")
    new = set(StaticToken.objects.filter(device__user=citizen_alice).values_list("token", flat=True))
    assert len(new) == two_factor.RECOVERY_CODES and not new & set(old)
    assert Kind.RECOVERY_CODES_REGENERATED in kinds(citizen_alice)


# -- the administrator's reset ---------------------------------------------------------------------------

@REQUIRED
@pytest.mark.django_db
def test_admin_resets_a_lost_authenticator_with_a_reason(clerk_bob_amr):
    enrolled(clerk_bob_amr)
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    admin = Client(HTTP_ACCEPT_LANGUAGE="en")
    admin.force_login(root)
    url = reverse("admin:accounts_user_changelist")
    data = {"action": "reset_two_factor", "_selected_action": [clerk_bob_amr.pk]}
    page = admin.post(url, data)
    assert page.status_code == 200 and "bob-amr" in page.content.decode()
    assert two_factor.has_authenticator(clerk_bob_amr)  # nothing yet: the reason first
    refused = admin.post(url, {**data, "_reset_two_factor": "1", "ticket": "", "reason": ""})
    assert refused.status_code == 400 and two_factor.has_authenticator(clerk_bob_amr)
    done = admin.post(url, {**data, "_reset_two_factor": "1", "ticket": "T-42", "reason": "Phone lost"})
    assert done.status_code == 302
    assert not two_factor.has_authenticator(clerk_bob_amr) and two_factor.recovery_codes_left(clerk_bob_amr) == 0
    event = SecurityEvent.objects.get(kind=Kind.FACTOR_RESET)
    assert (event.user, event.actor, event.detail["reason"]) == (clerk_bob_amr, root, "T-42: Phone lost")
    # The next sign-in enrols again.
    assert password_step(Client(), "bob-amr")["Location"] == reverse("login-enrol")


# -- the API token ------------------------------------------------------------------------------------------

TOKEN = "/api/v1/auth/token/"


@REQUIRED
@pytest.mark.django_db
def test_token_required_mode(clerk_bob_amr, citizen_alice):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = client.post(TOKEN, {"username": "bob-amr", "password": PASSWORD}, content_type="application/json")
    assert response.status_code == 403 and "website" in response.json()["detail"]
    # A citizen without an authenticator: as before.
    assert client.post(TOKEN, {"username": "alice", "password": PASSWORD},
                       content_type="application/json").status_code == 200
    device, _codes = enrolled(clerk_bob_amr)
    missing = client.post(TOKEN, {"username": "bob-amr", "password": PASSWORD}, content_type="application/json")
    assert missing.status_code == 400 and list(missing.json()) == ["otp"]
    wrong = client.post(TOKEN, {"username": "bob-amr", "password": PASSWORD, "otp": "000001"},
                        content_type="application/json")
    assert wrong.status_code == 400 and list(wrong.json()) == ["otp"]
    with time_machine.travel(time.time() + 10):
        ok = client.post(TOKEN, {"username": "bob-amr", "password": PASSWORD, "otp": code_for(device, steps_ahead=1)},
                         content_type="application/json")
    assert ok.status_code == 200 and ok.json()["token"]
    assert kinds(clerk_bob_amr)[-3:] == [Kind.SECOND_FACTOR_SUCCEEDED, Kind.LOGIN_SUCCEEDED, Kind.TOKEN_ISSUED]


@OPTIONAL
@pytest.mark.django_db
def test_token_optional_mode(clerk_bob_amr, citizen_alice):
    client = Client()
    assert client.post(TOKEN, {"username": "bob-amr", "password": PASSWORD},
                       content_type="application/json").status_code == 200
    device, _codes = enrolled(citizen_alice)
    assert client.post(TOKEN, {"username": "alice", "password": PASSWORD},
                       content_type="application/json").status_code == 400
    ok = client.post(TOKEN, {"username": "alice", "password": PASSWORD, "otp": code_for(device, steps_ahead=1)},
                     content_type="application/json")
    assert ok.status_code == 200


# -- the security log ---------------------------------------------------------------------------------------

def _login_failed(client, user, request):
    password_step(client, user.username, password="wrong-password")


def _logout(client, user, request):
    client.force_login(user)
    client.post(reverse("logout"))


def _token_revoked(client, user, request):
    token = client.post(TOKEN, {"username": user.username, "password": PASSWORD},
                        content_type="application/json").json()["token"]
    client.delete(TOKEN, HTTP_AUTHORIZATION=f"Token {token}")


def _password_changed(client, user, request):
    user.set_password("another-long-password-1")
    user.save()


def _staff_granted(client, user, request):
    user.is_staff = True
    user.save()


def _group_added(client, user, request):
    user.groups.add(Group.objects.create(name="support"))


def _office_role_given(client, user, request):
    MembershipFactory(user=user, department=request.getfixturevalue("demo_catalog")["amr"])


@OPTIONAL
@pytest.mark.parametrize(("act", "kind"), [
    (_office_role_given, Kind.PERMISSION_CHANGED),
    (_login_failed, Kind.LOGIN_FAILED), (_logout, Kind.LOGOUT), (_token_revoked, Kind.TOKEN_ISSUED),
    (_token_revoked, Kind.TOKEN_REVOKED), (_password_changed, Kind.PASSWORD_CHANGED),
    (_staff_granted, Kind.PERMISSION_CHANGED), (_group_added, Kind.PERMISSION_CHANGED),
])
@pytest.mark.django_db
def test_security_events_are_recorded(act, kind, request):
    user = CitizenFactory(username="eve")
    client = Client(REMOTE_ADDR="203.0.113.7", HTTP_USER_AGENT="x" * 500)
    before = SecurityEvent.objects.count()
    act(client, user, request)
    event = SecurityEvent.objects.filter(kind=kind).order_by("-id").first()
    assert event is not None and SecurityEvent.objects.count() > before
    assert event.username == "eve"
    if kind in (Kind.LOGIN_FAILED, Kind.LOGOUT, Kind.TOKEN_ISSUED, Kind.TOKEN_REVOKED):
        assert event.address == "203.0.113.7" and len(event.user_agent) == 200


@pytest.mark.django_db
def test_security_events_are_append_only(citizen_alice):
    event = SecurityEvent.objects.create(kind=Kind.LOGIN_SUCCEEDED, user=citizen_alice)
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        SecurityEvent.objects.all().delete()


@pytest.mark.django_db
def test_security_log_admin_is_searchable_read_only_and_bounded(django_assert_max_num_queries):
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    people = [CitizenFactory(username=f"p{i}") for i in range(15)]
    for person in people:
        SecurityEvent.objects.create(kind=Kind.LOGIN_FAILED, username=person.username, address="198.51.100.9",
                                     user=person, actor=root)
    client = Client()
    client.force_login(root)
    url = reverse("admin:accounts_securityevent_changelist")
    with django_assert_max_num_queries(12):
        response = client.get(url, {"q": "198.51.100.9", "kind__exact": Kind.LOGIN_FAILED})
    assert response.status_code == 200 and "p14" in response.content.decode()
    assert client.get(reverse("admin:accounts_securityevent_add")).status_code == 403
    event = SecurityEvent.objects.first()
    assert client.post(reverse("admin:accounts_securityevent_delete", args=[event.pk])).status_code == 403


@pytest.mark.django_db
def test_an_account_with_security_events_can_be_deleted_and_its_events_stay(citizen_alice):
    user_pk = citizen_alice.pk
    SecurityEvent.objects.create(kind=Kind.LOGIN_SUCCEEDED, user=citizen_alice, username="alice")
    citizen_alice.delete()
    event = SecurityEvent.objects.get(username="alice", kind=Kind.LOGIN_SUCCEEDED)
    assert event.user_id == user_pk
