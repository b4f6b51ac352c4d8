"""Statistics per office: a supervisor of Hangzhou's market regulation office (amr-330100) counts
the cases of both districts' offices below it; a district supervisor counts only their own.

The story (March 2026, Monday–Friday working days; market regulation commits 1 working day):

- X (alice, Xihu, 03-02 Mon 10:00): amr-licence approved 03-03 by Xihu: on time.
- S1 (Shangcheng, 03-02 10:30): amr-licence still queued, due 03-03: overdue on 03-09.
- S2 (Shangcheng, 03-02 11:00): amr-licence approved 03-04 by Shangcheng: late.

Each business has no employees: psb and tax cases too, in their own districts' offices (not
market regulation's, so never in these supervisors' figures).
"""
from __future__ import annotations

from datetime import date

import pytest
import time_machine

from govflow.catalog.models import Division, Office
from govflow.stats.selectors import stats_for

from ..factories import CitizenFactory, MembershipFactory, UserFactory
from ..stories import BUSINESS_ANSWERS, approve, submitted
from .scenario import TODAY, at

pytestmark = pytest.mark.django_db

MARCH = {"date_from": date(2026, 3, 1), "date_to": date(2026, 3, 9)}


def member(username: str, office: str, role: str = "clerk"):
    user = UserFactory(username=username)
    MembershipFactory(user=user, office=Office.objects.get(code=office), role=role)
    return user


@pytest.fixture
def story(demo_catalog, citizen_alice):
    sc = CitizenFactory(username="sc-founder", residence=Division.objects.get(code="330102"))
    xihu_clerk, sc_clerk = member("clerk-amr-xh", "amr-330106"), member("clerk-amr-sc", "amr-330102")
    answers = {**BUSINESS_ANSWERS, "has_employees": False}
    with time_machine.travel(at(3, 2, 10), tick=False) as clock:
        x = submitted(citizen_alice, "business-startup", answers=answers)
        clock.move_to(at(3, 2, 10, 30))
        s1 = submitted(sc, "business-startup", answers=answers)
        clock.move_to(at(3, 2, 11))
        s2 = submitted(sc, "business-startup", answers=answers)
        clock.move_to(at(3, 3, 10))
        approve(x, "amr-licence", xihu_clerk)
        clock.move_to(at(3, 4, 10))
        approve(s2, "amr-licence", sc_clerk)
    assert {a.division.code for a in (s1, s2)} == {"330102"} and x.division.code == "330106"
    return {"X": x, "S1": s1, "S2": s2}


@pytest.fixture
def supervisors(demo_catalog):
    return {code: member(f"super-amr-{code}", f"amr-{code}", role="supervisor")
            for code in ("330100", "330106", "330102")}


@pytest.fixture
def on_today():
    with time_machine.travel(TODAY, tick=False):
        yield


def figures(result: dict) -> tuple:
    (amr,) = result["by_department"]
    assert amr["department"]["code"] == "amr"
    return (result["submitted"], result["overdue"], result["sla_met_ratio"],
            (amr["queued"], amr["in_review"], amr["overdue"], amr["approved"], amr["rejected"]))


@pytest.mark.parametrize(("office", "expected"), [
    # submitted, overdue, on time, (queued, in review, overdue, approved, rejected) of market regulation
    ("330100", (3, 1, 0.5, (1, 0, 1, 2, 0))),  # the city: both districts
    ("330106", (1, 0, 1.0, (0, 0, 0, 1, 0))),  # Xihu: X only
    ("330102", (2, 1, 0.0, (1, 0, 1, 1, 0))),  # Shangcheng: S1 and S2
])
def test_a_supervisor_counts_their_office_and_the_offices_below_it(story, supervisors, on_today, office, expected):
    assert figures(stats_for(user=supervisors[office], **MARCH)) == expected


def test_a_city_clerk_membership_oversees_nothing(story, supervisors, on_today):
    """Oversight comes with the supervisor role: a district supervisor who is also a clerk of the
    city office still counts their district only."""
    MembershipFactory(user=supervisors["330106"], office=Office.objects.get(code="amr-330100"))
    assert figures(stats_for(user=supervisors["330106"], **MARCH))[0] == 1


def test_the_city_supervisor_costs_no_more_queries_than_a_district_one(story, supervisors, on_today,
                                                                       django_assert_max_num_queries):
    # aggregate, grouped counts, decided cases, departments, memberships, calendar (6)
    for office in ("330100", "330106"):
        with django_assert_max_num_queries(6):
            stats_for(user=supervisors[office], **MARCH)
