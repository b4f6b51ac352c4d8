"""The department queue and "my tasks": who sees what, in which order, with which SLA state."""
from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from govflow.applications.models import Case
from govflow.applications.services import deciding
from govflow.catalog.calendar import add_working_days, local_date

from ..factories import MembershipFactory
from ..stories import approve, submitted
from .bulk import queued_cases

pytestmark = pytest.mark.django_db

QUEUE = "/workbench/"
MINE = "/workbench/mine/"


def numbers(response) -> list[str]:
    """Application numbers in table order."""
    return re.findall(r'data-row-link>(GF-\d{4}-\d+)</a>', response.content.decode())


def test_the_main_urls_are_where_other_checks_expect_them():
    assert reverse("workbench:queue") == "/workbench/"
    assert reverse("workbench:mine") == "/workbench/mine/"
    assert reverse("workbench:task", args=[42]) == "/workbench/tasks/42/"
    assert reverse("workbench:board") == "/workbench/board/"


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    response = client.get(QUEUE)
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/?next=/workbench/")


@pytest.mark.parametrize("url", [QUEUE, MINE, "/workbench/board/", "/workbench/next/"])
def test_citizens_are_refused_every_workbench_page(url, as_user, outsider_charlie):
    assert as_user(outsider_charlie).get(url).status_code == 403


def test_it_lists_the_unclaimed_tasks_of_my_department_only(as_user, business, clerks):
    amr = as_user(clerks["amr"]).get(QUEUE)
    assert amr.status_code == 200
    assert numbers(amr) == [business.number]
    assert "1 unclaimed task" in amr.content.decode()
    # The tax case waits for the licence: not in anybody's queue yet.
    assert numbers(as_user(clerks["tax"]).get(QUEUE)) == []


def test_the_dependent_case_reaches_the_next_department_once_approved(as_user, business, clerks):
    approve(business, "amr-licence", clerks["amr"])
    assert numbers(as_user(clerks["tax"]).get(QUEUE)) == [business.number]
    assert numbers(as_user(clerks["amr"]).get(QUEUE)) == []


def test_it_sorts_by_due_date_and_shows_the_sla_state_as_colour_and_text(on_a_working_day, as_user, citizen_alice,
                                                                         clerks):
    today = local_date(timezone.now())
    late = queued_cases(1, applicant=citizen_alice, due=add_working_days(today, -2))[0]
    later = queued_cases(1, applicant=citizen_alice, due=add_working_days(today, 4))[0]
    soon = queued_cases(1, applicant=citizen_alice, due=today)[0]
    response = as_user(clerks["amr"]).get(QUEUE)
    assert numbers(response) == [late.application.number, soon.application.number, later.application.number]
    html = response.content.decode()
    assert 'class="sla sla--overdue"' in html and "Overdue" in html and "2 working days overdue" in html
    assert 'class="sla sla--due_soon"' in html and "Due within 1 working day" in html and "due today" in html
    assert 'class="sla sla--on_time"' in html and "On time" in html and "4 working days left" in html


def test_it_filters_by_sla_state_procedure_and_application_number(as_user, citizen_alice, clerks):
    today = local_date(timezone.now())
    late = queued_cases(2, applicant=citizen_alice, due=add_working_days(today, -1))
    fine = queued_cases(3, applicant=citizen_alice, due=add_working_days(today, 6))
    client = as_user(clerks["amr"])
    assert numbers(client.get(QUEUE, {"sla": "overdue"})) == [c.application.number for c in late]
    assert numbers(client.get(QUEUE, {"sla": "on_time"})) == [c.application.number for c in fine]
    assert numbers(client.get(QUEUE, {"sla": "due_soon"})) == []
    assert len(numbers(client.get(QUEUE, {"procedure": "amr-licence"}))) == 5
    wanted = fine[1].application.number
    assert numbers(client.get(QUEUE, {"q": wanted})) == [wanted]
    assert numbers(client.get(QUEUE, {"q": wanted[-6:]})) == [wanted]  # the digits alone do
    # A stale or forged filter value is ignored, never an error.
    assert len(numbers(client.get(QUEUE, {"sla": "nonsense", "procedure": "tax-registration"}))) == 5


def test_it_paginates_fifty_to_a_page_and_keeps_the_filters(as_user, citizen_alice, clerks):
    queued_cases(120, applicant=citizen_alice)
    client = as_user(clerks["amr"])
    first = client.get(QUEUE)
    assert len(numbers(first)) == 50
    assert "Page 1 of 3" in first.content.decode()
    third = client.get(QUEUE, {"page": 3})
    assert len(numbers(third)) == 20
    filtered = client.get(QUEUE, {"procedure": "amr-licence"})
    assert "procedure=amr-licence&amp;page=2" in filtered.content.decode()
    assert client.get(QUEUE, {"page": "999"}).status_code == 200  # the last page, not an error
    assert client.get(QUEUE, {"page": "x"}).status_code == 200


def test_a_clerk_of_two_offices_sees_both_with_an_office_column(as_user, citizen_alice, clerks):
    from govflow.catalog.models import Department

    MembershipFactory(user=clerks["amr"], department=Department.objects.get(code="health"))
    submitted(citizen_alice, "business-startup")
    submitted(citizen_alice, "newborn")
    response = as_user(clerks["amr"]).get(QUEUE)
    assert len(numbers(response)) == 2
    assert ">Office</th>" in response.content.decode()
    assert "Xihu District Health Commission" in response.content.decode()


def test_my_tasks_lists_what_i_hold_with_a_release_button(as_user, amr_case, clerks, clerk_dan_amr):
    deciding.task_claim(case=amr_case, user=clerks["amr"])
    mine = as_user(clerks["amr"]).get(MINE)
    assert numbers(mine) == [amr_case.application.number]
    assert reverse("workbench:release", args=[amr_case.task_id]) in mine.content.decode()
    assert numbers(as_user(clerk_dan_amr).get(MINE)) == []
    assert numbers(as_user(clerks["amr"]).get(QUEUE)) == []


def test_the_queue_page_claims_with_a_post_per_row(as_user, amr_case, clerks):
    html = as_user(clerks["amr"]).get(QUEUE).content.decode()
    claim = reverse("workbench:claim", args=[amr_case.task_id])
    # One form around the table carries the CSRF token; each row's button posts to its own task.
    assert f'formaction="{claim}"' in html
    assert 'name="csrfmiddlewaretoken"' in html


def test_generated_tasks_behave_like_real_ones_for_claiming(as_user, citizen_alice, clerks):
    case = queued_cases(1, applicant=citizen_alice)[0]
    response = as_user(clerks["amr"]).post(reverse("workbench:claim", args=[case.task_id]))
    assert response.status_code == 302
    assert Case.objects.get(pk=case.pk).owner == clerks["amr"]


def test_the_pages_are_in_chinese_for_a_chinese_browser(as_user, business, clerks):
    html = as_user(clerks["amr"], language="zh-hans").get(QUEUE).content.decode()
    assert '<html lang="zh-hans">' in html
    assert "部门待办" in html and "认领" in html and "营业执照" in html
    assert "Department queue" not in html



def test_the_navigation_badge_counts_the_tasks_i_hold_on_every_page(as_user, citizen_alice, clerks, clerk_dan_amr):
    """The badge rides along with the memberships query; it counts my held tasks, not others'."""
    queued_cases(3, applicant=citizen_alice, owner=clerks["amr"])
    queued_cases(2, applicant=citizen_alice, owner=clerk_dan_amr)
    queued_cases(4, applicant=citizen_alice)
    badge = re.compile(r'<span class="wb-count">(\d+)</span>')
    for url in ("/workbench/", "/workbench/mine/"):
        assert badge.findall(as_user(clerks["amr"]).get(url).content.decode()) == ["3"], url
        assert badge.findall(as_user(clerk_dan_amr).get(url).content.decode()) == ["2"], url
    assert badge.findall(as_user(clerks["psb"]).get("/workbench/").content.decode()) == ["0"]
