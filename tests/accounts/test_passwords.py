"""Citizens change their password and reset a forgotten one (email link or SMS code); staff use the admin."""
from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse

from govflow.accounts.models import PasswordResetCode, User
from govflow.notifications.models import OutboxMessage, OutboxStatus
from tests.factories import CitizenFactory, MembershipFactory, UserFactory

OLD = "govflow-test-pw"
NEW = "a-much-Better-passphrase-42"
T0 = datetime(2026, 12, 7, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
LINK = re.compile(r"https?://\S+/accounts/password/reset/(?P<uid>[^/\s]+)/(?P<token>[^/\s]+)/")

pytestmark = pytest.mark.django_db


@pytest.fixture
def sms_log(caplog):
    caplog.set_level(logging.INFO, logger="govflow.sms")
    return caplog


def _client(user=None) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    return client


def _password_is(user, password: str) -> bool:
    return User.objects.get(pk=user.pk).check_password(password)


def _ask(client, identifier: str, channel: str, capture, **extra):
    with capture(execute=True):
        return client.post(reverse("password-forgot"), {"identifier": identifier, "channel": channel}, **extra)


def _codes(sms_log) -> list[str]:
    return [m.group(1) for r in sms_log.records if (m := re.search(r"(\d{6})", r.getMessage()))]


# -- change ------------------------------------------------------------------------------------------

def test_change_password_refuses_a_wrong_current_password_and_a_weak_new_one(citizen_alice):
    client = _client(citizen_alice)
    url = reverse("password-change")
    assert client.get(url).status_code == 200
    wrong = client.post(url, {"old_password": "not-it", "new_password1": NEW, "new_password2": NEW})
    assert wrong.status_code == 400
    assert "Your current password is not correct." in wrong.content.decode()
    weak = client.post(url, {"old_password": OLD, "new_password1": "12345678", "new_password2": "12345678"})
    assert weak.status_code == 400
    assert "This password is too common." in weak.content.decode()
    mismatch = client.post(url, {"old_password": OLD, "new_password1": NEW, "new_password2": NEW + "x"})
    assert mismatch.status_code == 400
    citizen_alice.refresh_from_db()
    assert citizen_alice.check_password(OLD)


def test_change_password_keeps_this_session_and_ends_the_others(citizen_alice):
    here, elsewhere = _client(citizen_alice), _client(citizen_alice)
    response = here.post(reverse("password-change"), {"old_password": OLD, "new_password1": NEW, "new_password2": NEW})
    assert response.status_code == 302 and response["Location"] == reverse("profile")
    assert "Your password is changed" in here.get(reverse("profile")).content.decode()
    assert here.get(reverse("applications")).status_code == 200
    assert elsewhere.get(reverse("applications")).status_code == 302  # signed out
    assert _password_is(citizen_alice, NEW) and not _password_is(citizen_alice, OLD)


def test_change_password_needs_a_signed_in_person(db):
    response = _client().get(reverse("password-change"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_login_links_to_forgot_password_and_profile_to_change_password(citizen_alice):
    assert reverse("password-forgot") in _client().get(reverse("login")).content.decode()
    assert reverse("password-change") in _client(citizen_alice).get(reverse("profile")).content.decode()


# -- reset by email ------------------------------------------------------------------------------------

def test_email_reset_link_works_once(citizen_alice, django_capture_on_commit_callbacks):
    signed_in = _client(citizen_alice)
    client = _client()
    response = _ask(client, citizen_alice.email, "email", django_capture_on_commit_callbacks)
    assert response.status_code == 302 and response["Location"] == reverse("password-forgot-sent")
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [citizen_alice.email]
    link = LINK.search(mail.outbox[0].body)
    assert link, mail.outbox[0].body
    url = reverse("password-reset-confirm", args=[link["uid"], link["token"]])

    assert client.get(url).status_code == 200
    weak = client.post(url, {"new_password1": "12345678", "new_password2": "12345678"})
    assert weak.status_code == 400  # refused, and the link still works
    done = client.post(url, {"new_password1": NEW, "new_password2": NEW})
    assert done.status_code == 302 and done["Location"] == reverse("login")
    assert _password_is(citizen_alice, NEW)
    assert signed_in.get(reverse("applications")).status_code == 302  # other sessions ended

    again = client.post(url, {"new_password1": "another-Fine-passphrase-7", "new_password2": "another-Fine-passphrase-7"})
    assert again.status_code == 400
    assert "This link does not work" in again.content.decode()
    assert _password_is(citizen_alice, NEW)
    # The token left the database once the message was sent.
    row = OutboxMessage.objects.get(event="account.password_reset_link")
    assert row.status == OutboxStatus.SENT and "secret" not in row.payload
    assert link["token"] not in str(row.payload)


def test_email_reset_link_expires(citizen_alice, settings, django_capture_on_commit_callbacks):
    with time_machine.travel(T0, tick=False) as clock:
        _ask(_client(), citizen_alice.username, "email", django_capture_on_commit_callbacks)
        link = LINK.search(mail.outbox[0].body)
        url = reverse("password-reset-confirm", args=[link["uid"], link["token"]])
        clock.move_to(T0 + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT - 60))
        assert _client().get(url).status_code == 200
        clock.move_to(T0 + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 1))
        response = _client().post(url, {"new_password1": NEW, "new_password2": NEW})
        assert response.status_code == 400
        assert _password_is(citizen_alice, OLD)


def test_email_reset_goes_out_even_when_the_person_turned_email_notifications_off(
        citizen_alice, django_capture_on_commit_callbacks):
    User.objects.filter(pk=citizen_alice.pk).update(notify_by_email=False)
    _ask(_client(), citizen_alice.username, "email", django_capture_on_commit_callbacks)
    assert [m.to for m in mail.outbox] == [[citizen_alice.email]]


@pytest.mark.parametrize("uid,token", [("garbage", "x-y"), ("MTIzNDU2Nzg5MDEy", "abc-def"), ("%%%", "1")])
def test_a_broken_reset_link_is_a_clear_400(db, uid, token):
    response = _client().get(f"/accounts/password/reset/{uid}/{token}/")
    assert response.status_code == 400
    assert "This link does not work" in response.content.decode()


# -- reset by SMS ------------------------------------------------------------------------------------------

def test_sms_code_resets_the_password_once(citizen_alice, sms_log, django_capture_on_commit_callbacks):
    client = _client()
    response = _ask(client, citizen_alice.phone, "sms", django_capture_on_commit_callbacks)
    assert response.status_code == 302 and response["Location"] == reverse("password-reset-code")
    codes = _codes(sms_log)
    assert len(codes) == 1 and mail.outbox == []  # by SMS only
    stored = PasswordResetCode.objects.get(user=citizen_alice)
    assert codes[0] not in stored.code_hash
    page = client.get(reverse("password-reset-code")).content.decode()
    assert f'value="{citizen_alice.phone}"' in page  # the identifier carried over

    form = {"identifier": citizen_alice.phone, "code": codes[0], "new_password1": NEW, "new_password2": NEW}
    done = client.post(reverse("password-reset-code"), form)
    assert done.status_code == 302 and done["Location"] == reverse("login")
    assert _password_is(citizen_alice, NEW)
    reuse = client.post(reverse("password-reset-code"),
                        {**form, "new_password1": "another-Fine-passphrase-7", "new_password2": "another-Fine-passphrase-7"})
    assert reuse.status_code == 400
    assert "This code is wrong, used or expired" in reuse.content.decode()
    assert _password_is(citizen_alice, NEW)
    row = OutboxMessage.objects.get(event="account.password_reset_code")
    assert "secret" not in row.payload and codes[0] not in str(row.payload)


def test_five_wrong_codes_kill_the_code(citizen_alice, sms_log, django_capture_on_commit_callbacks):
    _ask(_client(), citizen_alice.username, "sms", django_capture_on_commit_callbacks)
    right = _codes(sms_log)[0]
    wrong = f"{(int(right) + 1) % 10 ** 6:06d}"
    client = _client()
    form = {"identifier": citizen_alice.username, "new_password1": NEW, "new_password2": NEW}
    for _ in range(5):
        assert client.post(reverse("password-reset-code"), {**form, "code": wrong}).status_code == 400
    assert client.post(reverse("password-reset-code"), {**form, "code": right}).status_code == 400
    assert _password_is(citizen_alice, OLD)


def test_four_wrong_codes_then_the_right_one_works(citizen_alice, sms_log, django_capture_on_commit_callbacks):
    _ask(_client(), citizen_alice.username, "sms", django_capture_on_commit_callbacks)
    right = _codes(sms_log)[0]
    wrong = f"{(int(right) + 1) % 10 ** 6:06d}"
    form = {"identifier": citizen_alice.username, "new_password1": NEW, "new_password2": NEW}
    for _ in range(4):
        assert _client().post(reverse("password-reset-code"), {**form, "code": wrong}).status_code == 400
    assert _client().post(reverse("password-reset-code"), {**form, "code": right}).status_code == 302
    assert _password_is(citizen_alice, NEW)


def test_sms_code_expires_after_15_minutes(citizen_alice, sms_log, django_capture_on_commit_callbacks):
    with time_machine.travel(T0, tick=False) as clock:
        _ask(_client(), citizen_alice.username, "sms", django_capture_on_commit_callbacks)
        code = _codes(sms_log)[0]
        clock.move_to(T0 + timedelta(minutes=15, seconds=1))
        form = {"identifier": citizen_alice.username, "code": code, "new_password1": NEW, "new_password2": NEW}
        assert _client().post(reverse("password-reset-code"), form).status_code == 400
        assert _password_is(citizen_alice, OLD)


def test_a_new_code_replaces_the_old_one(citizen_alice, sms_log, django_capture_on_commit_callbacks):
    _ask(_client(), citizen_alice.username, "sms", django_capture_on_commit_callbacks)
    _ask(_client(), citizen_alice.username, "sms", django_capture_on_commit_callbacks)
    first, second = _codes(sms_log)
    form = {"identifier": citizen_alice.username, "new_password1": NEW, "new_password2": NEW}
    if first != second:
        assert _client().post(reverse("password-reset-code"), {**form, "code": first}).status_code == 400
    assert _client().post(reverse("password-reset-code"), {**form, "code": second}).status_code == 302


# -- no enumeration, rate limits, who may reset ---------------------------------------------------------

@pytest.mark.parametrize("channel", ["email", "sms"])
def test_unknown_accounts_get_the_same_answer(citizen_alice, channel, sms_log, django_capture_on_commit_callbacks):
    known = _ask(_client(), citizen_alice.username, channel, django_capture_on_commit_callbacks)
    sent = len(mail.outbox) + len(_codes(sms_log))
    assert sent == 1
    unknown = _ask(_client(), "nobody-here", channel, django_capture_on_commit_callbacks)
    assert (unknown.status_code, unknown["Location"]) == (known.status_code, known["Location"])
    assert len(mail.outbox) + len(_codes(sms_log)) == sent  # nothing more was sent
    known_page, unknown_page = _client().get(known["Location"]), _client().get(unknown["Location"])
    assert known_page.status_code == unknown_page.status_code == 200
    strip = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"|value="[^"]*"')
    assert strip.sub("", known_page.content.decode()) == strip.sub("", unknown_page.content.decode())
    # A code for an unknown account is answered like a wrong code.
    answer = _client().post(reverse("password-reset-code"), {"identifier": "nobody-here", "code": "123456",
                                                             "new_password1": NEW, "new_password2": NEW})
    assert answer.status_code == 400 and "This code is wrong, used or expired" in answer.content.decode()


def test_staff_accounts_are_not_reset_by_message(demo_catalog, django_capture_on_commit_callbacks):
    clerk = CitizenFactory(username="clerk-x")
    MembershipFactory(user=clerk, department=demo_catalog["amr"])
    admin = CitizenFactory(username="root-x", is_staff=True)
    for user in (clerk, admin):
        response = _ask(_client(), user.username, "email", django_capture_on_commit_callbacks)
        assert response["Location"] == reverse("password-forgot-sent")
    assert mail.outbox == []


def test_each_account_gets_at_most_five_messages_an_hour(citizen_alice, django_capture_on_commit_callbacks):
    with time_machine.travel(T0, tick=False):
        for n in range(7):
            response = _ask(_client(), citizen_alice.username, "email", django_capture_on_commit_callbacks,
                            REMOTE_ADDR=f"203.0.113.{n + 1}")
            assert response.status_code == 302  # the same answer every time
    assert len(mail.outbox) == 5


def test_one_address_is_told_to_wait_after_twenty_requests(citizen_alice, django_capture_on_commit_callbacks):
    with time_machine.travel(T0, tick=False):
        for n in range(20):
            assert _ask(_client(), f"someone-{n}", "email", django_capture_on_commit_callbacks).status_code == 302
        refused = _ask(_client(), citizen_alice.username, "email", django_capture_on_commit_callbacks)
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert "Too many requests from your address" in refused.content.decode()
    assert mail.outbox == []


def test_bad_forgot_password_input_is_a_400(db):
    assert _client().post(reverse("password-forgot"), {"identifier": "", "channel": "email"}).status_code == 400
    assert _client().post(reverse("password-forgot"), {"identifier": "x", "channel": "fax"}).status_code == 400


# -- staff: Django admin's password change ----------------------------------------------------------------

def test_staff_change_their_password_in_the_admin(db):
    staff = UserFactory(username="root", is_staff=True, is_superuser=True)
    client = _client(staff)
    assert client.get("/admin/password_change/").status_code == 200
    response = client.post("/admin/password_change/", {"old_password": OLD, "new_password1": NEW,
                                                       "new_password2": NEW})
    assert response.status_code == 302 and response["Location"] == "/admin/password_change/done/"
    assert client.get("/admin/").status_code == 200  # still signed in
    assert _password_is(staff, NEW)


def test_sending_a_reset_message_again_from_the_admin_sends_nothing(citizen_alice, django_capture_on_commit_callbacks):
    """Once sent, the row has lost its secret: the admin's "Send again now" cannot resend a stale link."""
    from govflow.notifications.delivery import retry_messages

    _ask(_client(), citizen_alice.username, "email", django_capture_on_commit_callbacks)
    row = OutboxMessage.objects.get(event="account.password_reset_link")
    with django_capture_on_commit_callbacks(execute=True):
        assert retry_messages(pks=[row.pk]) == 0  # a sent row is not sent again
    OutboxMessage.objects.filter(pk=row.pk).update(status=OutboxStatus.DEAD)
    with django_capture_on_commit_callbacks(execute=True):
        assert retry_messages(pks=[row.pk]) == 1
    row.refresh_from_db()
    assert row.status == OutboxStatus.SENT and row.result.startswith("skipped")
    assert len(mail.outbox) == 1


def test_a_reset_ends_the_sign_in_lockout(citizen_alice, sms_log, django_capture_on_commit_callbacks):
    client = _client()
    for _ in range(5):
        client.post(reverse("login"), {"username": citizen_alice.username, "password": "guess"})
    locked = client.post(reverse("login"), {"username": citizen_alice.username, "password": OLD})
    assert locked.status_code == 429
    _ask(client, citizen_alice.username, "sms", django_capture_on_commit_callbacks)
    form = {"identifier": citizen_alice.username, "code": _codes(sms_log)[0], "new_password1": NEW,
            "new_password2": NEW}
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("password-reset-code"), form).status_code == 302
    signed_in = client.post(reverse("login"), {"username": citizen_alice.username, "password": NEW})
    assert signed_in.status_code == 302 and signed_in["Location"] == reverse("applications")


def test_the_outbox_admin_never_shows_a_pending_reset_code(citizen_alice, admin_client,
                                                            django_capture_on_commit_callbacks):
    # The code waits in the outbox (its message is not sent yet: no on-commit delivery here).
    with django_capture_on_commit_callbacks(execute=False):
        _client().post(reverse("password-forgot"), {"identifier": "alice", "channel": "sms"})
    row = OutboxMessage.objects.get(event="account.password_reset_code")
    code = row.payload["secret"]["code"]

    page = admin_client.get(f"/admin/notifications/outboxmessage/{row.pk}/change/").content.decode()

    assert row.status == OutboxStatus.PENDING
    assert code not in page and "********" in page
