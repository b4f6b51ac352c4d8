"""The transactional outbox: written with the change, sent after commit, retried, dead-lettered."""
from __future__ import annotations

import json
import logging
import threading
from datetime import timedelta
from smtplib import SMTPException

import pytest
import time_machine
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import OperationalError, connection, connections, transaction
from django.utils import timezone

from govflow.applications.services import citizen_actions, deciding, submitting
from govflow.catalog.models import Department, OneThing
from govflow.catalog.services import publish_one_thing
from govflow.errors import InvalidInput
from govflow.notifications import delivery, locks
from govflow.notifications.channels import ChannelError, MemorySmsBackend
from govflow.notifications.models import OutboxMessage, OutboxStatus
from govflow.notifications.webhooks import verify

from ..background import WEBHOOK_SECRET, register_webhook
from ..stories import BUSINESS_ANSWERS, PDF_BYTES, approve, draft, submitted, upload

pytestmark = pytest.mark.django_db


class BrokenEmailBackend(BaseEmailBackend):
    def send_messages(self, messages):
        raise SMTPException("451 mail server busy")


class BrokenSmsBackend:
    def send_sms(self, *, to, text, event_id):
        raise ChannelError("gateway timeout")


def notification(app, event="application.submitted") -> OutboxMessage:
    return OutboxMessage.objects.get(application=app, kind="notification", event=event)


# -- written with the change, sent after commit -------------------------------------------------

def test_a_submission_writes_its_notification_in_the_same_transaction_and_sends_after_commit(
        citizen_alice, demo_catalog, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        app = submitted(citizen_alice, "business-startup")
    row = notification(app)
    assert (row.status, row.recipient, row.attempts) == (OutboxStatus.PENDING, citizen_alice, 0)
    assert mail.outbox == []  # nothing leaves before the commit
    for callback in callbacks:
        callback()
    row.refresh_from_db()
    assert (row.status, row.attempts, row.result) == (OutboxStatus.SENT, 1, "email, sms")
    assert row.sent_at is not None


def test_a_refused_submission_writes_no_outbox_row(citizen_alice, demo_catalog):
    app = draft(citizen_alice, "business-startup", materials={})
    with pytest.raises(InvalidInput):
        submitting.application_submit(application=app, user=citizen_alice)
    assert not OutboxMessage.objects.filter(application=app).exists()


def test_the_citizen_gets_email_and_sms_in_their_language(citizen_alice, citizen_carol, demo_catalog,
                                                           django_capture_on_commit_callbacks):
    citizen_carol.language = "en"
    citizen_carol.save(update_fields=["language"])
    with django_capture_on_commit_callbacks(execute=True):
        zh = submitted(citizen_alice, "business-startup")
        en = submitted(citizen_carol, "business-startup")
    by_recipient = {m.to[0]: m for m in mail.outbox}
    zh_mail, en_mail = by_recipient[citizen_alice.email], by_recipient[citizen_carol.email]
    assert zh_mail.subject == f"已收到您的申请 {zh.number}：开办企业一件事"
    assert "查看办理进度：https://gov.example.org/applications/" in zh_mail.body
    assert en_mail.subject == f"Application {en.number} received: Start a business"
    assert zh_mail.extra_headers["X-Govflow-Event-Id"] == str(notification(zh).pk)
    sms = {s["to"]: s["text"] for s in MemorySmsBackend.outbox}
    assert sms[citizen_alice.phone].startswith(f"【一件事】您的申请{zh.number}（开办企业一件事）已受理")
    assert sms[citizen_carol.phone].startswith(f"[govflow] Application {en.number} (Start a business) received.")


def test_decisions_and_completion_are_notified_with_their_details(citizen_alice, clerks,
                                                                  django_capture_on_commit_callbacks):
    app = submitted(citizen_alice, "business-startup")
    case = app.cases.get(procedure_code="amr-licence")
    with django_capture_on_commit_callbacks(execute=True):
        deciding.task_claim(case=case, user=clerks["amr"])
        deciding.task_complete(case=case, user=clerks["amr"], decision="request_correction",
                               corrections={"fields": ["company_name"], "materials": ["articles_of_association"],
                                            "message": "企业名称与章程不一致"})
    body = mail.outbox[-1].body
    assert "企业名称与章程不一致" in body and "- 企业名称" in body and "需要重新上传的材料" in body
    assert mail.outbox[-1].subject == f"申请 {app.number} 需要补正材料"

    mail.outbox.clear()
    upload(app, citizen_alice, "articles_of_association", PDF_BYTES + b"%signed")
    citizen_actions.application_resubmit(application=app, user=citizen_alice)
    with django_capture_on_commit_callbacks(execute=True):
        deciding.task_complete(case=case, user=clerks["amr"], decision="reject",
                               comment="不符合《市场主体登记管理条例》第十二条")
    assert mail.outbox[0].subject.startswith(f"申请 {app.number}：") and mail.outbox[0].subject.endswith("未予通过")
    assert "理由：不符合《市场主体登记管理条例》第十二条" in mail.outbox[0].body
    # Rejecting the licence cancels everything after it: the application is complete.
    completed = notification(app, "application.completed")
    assert completed.status == OutboxStatus.SENT
    assert any("未予通过" in m.body and m.subject.startswith(f"申请 {app.number} 已办结") for m in mail.outbox)


def test_the_completion_lists_the_results(citizen_alice, clerks, django_capture_on_commit_callbacks):
    citizen_alice.language = "en"
    citizen_alice.save(update_fields=["language"])
    app = submitted(citizen_alice, "business-startup", answers={**BUSINESS_ANSWERS, "has_employees": False})
    for code in ("amr-licence", "psb-seal-filing"):
        approve(app, code, clerks[code.split("-")[0]])
    with django_capture_on_commit_callbacks(execute=True):
        approve(app, "tax-registration", clerks["tax"])
    completed = next(m for m in mail.outbox if m.subject.startswith(f"Application {app.number} completed"))
    assert "everything was approved" in completed.body
    assert "- Unified social credit code: 91330106MA2K111106" in completed.body


def test_channels_follow_the_citizens_choice_and_known_addresses(citizen_alice, demo_catalog,
                                                                 django_capture_on_commit_callbacks):
    citizen_alice.notify_by_sms = False
    citizen_alice.save(update_fields=["notify_by_sms"])
    with django_capture_on_commit_callbacks(execute=True):
        app = submitted(citizen_alice, "business-startup")
    assert (len(mail.outbox), MemorySmsBackend.outbox) == (1, [])
    assert notification(app).result == "email"

    citizen_alice.notify_by_email = False
    citizen_alice.save(update_fields=["notify_by_email"])
    row = OutboxMessage.objects.create(kind="notification", event="application.submitted", recipient=citizen_alice,
                                       application=app, payload={"number": app.number})
    assert delivery.deliver(row.pk).status == "sent"
    row.refresh_from_db()
    assert row.result.startswith("skipped: no channel") and len(mail.outbox) == 1


# -- at least once, never twice at the same time ---------------------------------------------------

def test_delivering_a_message_again_sends_nothing_more(citizen_alice, demo_catalog,
                                                       django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        app = submitted(citizen_alice, "business-startup")
    row = notification(app)
    assert delivery.deliver(row.pk).status == "skipped"
    assert delivery.deliver(row.pk).status == "skipped"
    assert len(mail.outbox) == 1 and len(MemorySmsBackend.outbox) == 1


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the lease is the SQLite path (PostgreSQL locks the row)")
def test_on_sqlite_a_message_being_delivered_elsewhere_is_left_to_its_lease(citizen_alice, demo_catalog):
    app = submitted(citizen_alice, "business-startup")
    row = notification(app)
    OutboxMessage.objects.filter(pk=row.pk).update(claimed_until=timezone.now() + timedelta(seconds=30))
    attempt = delivery.deliver(row.pk)
    assert attempt.status == "busy" and 29 <= attempt.retry_in <= 32
    assert mail.outbox == []
    with time_machine.travel(timezone.now() + timedelta(seconds=31), tick=False):
        assert delivery.deliver(row.pk).status == "sent"
    row.refresh_from_db()
    assert row.claimed_until is None and len(mail.outbox) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_on_postgresql_a_message_locked_by_another_worker_is_skipped_not_sent_twice(citizen_alice, demo_catalog):
    app = submitted(citizen_alice, "business-startup")  # committed: delivered at once (eager)
    row = notification(app)
    OutboxMessage.objects.filter(pk=row.pk).update(status=OutboxStatus.PENDING, attempts=0)  # as if not yet
    mail.outbox.clear()
    locked, release = threading.Event(), threading.Event()

    def other_worker():
        try:
            with transaction.atomic():
                OutboxMessage.objects.select_for_update().get(pk=row.pk)
                locked.set()
                release.wait(10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=other_worker)
    thread.start()
    try:
        assert locked.wait(10)
        attempt = delivery.deliver(row.pk)
    finally:
        release.set()
        thread.join(10)
    assert attempt.status == "busy" and attempt.retry_in
    assert mail.outbox == []
    assert delivery.deliver(row.pk).status == "sent"


# -- retries with back-off, then a dead letter -----------------------------------------------------

def test_a_failing_channel_is_retried_with_exponential_backoff_then_dead_lettered(citizen_alice, demo_catalog,
                                                                                   settings, caplog):
    settings.EMAIL_BACKEND = "tests.notifications.test_outbox.BrokenEmailBackend"
    app = submitted(citizen_alice, "business-startup")
    row = notification(app)
    start = timezone.now()
    delays = []
    with time_machine.travel(start, tick=False) as clock, caplog.at_level(logging.WARNING, "govflow.outbox"):
        for _ in range(3):
            attempt = delivery.deliver(row.pk)
            assert attempt.status == "retry"
            delays.append(attempt.retry_in)
            assert delivery.deliver(row.pk).status == "not_due"  # an early duplicate does nothing
            clock.shift(timedelta(seconds=attempt.retry_in + 1))
        assert delivery.deliver(row.pk).status == "dead"
    assert delays == [30, 60, 120]
    row.refresh_from_db()
    assert (row.status, row.attempts, row.next_attempt_at) == (OutboxStatus.DEAD, 4, None)
    assert "451 mail server busy" in row.last_error and row.last_error.startswith("attempt 4:")
    retries = [r for r in caplog.records if "retrying in" in r.getMessage()]
    assert len(retries) == 3


def test_a_retry_does_not_repeat_a_channel_already_delivered(citizen_alice, demo_catalog, settings):
    settings.GOVFLOW_SMS_BACKEND = "tests.notifications.test_outbox.BrokenSmsBackend"
    app = submitted(citizen_alice, "business-startup")
    row = notification(app)
    assert delivery.deliver(row.pk).status == "retry"
    row.refresh_from_db()
    assert row.delivered == ["email"] and len(mail.outbox) == 1
    settings.GOVFLOW_SMS_BACKEND = "govflow.notifications.channels.MemorySmsBackend"
    with time_machine.travel(row.next_attempt_at + timedelta(seconds=1), tick=False):
        assert delivery.deliver(row.pk).status == "sent"
    row.refresh_from_db()
    assert row.delivered == ["email", "sms"] and len(mail.outbox) == 1 and len(MemorySmsBackend.outbox) == 1


def test_a_message_without_a_template_is_dead_at_once(citizen_alice, demo_catalog):
    app = submitted(citizen_alice, "business-startup")
    row = OutboxMessage.objects.create(kind="notification", event="no.such.event", recipient=citizen_alice,
                                       application=app)
    assert delivery.deliver(row.pk).status == "dead"
    row.refresh_from_db()
    assert row.status == OutboxStatus.DEAD and "no notification template" in row.last_error


def test_retrying_a_dead_letter_sends_it_with_a_fresh_budget(citizen_alice, demo_catalog, settings,
                                                            django_capture_on_commit_callbacks):
    settings.GOVFLOW_OUTBOX_MAX_ATTEMPTS = 1
    settings.EMAIL_BACKEND = "tests.notifications.test_outbox.BrokenEmailBackend"
    app = submitted(citizen_alice, "business-startup")
    row = notification(app)
    assert delivery.deliver(row.pk).status == "dead"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        assert delivery.retry_messages(pks=[row.pk]) == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == (OutboxStatus.SENT, 1)
    assert len(mail.outbox) == 1


# -- the sweep: nothing is lost --------------------------------------------------------------------

def test_the_broker_down_at_commit_leaves_the_rows_pending_and_the_sweep_sends_them_later(
        citizen_alice, demo_catalog, monkeypatch, caplog, django_capture_on_commit_callbacks, receiver):
    hooks = receiver()
    register_webhook("amr", hooks.url)
    from govflow.notifications.tasks import deliver_outbox_message

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(deliver_outbox_message, "delay", broker_down)
    with caplog.at_level(logging.WARNING), django_capture_on_commit_callbacks(execute=True):
        app = submitted(citizen_alice, "business-startup")
    rows = OutboxMessage.objects.filter(application=app)
    assert {r.kind for r in rows} == {"notification", "webhook"}
    assert all(r.status == OutboxStatus.PENDING for r in rows)
    assert "the sweep will retry" in caplog.text

    monkeypatch.undo()
    assert delivery.sweep_outbox() == 0  # still inside the grace period: its message may be on its way
    with time_machine.travel(timezone.now() + timedelta(minutes=3), tick=False):
        assert delivery.sweep_outbox() == 2
    assert all(r.status == OutboxStatus.SENT for r in OutboxMessage.objects.filter(application=app))
    assert len(mail.outbox) == 1 and len(hooks.requests) == 1


def test_the_sweep_leaves_rows_that_back_off_until_their_time(citizen_alice, demo_catalog, settings):
    settings.EMAIL_BACKEND = "tests.notifications.test_outbox.BrokenEmailBackend"
    app = submitted(citizen_alice, "business-startup")
    row = notification(app)
    with time_machine.travel(timezone.now() + timedelta(minutes=3), tick=False) as clock:
        assert delivery.sweep_outbox() == 1  # lost message: handed over, fails, backs off 30 s
        row.refresh_from_db()
        assert row.attempts == 1
        clock.shift(timedelta(seconds=60))
        assert delivery.sweep_outbox() == 0  # due 30 s ago, but its retry message may still come
        clock.shift(timedelta(seconds=120))
        assert delivery.sweep_outbox() == 1
    row.refresh_from_db()
    assert row.attempts == 2


def test_a_periodic_job_runs_once_per_period_whatever_the_number_of_dispatchers(db):
    assert locks.acquire("sla-sweep", hold=60) is True
    assert locks.acquire("sla-sweep", hold=60) is False
    assert locks.acquire("outbox-sweep", hold=60) is True
    with time_machine.travel(timezone.now() + timedelta(seconds=61), tick=False):
        assert locks.acquire("sla-sweep", hold=60) is True


def test_periodic_tasks_skip_when_another_dispatcher_holds_the_lock(db):
    from govflow.applications import tasks as domain_tasks
    from govflow.notifications import tasks

    assert domain_tasks.sweep_sla.apply(kwargs={"period": 300}).get() == {"warned": 0, "escalated": 0, "lifted": 0}
    assert domain_tasks.sweep_sla.apply(kwargs={"period": 300}).get() is None
    assert domain_tasks.fire_workflow_timers.apply().get() == 0
    assert tasks.sweep_outbox.apply().get() == 0


# -- webhooks --------------------------------------------------------------------------------------

def test_case_changes_are_posted_signed_to_the_department_system(citizen_alice, clerks, receiver,
                                                                 django_capture_on_commit_callbacks):
    hooks = receiver()
    register_webhook("amr", hooks.url)
    with django_capture_on_commit_callbacks(execute=True):
        app = submitted(citizen_alice, "business-startup")
        approve(app, "amr-licence", clerks["amr"])
    kinds = [r.json["type"] for r in hooks.requests]
    assert kinds == ["case.queued", "case.claimed", "case.approved"]
    rows = list(OutboxMessage.objects.filter(application=app, kind="webhook").order_by("id"))
    first = hooks.requests[0]
    assert first.json["event_id"] == str(rows[0].pk) == first.headers["X-Govflow-Event-Id"]
    assert verify(WEBHOOK_SECRET, first.headers["X-Govflow-Signature"], first.body)
    assert not verify("another-secret-0123456789", first.headers["X-Govflow-Signature"], first.body)
    assert first.json["application"] == {"id": app.pk, "number": app.number}
    assert set(first.json) == {"event_id", "type", "occurred_at", "application", "case"}
    approved = hooks.requests[2].json
    assert approved["case"]["status"] == "approved" and approved["case"]["outputs"]["uscc"]
    assert all(r.status == OutboxStatus.SENT and r.result == "HTTP 200" for r in rows)


def test_a_webhook_answered_with_an_error_is_retried_and_delivered_once(citizen_alice, demo_catalog, receiver):
    hooks = receiver(plan=[500, 503, 500])
    register_webhook("amr", hooks.url)
    app = submitted(citizen_alice, "business-startup")
    row = OutboxMessage.objects.get(application=app, kind="webhook")
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for expected in ("retry", "retry", "retry", "sent"):
            attempt = delivery.deliver(row.pk)
            assert attempt.status == expected
            if attempt.retry_in:
                clock.shift(timedelta(seconds=attempt.retry_in))
    assert [r.headers["X-Govflow-Delivery-Attempt"] for r in hooks.requests] == ["1", "2", "3", "4"]
    assert len(hooks.effects()) == 1  # four deliveries, one event: the receiver acts once
    row.refresh_from_db()
    assert (row.status, row.attempts) == (OutboxStatus.SENT, 4)
    assert "HTTP 500" in row.last_error


def test_a_department_without_a_secret_gets_nothing_unsigned(citizen_alice, demo_catalog, receiver):
    hooks = receiver()
    register_webhook("amr", hooks.url, secret="")
    app = submitted(citizen_alice, "business-startup")
    row = OutboxMessage.objects.get(application=app, kind="webhook")
    assert delivery.deliver(row.pk).status == "dead"
    assert hooks.requests == []


def test_a_plain_http_webhook_is_dead_lettered_unsent_unless_http_is_allowed(citizen_alice, demo_catalog,
                                                                             receiver, settings):
    hooks = receiver()
    register_webhook("amr", hooks.url)  # http://127.0.0.1:…, stored before the rule was tightened
    app = submitted(citizen_alice, "business-startup")
    row = OutboxMessage.objects.get(application=app, kind="webhook")
    settings.DEBUG = False
    settings.GOVFLOW_ALLOW_HTTP_WEBHOOKS = False

    assert delivery.deliver(row.pk).status == "dead"
    assert hooks.requests == []
    row.refresh_from_db()
    assert "http://" in row.last_error and "GOVFLOW_ALLOW_HTTP_WEBHOOKS" in row.last_error


def test_webhook_body_is_compact_utf8_json_with_the_event_id_first(citizen_alice, demo_catalog):
    from govflow.notifications.webhooks import body_of

    register_webhook("amr", "https://amr.example.org/hook")
    app = submitted(citizen_alice, "business-startup")
    row = OutboxMessage.objects.get(application=app, kind="webhook")
    body = body_of(row)
    assert body.startswith(f'{{"event_id":"{row.pk}","type":"case.queued","occurred_at":"'.encode())
    data = json.loads(body)
    assert list(data["case"]) == ["id", "procedure", "department", "office", "status", "due_date", "outputs",
                                  "corrections"]
    assert data["occurred_at"].endswith("+08:00")
    assert data["case"]["procedure"] == "amr-licence"


# -- plain text is plain: nothing HTML-escaped ----------------------------------------------------

TRICKY = "O'Brien <Ltd> & \"Sons\""


def test_text_emails_and_sms_carry_quotes_and_brackets_verbatim(citizen_carol, clerks,
                                                                 django_capture_on_commit_callbacks):
    department = Department.objects.get(code="amr")
    department.name = {**department.name, "en": "Market & Quality <AMR> 'Bureau'"}
    department.save(update_fields=["name"])
    publish_one_thing(one_thing=OneThing.objects.get(code="business-startup"))
    citizen_carol.language = "en"
    citizen_carol.name = TRICKY
    citizen_carol.save(update_fields=["language", "name"])
    app = submitted(citizen_carol, "business-startup")
    case = app.cases.get(procedure_code="amr-licence")
    deciding.task_claim(case=case, user=clerks["amr"])
    MemorySmsBackend.outbox.clear()
    mail.outbox.clear()
    reason = f"Name {TRICKY} isn't allowed: <b>&amp;</b>"
    with django_capture_on_commit_callbacks(execute=True):
        deciding.task_complete(case=case, user=clerks["amr"], decision="reject", comment=reason)

    email = next(m for m in mail.outbox if m.to == [citizen_carol.email])
    assert f"Dear {TRICKY}," in email.body
    assert f"Reason: {reason}\n" in email.body
    assert "Market & Quality <AMR> 'Bureau' could not approve" in email.body
    sms = next(s["text"] for s in MemorySmsBackend.outbox if s["to"] == citizen_carol.phone)
    assert "was not approved by Market & Quality <AMR> 'Bureau'." in sms
    for text in (email.subject, email.body, sms):
        assert not any(entity in text for entity in ("&#x27;", "&lt;", "&gt;", "&quot;", "&amp;amp;"))
