"""Old task links (an email, a bookmark) after the task closed: to the case's current task, or its
history read-only; still 404 for a clerk who may not see the case."""
from __future__ import annotations

import pytest
from django.urls import reverse

from govflow.applications.services import citizen_actions, deciding

from ..stories import case_of

pytestmark = pytest.mark.django_db


def task_url(task_id: int) -> str:
    return reverse("workbench:task", args=[task_id])


def correction_round(business, clerk, citizen):
    """amr-licence: claimed, sent back for a correction, corrected: a new review task."""
    case = case_of(business, "amr-licence")
    old_task = case.task_id
    deciding.task_claim(case=case, user=clerk)
    deciding.task_complete(case=case, user=clerk, decision="request_correction",
                           corrections={"fields": ["company_name"], "message": "Spell it as registered."})
    citizen_actions.application_resubmit(application=business, user=citizen)
    return old_task, case_of(business, "amr-licence")


def test_a_task_replaced_after_a_correction_round_redirects_to_the_current_one(
        as_user, business, citizen_alice, clerks, clerk_dan_amr):
    old_task, case = correction_round(business, clerks["amr"], citizen_alice)
    assert case.task_id != old_task and case.status == "in_review"

    for clerk in (clerks["amr"], clerk_dan_amr):  # the holder, and a colleague of the office
        response = as_user(clerk).get(task_url(old_task))
        assert response.status_code == 302 and response["Location"] == task_url(case.task_id)
    assert as_user(clerks["amr"]).get(task_url(case.task_id)).status_code == 200


def test_a_task_of_a_finished_case_shows_its_history_read_only(as_user, business, clerks):
    case = case_of(business, "amr-licence")
    old_task = case.task_id
    deciding.task_claim(case=case, user=clerks["amr"])
    deciding.task_complete(case=case, user=clerks["amr"], decision="reject", comment="No premises.")

    response = as_user(clerks["amr"]).get(task_url(old_task))

    assert response.status_code == 200
    body = response.content.decode()
    assert "data-read-only" in body and "No premises." in body and business.number in body
    assert 'name="decision"' not in body and "workbench/tasks/" not in body.split("data-read-only")[1]


def test_an_old_task_link_is_still_404_for_a_clerk_who_may_not_see_the_case(
        as_user, business, citizen_alice, clerks):
    old_task, _case = correction_round(business, clerks["amr"], citizen_alice)
    assert as_user(clerks["tax"]).get(task_url(old_task)).status_code == 404  # another department
    assert as_user(clerks["amr"]).get(task_url(999999)).status_code == 404  # no such task
