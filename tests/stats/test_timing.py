"""The timing stored on a case at its decision (working days used, on time), across the National
Day week of 2026 and its make-up working days; and the migration that back-filled older cases."""
from __future__ import annotations

import importlib
from datetime import date, datetime

import pytest
from django.apps import apps as django_apps

from govflow.applications.models import Case
from govflow.applications.timing import decision_timing
from govflow.catalog.calendar import invalidate_calendar_cache, seed_calendar

from . import holiday

pytestmark = pytest.mark.django_db
at = holiday.at


@pytest.fixture
def calendar_2026(db):
    seed_calendar()
    invalidate_calendar_cache()


@pytest.mark.parametrize(("queued", "decided", "paused", "due", "expected"), [
    # Wed before the holiday → Sat make-up day: 10-08, 10-09, 10-10.
    (at(9, 30), at(10, 10), 0, date(2026, 10, 8), (3, False)),
    # Queued on the make-up Sunday, decided on Monday.
    (at(9, 20), at(9, 21), 0, date(2026, 9, 21), (1, True)),
    # Decided the same day: no working day used.
    (at(10, 9), at(10, 9, 17), 0, date(2026, 10, 10), (0, True)),
    # Through the whole holiday week: Sat 09-26 and Sun 09-27 off, 09-28 … 09-30 and 10-08 count.
    (at(9, 25), at(10, 8), 0, date(2026, 10, 8), (4, True)),
    # One working day paused for the citizen is not counted; never below 0.
    (at(10, 9), at(10, 13), 1, date(2026, 10, 12), (2, False)),
    (at(10, 9), at(10, 12), 9, date(2026, 10, 12), (0, True)),
    # Never queued: no working days; no due date: on time.
    (None, at(10, 12), 0, None, (None, True)),
    # 23:30 in Shanghai is still that day (15:30 UTC).
    (at(10, 12), datetime.fromisoformat("2026-10-13T15:30:00+00:00"), 0, date(2026, 10, 13), (1, True)),
])
def test_decision_timing_counts_working_days_of_the_calendar(calendar_2026, queued, decided, paused, due, expected):
    assert decision_timing(queued_at=queued, decided_at=decided, paused_working_days=paused,
                           due_date=due) == expected


def stored(apps: dict) -> dict:
    return {(letter, c.procedure_code): (c.working_days_used, c.on_time)
            for letter, app in apps.items()
            for c in Case.objects.filter(application=app, decided_at__isnull=False)}


EXPECTED = {
    ("P", "amr-licence"): (1, True),
    ("Q", "amr-licence"): (3, False),
    ("Q", "psb-seal-filing"): (1, True),
    ("Q", "tax-registration"): (2, False),
    ("R", "amr-licence"): (1, True),
    ("R", "tax-registration"): (2, False),  # 3 working days, 1 of them waiting for the citizen
}


def test_a_decision_stores_its_working_days_and_whether_it_was_on_time(citizen_alice, clerks):
    apps = holiday.build(alice=citizen_alice, clerks=clerks)
    assert stored(apps) == EXPECTED
    # Open cases carry nothing yet.
    assert not Case.objects.filter(decided_at__isnull=True).exclude(on_time=None).exists()


def test_the_migration_back_fills_cases_decided_before_it(citizen_alice, clerks):
    apps = holiday.build(alice=citizen_alice, clerks=clerks)
    Case.objects.update(working_days_used=None, on_time=None)
    migration = importlib.import_module("govflow.applications.migrations.0019_decision_timing")
    migration.backfill(django_apps, None)
    assert stored(apps) == EXPECTED
    assert not Case.objects.filter(decided_at__isnull=True).exclude(on_time=None).exists()


#: (prerequisites, queue) working days of the decided cases; in the story ``approve`` claims just
#: before deciding, and R's tax case was claimed on 10-10 to ask for a correction.
WAITING = {
    ("P", "amr-licence"): (0, 1),        # submitted and queued 09-20 (make-up Sunday), claimed 09-21
    ("Q", "amr-licence"): (0, 3),        # queued 09-30, claimed 10-10: 10-08, 10-09, 10-10
    ("Q", "psb-seal-filing"): (3, 1),    # submitted 09-30, queued 10-10; claimed 10-12
    ("Q", "tax-registration"): (3, 2),   # claimed 10-13
    ("R", "amr-licence"): (0, 1),        # submitted and queued 10-08, claimed 10-09
    ("R", "tax-registration"): (1, 1),   # queued 10-09, claimed 10-10 (make-up Saturday)
}


def waited(apps: dict) -> dict:
    return {(letter, c.procedure_code): (c.prerequisite_working_days, c.queue_working_days)
            for letter, app in apps.items()
            for c in Case.objects.filter(application=app, decided_at__isnull=False)}


def test_a_decision_stores_where_the_time_went(citizen_alice, clerks):
    apps = holiday.build(alice=citizen_alice, clerks=clerks)
    assert waited(apps) == WAITING


def test_the_migration_back_fills_the_first_claim_and_the_waits(citizen_alice, clerks):
    apps = holiday.build(alice=citizen_alice, clerks=clerks)
    before = dict(Case.objects.values_list("pk", "claimed_at"))
    Case.objects.update(claimed_at=None, prerequisite_working_days=None, queue_working_days=None)
    importlib.import_module("govflow.applications.migrations.0020_where_time_goes").backfill(django_apps, None)
    assert dict(Case.objects.values_list("pk", "claimed_at")) == before
    assert waited(apps) == WAITING
