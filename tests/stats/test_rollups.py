"""The daily rollup of decided cases (govflow/stats/rollups.py): the heatmap and "where time goes"
give the same figures from it as counted live, over the National Day story (tests/stats/holiday.py:
a holiday week and two make-up working days); rebuilding is idempotent, catches up after a gap and
picks up an approval revoked later; the number of queries does not grow with the data; the pages
say how fresh the rollup is."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import Client

from govflow.applications.models import Case
from govflow.applications.revocation import revoke_case
from govflow.stats import rollups
from govflow.stats.heatmap import heatmap, scope_for, visible_offices
from govflow.stats.models import CompletionDay, DecisionDay, RatingDay, RollupState
from govflow.stats.ratings import BY, ratings_by
from govflow.stats.reform import instrument_counts, reform_figures
from govflow.stats.stages import critical_paths, where_time_goes
from govflow.stats.tasks import refresh_rollups

from ..factories import MembershipFactory, UserFactory
from ..stories import approve, submitted
from . import holiday

pytestmark = pytest.mark.django_db

PERIOD = {"date_from": date(2026, 9, 14), "date_to": date(2026, 10, 14)}
PAGES = ("/workbench/stats/", "/workbench/stats/time/", "/workbench/stats/reform/", "/workbench/stats/ratings/")
FILTERS = ({}, {"office": "amr-330106"}, {"one_thing": "business-startup"}, {"division": "330106"})


def scope(user, **filters):
    found = scope_for(user, list(visible_offices(user)), **filters)
    assert found is not None, filters
    return found


def heatmap_figures(result) -> tuple:
    def cell(c) -> tuple:
        return (c.decided, c.on_time, dict(sorted(c.days.items())), c.median_days, c.on_time_rate)

    return ([(row.department_code, row.procedure_code, row.procedure_name, row.overdue, cell(row.total),
              [cell(c) for c in row.cells]) for row in result.rows],
            cell(result.total), [cell(c) for c in result.column_totals])


def time_figures(rows) -> list:
    return [(r.department_code, r.procedure_code, r.decided, r.stages) for r in rows]


def everything(user, period=PERIOD, fresh=None) -> dict:
    """Every figure the two pages show, for each filter and both granularities (``fresh``: the
    split given as dates, as the pages do, instead of a subquery)."""
    found = {}
    for filters in FILTERS:
        key = tuple(filters.items())
        for granularity in ("week", "month"):
            found[(key, granularity)] = heatmap_figures(heatmap(scope(user, **filters), granularity=granularity,
                                                                fresh=fresh, **period))
        found[(key, "time")] = time_figures(where_time_goes(scope(user, **filters), fresh=fresh, **period))
    return found


def counted_live(figures):
    """``figures()`` as counted without the rollup (its state removed, then put back)."""
    with transaction.atomic():
        RollupState.objects.all().delete()
        found = figures()
        transaction.set_rollback(True)
    return found


def stored_rows() -> list[tuple]:
    return sorted(DecisionDay.objects.values_list("day", "office_id", "procedure_id", "one_thing_id", "stage",
                                                  "days", "cases", "on_time"),
                  key=lambda r: tuple(str(v) for v in r))


def test_the_rollup_gives_the_live_figures_across_the_holiday(story, staff, on_today):
    live = everything(staff)
    assert rollups.freshness() == rollups.Freshness()
    assert live[((), "week")][1][0] == 6  # six decisions in the period (the story's table)

    done = rollups.refresh()
    assert done.freshness.through == date(2026, 10, 13)  # yesterday: today is counted live
    assert done.date_from == date(2026, 9, 21)  # the first decision (the make-up working day 09-20 had none)
    assert DecisionDay.objects.filter(stage="used").values_list("day", flat=True).distinct().count() == 5
    assert everything(staff) == live
    # A period the rollup covers entirely, and one it does not reach at all.
    covered = {"date_from": date(2026, 9, 14), "date_to": date(2026, 10, 12)}
    assert DecisionDay.objects.exists()
    RollupState.objects.all().delete()
    live_covered = everything(staff, covered)
    rollups.refresh()
    assert everything(staff, covered) == live_covered


def test_the_rollup_splits_a_period_at_any_day(story, staff, on_today):
    live = everything(staff)
    for through in (date(2026, 9, 20), date(2026, 10, 9), date(2026, 10, 10), date(2026, 10, 12)):
        RollupState.objects.all().delete()
        DecisionDay.objects.all().delete()
        with time_machine.travel(holiday.at(through.month, through.day) + timedelta(days=1), tick=False):
            rollups.refresh()
        assert rollups.freshness().through == through
        assert everything(staff) == live, through
        assert everything(staff, fresh=rollups.freshness()) == live, through


def test_a_supervisor_sees_the_same_figures_from_the_rollup(story, supervisor_sue_amr, on_today):
    def figures() -> dict:
        return {key: heatmap_figures(heatmap(scope(supervisor_sue_amr), granularity=key, **PERIOD))
                for key in ("week", "month")}

    live = figures()
    rollups.refresh()
    assert figures() == live


def test_rebuilding_is_idempotent(story, on_today):
    rollups.refresh()
    first = stored_rows()
    assert first
    rollups.refresh()
    assert stored_rows() == first
    rollups.rebuild(date(2026, 9, 1), date(2026, 10, 13))
    rollups.rebuild(date(2026, 10, 10), date(2026, 10, 10))
    assert stored_rows() == first
    call_command("stats_rollup", "--since", "2026-09-01", stdout=open("/dev/null", "w"))
    assert stored_rows() == first


def test_the_job_catches_up_after_a_gap(story, staff, on_today):
    live = everything(staff)
    with time_machine.travel(holiday.at(10, 1), tick=False):  # the job ran on 10-01, then stopped
        rollups.refresh()
    assert rollups.freshness().through == date(2026, 9, 30)
    before = {day for day in DecisionDay.objects.values_list("day", flat=True)}
    assert before == {date(2026, 9, 21)}
    assert everything(staff) == live  # 10-01 … 10-14 counted live meanwhile

    done = rollups.refresh()  # back on 10-14: every day since 10-01 is rebuilt
    assert (done.date_from, done.date_to) == (date(2026, 10, 1), date(2026, 10, 13))
    assert rollups.freshness().through == date(2026, 10, 13)
    assert everything(staff) == live
    caught_up = stored_rows()
    DecisionDay.objects.all().delete()
    rollups.rebuild(date(2026, 9, 1), date(2026, 10, 13))
    assert stored_rows() == caught_up


def test_the_job_rebuilds_the_recent_days_and_the_day_of_a_revoked_approval(story, staff, clerks, on_today,
                                                                               settings):
    settings.GOVFLOW_STATS_ROLLUP_RECENT_DAYS = 2
    rollups.refresh()
    licence = Case.objects.get(application=story["P"], procedure_code="amr-licence")  # decided 09-21
    revoke_case(case=licence, reason="The premises commitment was found false.", actor=clerks["amr"],
                cause="commitment_false")
    live = counted_live(lambda: everything(staff))
    assert live[((), "week")][1][0] == 5  # a revoked case is no longer a decision
    assert everything(staff)[((), "week")][1][0] == 6  # until the job rebuilds its day
    with time_machine.travel(holiday.TODAY + timedelta(hours=1), tick=False):
        done = rollups.refresh()
    assert (done.date_from, done.date_to) == (date(2026, 10, 12), date(2026, 10, 13))  # the recent days
    assert done.late_days == (date(2026, 9, 21),)
    assert everything(staff) == live


def test_queries_do_not_grow_with_the_data(story, staff, citizen_alice, clerks, on_today,
                                           django_assert_max_num_queries):
    def count() -> tuple[int, int]:
        user_scope = scope(staff)
        with django_assert_max_num_queries(3) as hm:  # histogram (rollup ∪ live), overdue, names
            heatmap(user_scope, granularity="week", **PERIOD)
        with django_assert_max_num_queries(3) as wt:  # rollup, live, names
            where_time_goes(user_scope, **PERIOD)
        return len(hm.captured_queries), len(wt.captured_queries)

    rollups.refresh()
    before = count()
    with time_machine.travel(holiday.at(10, 12, 15), tick=False):
        for _ in range(4):
            approve(submitted(citizen_alice, "business-startup", answers=holiday.SOLO), "amr-licence", clerks["amr"])
    with time_machine.travel(holiday.at(10, 14, 11), tick=False):
        approve(submitted(citizen_alice, "business-startup", answers=holiday.SOLO), "amr-licence", clerks["amr"])
    rollups.refresh()
    assert count() == before


def test_the_pages_say_how_fresh_the_figures_are(story, staff, on_today):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(staff)
    for path in PAGES:
        page = client.get(path, {"date_from": "2026-09-14", "date_to": "2026-10-14"}).content.decode()
        assert "Every figure is counted live" in page
    with time_machine.travel(holiday.at(10, 14, 1), tick=False):
        rollups.refresh()
    for path in PAGES:
        page = client.get(path, {"date_from": "2026-09-14", "date_to": "2026-10-14"}).content.decode()
        assert 'data-freshness="2026-10-13"' in page
        assert "Figures up to 2026-10-13 come from the daily summary, updated 2026-10-14 01:00" in page


def test_the_beat_task_and_the_command(story, on_today):
    assert refresh_rollups(period=3600)["to"] == "2026-10-13"
    assert refresh_rollups(period=3600) is None  # once per period
    with pytest.raises(CommandError):
        call_command("stats_rollup", "--since", "yesterday")


@pytest.fixture
def supervisor(demo_catalog):
    from govflow.catalog.models import Office

    user = UserFactory(username="rollup-super-amr")
    MembershipFactory(user=user, office=Office.objects.get(code="amr-330106"), role="supervisor")
    return user


def reform_and_ratings(user, period=PERIOD, fresh=None) -> dict:
    """Every figure of the reform, critical path and ratings pages, for each filter."""
    def line(r) -> tuple:
        return (r.code, r.split, r.applications, r.totals)

    found = {}
    for filters in FILTERS:
        s = scope(user, **filters)
        key = tuple(filters.items())
        lines, total = reform_figures(s, fresh=fresh, **period)
        found[(key, "reform")] = ([line(r) for r in lines], line(total))
        lines, total = reform_figures(s, split_by=("channel",), fresh=fresh, **period)
        found[(key, "reform-channel")] = ([line(r) for r in lines], line(total))
        found[(key, "instruments")] = instrument_counts(s, fresh=fresh, **period)
        found[(key, "paths")] = [(p.code, p.applications, p.within, sorted(p.committed), p.days, p.median, p.p90)
                                 for p in critical_paths(s, fresh=fresh, **period)]
        for by in BY:
            found[(key, by)] = [(r.key, r.label, r.counts, r.ratings, r.bad, r.answered, r.contacted)
                                for r in ratings_by(s, by, fresh=fresh, **period)]
    return found


def test_the_reform_and_ratings_figures_are_the_same_from_the_rollup(citizen_alice, clerks, supervisor, staff,
                                                                      on_today):
    holiday.rated(alice=citizen_alice, clerks=clerks, supervisor=supervisor)
    short = {"date_from": date(2026, 9, 14), "date_to": date(2026, 10, 13)}
    live = {(user.pk, name): reform_and_ratings(user, period) for user in (staff, supervisor)
            for name, period in (("period", PERIOD), ("short", short))}
    assert live[(staff.pk, "period")][((), "reform")][1][2] == 2  # Q and T completed
    assert live[(staff.pk, "period")][((), "office")]  # rated
    for through in (date(2026, 10, 12), date(2026, 10, 13)):
        RollupState.objects.all().delete()
        with time_machine.travel(holiday.at(through.month, through.day) + timedelta(days=1), tick=False):
            rollups.refresh()
        assert rollups.freshness().through == through
        for user in (staff, supervisor):
            for name, period in (("period", PERIOD), ("short", short)):
                assert reform_and_ratings(user, period) == live[(user.pk, name)], (through, user, name)
                assert reform_and_ratings(user, period, rollups.freshness()) == live[(user.pk, name)], (through, name)
    assert CompletionDay.objects.filter(day=date(2026, 10, 13)).exists()
    assert set(RatingDay.objects.values_list("by", flat=True)) == set(BY)
