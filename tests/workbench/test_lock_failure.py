"""Real threads on PostgreSQL: viewflow cannot take its process lock, and nobody sees the engine.

Another connection holds the workflow process row (``SELECT … FOR UPDATE``) while a clerk decides
with a short ``lock_timeout``: the database refuses the lock; the service turns that (as it does
viewflow's ``FlowLockFailed``) into the domain's ``Busy`` after rolling back, and the page says
"try again" without knowing the engine or the database.
"""
from __future__ import annotations

import threading

import pytest
from django.contrib.messages import get_messages
from django.db import connection, connections, transaction
from django.test import Client
from django.urls import reverse
from viewflow.workflow.models import Process

from govflow.applications.models import Case, TimelineEntry
from govflow.applications.services import deciding
from govflow.errors import Busy

from ..stories import case_of, submitted

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="row locks and lock_timeout need PostgreSQL (CI runs this on PostgreSQL)"),
]


class ProcessRowHeld:
    """Holds the application's workflow process row locked from another connection."""

    def __init__(self, process_pk: int) -> None:
        self.process_pk = process_pk
        self.locked = threading.Event()
        self.release = threading.Event()
        self.thread = threading.Thread(target=self._hold)

    def _hold(self) -> None:
        try:
            with transaction.atomic():
                Process.objects.select_for_update().filter(pk=self.process_pk).exists()
                self.locked.set()
                self.release.wait(timeout=30)
        finally:
            connections.close_all()

    def __enter__(self) -> ProcessRowHeld:
        self.thread.start()
        assert self.locked.wait(timeout=10)
        return self

    def __exit__(self, *exc) -> None:
        self.release.set()
        self.thread.join(timeout=30)


def short_lock_timeout() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = '200ms'")


def test_a_lost_workflow_lock_is_busy_and_changes_nothing(citizen_alice, clerks):
    app = submitted(citizen_alice, "business-startup")
    case = case_of(app, "amr-licence")

    deciding.task_claim(case=case, user=clerks["amr"])

    with ProcessRowHeld(app.process_id):
        short_lock_timeout()
        with pytest.raises(Busy):
            deciding.task_complete(case=Case.objects.get(pk=case.pk), user=clerks["amr"], decision="reject",
                                   comment="经营范围含前置许可项目，不予登记。")

    fresh = Case.objects.get(pk=case.pk)
    assert fresh.status == "in_review" and fresh.owner_id == clerks["amr"].pk
    assert not TimelineEntry.objects.filter(case=case, kind="case.rejected").exists()


def test_the_workbench_says_try_again(citizen_alice, clerks):
    app = submitted(citizen_alice, "business-startup")
    case = case_of(app, "amr-licence")
    deciding.task_claim(case=case, user=clerks["amr"])
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(clerks["amr"])

    with ProcessRowHeld(app.process_id):
        short_lock_timeout()
        response = client.post(reverse("workbench:decide", args=[case.task_id]),
                               {"decision": "reject", "comment": "经营范围含前置许可项目，不予登记。", "confirmed": "1"})

    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "The application is being changed by someone else; try again."]
    assert Case.objects.get(pk=case.pk).status == "in_review"
