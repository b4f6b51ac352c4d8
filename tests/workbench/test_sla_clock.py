"""The SLA state and the working days left, on working days, weekends, holidays and make-up days."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from govflow.catalog.calendar import seed_calendar
from govflow.workbench.sla import SLA_DUE_SOON, SLA_ON_TIME, SLA_OVERDUE, SlaClock, remaining_text

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


@pytest.fixture
def calendar(db):
    seed_calendar([2026, 2027])


@pytest.mark.parametrize(("today", "due", "state", "remaining", "text"), [
    # Wednesday 2026-12-09, a working day.
    (date(2026, 12, 9), date(2026, 12, 9), SLA_DUE_SOON, 0, "due today"),
    (date(2026, 12, 9), date(2026, 12, 10), SLA_DUE_SOON, 1, "1 working day left"),
    (date(2026, 12, 9), date(2026, 12, 14), SLA_ON_TIME, 3, "3 working days left"),
    (date(2026, 12, 9), date(2026, 12, 7), SLA_OVERDUE, -2, "2 working days overdue"),
    # Sunday 2026-12-06: due on Friday is overdue (never "due today"); due on Monday is due soon.
    (date(2026, 12, 6), date(2026, 12, 4), SLA_OVERDUE, -1, "1 working day overdue"),
    (date(2026, 12, 5), date(2026, 12, 4), SLA_OVERDUE, -1, "1 working day overdue"),
    (date(2026, 12, 6), date(2026, 12, 7), SLA_DUE_SOON, 1, "1 working day left"),
    (date(2026, 12, 7), date(2026, 12, 4), SLA_OVERDUE, -1, "1 working day overdue"),
    # National Day 2026-10-01 (holiday until 10-07): due on 30 September is overdue all week.
    (date(2026, 10, 3), date(2026, 9, 30), SLA_OVERDUE, -1, "1 working day overdue"),
    (date(2026, 10, 8), date(2026, 9, 30), SLA_OVERDUE, -1, "1 working day overdue"),
    (date(2026, 10, 3), date(2026, 10, 8), SLA_DUE_SOON, 1, "1 working day left"),
    # Saturday 2026-10-10 is a make-up working day: it counts.
    (date(2026, 10, 9), date(2026, 10, 12), SLA_ON_TIME, 2, "2 working days left"),
    (date(2026, 10, 12), date(2026, 10, 9), SLA_OVERDUE, -2, "2 working days overdue"),
])
def test_the_state_and_the_days_left_follow_the_working_day_calendar(calendar, today, due, state, remaining, text):
    clock = SlaClock.now(at(today))
    sla = clock.sla(due)

    with translation.override("en"):
        assert (sla.state, sla.remaining, remaining_text(sla.remaining)) == (state, remaining, text)


def test_a_case_without_a_due_date_is_on_time(calendar):
    clock = SlaClock.now(at(date(2026, 12, 6)))
    assert (clock.state(None), clock.remaining(None), remaining_text(None)) == (SLA_ON_TIME, None, "—")
