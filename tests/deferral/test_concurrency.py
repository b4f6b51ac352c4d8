"""Real threads on PostgreSQL: two deadline sweeps at the same moment act once."""
from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
import time_machine
from django.db import connection

from govflow.applications import deferral_sweep
from govflow.applications.models import CaseStatus, Document, TimelineEntry
from govflow.catalog.services import import_catalog

from ..conftest import load_demo_document
from ..factories import CitizenFactory
from ..stories import case_of
from ..threads import run_together
from .conftest import BIRTH, SHANGHAI, THURSDAY, newborn_draft, submit_deferring

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="row locks and real concurrency need PostgreSQL (CI runs this on PostgreSQL)"),
]


def _overdue_application():
    import_catalog(load_demo_document())
    alice = CitizenFactory(username="alice")
    with time_machine.travel(THURSDAY, tick=False):
        app = submit_deferring(newborn_draft(alice), alice)
    due = Document.objects.get(application=app, material_code="delivery_record").due_date
    return app, datetime.combine(due + timedelta(days=1), time(9), tzinfo=SHANGHAI)


def test_two_sweeps_at_once_flag_and_refuse_once():
    app, after_due = _overdue_application()
    with time_machine.travel(after_due, tick=False):
        results = run_together([deferral_sweep.sweep, deferral_sweep.sweep])
    assert not any(isinstance(r, Exception) for r in results), results
    assert sum(r["overdue"] for r in results) == 1 and sum(r["rejected"] for r in results) == 1, results
    assert TimelineEntry.objects.filter(application=app, kind="material.overdue").count() == 1
    assert TimelineEntry.objects.filter(application=app, kind="case.rejected").count() == 1
    assert case_of(app, BIRTH).status == CaseStatus.REJECTED
