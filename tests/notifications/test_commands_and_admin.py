"""department_webhook and outbox_sweep commands; the outbox in the admin; both webhook directions."""
from __future__ import annotations

import json
import re
from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from govflow.applications.models import CaseStatus
from govflow.catalog.models import Department
from govflow.notifications.models import OutboxMessage, OutboxStatus
from govflow.notifications.webhooks import signature_header

from ..background import register_webhook
from ..factories import UserFactory
from ..stories import OUTPUTS, case_of, submitted

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command("department_webhook", *args, stdout=out)
    return out.getvalue()


def test_department_webhook_registers_shows_and_removes(demo_catalog):
    run("amr", "--url", "https://amr.example.org/govflow", "--secret", "s" * 32)
    amr = Department.objects.get(code="amr")
    assert (amr.webhook_url, amr.webhook_secret) == ("https://amr.example.org/govflow", "s" * 32)
    shown = run("amr")
    assert "https://amr.example.org/govflow" in shown and "s" * 32 not in shown
    printed = run("amr", "--generate-secret")
    amr.refresh_from_db()
    assert amr.webhook_secret != "s" * 32 and len(amr.webhook_secret) == 64 and amr.webhook_secret in printed
    run("amr", "--remove")
    amr.refresh_from_db()
    assert (amr.webhook_url, amr.webhook_secret) == ("", "")


@pytest.mark.parametrize(("args", "message"), [
    (["nope", "--url", "https://x.example.org/"], "No department"),
    (["amr", "--url", "ftp://x.example.org/", "--secret", "s" * 32], "Not an http(s) URL"),
    (["amr", "--url", "https://x.example.org/", "--secret", "short"], "at least 16"),
    (["amr", "--url", "https://x.example.org/"], "needs a secret"),
    (["amr", "--secret", "s" * 20, "--generate-secret"], "not both"),
])
def test_department_webhook_refuses_bad_input_and_changes_nothing(demo_catalog, args, message):
    with pytest.raises(CommandError, match=re.escape(message)):
        run(*args)
    amr = Department.objects.get(code="amr")
    assert (amr.webhook_url, amr.webhook_secret) == ("", "")


def test_outbox_sweep_command_carries_out_what_was_left(citizen_alice, demo_catalog):
    app = submitted(citizen_alice, "business-startup")  # no commit: nothing was sent
    out = StringIO()
    call_command("outbox_sweep", stdout=out)
    assert "outbox: 0 message(s)" in out.getvalue()  # younger than the grace period
    call_command("outbox_sweep", "--all-pending", stdout=out)
    assert "outbox: 1 message(s)" in out.getvalue() and "sla: {" in out.getvalue()
    assert OutboxMessage.objects.get(application=app).status == OutboxStatus.SENT
    assert len(mail.outbox) == 1


def test_the_admin_lists_dead_letters_and_sends_them_again(citizen_alice, demo_catalog, settings,
                                                          django_capture_on_commit_callbacks):
    settings.GOVFLOW_OUTBOX_MAX_ATTEMPTS = 1
    settings.EMAIL_BACKEND = "tests.notifications.test_outbox.BrokenEmailBackend"
    from govflow.notifications import delivery

    app = submitted(citizen_alice, "business-startup")
    row = OutboxMessage.objects.get(application=app)
    delivery.deliver(row.pk)
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(admin)
    url = reverse("admin:notifications_outboxmessage_changelist")
    page = client.get(url, {"status__exact": "dead"})
    assert page.status_code == 200
    assert "Dead letter" in page.content.decode() and "451 mail server busy" in page.content.decode()
    assert client.get(reverse("admin:notifications_outboxmessage_change", args=[row.pk])).status_code == 200
    assert client.get(reverse("admin:notifications_outboxmessage_add")).status_code == 403

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"action": "send_again", "_selected_action": [row.pk]}, follow=True)
    assert response.status_code == 200
    row.refresh_from_db()
    assert row.status == OutboxStatus.SENT and len(mail.outbox) == 1
    assert client.get(reverse("admin:notifications_joblock_changelist")).status_code == 200


def test_a_department_system_answers_a_webhook_with_a_signed_decision(citizen_alice, demo_catalog, receiver,
                                                                      django_capture_on_commit_callbacks):
    """Both directions with one secret: the queued case arrives signed, the system decides it
    through the inbound endpoint; a replay or a bad signature changes nothing."""
    secret = "amr-system-shared-secret-0123456789"
    hooks = receiver()
    register_webhook("amr", hooks.url, secret)
    with django_capture_on_commit_callbacks(execute=True):
        app = submitted(citizen_alice, "business-startup")
    event = hooks.requests[0].json
    assert event["type"] == "case.queued" and event["case"]["procedure"] == "amr-licence"

    body = json.dumps({"event_id": f"amr-decision-{event['event_id']}", "decision": "approve",
                       "outputs": OUTPUTS["amr-licence"], "comment": "licence issued"}).encode()
    url = f"/api/v1/cases/{event['case']['id']}/decision/"

    def post(raw, header):
        return Client().post(url, raw, content_type="application/json", HTTP_X_GOVFLOW_SIGNATURE=header)

    assert post(body, signature_header("wrong-secret-0123456789", body)).status_code == 401
    assert case_of(app, "amr-licence").status == CaseStatus.QUEUED
    stale = int((timezone.now() - timedelta(minutes=10)).timestamp())
    assert post(body, signature_header(secret, body, stale)).status_code == 401
    with django_capture_on_commit_callbacks(execute=True):
        assert post(body, signature_header(secret, body)).status_code == 200
    assert case_of(app, "amr-licence").status == CaseStatus.APPROVED
    assert post(body, signature_header(secret, body)).status_code == 401  # replayed event id
    assert [r.json["type"] for r in hooks.requests] == ["case.queued", "case.claimed", "case.approved"]
    with time_machine.travel(timezone.now() + timedelta(minutes=10)):
        assert OutboxMessage.objects.filter(application=app, status=OutboxStatus.PENDING).count() == 0


def test_department_webhook_refuses_plain_http_unless_allowed(demo_catalog, settings):
    settings.DEBUG = False
    settings.GOVFLOW_ALLOW_HTTP_WEBHOOKS = False
    with pytest.raises(CommandError, match="Not an https:// URL"):
        run("amr", "--url", "http://amr.example.org/govflow", "--secret", "s" * 32)
    assert Department.objects.get(code="amr").webhook_url == ""

    settings.GOVFLOW_ALLOW_HTTP_WEBHOOKS = True
    run("amr", "--url", "http://amr.example.org/govflow", "--secret", "s" * 32)
    assert Department.objects.get(code="amr").webhook_url == "http://amr.example.org/govflow"
