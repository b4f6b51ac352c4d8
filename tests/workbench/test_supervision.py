"""The supervision pages (/workbench/stats/): the heatmap's numbers for the National Day story,
the cases behind a cell, who may see which offices (a city supervisor reads the districts below;
a district supervisor sees neither the city nor the other district), bad input, and a number of
queries that does not grow with the data."""
from __future__ import annotations

import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from govflow.applications.models import Case, CaseStatus
from govflow.catalog.models import Office

from ..factories import MembershipFactory, UserFactory
from ..stats import holiday
from .bulk import queued_cases

pytestmark = pytest.mark.django_db

STATS = "/workbench/stats/"
CASES = "/workbench/stats/cases/"
PERIOD = "date_from=2026-09-14&date_to=2026-10-14"
#: staff_for, visible offices, one things, histogram, overdue, procedures (+ session, user).
HEATMAP_BUDGET = 9


def member(username: str, office: str, role: str = "supervisor"):
    user = UserFactory(username=username)
    MembershipFactory(user=user, office=Office.objects.get(code=office), role=role)
    return user


@pytest.fixture
def story(citizen_alice, clerks):
    return holiday.build(alice=citizen_alice, clerks=clerks)


@pytest.fixture
def staff(db):
    return UserFactory(username="stats-staff", is_staff=True)


@pytest.fixture
def on_today():
    with time_machine.travel(holiday.TODAY, tick=False):
        yield


def cells(html: str, procedure: str) -> list[str]:
    """The text of a row's cells (tags stripped), from the department to the overdue count."""
    row = re.search(rf'<tr data-procedure="{procedure}">(.*?)</tr>', html, re.S).group(1)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", cell)).strip() for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)]


def test_the_heatmap_shows_numbers_and_colours(as_user, story, staff, on_today):
    response = as_user(staff).get(f"{STATS}?{PERIOD}")
    assert response.status_code == 200
    html = response.content.decode()
    # weeks 09-14, 09-21, 09-28, 10-05, 10-12; whole period; open overdue
    assert cells(html, "amr-licence")[2:] == ["–", "1 · 1 · 100%", "–", "2 · 2 · 50%", "–", "3 · 1 · 67%", "1"]
    assert cells(html, "tax-registration")[2:] == ["–", "–", "–", "–", "2 · 2 · 0%", "2 · 2 · 0%", "1"]
    assert 'data-level="poor"' in html and 'data-level="good"' in html
    # the chart of every procedure per week, and its numbers in a table
    by_column = re.search(r"data-by-column>.*?<tbody>(.*?)</tbody>", html, re.S).group(1)
    assert [re.sub(r"<[^>]+>", " ", r).split() for r in re.findall(r"<tr>(.*?)</tr>", by_column)] == [
        ["2026-09-14", "0", "–", "–"], ["2026-09-21", "1", "100%", "1"], ["2026-09-28", "0", "–", "–"],
        ["2026-10-05", "2", "50%", "2"], ["2026-10-12", "3", "33%", "2"]]
    assert re.search(r'<rect class="wb-bar wb-bar--poor" x="8" y="87" height="33"', html)


def test_months_as_columns(as_user, story, staff, on_today):
    html = as_user(staff).get(f"{STATS}?{PERIOD}&by=month").content.decode()
    assert cells(html, "amr-licence")[2:] == ["1 · 1 · 100%", "2 · 2 · 50%", "3 · 1 · 67%", "1"]


def test_a_cell_opens_its_cases(as_user, story, staff, on_today):
    client = as_user(staff)
    html = client.get(f"{STATS}?{PERIOD}").content.decode()
    row = re.search(r'<tr data-procedure="amr-licence">(.*?)</tr>', html, re.S).group(1)
    links = [link.replace("&amp;", "&") for link in re.findall(r'href="([^"]+)"', row)]
    week, _holiday_week, _total, overdue = links
    assert "date_from=2026-09-21&date_to=2026-09-27" in week
    page = client.get(week).content.decode()
    assert story["P"].number in page and story["Q"].number not in page
    page = client.get(overdue).content.decode()
    assert story["S"].number in page and story["Q"].number not in page


def test_the_default_period_ends_today(as_user, story, staff, on_today):
    html = as_user(staff).get(STATS).content.decode()
    assert "to 2026-10-14" in html
    assert cells(html, "tax-registration")[-2:] == ["2 · 2 · 0%", "1"]


@pytest.mark.parametrize("query", [
    "date_from=2026-10-14&date_to=2026-09-14",  # backwards
    "date_from=2025-01-01&date_to=2026-10-14",  # longer than a year
    "date_from=yesterday&date_to=2026-10-14",
    "date_from=2026-09-14&date_to=2026-10-14&by=day",
    "date_from=2026-09-14&date_to=2026-10-14&office=nowhere",
    "date_from=2026-09-14&date_to=2026-10-14&one_thing=nothing",
])
def test_bad_filters_are_a_400_with_the_form(as_user, story, staff, on_today, query):
    response = as_user(staff).get(f"{STATS}?{query}")
    assert response.status_code == 400
    assert b"wb-error" in response.content and b"data-heatmap" not in response.content


@pytest.mark.parametrize("query", ["", "procedure=amr-licence&state=lost", f"{PERIOD}&office=nowhere&procedure=x"])
def test_bad_case_lists_are_404(as_user, story, staff, on_today, query):
    assert as_user(staff).get(f"{CASES}?{query}").status_code == 404


def test_who_may_look(client, as_user, clerk_bob_amr, citizen_alice, demo_catalog):
    assert client.get(STATS).status_code == 302
    assert as_user(clerk_bob_amr).get(STATS).status_code == 403
    assert as_user(citizen_alice).get(STATS).status_code == 403
    assert as_user(clerk_bob_amr).get(f"{CASES}?procedure=amr-licence").status_code == 403


@pytest.fixture
def districts(demo_catalog, citizen_alice):
    """One overdue Market Regulation case in each of the two districts."""
    for code in ("amr-330102", "amr-330106"):
        case = queued_cases(1, applicant=citizen_alice, office=Office.objects.get(code=code))[0]
        Case.objects.filter(pk=case.pk).update(due_date="2026-10-01")
    return {
        "city": member("super-amr-hz", "amr-330100"),
        "xihu": member("super-amr-xh", "amr-330106"),
    }


def test_a_city_supervisor_reads_the_districts_a_district_supervisor_only_their_own(as_user, districts, on_today):
    city = as_user(districts["city"]).get(STATS).content.decode()
    assert cells(city, "amr-licence")[-1] == "2"
    assert 'value="amr-330102"' in city and 'value="amr-330106"' in city
    assert "<form method=\"post\"" not in city  # read-only
    xihu = as_user(districts["xihu"]).get(STATS).content.decode()
    assert cells(xihu, "amr-licence")[-1] == "1"
    assert 'value="amr-330102"' not in xihu and 'value="amr-330100"' not in xihu
    refused = as_user(districts["xihu"]).get(f"{STATS}?office=amr-330102")
    assert refused.status_code == 400
    assert as_user(districts["xihu"]).get(f"{CASES}?office=amr-330102&procedure=amr-licence&state=overdue"
                                          ).status_code == 404
    overdue = as_user(districts["xihu"]).get(f"{CASES}?procedure=amr-licence&state=overdue").content.decode()
    assert overdue.count("<tr><th scope=\"row\">GF-") == 1


def decided_in_bulk(n: int, applicant) -> None:
    cases = queued_cases(n, applicant=applicant, office=Office.objects.get(code="amr-330106"))
    Case.objects.filter(pk__in=[c.pk for c in cases]).update(
        status=CaseStatus.APPROVED, decided_at=holiday.at(10, 13), working_days_used=2, on_time=False, task=None)


def test_the_number_of_queries_does_not_grow_with_the_data(as_user, story, staff, citizen_alice, on_today):
    client = as_user(staff)

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"{STATS}?{PERIOD}").status_code == 200
        return len(captured)

    small = count()
    assert small <= HEATMAP_BUDGET
    decided_in_bulk(300, citizen_alice)
    assert count() == small
    html = client.get(f"{STATS}?{PERIOD}").content.decode()
    # week of 10-12: the 300 (none on time); whole period: 3 + 300 decided, 2 of them on time
    assert cells(html, "amr-licence")[6:8] == ["300 · 2 · 0%", "303 · 2 · 1%"]


def test_where_time_goes_page_and_csv(as_user, story, staff, on_today):
    client = as_user(staff)
    html = client.get(f"/workbench/stats/time/?{PERIOD}&one_thing=business-startup").content.decode()
    assert cells(html, "tax-registration")[1:] == ["2", "2 / 2.8", "1.5 / 1.9", "0.5 / 0.9", "0.5 / 0.9", "1 / 1"]
    body = client.get(f"/workbench/stats/time/?{PERIOD}&download=csv").content.decode("utf-8")
    assert "amr,amr-licence,3,0,0,1,2.6,0,0,0,0,1,1" in body
    assert client.get("/workbench/stats/time/?one_thing=nothing").status_code == 400


@pytest.mark.parametrize("path", ["/workbench/stats/time/", "/workbench/stats/reform/", "/workbench/stats/ratings/",
                                  "/workbench/stats/cases/?procedure=amr-licence&state=decided&"])
def test_every_supervision_page_costs_the_same_queries_at_two_sizes(as_user, story, staff, citizen_alice, on_today,
                                                                    path):
    client = as_user(staff)
    url = f"{path}{'&' if '?' in path else '?'}{PERIOD}".replace("&&", "&")

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    small = count()
    decided_in_bulk(300, citizen_alice)
    assert count() == small
