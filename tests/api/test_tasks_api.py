"""Clerk task endpoints over HTTP."""
from __future__ import annotations

import pytest

from govflow.applications.services import deciding

from ..stories import OUTPUTS, approve, case_of, submitted
from .conftest import list_queries

pytestmark = pytest.mark.django_db

TASK_KEYS = {"id", "application", "case", "procedure", "department", "office", "status", "owner", "due_date",
             "created"}


def test_the_department_queue_and_my_tasks(api, citizen_alice, clerks):
    app = submitted(citizen_alice, "business-startup")
    client = api(clerks["amr"])
    body = client.get("/api/v1/tasks/?queue=department").json()
    assert body["count"] == 1
    task = body["results"][0]
    assert set(task) == TASK_KEYS
    assert task["application"] == {"id": app.pk, "number": app.number}
    assert task["procedure"]["code"] == "amr-licence" and task["department"]["code"] == "amr"
    assert (task["status"], task["owner"]) == ("queued", None)
    assert api(clerks["tax"]).get("/api/v1/tasks/").json()["count"] == 0

    claimed = client.post(f"/api/v1/tasks/{task['id']}/claim/")
    assert claimed.status_code == 200
    assert (claimed.json()["status"], claimed.json()["owner"]) == ("in_review", clerks["amr"].username)
    assert client.get("/api/v1/tasks/?queue=department").json()["count"] == 0
    assert [t["id"] for t in client.get("/api/v1/tasks/?queue=mine").json()["results"]] == [task["id"]]
    assert client.get("/api/v1/tasks/?queue=everything").status_code == 400


def test_citizens_get_403_and_anonymous_401_on_tasks(api, citizen_alice, demo_catalog):
    assert api(citizen_alice).get("/api/v1/tasks/").status_code == 403
    assert api(None).get("/api/v1/tasks/").status_code == 401


def test_another_departments_task_is_404(api, citizen_alice, clerks):
    app = submitted(citizen_alice, "business-startup")
    task_id = case_of(app, "amr-licence").task_id
    client = api(clerks["tax"])
    assert client.get(f"/api/v1/tasks/{task_id}/").status_code == 404
    for action in ("claim", "release", "complete"):
        assert client.post(f"/api/v1/tasks/{task_id}/{action}/", {"decision": "approve"},
                           format="json").status_code == 404


def test_the_task_view_shows_only_what_the_procedure_needs(api, citizen_alice, clerks):
    app = submitted(citizen_alice, "newborn")
    approve(app, "health-birth-certificate", clerks["health"])
    task_id = case_of(app, "psb-household-registration").task_id
    body = api(clerks["psb"]).get(f"/api/v1/tasks/{task_id}/").json()
    assert body["data"]["birth_certificate_no"] == OUTPUTS["health-birth-certificate"]["birth_certificate_no"]
    assert "gestational_weeks" not in body["data"] and "card_bank" not in body["data"]
    assert {d["material"] for d in body["documents"]} == {"mother_id_card", "father_id_card", "household_register"}
    assert [h["kind"] for h in body["history"]] == ["case.queued"]
    doc = body["documents"][0]
    assert api(clerks["psb"]).get(doc["url"]).status_code == 200
    assert api(clerks["mi"]).get(doc["url"]).status_code == 404


def test_claim_conflict_release_rules_and_assignment(api, citizen_alice, clerk_bob_amr, clerk_dan_amr,
                                                     supervisor_sue_amr):
    app = submitted(citizen_alice, "business-startup")
    task_id = case_of(app, "amr-licence").task_id
    bob, dan, sue = api(clerk_bob_amr), api(clerk_dan_amr), api(supervisor_sue_amr)
    assert bob.post(f"/api/v1/tasks/{task_id}/claim/").status_code == 200
    assert dan.post(f"/api/v1/tasks/{task_id}/claim/").status_code == 409
    assert dan.post(f"/api/v1/tasks/{task_id}/release/").status_code == 403
    assert dan.post(f"/api/v1/tasks/{task_id}/complete/", {"decision": "reject", "comment": "x"},
                    format="json").status_code == 403
    assert dan.post(f"/api/v1/tasks/{task_id}/assign/", {"user": "dan-amr"}, format="json").status_code == 403
    assert sue.post(f"/api/v1/tasks/{task_id}/assign/", {"user": "nobody"}, format="json").status_code == 400
    assert sue.post(f"/api/v1/tasks/{task_id}/assign/", {"user": citizen_alice.username},
                    format="json").status_code == 400
    response = sue.post(f"/api/v1/tasks/{task_id}/assign/", {"user": "dan-amr"}, format="json")
    assert response.status_code == 200 and response.json()["owner"] == "dan-amr"
    assert sue.post(f"/api/v1/tasks/{task_id}/release/").status_code == 200
    assert bob.post(f"/api/v1/tasks/{task_id}/release/").status_code == 409


@pytest.mark.parametrize("body", [
    {}, {"decision": "maybe"}, {"decision": "approve"}, {"decision": "approve", "outputs": {"uscc": "bad"}},
    {"decision": "approve", "outputs": "x"}, {"decision": "reject"}, {"decision": "reject", "comment": ""},
    {"decision": "request_correction"}, {"decision": "request_correction", "corrections": {"fields": ["seal_count"],
                                                                                         "message": "x"}},
    {"decision": "request_correction", "corrections": {"fields": "company_name", "message": "x"}},
    {"decision": "approve", "outputs": {"uscc": 10**30}}, ["approve"],
])
def test_invalid_decisions_are_400_and_change_nothing(api, citizen_alice, clerks, body):
    app = submitted(citizen_alice, "business-startup")
    case = case_of(app, "amr-licence")
    client = api(clerks["amr"])
    client.post(f"/api/v1/tasks/{case.task_id}/claim/")
    response = client.post(f"/api/v1/tasks/{case.task_id}/complete/", body, format="json")
    assert response.status_code == 400, response.content
    assert case_of(app, "amr-licence").status == "in_review"


def test_a_decision_over_http_advances_the_application(api, citizen_alice, clerks):
    app = submitted(citizen_alice, "business-startup")
    case = case_of(app, "amr-licence")
    client = api(clerks["amr"])
    client.post(f"/api/v1/tasks/{case.task_id}/claim/")
    response = client.post(f"/api/v1/tasks/{case.task_id}/complete/",
                           {"decision": "approve", "outputs": OUTPUTS["amr-licence"], "comment": "准予登记"},
                           format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "approved"
    assert api(clerks["tax"]).get("/api/v1/tasks/").json()["count"] == 1
    citizen_view = api(citizen_alice).get(f"/api/v1/applications/{app.pk}/").json()
    assert citizen_view["cases"][0]["outputs"] == OUTPUTS["amr-licence"]
    # The citizen's timeline names departments, never clerks.
    assert clerks["amr"].username not in str(citizen_view["timeline"])


def test_the_task_lists_cost_the_same_for_1_and_for_50(api, citizen_alice, clerks):
    """The department queue with 1 and with 50 unclaimed tasks, then "mine" with 1 and with 50 held."""
    client = api(clerks["health"])
    department, mine = "/api/v1/tasks/?queue=department&page_size=100", "/api/v1/tasks/?queue=mine&page_size=100"
    apps = [submitted(citizen_alice, "newborn")]
    queued_one, body = list_queries(client, department)
    assert body["count"] == 1
    apps += [submitted(citizen_alice, "newborn") for _ in range(49)]
    queued_many, body = list_queries(client, department)
    assert body["count"] == len(body["results"]) == 50
    # every row names its office and the office's division, read in the same queries
    assert {(t["office"]["code"], t["office"]["division"]) for t in body["results"]} == {("health-330106", "330106")}
    assert {t["office"]["name"] for t in body["results"]} == {"Xihu District Health Commission"}
    # clerk check (the clerk's department ids), count, the page's ids, those rows
    assert queued_one == queued_many <= 4, (queued_one, queued_many)

    deciding.task_claim(case=case_of(apps[0], "health-birth-certificate"), user=clerks["health"])
    held_one, body = list_queries(client, mine)
    assert body["count"] == 1
    for app in apps[1:]:
        deciding.task_claim(case=case_of(app, "health-birth-certificate"), user=clerks["health"])
    held_many, body = list_queries(client, mine)
    assert body["count"] == len(body["results"]) == 50
    assert {t["owner"] for t in body["results"]} == {clerks["health"].username}
    assert {(t["office"]["code"], t["office"]["division"]) for t in body["results"]} == {("health-330106", "330106")}
    assert held_one == held_many <= 4, (held_one, held_many)


@pytest.mark.parametrize("body", [{}, {"decision": "maybe"}, ["approve"], {"decision": "approve"}])
def test_who_may_act_is_checked_before_the_body(api, citizen_alice, clerk_bob_amr, clerk_dan_amr, body):
    """A clerk who may not decide or assign gets 403 whatever the body, never a 400 about it."""
    app = submitted(citizen_alice, "business-startup")
    task_id = case_of(app, "amr-licence").task_id
    dan = api(clerk_dan_amr)
    assert dan.post(f"/api/v1/tasks/{task_id}/complete/", body, format="json").status_code == 403  # queued
    assert api(clerk_bob_amr).post(f"/api/v1/tasks/{task_id}/claim/").status_code == 200
    assert dan.post(f"/api/v1/tasks/{task_id}/complete/", body, format="json").status_code == 403  # bob's
    assert dan.post(f"/api/v1/tasks/{task_id}/assign/", body, format="json").status_code == 403
    assert case_of(app, "amr-licence").status == "in_review"
