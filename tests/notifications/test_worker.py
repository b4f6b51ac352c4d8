"""A real Celery worker on the real Redis, and faults: a killed worker, a broker outage, a flaky receiver.

Each test starts ``celery -A govflow worker`` as a subprocess (solo pool, one task at a time) on
the Redis at ``GOVFLOW_TEST_REDIS_URL`` (default ``redis://127.0.0.1:6379/5``) under a key prefix
of its own (``CELERY_BROKER_KEY_PREFIX``: nothing else in that Redis database is touched, and
parallel test processes never see each other's messages), against the test's own database, which
the worker reaches through ``DATABASE_URL``: the test database on PostgreSQL, or the SQLite test
database when it is a file (``SQLITE_TEST_NAME``; the default in-memory one cannot be shared, and
these tests are skipped there with that reason). The tests run with ``transaction=True`` so that
the worker sees committed rows. Every wait is bounded; the worker is always killed at the end.
"""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

from govflow.applications.models import CaseStatus, IssuedOutput, TimelineEntry
from govflow.catalog.models import Department
from govflow.notifications.models import OutboxMessage, OutboxStatus
from govflow.notifications.webhooks import verify

from ..background import WEBHOOK_SECRET, register_webhook
from ..conftest import load_demo_document
from ..factories import MembershipFactory, UserFactory
from ..stories import approve, case_of, submitted

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("GOVFLOW_TEST_REDIS_URL", "redis://127.0.0.1:6379/5")
UNREACHABLE_BROKER = "redis://127.0.0.1:1/5"

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def database_url() -> str | None:
    """The URL of the database this test uses, for the worker; None for in-memory SQLite."""
    s = connection.settings_dict
    if connection.vendor == "postgresql":
        auth = quote(s.get("USER") or "")
        if s.get("PASSWORD"):
            auth += ":" + quote(s["PASSWORD"])
        return f"postgres://{auth + '@' if auth else ''}{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}/{s['NAME']}"
    if connection.vendor == "sqlite":
        name = str(s["NAME"])
        if name == ":memory:" or "mode=memory" in name:
            return None
        return f"sqlite:///{Path(name).resolve()}"
    return None


def eventually(check: Callable[[], object], *, timeout: float = 20.0, what: str = "condition") -> object:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.1)


class Worker:
    """One ``celery worker`` subprocess (its own process group, so that SIGKILL takes all of it)."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env = env
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def start(self, *, timeout: float = 30.0, **env: str) -> Worker:
        log = self.log_path.open("a")
        log.write(f"\n----- worker start {time.strftime('%H:%M:%S')} -----\n")
        log.flush()
        offset = self.log_path.stat().st_size
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "govflow", "worker", "--pool", "solo", "--loglevel", "INFO",
             "--without-gossip", "--without-mingle", "--without-heartbeat", "--hostname", f"t{uuid.uuid4().hex[:8]}@%h"],
            cwd=ROOT, env={**self.env, **env}, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)
        log.close()
        try:
            eventually(lambda: " ready." in self.log_path.read_text()[offset:] or self.process.poll() is not None,
                       timeout=timeout, what="the worker to start")
        except AssertionError:
            self.kill()
            raise
        if self.process.poll() is not None:
            raise AssertionError(f"the worker exited:\n{self.log()[-3000:]}")
        return self

    def kill(self) -> None:
        """SIGKILL, as when a machine dies: no shutdown code runs, nothing is acknowledged."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None

    def log(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""


def _redis():
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"Redis is not reachable at {REDIS_URL}: {exc}")
    return client


def _new_worker(directory: Path) -> Worker:
    url = database_url()
    if url is None:
        pytest.skip("a real worker needs a database it can share: PostgreSQL (DATABASE_URL) or a SQLite file "
                    "(SQLITE_TEST_NAME); the default in-memory SQLite test database cannot be shared")
    prefix = f"govflow-test-{uuid.uuid4().hex[:12]}:"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "govflow.settings",
        "DEBUG": "1",
        "DATABASE_URL": url,
        "CELERY_BROKER_URL": REDIS_URL,
        "CELERY_BROKER_KEY_PREFIX": prefix,
        "CELERY_VISIBILITY_TIMEOUT": "60",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(directory / "mail"),
        "GOVFLOW_SMS_BACKEND": "govflow.notifications.channels.LogSmsBackend",
        "GOVFLOW_OUTBOX_RETRY_BASE": "0.3",
        "GOVFLOW_OUTBOX_SWEEP_AFTER": "0",
        "GOVFLOW_SITE_URL": "https://gov.example.org",
        "LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",
    }
    handle = Worker(env, directory / "worker.log")
    handle.prefix = prefix
    handle.mail_dir = directory / "mail"
    return handle


def _clean_up(handle: Worker, client) -> None:
    handle.kill()
    print(f"----- worker log (last 6000 characters) -----\n{handle.log()[-6000:]}")  # shown on failure
    for key in client.scan_iter(match=f"{handle.prefix}*", count=500):
        client.delete(key)
    client.close()


@pytest.fixture(scope="module")
def shared_worker(django_db_setup, django_db_blocker, tmp_path_factory):
    """One running worker for the tests that do not kill it (saves a start per test)."""
    with django_db_blocker.unblock():
        handle = _new_worker(tmp_path_factory.mktemp("worker"))
    client = _redis()
    try:
        yield handle.start()
    finally:
        _clean_up(handle, client)


@pytest.fixture
def worker(transactional_db, tmp_path):
    """A worker of the test's own, not started: the test starts (and kills) it."""
    handle = _new_worker(tmp_path)
    client = _redis()
    try:
        yield handle
    finally:
        _clean_up(handle, client)


@contextmanager
def broker(prefix: str, url: str = REDIS_URL):
    """This test process publishes to ``url`` (under the worker's key prefix) instead of running eagerly."""
    from govflow.celery import app

    def drop_connections() -> None:  # the next publish looks up a pool for the current configuration
        app._pool = None
        app.amqp._producer_pool = None

    saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager", "broker_transport_options")}
    drop_connections()
    app.conf.update(broker_url=url, task_always_eager=False,
                    broker_transport_options={"global_keyprefix": prefix, "visibility_timeout": 60})
    try:
        yield
    finally:
        drop_connections()
        app.conf.update(saved)


def rows(app, **filters) -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(application=app, **filters).order_by("id"))


def all_sent(app) -> bool:
    found = rows(app)
    return bool(found) and all(r.status == OutboxStatus.SENT for r in found)


def test_a_real_worker_sends_the_notification_and_delivers_the_signed_webhook(shared_worker, receiver,
                                                                              citizen_alice, demo_catalog):
    worker = shared_worker
    hooks = receiver()
    register_webhook("amr", hooks.url)
    with broker(worker.prefix):
        app = submitted(citizen_alice, "business-startup")
    assert {r.status for r in rows(app)} == {OutboxStatus.PENDING}  # handed over, not done here

    eventually(lambda: all_sent(app), what="the outbox to be sent by the worker")
    notification, = rows(app, kind="notification")
    webhook, = rows(app, kind="webhook")
    assert (notification.result, webhook.result) == ("email, sms", "HTTP 200")
    hook, = hooks.requests
    assert hook.json["event_id"] == str(webhook.pk) and hook.json["type"] == "case.queued"
    assert verify(WEBHOOK_SECRET, hook.headers["X-Govflow-Signature"], hook.body)
    sent_mail = "".join(p.read_text() for p in worker.mail_dir.glob("*.log"))  # one file per connection
    assert f"To: {citizen_alice.email}" in sent_mail and f"X-Govflow-Event-Id: {notification.pk}" in sent_mail
    assert "SMS to 138****" in worker.log()


def test_a_worker_killed_mid_delivery_leaves_the_message_to_be_delivered_again_and_acted_on_once(
        worker, receiver, citizen_alice, demo_catalog):
    # The receiver records the request, then takes 30 s to answer: the worker is killed meanwhile.
    hooks = receiver(delay=30, delay_first=1)
    register_webhook("amr", hooks.url)
    worker.start(CELERY_VISIBILITY_TIMEOUT="1", GOVFLOW_OUTBOX_LEASE="1")
    with broker(worker.prefix):
        app = submitted(citizen_alice, "business-startup")
    hooks.wait_for(1)
    worker.kill()
    webhook, = rows(app, kind="webhook")
    assert webhook.status == OutboxStatus.PENDING  # the kill lost the answer, not the message

    time.sleep(1.2)  # past the broker's visibility timeout: the next worker takes the message back on start
    worker.start(CELERY_VISIBILITY_TIMEOUT="1", GOVFLOW_OUTBOX_LEASE="1")
    eventually(lambda: all_sent(app), what="the redelivered messages")
    webhook.refresh_from_db()
    # Delivered twice (the first answer never came back: at least once), acted on once: the
    # receiver deduplicates by event_id. The killed attempt left no trace on the row.
    assert [r.event_id for r in hooks.requests] == [str(webhook.pk)] * 2
    assert len(hooks.effects()) == 1
    assert (webhook.attempts, webhook.result) == (1, "HTTP 200")


def test_an_automatic_check_killed_mid_way_takes_effect_exactly_once(worker, citizen_alice, db, tmp_path):
    from govflow.catalog.services import import_catalog

    doc = load_demo_document()
    for procedure in doc["procedures"]:
        if procedure["code"] == "mi-newborn-insurance":
            procedure["automatic"] = "tests.applications.checkers.slow_newborn_medical_insurance"
    import_catalog(doc)
    clerks = {}
    for code in ("health", "psb"):
        clerks[code] = UserFactory(username=f"clerk-{code}")
        MembershipFactory(user=clerks[code], department=Department.objects.get(code=code))
    marker = tmp_path / "checker-started"
    env = {"CELERY_VISIBILITY_TIMEOUT": "1", "GOVFLOW_TEST_MARKER": str(marker), "GOVFLOW_TEST_SLEEP": "30"}
    with broker(worker.prefix):  # the messages wait in Redis (SQLite: no writes of ours race the worker's)
        app = submitted(citizen_alice, "newborn")
        approve(app, "health-birth-certificate", clerks["health"])
        approve(app, "psb-household-registration", clerks["psb"])
    worker.start(**env)
    eventually(marker.exists, what="the checker to start")
    worker.kill()
    assert case_of(app, "mi-newborn-insurance").status == CaseStatus.QUEUED

    time.sleep(1.2)
    worker.start(**env)
    eventually(lambda: case_of(app, "mi-newborn-insurance").status == CaseStatus.APPROVED, what="the check")
    eventually(lambda: all_sent(app), what="the rest of the outbox")
    check, = rows(app, kind="automatic_check")
    assert (check.attempts, check.result) == (1, "approved")  # the killed attempt rolled back whole
    mi = case_of(app, "mi-newborn-insurance")
    assert TimelineEntry.objects.filter(case=mi, kind="case.approved").count() == 1
    assert TimelineEntry.objects.filter(case=mi, kind="case.claimed").count() == 1
    assert IssuedOutput.objects.filter(application=app, code="medical_insurance_no").count() == 1


def test_with_the_broker_down_at_commit_the_sweep_sends_the_messages_later(shared_worker, receiver, citizen_alice,
                                                                           demo_catalog, caplog):
    worker = shared_worker
    hooks = receiver()
    register_webhook("amr", hooks.url)
    log_start = len(worker.log())
    with broker(worker.prefix, url=UNREACHABLE_BROKER):
        app = submitted(citizen_alice, "business-startup")
    assert {r.status for r in rows(app)} == {OutboxStatus.PENDING}
    assert "the sweep will retry" in caplog.text

    time.sleep(1)
    assert {r.status for r in rows(app)} == {OutboxStatus.PENDING}  # nothing was ever enqueued
    from govflow.notifications.tasks import sweep_outbox

    with broker(worker.prefix):
        sweep_outbox.delay(period=1)  # what beat sends every minute
    eventually(lambda: all_sent(app), what="the swept messages")
    assert len(hooks.requests) == 1
    assert "outbox sweep handed over 2 pending message(s)" in worker.log()[log_start:]


def test_a_webhook_refused_three_times_is_retried_with_backoff_and_delivered_once(shared_worker, receiver,
                                                                                  citizen_alice, demo_catalog):
    worker = shared_worker
    hooks = receiver(plan=[500, 500, 500])
    register_webhook("amr", hooks.url)
    with broker(worker.prefix):
        app = submitted(citizen_alice, "business-startup")
    eventually(lambda: all_sent(app), what="the webhook to get through")
    webhook, = rows(app, kind="webhook")
    assert (webhook.attempts, webhook.result) == (4, "HTTP 200")
    assert "HTTP 500" in webhook.last_error
    assert [r.headers["X-Govflow-Delivery-Attempt"] for r in hooks.requests] == ["1", "2", "3", "4"]
    assert {r.event_id for r in hooks.requests} == {str(webhook.pk)} and len(hooks.effects()) == 1
    retries = re.findall(rf"outbox webhook case\.queued #{webhook.pk} attempt (\d) of 10 failed \(HTTP 500.*?"
                         r"retrying in ([\d.]+) s", worker.log())
    assert retries == [("1", "0.3"), ("2", "0.6"), ("3", "1.2")]
