"""stats_for: the figures of a dated story, who sees what, and a bounded number of queries."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from govflow.accounts.models import Role
from govflow.applications.models import Application, Case, CaseStatus
from govflow.catalog.models import Department
from govflow.stats.selectors import stats_for, stats_office_ids

from ..factories import MembershipFactory
from . import scenario

pytestmark = pytest.mark.django_db

MARCH = {"date_from": date(2026, 3, 1), "date_to": date(2026, 3, 9)}


@pytest.fixture
def story(citizen_alice, citizen_carol, clerks):
    return scenario.build(alice=citizen_alice, carol=citizen_carol, clerks=clerks)


@pytest.fixture
def on_today():
    with time_machine.travel(scenario.TODAY, tick=False):
        yield


def by_code(result: dict) -> dict:
    return {row["department"]["code"]: {k: v for k, v in row.items() if k != "department"}
            for row in result["by_department"]}


def test_staff_see_every_department(story, staff, on_today):
    result = stats_for(user=staff, **MARCH)
    assert {k: v for k, v in result.items() if k != "by_department"} == {
        "submitted": 3, "completed": 1, "in_progress": 2, "overdue": 3,
        "sla_met_ratio": 0.8333, "avg_working_days": 1.0, "satisfaction_avg": 4.0,
        "by_channel": {"online": 3, "counter": 0, "api": 0},
        "by_instrument": {"deferred": 0, "commitment": 0, "offer": 0, "grant": 0},
    }
    assert by_code(result) == scenario.STAFF_BY_DEPARTMENT
    assert [row["department"]["code"] for row in result["by_department"]] == sorted(scenario.STAFF_BY_DEPARTMENT)


def test_a_supervisor_sees_only_their_departments(story, supervisor_sue_amr, on_today):
    result = stats_for(user=supervisor_sue_amr, **MARCH)
    # A and B have a Market Regulation case; C (newborn) has none.
    assert {k: v for k, v in result.items() if k != "by_department"} == {
        "submitted": 2, "completed": 1, "in_progress": 1, "overdue": 0,
        "sla_met_ratio": 1.0, "avg_working_days": 0.5, "satisfaction_avg": 4.0,
        "by_channel": {"online": 2, "counter": 0, "api": 0},
        "by_instrument": {"deferred": 0, "commitment": 0, "offer": 0, "grant": 0},
    }
    assert by_code(result) == {"amr": scenario.STAFF_BY_DEPARTMENT["amr"]}


def test_a_supervisor_of_two_departments_sees_both_but_not_where_they_are_a_clerk(
        story, supervisor_sue_amr, on_today):
    MembershipFactory(user=supervisor_sue_amr, department=Department.objects.get(code="health"),
                              role=Role.SUPERVISOR)
    MembershipFactory(user=supervisor_sue_amr, department=Department.objects.get(code="tax"),
                              role=Role.CLERK)
    result = stats_for(user=supervisor_sue_amr, **MARCH)
    assert set(by_code(result)) == {"amr", "health"}
    assert result["submitted"] == 3 and result["overdue"] == 1  # C's birth certificate case


def test_the_range_selects_by_submission_day(story, staff, on_today):
    february = stats_for(user=staff, date_from=date(2026, 2, 27), date_to=date(2026, 2, 28))
    assert february["submitted"] == 1 and february["in_progress"] == 1 and february["completed"] == 0
    assert february["overdue"] == 1  # D's licence case, due 03-02
    assert february["sla_met_ratio"] is None and february["avg_working_days"] is None
    assert february["satisfaction_avg"] is None
    assert stats_for(user=staff, date_from=date(2026, 3, 3), date_to=date(2026, 3, 4))["submitted"] == 1
    assert stats_for(user=staff, date_from=date(2026, 3, 10), date_to=date(2026, 3, 31))["submitted"] == 0


def test_days_are_shanghai_days(story, staff, on_today):
    # 00:30 in Shanghai on 03-10 is still 03-09 in UTC: it belongs to 03-10.
    d = story["D"]
    Application.objects.filter(pk=d.pk).update(submitted_at=scenario.at(3, 10, 0, 30))
    assert stats_for(user=staff, date_from=date(2026, 3, 10), date_to=date(2026, 3, 10))["submitted"] == 1
    assert stats_for(user=staff, date_from=date(2026, 3, 9), date_to=date(2026, 3, 9))["submitted"] == 0
    # 23:30 on 03-09 in Shanghai belongs to 03-09.
    Application.objects.filter(pk=d.pk).update(submitted_at=scenario.at(3, 9, 23, 30))
    assert stats_for(user=staff, date_from=date(2026, 3, 9), date_to=date(2026, 3, 9))["submitted"] == 1


def test_drafts_never_count(citizen_alice, demo_catalog, staff, on_today):
    from ..stories import draft

    draft(citizen_alice, "newborn")
    result = stats_for(user=staff, **MARCH)
    assert result["submitted"] == 0 and result["overdue"] == 0


def test_with_nothing_submitted_the_rates_are_null(demo_catalog, staff, on_today):
    result = stats_for(user=staff, **MARCH)
    assert result["submitted"] == result["completed"] == result["in_progress"] == result["overdue"] == 0
    assert result["sla_met_ratio"] is None and result["avg_working_days"] is None
    assert result["satisfaction_avg"] is None
    assert len(result["by_department"]) == Department.objects.count()


def test_the_figures_are_those_stored_at_the_decision(story, staff, on_today):
    # The working days and on-time flag are fixed when the case is decided: a later change of the
    # pause (or of the calendar) does not rewrite history.
    Case.objects.filter(application=story["A"], procedure_code="tax-registration").update(paused_working_days=9)
    assert by_code(stats_for(user=staff, **MARCH))["tax"]["avg_working_days"] == 1.5
    Case.objects.filter(application=story["A"], procedure_code="tax-registration").update(working_days_used=0,
                                                                                          on_time=True)
    tax = by_code(stats_for(user=staff, **MARCH))["tax"]
    assert (tax["avg_working_days"], tax["sla_met_ratio"]) == (0.5, 1.0)  # (0 + 1) / 2, both on time


def test_a_case_waiting_for_the_citizen_is_not_overdue(story, staff, on_today):
    Case.objects.filter(application=story["C"]).update(status=CaseStatus.CORRECTION_REQUESTED)
    assert by_code(stats_for(user=staff, **MARCH))["health"]["overdue"] == 0


@pytest.mark.parametrize("role", ["citizen", "clerk", "anonymous"])
def test_only_staff_and_supervisors_get_figures(role, citizen_alice, clerk_bob_amr):
    from django.contrib.auth.models import AnonymousUser

    user = {"citizen": citizen_alice, "clerk": clerk_bob_amr, "anonymous": AnonymousUser()}[role]
    with pytest.raises(PermissionDenied):
        stats_office_ids(user)
    with pytest.raises(PermissionDenied):
        stats_for(user=user, **MARCH)


def test_the_number_of_queries_does_not_grow_with_the_data(story, staff, supervisor_sue_amr, citizen_alice, clerks,
                                                           on_today, django_assert_max_num_queries):
    # staff: aggregate, grouped counts (decisions' stored figures included), departments (3);
    # a supervisor adds their memberships (4). The calendar is not read.
    with django_assert_max_num_queries(3):
        stats_for(user=staff, **MARCH)
    with django_assert_max_num_queries(4):
        stats_for(user=supervisor_sue_amr, **MARCH)

    from ..stories import approve, submitted

    with time_machine.travel(scenario.at(3, 9, 9), tick=False):
        for _ in range(3):
            app = submitted(citizen_alice, "newborn")
            approve(app, "health-birth-certificate", clerks["health"])
    with django_assert_max_num_queries(3):
        result = stats_for(user=staff, **MARCH)
    assert result["submitted"] == 6


def test_a_long_range_counts_everything_in_it(story, staff, on_today):
    result = stats_for(user=staff, date_from=date(2025, 3, 10), date_to=date(2025, 3, 10) + timedelta(days=365))
    assert result["submitted"] == 4  # D (02-27) included


def test_extreme_dates_do_not_overflow(staff, demo_catalog):
    assert stats_for(user=staff, date_from=date(9999, 12, 1), date_to=date.max)["submitted"] == 0


def test_staff_who_also_supervise_see_everything(story, supervisor_sue_amr, on_today):
    supervisor_sue_amr.is_staff = True
    supervisor_sue_amr.save(update_fields=["is_staff"])
    assert stats_office_ids(supervisor_sue_amr) is None
    assert stats_for(user=supervisor_sue_amr, **MARCH)["submitted"] == 3
