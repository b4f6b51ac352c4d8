"""Every workbench page runs a constant number of queries, whatever the queue length.

The 10,000-task test also times the queue page (printed, not asserted: run with ``-s`` to read
it; times depend on the machine)."""
from __future__ import annotations

import statistics
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from govflow.applications.services import citizen_actions, deciding, drafting
from govflow.workbench.board import BOARD_OVERDUE_LIMIT, OVERDUE_PAGE_SIZE

from ..stories import PNG_BYTES, case_of, submitted, upload
from .bulk import queued_cases

pytestmark = pytest.mark.django_db

#: session, user, memberships, procedures (filter), count, the page's ids, its rows, held count,
#: calendar (first use in a process)
QUEUE_BUDGET = 9
#: session, user, memberships, members, procedures, the load (one pass), the first overdue tasks,
#: the picked clerk's tasks, open low ratings, answered ones, held count, calendar (first use)
BOARD_BUDGET = 12
#: session, user, memberships, members, procedures, count, the page's rows, held count, calendar
OVERDUE_BUDGET = 9


def queries(client, url: str, **params) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params)
    assert response.status_code == 200, response.status_code
    return len(ctx.captured_queries), response


@pytest.mark.parametrize("url", ["/workbench/", "/workbench/?sla=overdue&q=GF", "/workbench/mine/",
                                 "/workbench/next/"])
def test_the_lists_cost_the_same_with_1_and_with_200_tasks(url, as_user, citizen_alice, clerks):
    client = as_user(clerks["amr"])
    queued_cases(1, applicant=citizen_alice)
    queued_cases(1, applicant=citizen_alice, owner=clerks["amr"])
    one, _ = queries(client, url)
    queued_cases(199, applicant=citizen_alice)
    queued_cases(199, applicant=citizen_alice, owner=clerks["amr"])
    many, response = queries(client, url)
    assert one == many <= QUEUE_BUDGET, (one, many)


def test_the_queue_page_with_1_and_with_200_tasks(as_user, citizen_alice, clerks, django_assert_num_queries):
    """The issue's query-count test, spelled out: the same queries for 1 and for 200 tasks."""
    client = as_user(clerks["amr"])
    queued_cases(1, applicant=citizen_alice)
    one, response = queries(client, "/workbench/")
    assert len(response.context["rows"]) == 1
    queued_cases(199, applicant=citizen_alice)
    with django_assert_num_queries(one):
        response = client.get("/workbench/")
    assert len(response.context["rows"]) == 50 and response.context["page"].paginator.count == 200


def test_the_task_page_costs_the_same_however_long_the_history(as_user, citizen_alice, clerks, clerk_dan_amr):
    app = submitted(citizen_alice, "business-startup")
    case = case_of(app, "amr-licence")
    deciding.task_claim(case=case, user=clerks["amr"])
    url = reverse("workbench:task", args=[case.task_id])
    client = as_user(clerks["amr"])
    before, _ = queries(client, url)
    for _ in range(10):
        deciding.task_release(case=case, user=clerks["amr"])
        deciding.task_claim(case=case, user=clerks["amr"])
    queued_cases(100, applicant=citizen_alice)
    after, _ = queries(client, url)
    assert before == after <= 16, (before, after)


def test_the_board_costs_the_same_with_1_and_with_400_tasks(as_user, citizen_alice, clerks, clerk_dan_amr,
                                                            supervisor_sue_amr):
    client = as_user(supervisor_sue_amr)
    past = timezone.localdate() - timedelta(days=30)
    queued_cases(1, applicant=citizen_alice, due=past)
    queued_cases(1, applicant=citizen_alice, due=past, owner=clerk_dan_amr)
    one, _ = queries(client, "/workbench/board/", clerk=clerk_dan_amr.pk)
    queued_cases(199, applicant=citizen_alice, due=past)
    queued_cases(199, applicant=citizen_alice, due=past, owner=clerk_dan_amr)
    many, response = queries(client, "/workbench/board/", clerk=clerk_dan_amr.pk)
    assert one == many <= BOARD_BUDGET, (one, many)
    # The board shows the most overdue few; the rest are one link away (the overdue page).
    assert len(response.context["overdue"]) == BOARD_OVERDUE_LIMIT
    assert response.context["total"].overdue == 400 and response.context["overdue_more"] == 400 - BOARD_OVERDUE_LIMIT
    assert reverse("workbench:board-overdue") in response.content.decode()
    assert len(response.context["held"]) == 100 and response.context["held_more"] == 100


def test_the_board_reads_overdue_rows_only_when_something_is_overdue(as_user, citizen_alice, supervisor_sue_amr):
    """The load's count says whether anything is overdue: if not, no overdue query (and no clerk
    picked: no held query)."""
    client = as_user(supervisor_sue_amr)
    queued_cases(3, applicant=citizen_alice, due=timezone.localdate() + timedelta(days=30))
    quiet, response = queries(client, "/workbench/board/")
    assert response.context["overdue"] == [] and response.context["total"].overdue == 0
    queued_cases(30, applicant=citizen_alice, due=timezone.localdate() - timedelta(days=30))
    busy, response = queries(client, "/workbench/board/")
    assert busy == quiet + 1 <= BOARD_BUDGET - 1, (quiet, busy)


def test_the_overdue_page_costs_the_same_with_1_and_with_400_tasks_on_any_page(as_user, citizen_alice,
                                                                               clerk_dan_amr, supervisor_sue_amr):
    client = as_user(supervisor_sue_amr)
    url = reverse("workbench:board-overdue")
    past = timezone.localdate() - timedelta(days=30)
    queued_cases(1, applicant=citizen_alice, due=past)
    one, response = queries(client, url)
    assert len(response.context["rows"]) == 1
    queued_cases(199, applicant=citizen_alice, due=past)
    queued_cases(200, applicant=citizen_alice, due=past, owner=clerk_dan_amr)
    first, response = queries(client, url)
    assert len(response.context["rows"]) == OVERDUE_PAGE_SIZE and response.context["page"].paginator.count == 400
    last, response = queries(client, url, page=400 // OVERDUE_PAGE_SIZE)
    assert len(response.context["rows"]) == OVERDUE_PAGE_SIZE
    assert one == first == last <= OVERDUE_BUDGET, (one, first, last)


def test_the_queue_page_with_10000_open_tasks(as_user, citizen_alice, clerks):
    client = as_user(clerks["amr"])
    queued_cases(1, applicant=citizen_alice)
    budget, _ = queries(client, "/workbench/")
    queued_cases(9_999, applicant=citizen_alice)
    if connection.vendor == "postgresql":
        # What autovacuum does after a bulk load in production: planner statistics for the new rows.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE applications_case, applications_application, viewflow_task")
    count, response = queries(client, "/workbench/")
    assert count == budget
    assert response.context["page"].paginator.count == 10_000
    timings = []
    for _ in range(7):
        start = time.perf_counter()
        assert client.get("/workbench/").status_code == 200
        timings.append((time.perf_counter() - start) * 1000)
    deep = time.perf_counter()
    assert client.get("/workbench/", {"page": 200}).status_code == 200
    deep_ms = (time.perf_counter() - deep) * 1000
    print(f"\n[workbench] queue page, 10,000 open tasks, {connection.vendor}: "
          f"median {statistics.median(timings):.1f} ms, min {min(timings):.1f} ms, "
          f"last page {deep_ms:.1f} ms, {count} queries")


#: session, user, memberships, the task's case (with its application, version and applicant),
#: documents, this case's history, the sibling cases, the timeline, the answered correction request
#: (the version's definition is cached; no outputs needed by amr-licence), and the access record's
#: one INSERT after the view (issue 20: 9 before)
TASK_BUDGET = 10


def test_the_task_page_after_a_correction_costs_what_it_costs_without_one(as_user, citizen_alice, clerks):
    """The side-by-side view of a correction is one query (the answered request, with what the
    marked answers and files were before), whether or not there is one to show."""
    app = submitted(citizen_alice, "business-startup")
    case = case_of(app, "amr-licence")
    deciding.task_claim(case=case, user=clerks["amr"])
    client = as_user(clerks["amr"])
    url = reverse("workbench:task", args=[case.task_id])
    plain, _ = queries(client, url)
    deciding.task_complete(case=case, user=clerks["amr"], decision="request_correction",
                           corrections={"fields": ["company_name"], "materials": ["premises_proof"],
                                        "message": "名称有误"})
    drafting.application_update(application=app, user=citizen_alice, data={"company_name": "杭州新名字科技有限公司"})
    upload(app, citizen_alice, "premises_proof", PNG_BYTES, "lease.png")
    citizen_actions.application_resubmit(application=app, user=citizen_alice)
    case = case_of(app, "amr-licence")
    corrected, response = queries(client, reverse("workbench:task", args=[case.task_id]))
    assert response.context["page"].correction is not None
    assert corrected == plain <= TASK_BUDGET, (plain, corrected)
