"""Oversight: a supervisor of Hangzhou's market regulation office (amr-330100) reads the board of
the districts' offices below it (amr-330102 Shangcheng, amr-330106 Xihu): their load, their
overdue work, their low ratings; read-only. They act only in their own office: no forms, no
links to task pages (which are 404 for them), and a posted action is refused and changes
nothing. A district supervisor sees neither the city's office nor the other district's."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from govflow.applications.models import Case, Evaluation, TimelineEntry
from govflow.catalog.calendar import add_working_days, local_date
from govflow.catalog.models import Office
from govflow.workbench.board import BOARD_OVERDUE_LIMIT

from ..factories import MembershipFactory, UserFactory
from .bulk import queued_cases
from .test_queries import BOARD_BUDGET, OVERDUE_BUDGET, queries

pytestmark = pytest.mark.django_db

BOARD = "/workbench/board/"
OVERDUE = "/workbench/board/overdue/"


def member(username: str, office: str, role: str = "clerk"):
    user = UserFactory(username=username)
    MembershipFactory(user=user, office=Office.objects.get(code=office), role=role)
    return user


def today():
    return local_date(timezone.now())


@pytest.fixture
def people(demo_catalog):
    return {
        "city": member("super-amr-hz", "amr-330100", role="supervisor"),
        "xihu": member("super-amr-xh", "amr-330106", role="supervisor"),
        "shangcheng": member("super-amr-sc", "amr-330102", role="supervisor"),
        "xihu-clerk": member("clerk-amr-xh", "amr-330106"),
        "shangcheng-clerk": member("clerk-amr-sc", "amr-330102"),
    }


@pytest.fixture
def work(people, citizen_alice):
    """Each district: overdue tasks queued and held, one on time; a low rating waiting for an answer."""
    found = {}
    for district, code in (("shangcheng", "330102"), ("xihu", "330106")):
        office = Office.objects.get(code=f"amr-{code}")
        late = queued_cases(2, applicant=citizen_alice, office=office, due=add_working_days(today(), -3))
        held = queued_cases(1, applicant=citizen_alice, office=office, due=add_working_days(today(), -2),
                            owner=people[f"{district}-clerk"])
        queued_cases(1, applicant=citizen_alice, office=office, due=add_working_days(today(), 5))
        rating = Evaluation.objects.create(application_id=late[0].application_id, score=1, needs_follow_up=True,
                                           comment=f"{district} 太慢")
        found[district] = {"late": late, "held": held, "rating": rating}
    return found


def task_links(html: str) -> list[str]:
    return re.findall(r'href="(/workbench/tasks/\d+/[^"]*)"', html)


def forms(html: str) -> list[str]:
    return re.findall(r'<form method="post" action="([^"]*)"', html)


@pytest.mark.parametrize("district", ["shangcheng", "xihu"])
def test_the_city_supervisor_reads_a_districts_board_without_forms_or_task_links(
        as_user, people, work, district):
    code = {"shangcheng": "amr-330102", "xihu": "amr-330106"}[district]
    response = as_user(people["city"]).get(BOARD, {"office": code})
    assert response.status_code == 200
    assert response.context["office"].code == code and response.context["read_only"]
    total = response.context["total"]
    assert (total.queued, total.in_review, total.overdue) == (3, 1, 3)
    clerk_rows = {row.key: row for row in response.context["clerks"]}
    assert clerk_rows[people[f"{district}-clerk"].pk].in_review == 1
    html = response.content.decode()
    late_numbers = {c.application.number for c in work[district]["late"] + work[district]["held"]}
    assert {row.number for row in response.context["overdue"]} == late_numbers
    assert all(number in html for number in late_numbers)
    assert "data-read-only" in html
    # Their rating is shown, without the form to answer it.
    assert f"{district} 太慢" in html
    assert [e.pk for e in response.context["follow_ups"]] == [work[district]["rating"].pk]
    assert task_links(html) == [] and forms(html) == []
    assert "/release/" not in html and "/assign/" not in html and "/follow-up/" not in html
    # The other district's work is not on this page.
    other = "xihu" if district == "shangcheng" else "shangcheng"
    assert work[other]["late"][0].application.number not in html


def test_the_held_list_and_the_overdue_page_of_an_overseen_office_are_read_only(as_user, people, work):
    client = as_user(people["city"])
    clerk = people["shangcheng-clerk"]
    response = client.get(BOARD, {"office": "amr-330102", "clerk": clerk.pk})
    assert [row.case_id for row in response.context["held"]] == [work["shangcheng"]["held"][0].pk]
    html = response.content.decode()
    assert work["shangcheng"]["held"][0].application.number in html
    assert task_links(html) == [] and forms(html) == []
    response = client.get(OVERDUE, {"office": "amr-330102"})
    assert response.status_code == 200 and response.context["read_only"]
    assert response.context["page"].paginator.count == 3
    html = response.content.decode()
    assert task_links(html) == [] and forms(html) == []


def test_the_supervisors_own_board_still_has_its_forms(as_user, people, work):
    """The district supervisor's own board (the control): links and forms on every overdue row."""
    response = as_user(people["shangcheng"]).get(BOARD)
    html = response.content.decode()
    assert response.context["office"].code == "amr-330102" and not response.context["read_only"]
    assert len(task_links(html)) == 3
    assert any(action.endswith("/assign/") for action in forms(html))
    assert reverse("workbench:follow-up", args=[work["shangcheng"]["rating"].pk]) in forms(html)


def test_the_office_select_lists_own_offices_first_then_the_overseen_ones(as_user, people, work):
    response = as_user(people["city"]).get(BOARD)
    assert response.context["office"].code == "amr-330100" and not response.context["read_only"]
    assert [(c.code, c.own) for c in response.context["choices"]] == [
        ("amr-330100", True), ("amr-330102", False), ("amr-330106", False)]
    html = response.content.decode()
    options = re.findall(r'<option value="([^"]+)"( selected)?>([^<]*)</option>', html)
    assert [(value, bool(selected)) for value, selected, _label in options] == [
        ("amr-330100", True), ("amr-330102", False), ("amr-330106", False)]
    assert [label.endswith("(oversight, read-only)") for _v, _s, label in options] == [False, True, True]


def test_a_supervisor_of_two_offices_sees_them_first_then_what_they_oversee(as_user, people, work):
    """Own offices come first even when an overseen one sorts before them."""
    both = people["city"]
    MembershipFactory(user=both, office=Office.objects.get(code="amr-330106"), role="supervisor")
    choices = as_user(both).get(BOARD).context["choices"]
    assert [(c.code, c.own) for c in choices] == [("amr-330100", True), ("amr-330106", True), ("amr-330102", False)]
    # a clerk membership gives no board of that office, nor oversight from it
    clerk_elsewhere = people["xihu"]
    MembershipFactory(user=clerk_elsewhere, office=Office.objects.get(code="amr-330100"))
    choices = as_user(clerk_elsewhere).get(BOARD).context["choices"]
    assert [(c.code, c.own) for c in choices] == [("amr-330106", True)]


@pytest.mark.parametrize(("who", "office"), [
    ("xihu", "amr-330100"), ("xihu", "amr-330102"), ("shangcheng", "amr-330100"), ("shangcheng", "amr-330106"),
    ("city", "tax-330106"), ("city", "amr-nowhere"),
])
def test_a_supervisor_sees_no_board_above_or_beside_their_office(as_user, people, work, who, office):
    client = as_user(people[who])
    assert client.get(BOARD, {"office": office}).status_code == 404
    assert client.get(OVERDUE, {"office": office}).status_code == 404


def test_a_district_supervisors_choices_are_their_own_office_only(as_user, people, work):
    for who, code in (("xihu", "amr-330106"), ("shangcheng", "amr-330102")):
        response = as_user(people[who]).get(BOARD)
        assert [(c.code, c.own) for c in response.context["choices"]] == [(code, True)]
        assert 'id="board-office"' not in response.content.decode()  # nothing to choose from


TASK_POSTS = [("claim", {}), ("release", {}), ("assign", {"assignee": "clerk"}),
              ("decide", {"decision": "reject", "comment": "x", "confirmed": "1"})]


def state(case: Case) -> tuple:
    fresh = Case.objects.select_related("task").get(pk=case.pk)
    return fresh.status, fresh.owner_id, fresh.task.status, fresh.task.owner_id, TimelineEntry.objects.count()


@pytest.mark.parametrize("district", ["shangcheng", "xihu"])
def test_an_overseen_offices_task_pages_and_actions_are_404_and_change_nothing(as_user, people, work, district):
    client = as_user(people["city"])
    queued, held = work[district]["late"][0], work[district]["held"][0]
    for case in (queued, held):
        assert client.get(reverse("workbench:task", args=[case.task_id])).status_code == 404
        for name, data in TASK_POSTS:
            data = {k: people[f"{district}-clerk"].pk if v == "clerk" else v for k, v in data.items()}
            before = state(case)
            response = client.post(reverse(f"workbench:{name}", args=[case.task_id]), {**data, "next": BOARD})
            assert response.status_code == 404, name
            assert state(case) == before


@pytest.mark.parametrize("office", ["amr-330102", "", "amr-330100"])
def test_answering_an_overseen_offices_low_rating_is_refused(as_user, people, work, office):
    """Posted with the overseen office (404 at the board), without one or with their own (the
    rating's application has no case in amr-330100: 404 from the service)."""
    rating = work["shangcheng"]["rating"]
    data = {"note": "已回访"} | ({"office": office} if office else {})
    response = as_user(people["city"]).post(reverse("workbench:follow-up", args=[rating.pk]), data)
    assert response.status_code == 404
    rating.refresh_from_db()
    assert (rating.followed_up_at, rating.follow_up_note, rating.followed_up_by) == (None, "", None)


def test_the_district_supervisor_answers_their_own_rating(as_user, people, work):
    rating = work["shangcheng"]["rating"]
    response = as_user(people["shangcheng"]).post(reverse("workbench:follow-up", args=[rating.pk]),
                                                  {"note": "已回访", "office": "amr-330102"})
    assert response.status_code == 302
    rating.refresh_from_db()
    assert rating.followed_up_by == people["shangcheng"]
    # …and the other district's supervisor may not
    other = work["xihu"]["rating"]
    assert as_user(people["shangcheng"]).post(reverse("workbench:follow-up", args=[other.pk]),
                                              {"note": "x"}).status_code == 404


# -- a constant number of queries -------------------------------------------------------------------


def test_an_overseen_offices_board_costs_the_same_with_1_and_with_400_tasks(as_user, people, citizen_alice):
    client = as_user(people["city"])
    office = Office.objects.get(code="amr-330102")
    clerk = people["shangcheng-clerk"]
    past = timezone.localdate() - timedelta(days=30)
    queued_cases(1, applicant=citizen_alice, due=past, office=office)
    queued_cases(1, applicant=citizen_alice, due=past, office=office, owner=clerk)
    one, _ = queries(client, BOARD, office="amr-330102", clerk=clerk.pk)
    queued_cases(199, applicant=citizen_alice, due=past, office=office)
    queued_cases(199, applicant=citizen_alice, due=past, office=office, owner=clerk)
    many, response = queries(client, BOARD, office="amr-330102", clerk=clerk.pk)
    # the overseen offices are one more query than a board without any
    assert one == many <= BOARD_BUDGET + 1, (one, many)
    assert len(response.context["overdue"]) == BOARD_OVERDUE_LIMIT and response.context["total"].overdue == 400
    assert len(response.context["held"]) == 100 and response.context["read_only"]

    first, _ = queries(client, OVERDUE, office="amr-330102")
    queued_cases(100, applicant=citizen_alice, due=past, office=office)
    more, response = queries(client, OVERDUE, office="amr-330102", page=3)
    assert first == more <= OVERDUE_BUDGET + 1, (first, more)
    assert response.context["page"].paginator.count == 500


def test_the_board_of_a_supervisor_overseeing_nothing_keeps_its_budget(as_user, people, citizen_alice):
    client = as_user(people["xihu"])
    queued_cases(3, applicant=citizen_alice, due=timezone.localdate() - timedelta(days=30))
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(BOARD).status_code == 200
    assert len(ctx.captured_queries) <= BOARD_BUDGET
