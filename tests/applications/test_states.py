"""An application's state in words: withdrawn and rejected applications never read as finished."""
from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from govflow.applications.services import citizen_actions, deciding
from govflow.applications.states import state_label, state_of

from ..stories import approve, case_of, submitted

pytestmark = pytest.mark.django_db


def test_the_state_is_the_status_or_the_outcome_of_a_completed_application():
    assert state_of("in_progress", "") == "in_progress"
    assert state_of("withdrawn", "") == "withdrawn"
    assert state_of("completed", "rejected") == "rejected"
    assert state_of("completed", "approved") == "approved"
    with translation.override("zh-hans"):
        assert state_label("withdrawn", "") == "已撤回"
        assert state_label("completed", "rejected") == "未通过"
        assert state_label("completed", "approved") == "已办结"


def portal(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(user)
    return client


def test_a_withdrawn_application_reads_withdrawn_and_its_cases_cancelled_everywhere(citizen_alice, clerks):
    app = submitted(citizen_alice, "business-startup")
    citizen_actions.application_withdraw(application=app, user=citizen_alice)

    listing = portal(citizen_alice).get(reverse("applications")).content.decode()
    status = portal(citizen_alice).get(reverse("application", args=[app.pk])).content.decode()
    api = APIClient(HTTP_ACCEPT_LANGUAGE="zh-hans")
    api.force_authenticate(citizen_alice)
    body = api.get(f"/api/v1/applications/{app.pk}/").json()

    assert 'data-state="withdrawn">已撤回<' in listing and "已办结</span>" not in listing
    assert 'data-state="withdrawn">已撤回<' in status and "已办结" not in status.replace(">已办结</option>", "")
    assert "已取消" in status  # the cases: cancelled, not finished
    assert (body["state"], body["state_label"]) == ("withdrawn", "已撤回")
    clerk = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    clerk.force_login(clerks["amr"])
    task = clerk.get(reverse("workbench:task", args=[case_of(app, "amr-licence").task_id]))
    if task.status_code == 200:  # a closed task's page shows the case's history
        assert "已撤回" in task.content.decode()


def test_a_rejected_application_is_rejected_not_finished_as_if_done_well(citizen_alice, clerks):
    app = submitted(citizen_alice, "newborn")
    case = case_of(app, "health-birth-certificate")
    deciding.task_claim(case=case, user=clerks["health"])
    deciding.task_complete(case=case, user=clerks["health"], decision="reject", comment="Not born here.")

    with translation.override("en"):
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        client.force_login(citizen_alice)
        page = client.get(reverse("application", args=[app.pk])).content.decode()
    assert 'data-state="rejected">Rejected<' in page
    assert "All procedures are finished" not in page
    assert "Your application was refused" in page
    assert "No one: refused" in page and "No one: cancelled" in page


def test_an_approved_application_still_says_all_procedures_are_finished(citizen_alice, clerks):
    app = submitted(citizen_alice, "newborn")
    for code in ("health-birth-certificate", "psb-household-registration", "mi-newborn-insurance",
                 "hrss-social-security-card"):
        approve(app, code, clerks[code.split("-")[0]])
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(citizen_alice)
    page = client.get(reverse("application", args=[app.pk])).content.decode()
    assert 'data-state="approved">Completed<' in page and "All procedures are finished" in page
