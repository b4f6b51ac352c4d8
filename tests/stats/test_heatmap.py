"""The supervision heatmap's figures, checked against the hand-computed National Day story
(tests/stats/holiday.py), who sees what, and a query count that does not grow with the data."""
from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from govflow.applications.models import Case
from govflow.stats.heatmap import cell_cases, heatmap, median_of, quantile_of, scope_for, visible_offices

from ..stories import approve, submitted
from . import holiday

pytestmark = pytest.mark.django_db

PERIOD = {"date_from": date(2026, 9, 14), "date_to": date(2026, 10, 14)}


def scope(user, **filters):
    return scope_for(user, list(visible_offices(user)), **filters)


def table(result) -> dict:
    """{procedure: {column start: (decided, median, on-time %)}} of the non-empty cells."""
    return {row.procedure_code: {cell.column.start.isoformat(): (cell.decided, cell.median_days, cell.on_time_percent)
                                 for cell in row.cells if cell.decided}
            for row in result.rows if row.total.decided}


def test_weekly_cells_across_the_holiday_week(story, staff, on_today):
    result = heatmap(scope(staff), granularity="week", **PERIOD)
    assert [c.start.isoformat() for c in result.columns] == [
        "2026-09-14", "2026-09-21", "2026-09-28", "2026-10-05", "2026-10-12"]
    assert result.columns[-1].end == date(2026, 10, 14)  # clipped to the period
    assert table(result) == {
        "amr-licence": {"2026-09-21": (1, 1, 100), "2026-10-05": (2, 2, 50)},
        "psb-seal-filing": {"2026-10-12": (1, 1, 100)},
        "tax-registration": {"2026-10-12": (2, 2, 0)},
    }
    assert {row.procedure_code: row.overdue for row in result.rows} == {
        "amr-licence": 1, "psb-seal-filing": 2, "tax-registration": 1}
    assert [row.department_code for row in result.rows] == ["amr", "psb", "tax"]
    totals = {row.procedure_code: (row.total.decided, row.total.median_days, row.total.on_time) for row in result.rows}
    assert totals == {"amr-licence": (3, 1, 2), "psb-seal-filing": (1, 1, 1), "tax-registration": (2, 2, 0)}
    assert (result.total.decided, result.total.on_time, result.total.median_days) == (6, 3, 1.5)  # 1,1,1,2,2,3


def test_monthly_cells(story, staff, on_today):
    result = heatmap(scope(staff), granularity="month", **PERIOD)
    assert [(c.start.isoformat(), c.end.isoformat()) for c in result.columns] == [
        ("2026-09-14", "2026-09-30"), ("2026-10-01", "2026-10-14")]
    assert table(result) == {
        "amr-licence": {"2026-09-14": (1, 1, 100), "2026-10-01": (2, 2, 50)},
        "psb-seal-filing": {"2026-10-01": (1, 1, 100)},
        "tax-registration": {"2026-10-01": (2, 2, 0)},
    }


def test_the_colour_follows_the_on_time_share(story, staff, on_today):
    amr = heatmap(scope(staff), granularity="week", **PERIOD).rows[0]
    assert [cell.level for cell in amr.cells] == ["none", "good", "none", "poor", "none"]


def test_a_day_is_a_shanghai_day(story, staff, on_today):
    # Q's licence was decided on Sat 10-10 at 10:00 Shanghai (02:00 UTC): only a period holding
    # 10-10 counts it.
    one_day = heatmap(scope(staff), granularity="week", date_from=date(2026, 10, 10), date_to=date(2026, 10, 10))
    assert table(one_day) == {"amr-licence": {"2026-10-10": (1, 3, 0)}}
    next_day = heatmap(scope(staff), granularity="week", date_from=date(2026, 10, 11), date_to=date(2026, 10, 11))
    assert table(next_day) == {}


def test_filters_narrow_the_rows(story, staff, on_today):
    only_tax = heatmap(scope(staff, office="tax-330106"), granularity="month", **PERIOD)
    assert [row.procedure_code for row in only_tax.rows] == ["tax-registration"]
    newborn = heatmap(scope(staff, one_thing="newborn"), granularity="month", **PERIOD)
    assert newborn.rows == []
    assert scope(staff, office="nowhere") is None
    assert scope(staff, one_thing="nothing") is None


def test_a_supervisor_sees_their_offices_only(story, supervisor_sue_amr, on_today):
    result = heatmap(scope(supervisor_sue_amr), granularity="week", **PERIOD)
    assert [row.procedure_code for row in result.rows] == ["amr-licence"]
    assert scope(supervisor_sue_amr, office="tax-330106") is None  # not theirs: nothing to choose


@pytest.mark.parametrize("role", ["citizen", "clerk"])
def test_only_staff_and_supervisors(role, citizen_alice, clerk_bob_amr):
    user = {"citizen": citizen_alice, "clerk": clerk_bob_amr}[role]
    with pytest.raises(PermissionDenied):
        visible_offices(user)


def test_the_cases_behind_a_cell(story, staff, on_today):
    week = cell_cases(scope(staff), procedure="amr-licence", state="decided",
                      date_from=date(2026, 10, 5), date_to=date(2026, 10, 11))
    assert [c.application.number for c in week] == [story["Q"].number, story["R"].number]
    overdue = cell_cases(scope(staff), procedure="psb-seal-filing", state="overdue")
    assert [c.application.number for c in overdue] == [story["P"].number, story["R"].number]


def test_quantiles_of_a_histogram():
    assert median_of({}) is None
    assert median_of({3: 1}) == 3
    assert median_of({1: 1, 3: 1}) == 2
    assert median_of({1: 3, 2: 2, 3: 1}) == 1.5
    assert quantile_of({0: 9, 10: 1}, 0.9) == 1.0  # rank 8.1 between 0 and 10
    assert quantile_of({1: 1, 2: 1, 3: 1, 4: 1, 5: 1, 6: 1, 7: 1, 8: 1, 9: 1, 10: 1}, 0.9) == 9.1


def test_queries_do_not_grow_with_the_data(story, staff, supervisor_sue_amr, citizen_alice, clerks, on_today,
                                           django_assert_max_num_queries):
    def count(user) -> int:
        offices = list(visible_offices(user))
        with django_assert_max_num_queries(4) as captured:
            heatmap(scope_for(user, offices, office=offices[0].code), granularity="week", **PERIOD)
        return len(captured.captured_queries)

    before = (count(staff), count(supervisor_sue_amr))
    with time_machine.travel(holiday.at(10, 13, 15), tick=False):
        for _ in range(5):
            approve(submitted(citizen_alice, "business-startup", answers=holiday.SOLO), "amr-licence", clerks["amr"])
    assert Case.objects.filter(procedure_code="amr-licence", decided_at__isnull=False).count() == 8
    assert (count(staff), count(supervisor_sue_amr)) == before


def test_where_time_goes_per_procedure(story, staff, on_today, django_assert_max_num_queries):
    from govflow.stats.stages import where_time_goes

    staff_scope = scope(staff)
    with django_assert_max_num_queries(6):  # five stages, the procedures' names
        rows = where_time_goes(staff_scope, **PERIOD)
    found = {row.procedure_code: (row.decided, row.stages) for row in rows}
    # amr: P (prereq 0, queue 1, review 0), Q (0, 3, 0), R (0, 1, 0); committed 1 day each
    assert found["amr-licence"] == (3, [("prerequisites", 0, 0), ("queue", 1, 2.6), ("review", 0, 0),
                                        ("paused", 0, 0), ("committed", 1, 1)])
    # tax: Q (prereq 3, queue 2, review 0, paused 0), R (1, 1, 2 − 1 = 1, paused 1)
    assert found["tax-registration"] == (2, [("prerequisites", 2, 2.8), ("queue", 1.5, 1.9), ("review", 0.5, 0.9),
                                             ("paused", 0.5, 0.9), ("committed", 1, 1)])
