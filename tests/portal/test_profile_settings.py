"""The profile says truthfully whether the person's name and ID number were checked, and holds their
notification settings (channels, language), which delivery respects."""
from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from govflow.accounts import identity
from govflow.accounts import services as account_services
from govflow.accounts.models import IdentityCheck, User
from govflow.applications import counter
from govflow.errors import InvalidInput
from govflow.notifications.channels import MemorySmsBackend
from tests.admin_reason import give_reason
from tests.counter_story import WALK_IN_ID, counter_clerk, counter_office, walk_in
from tests.factories import CitizenFactory, UserFactory, id_number_for
from tests.stories import submitted

from .conftest import client_for

PASSWORD = "Shiming-zhi-2026"


def identity_row(client: Client) -> str:
    page = client.get(reverse("profile")).content.decode()
    start = page.index('id="identity-check"')
    return page[start:page.index("</dl>", start)] + page[page.index("</dl>", start):page.index("<form", start)]


# -- real-name verification ---------------------------------------------------------------------------

def test_a_self_registered_citizen_is_shown_as_not_verified(db):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = client.post(reverse("register"), {
        "name": "王小明", "id_number": id_number_for(601), "phone": "13800138000", "email": "wang@example.org",
        "username": "wang-self", "password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 302
    user = User.objects.get(username="wang-self")
    assert user.identity_checked_by == IdentityCheck.NONE
    client.force_login(user)
    text = identity_row(client)
    assert "Not verified" in text and "nobody has checked them" in text
    assert ">Verified<" not in text and "come from that check" not in text


def test_a_sign_in_through_the_identity_provider_verifies_the_account(db):
    local = CitizenFactory(username="linked", id_number=id_number_for(602), name="周云")
    assert local.identity_checked_by == IdentityCheck.NONE
    user = identity.person_sign_in(issuer="https://id.example.gov.cn", subject="sub-602",
                                   claims={"id_number": id_number_for(602), "name": "周云"})
    assert user.pk == local.pk
    user.refresh_from_db()
    assert user.identity_checked_by == IdentityCheck.PROVIDER and user.identity_checked_at is not None
    text = identity_row(client_for(user))
    assert ">Verified<" in text and "unified identity service" in text and "come from that check" in text

    new = identity.person_sign_in(issuer="https://id.example.gov.cn", subject="sub-603",
                                  claims={"id_number": id_number_for(603), "name": "吴敏"})
    assert new.identity_checked_by == IdentityCheck.PROVIDER


def test_the_counter_verifies_the_profile_it_makes_and_the_account_that_claims_it(demo_catalog, clerks):
    clerk = counter_clerk(office=counter_office())
    app, code = walk_in(clerk)
    profile = app.applicant
    assert profile.profile_only and profile.identity_checked_by == IdentityCheck.COUNTER
    account = UserFactory(username="zhao-claims", name="", phone="")
    counter.application_claim(user=account, number=app.number, code=code, client_address="203.0.113.9")
    account.refresh_from_db()
    assert account.id_number == WALK_IN_ID and account.identity_checked_by == IdentityCheck.COUNTER
    text = identity_row(client_for(account))
    assert ">Verified<" in text and "service-hall counter" in text


def test_the_counter_does_not_verify_an_account_someone_registered(demo_catalog):
    registered = CitizenFactory(username="registered", id_number=id_number_for(604), name="郑华")
    clerk = counter_clerk(office=counter_office())
    counter.counter_identify_person(clerk=clerk, office=counter_office(), id_number=id_number_for(604), name="郑华")
    registered.refresh_from_db()
    assert registered.identity_checked_by == IdentityCheck.NONE


# -- notification settings ----------------------------------------------------------------------------

def profile_post(client: Client, **changes) -> object:
    data = {"phone": "13900139000", "email": "settings@example.org", "notify_by_email": "on",
            "notify_by_sms": "on", "language": "zh-hans", **changes}
    return client.post(reverse("profile"), {k: v for k, v in data.items() if v is not None})


@pytest.fixture
def sms_outbox(settings):
    settings.GOVFLOW_SMS_BACKEND = "govflow.notifications.channels.MemorySmsBackend"
    MemorySmsBackend.outbox = []
    yield MemorySmsBackend.outbox
    MemorySmsBackend.outbox = []


def test_the_profile_shows_and_saves_the_notification_settings(alice_client, citizen_alice):
    page = alice_client.get(reverse("profile")).content.decode()
    assert 'name="notify_by_email"' in page and 'name="notify_by_sms"' in page
    assert 'name="language" value="en"' in page and 'name="language" value="zh-hans"' in page
    response = profile_post(alice_client, notify_by_sms=None, language="en")
    assert response.status_code == 302
    citizen_alice.refresh_from_db()
    assert (citizen_alice.notify_by_email, citizen_alice.notify_by_sms, citizen_alice.language) == (True, False, "en")
    page = alice_client.get(reverse("profile")).content.decode()
    assert '<input type="radio" name="language" value="en" id="id_language_1" checked>' in page
    assert '<input type="checkbox" name="notify_by_sms" id="id_notify_by_sms">' in page
    assert '<input type="checkbox" name="notify_by_email" id="id_notify_by_email" checked>' in page
    assert '<label for="id_language_0" lang="zh-hans">简体中文</label>' in page


def test_an_unknown_language_is_refused_and_nothing_changes(alice_client, citizen_alice):
    response = profile_post(alice_client, language="fr", email="changed@example.org")
    assert response.status_code == 200 and "Choose the language of our messages." in response.content.decode()
    citizen_alice.refresh_from_db()
    assert citizen_alice.language == "zh-hans" and citizen_alice.email != "changed@example.org"
    with pytest.raises(InvalidInput) as refused:
        account_services.profile_update(user=citizen_alice, phone="13900139000", email="a@example.org", language="de")
    assert "language" in refused.value.errors
    with pytest.raises(InvalidInput):
        account_services.profile_update(user=citizen_alice, phone="13900139000", email="a@example.org",
                                        notify_by_email="yes")


def test_a_citizen_who_chose_english_gets_english_mail(demo_catalog, django_capture_on_commit_callbacks, sms_outbox):
    citizen = CitizenFactory(username="english-mail")
    assert profile_post(client_for(citizen), language="en", email="english@example.org").status_code == 302
    citizen.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        application = submitted(citizen, "business-startup")
    [message] = [m for m in mail.outbox if m.to == ["english@example.org"]]
    assert message.subject.startswith(f"Application {application.number} received")
    assert "Dear" in message.body and "您好" not in message.body
    assert [s["text"] for s in sms_outbox if s["to"] == "13900139000"][0].startswith("[govflow] Application")


def test_a_citizen_who_turned_email_off_gets_no_mail_but_the_sms(demo_catalog, django_capture_on_commit_callbacks,
                                                                 sms_outbox):
    citizen = CitizenFactory(username="no-mail")
    assert profile_post(client_for(citizen), notify_by_email=None, email="nomail@example.org").status_code == 302
    citizen.refresh_from_db()
    assert not citizen.notify_by_email and citizen.notify_by_sms
    with django_capture_on_commit_callbacks(execute=True):
        submitted(citizen, "business-startup")
    assert [m for m in mail.outbox if "nomail@example.org" in m.to] == []
    texts = [s["text"] for s in sms_outbox if s["to"] == "13900139000"]
    assert texts and texts[0].startswith("【一件事】")  # still told, in Chinese, by SMS


def test_the_admin_shows_who_checked_the_identity_and_does_not_let_it_be_typed(db):
    person = CitizenFactory(username="checked", identity_checked_by=IdentityCheck.COUNTER)
    admin = UserFactory(username="root-admin", is_staff=True, is_superuser=True)
    client = client_for(admin)
    give_reason(client, admin)
    page = client.get(reverse("admin:accounts_user_change", args=[person.pk])).content.decode()
    assert "A service-hall counter (ID card shown)" in page
    assert 'name="identity_checked_by"' not in page
