"""One masking policy (PIPL), checked where it applies: a resident ID number shows as
``330***********1234`` and a phone as ``138****0000`` (the field types' ``mask``) in lists, logs,
notifications and the admin's lists; in full only where a procedure needs it (a clerk's task page
shows the answers the procedure asks for; the admin's change form after a reason) and to the
person themselves (their archive, tests/applications/test_export.py).

The places checked here:

=============================  ===================================================================
admin: users                   the list masks the ID number and the phone
admin: applications            the list shows the applicant by account and masked ID number
admin: refusal list            the list masks a person's ID number (a company's USCC is public)
workbench: task page           the applicant's ID number in the header is masked
counter: the party             the identified person's ID number is masked (``counter_party.html``)
portal: profile                the person's own ID number is masked on screen
SMS log                        the log backend writes the phone masked
notifications                  no notification a citizen or a clerk receives carries an ID number
statistics downloads (CSV)     aggregates only: no ID number, no phone, no name
=============================  ===================================================================
"""
from __future__ import annotations

import logging

import pytest
from django.test import Client
from django.urls import reverse

from govflow.accounts.models import mask_id_number, mask_phone
from govflow.applications.models import RefusalEntry, RefusalKind
from govflow.applications.selectors import applicant_facts
from govflow.notifications.channels import LogSmsBackend
from govflow.notifications.models import OutboxMessage
from govflow.notifications.rendering import render

from .factories import UserFactory, id_number_for
from .stories import approve, case_of, submitted

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


@pytest.fixture
def admin_user(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


def test_the_policy_keeps_three_and_four():
    number = id_number_for(7)
    assert mask_id_number(number) == number[:3] + "*" * 11 + number[-4:]
    assert mask_phone("13800138000") == "138****8000"
    assert mask_phone("") == ""


def test_admin_lists_mask_id_numbers_and_phones(admin_user, citizen_alice, demo_catalog):
    citizen_alice.phone = "13912345678"
    citizen_alice.save()
    submitted(citizen_alice, "business-startup")
    person = id_number_for(55)
    RefusalEntry.objects.create(kind=RefusalKind.PERSON, identifier=person, reason={"en": "credit record"})
    client = client_for(admin_user)
    users = client.get(reverse("admin:accounts_user_changelist")).content.decode()
    assert citizen_alice.masked_id_number in users and citizen_alice.id_number not in users
    assert mask_phone(citizen_alice.phone) in users and citizen_alice.phone not in users
    applications = client.get(reverse("admin:applications_application_changelist")).content.decode()
    assert citizen_alice.masked_id_number in applications and citizen_alice.id_number not in applications
    refusals = client.get(reverse("admin:applications_refusalentry_changelist")).content.decode()
    assert mask_id_number(person) in refusals and person not in refusals


def test_the_workbench_header_and_the_profile_mask_the_id_number(citizen_alice, clerks):
    app = submitted(citizen_alice, "business-startup")
    facts = applicant_facts(app)
    assert facts.identifier == citizen_alice.masked_id_number
    page = client_for(clerks["amr"]).get(reverse("workbench:task", args=[case_of(app, "amr-licence").task_id]))
    header = page.content.decode().split('class="wb-id"', 1)[1][:60]
    assert citizen_alice.masked_id_number in header and citizen_alice.id_number not in header
    profile = client_for(citizen_alice).get(reverse("profile")).content.decode()
    assert citizen_alice.masked_id_number in profile and citizen_alice.id_number not in profile


def test_the_sms_log_masks_the_phone(caplog):
    with caplog.at_level(logging.INFO, logger="govflow.sms"):
        LogSmsBackend().send_sms(to="13912345678", text="hello", event_id="1")
    assert "139****5678" in caplog.text and "13912345678" not in caplog.text


def test_no_notification_carries_an_id_number(citizen_alice, clerks):
    app = submitted(citizen_alice, "business-startup")
    approve(app, "amr-licence", clerks["amr"])
    numbers = [citizen_alice.id_number, *(v for v in app.data.values() if isinstance(v, str) and len(v) == 18)]
    messages = list(OutboxMessage.objects.filter(kind="notification").select_related("application", "recipient"))
    assert messages
    for message in messages:
        rendered = render(message, message.recipient)
        for number in numbers:
            assert number not in rendered.body and number not in rendered.sms and number not in rendered.subject


def test_statistics_downloads_carry_no_personal_data(citizen_alice, clerks, supervisor_sue_amr):
    app = submitted(citizen_alice, "business-startup")
    approve(app, "amr-licence", clerks["amr"])
    client = client_for(supervisor_sue_amr)
    for name in ("workbench:stats", "workbench:stats-reform", "workbench:stats-time"):
        response = client.get(reverse(name), {"download": "csv"})
        assert response.status_code == 200, name
        body = response.content.decode("utf-8-sig")
        for secret in (citizen_alice.id_number, app.data["legal_rep_id"], app.data["legal_rep_phone"],
                       citizen_alice.name or "\x00"):
            assert secret not in body, (name, secret)
