"""The workbench's small templates: one time-limit badge everywhere, each reassign select
without the task's holder, and the POST forms' hidden inputs."""
from __future__ import annotations

import re

import pytest
from django.utils import timezone

from govflow.catalog.calendar import add_working_days, local_date

from .bulk import queued_cases

pytestmark = pytest.mark.django_db

BADGE = re.compile(r'<span class="sla sla--[a-z_]+"><span aria-hidden="true">.</span> [^<]+</span>')


def test_the_queue_the_board_and_the_task_page_show_the_same_badge(on_a_working_day, as_user, citizen_alice, clerks,
                                                                   supervisor_sue_amr):
    case = queued_cases(1, applicant=citizen_alice, due=add_working_days(local_date(timezone.now()), -2))[0]
    pages = [as_user(clerks["amr"]).get("/workbench/"), as_user(supervisor_sue_amr).get("/workbench/board/"),
             as_user(clerks["amr"]).get(f"/workbench/tasks/{case.task_id}/")]
    badges = [set(BADGE.findall(page.content.decode())) for page in pages]
    expected = '<span class="sla sla--overdue"><span aria-hidden="true">■</span> Overdue</span>'
    assert badges == [{expected}] * 3


def test_each_reassign_select_offers_every_member_but_the_holder(as_user, citizen_alice, clerk_dan_amr, clerks,
                                                                 supervisor_sue_amr):
    today = local_date(timezone.now())
    held = queued_cases(1, applicant=citizen_alice, due=add_working_days(today, -1), owner=clerk_dan_amr)[0]
    queued = queued_cases(1, applicant=citizen_alice, due=add_working_days(today, -1))[0]
    html = as_user(supervisor_sue_amr).get("/workbench/board/").content.decode()

    def options(case) -> set[str]:
        select = re.search(rf'<select id="assign-overdue-{case.task_id}"[^>]*>(.*?)</select>', html).group(1)
        return set(re.findall(r'<option value="(\d*)">', select))

    assert str(clerk_dan_amr.pk) in options(queued) and str(clerk_dan_amr.pk) not in options(held)
    assert options(queued) - options(held) == {str(clerk_dan_amr.pk)} and "" in options(held)


def test_every_row_form_posts_the_csrf_token_and_the_way_back(as_user, citizen_alice, clerk_dan_amr,
                                                              supervisor_sue_amr):
    queued_cases(2, applicant=citizen_alice, due=add_working_days(local_date(timezone.now()), -1), owner=clerk_dan_amr)
    html = as_user(supervisor_sue_amr).get("/workbench/board/overdue/").content.decode()
    forms = re.findall(r'<form method="post" action="/workbench/tasks/\d+/(?:release|assign)/"[^>]*>(.*?)</form>', html)
    assert len(forms) == 4
    for form in forms:
        assert re.match(r'<input type="hidden" name="csrfmiddlewaretoken" value="\w+">'
                        r'<input type="hidden" name="next" value="/workbench/board/overdue/[^"]*">', form), form
