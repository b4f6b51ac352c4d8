"""The reform's figures and 好差评 over the National Day story (tests/stats/holiday.py ``rated``):
Q and T ("start a business", solo) completed on 10-13; T rated 5, Q rated 1 and answered the
next working day."""
from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from govflow.applications.models import Application, Case
from govflow.catalog.models import Office, OneThing
from govflow.stats.heatmap import scope_for, visible_offices
from govflow.stats.ratings import bad_ratings, bad_ratings_queryset, public_ratings, ratings_by
from govflow.stats.reform import reform_figures
from govflow.stats.stages import critical_paths

from ..factories import MembershipFactory, UserFactory
from . import holiday

pytestmark = pytest.mark.django_db

PERIOD = {"date_from": date(2026, 9, 14), "date_to": date(2026, 10, 14)}
#: What one "start a business" application saves by the demo definition (the API's savings):
#: 5 procedures → 4 applications fewer; fields 44 − 21; materials 14 − 7; visits 5 − 0;
#: days 45 statutory − 3 committed.
ONE_BUSINESS = {"applications_saved": 4, "fields_saved": 23, "materials_saved": 7, "visits_saved": 5,
                "days_saved": 42}


@pytest.fixture
def supervisor(demo_catalog):
    user = UserFactory(username="super-amr-xh")
    MembershipFactory(user=user, office=Office.objects.get(code="amr-330106"), role="supervisor")
    return user


@pytest.fixture
def story(citizen_alice, clerks, supervisor):
    return holiday.rated(alice=citizen_alice, clerks=clerks, supervisor=supervisor)


def scope(user, **filters):
    return scope_for(user, list(visible_offices(user)), **filters)


def test_reform_figures_total_and_per_application(story, staff, on_today, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        lines, total = reform_figures(scope(staff), **PERIOD)
    assert [(line.code, line.applications) for line in lines] == [("business-startup", 2)]
    assert total.totals == {key: 2 * value for key, value in ONE_BUSINESS.items()}
    assert total.per_application == ONE_BUSINESS


def test_reform_figures_count_completion_in_the_period(story, staff, on_today):
    _lines, total = reform_figures(scope(staff), date_from=date(2026, 10, 14), date_to=date(2026, 10, 14))
    assert total.applications == 0 and total.per_application["days_saved"] is None
    lines, _total = reform_figures(scope(staff, one_thing="newborn"), **PERIOD)
    assert lines == []


def test_reform_figures_split_by_a_column(story, staff, on_today):
    lines, _total = reform_figures(scope(staff), split_by=("channel",), **PERIOD)
    assert [(line.code, line.split, line.applications) for line in lines] == [("business-startup", ("online",), 2)]


def test_reform_figures_of_a_supervisor_are_their_offices_applications(story, supervisor, on_today):
    _lines, total = reform_figures(scope(supervisor), **PERIOD)
    assert total.applications == 2  # both have a Market Regulation case at Xihu
    health = UserFactory(username="super-health")
    MembershipFactory(user=health, office=Office.objects.get(code="health-330106"), role="supervisor")
    assert reform_figures(scope(health), **PERIOD)[1].applications == 0  # no health case in them


@pytest.mark.parametrize("by", ["office", "procedure", "clerk"])
def test_ratings_by_office_procedure_and_clerk(story, staff, on_today, by):
    rows = ratings_by(scope(staff), by, **PERIOD)
    assert len(rows) == 3  # amr, psb, tax (offices, procedures, their clerks)
    for row in rows:
        # each counts the two ratings once, however many cases of theirs an application had
        assert (row.ratings, row.counts, row.average, row.bad, row.answered, row.answered_share) == (
            2, {1: 1, 2: 0, 3: 0, 4: 0, 5: 1}, 3.0, 1, 1, 1.0)


def test_every_bad_rating_with_its_follow_up(story, staff, supervisor, on_today):
    rows = bad_ratings(bad_ratings_queryset(scope(staff), **PERIOD))
    assert [(r.number, r.score, r.comment, r.follow_up_note, r.answered_by, r.working_days_to_answer)
            for r in rows] == [(story["Q"].number, 1, "节前提交，节后才办", "已致电申请人说明假期安排",
                                supervisor.username, 1)]
    assert bad_ratings(bad_ratings_queryset(scope(staff), date_from=date(2026, 10, 14),
                                            date_to=date(2026, 10, 14))) == []


def test_the_public_summary_has_counts_and_the_answered_share(story, on_today, django_assert_num_queries):
    business = OneThing.objects.get(code="business-startup")
    with django_assert_num_queries(1):
        summary = public_ratings(business)
    assert (summary.counts, summary.ratings, summary.bad, summary.answered_percent) == (
        {1: 1, 2: 0, 3: 0, 4: 0, 5: 1}, 2, 1, 100)
    newborn = public_ratings(OneThing.objects.get(code="newborn"))
    assert (newborn.ratings, newborn.answered_percent) == (0, None)

# -- whole applications against the commitment (the critical path) --------------------------------
# Whole applications against the one thing's commitment, over the National Day story
# (tests/stats/holiday.py ``rated``), computed by hand with the 2026 calendar (days off 10-01 to
# 10-07; Saturday 10-10 a make-up working day):
#
# - Q, submitted Wed 09-30: the licence queued 09-30 (0 working days waiting) and approved Sat 10-10
#   (10-08, 10-09, 10-10: 3); the seal filing queued 10-10 (3 waiting), approved Mon 10-12 (1) → 4;
#   the tax registration queued 10-10 (3), approved Tue 10-13 (10-12, 10-13: 2) → 5. Its critical
#   path is 5 working days, the same as submission 09-30 to completion 10-13 (10-08, 10-09, 10-10,
#   10-12, 10-13): across the holiday week, the make-up Saturday counted.
# - T, submitted Mon 10-12: the licence approved the same day (0), the seal filing and the tax
#   registration queued 10-12 and approved 10-13 (1) → 1.
#
# "Start a business" commits to 3 working days: T is within, Q is not. Median of {1, 5}: 3;
# 90th percentile: 1 + 0.9 × 4 = 4.6.

QUERY = "date_from=2026-09-14&date_to=2026-10-14"


def test_the_critical_path_of_each_application_against_the_commitment(story, staff, on_today,
                                                                       django_assert_num_queries):
    everything = scope(staff)
    with django_assert_num_queries(2):  # applications by version and path; the versions
        rows = critical_paths(everything, **PERIOD)
    [row] = rows
    assert (row.code, row.applications, row.committed_text) == ("business-startup", 2, "3")
    assert row.days == {5: 1, 1: 1}
    assert (row.median, row.p90, row.within, row.within_share) == (3, 4.6, 1, 0.5)


def test_the_stored_figures_behind_q(story):
    figures = {c.procedure_code: (c.prerequisite_working_days, c.working_days_used)
               for c in Case.objects.filter(application=story["Q"])}
    assert figures == {"amr-licence": (0, 3), "psb-seal-filing": (3, 1), "tax-registration": (3, 2)}


def test_a_supervisor_sees_the_applications_of_their_offices(story, supervisor, on_today):
    [row] = critical_paths(scope(supervisor), **PERIOD)
    assert row.applications == 2  # both had their licence at Xihu's Market Regulation
    assert critical_paths(scope(supervisor), date_from=date(2026, 10, 14), date_to=date(2026, 10, 14)) == []


def test_the_page_and_its_downloads(client, story, staff, on_today):
    client.force_login(staff)
    html = client.get(f"/workbench/stats/time/?{QUERY}").content.decode()
    assert 'data-one-thing="business-startup"' in html and "1 (50%)" in html
    body = client.get(f"/workbench/stats/time/?{QUERY}&download=path").content.decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(body))) == [
        ["one_thing", "applications", "committed_days", "critical_path_median", "critical_path_p90",
         "within_commitment", "within_commitment_rate"],
        ["business-startup", "2", "3", "3", "4.6", "1", "0.5"]]
    xlsx = client.get(f"/workbench/stats/time/?{QUERY}&download=path&format=xlsx")
    assert xlsx.status_code == 200 and xlsx["Content-Type"].startswith("application/vnd.openxmlformats")


def _copies(application, n: int) -> None:
    """``n`` more completed applications like ``application``, with copies of its cases."""
    cases = list(Case.objects.filter(application=application))
    for i in range(n):
        copy = Application.objects.get(pk=application.pk)
        copy.pk, copy.number, copy.process_id = None, f"{application.number}-{i}", None
        copy.save()
        for case in cases:
            case.pk, case.application, case.task_id = None, copy, None
        Case.objects.bulk_create(cases)


def test_the_time_page_costs_the_same_queries_with_more_applications(client, story, staff, on_today):
    client.force_login(staff)

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/workbench/stats/time/?{QUERY}").status_code == 200
        return len(captured)

    small = count()
    _copies(story["Q"], 20)
    assert count() == small
    [row] = critical_paths(scope(staff), **PERIOD)
    assert (row.applications, row.days, row.within) == (22, {5: 21, 1: 1}, 1)
