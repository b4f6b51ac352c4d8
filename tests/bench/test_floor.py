"""The benchmark's floor must write what a real submission writes, or its ratio means nothing."""
from __future__ import annotations

import pytest
from viewflow.workflow.models import Process, Task

from govflow.applications.models import Application, Case, TimelineEntry
from govflow.applications.services import drafting, submitting
from govflow.bench import floor
from govflow.bench.data import BUSINESS_ANSWERS
from govflow.bench.measure import Samples, percentile
from govflow.catalog.models import OneThing, Procedure
from govflow.notifications.models import OutboxMessage

from ..stories import BUSINESS_MATERIALS, upload

pytestmark = pytest.mark.django_db


def rows() -> dict[str, int]:
    return {
        "processes": Process.objects.count(),
        "cases": Case.objects.count(),
        "queued cases": Case.objects.filter(status="queued").count(),
        "tasks": Task.objects.count(),
        "open tasks": Task.objects.filter(finished__isnull=True).count(),
        "task links": Task.previous.through.objects.count(),
        "timeline": TimelineEntry.objects.count(),
        "outbox": OutboxMessage.objects.count(),
        "submitted": Application.objects.filter(status="submitted").count(),
    }


def delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {key: after[key] - before[key] for key in before}


def test_the_floor_writes_the_same_rows_as_a_real_submission(citizen_alice, demo_catalog):
    app = drafting.application_create(user=citizen_alice, one_thing_code="business-startup",
                                      data=dict(BUSINESS_ANSWERS))
    for code, content in BUSINESS_MATERIALS.items():
        upload(app, citizen_alice, code, content)
    before = rows()
    submitting.application_submit(application=app, user=citizen_alice)
    real = delta(before, rows())
    assert real["cases"] == 5  # the bench's answers make every step apply

    one_thing = OneThing.objects.select_related("current_version").get(code="business-startup")
    procedures = {p.code: p for p in Procedure.objects.filter(code__in=[c.procedure_code for c in app.cases.all()])}
    before = rows()
    offices = {c.procedure_code: c.office for c in app.cases.select_related("office")}
    floor.submission_rows(citizen=citizen_alice, one_thing=one_thing, procedures=procedures, offices=offices,
                          number="FLOOR-1")
    assert delta(before, rows()) == real


def test_percentiles_and_summaries():
    assert percentile(list(range(1, 101)), 0.95) == 95
    assert percentile([7.0], 0.95) == 7.0
    samples = Samples("x", ms=[10.0, 20.0, 30.0, 40.0], queries=[3, 4, 4, 5])
    summary = samples.summary()
    assert summary["median_ms"] == 25.0 and summary["queries"] == 5 and summary["queries_min"] == 3
    assert summary["ops_per_s"] == 40.0  # four operations in 100 ms
