"""Who may call the GovStack API, and bad input: clear 4xx systemErrors, never a 5xx, nothing changed."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from govflow.applications.models import Application
from govflow.catalog.calendar import local_date
from govflow.govstack import ids
from govflow.govstack.models import Client

from ..factories import UserFactory
from ..stories import NEWBORN_ANSWERS, approve, submitted

SERVICE = "/services/{serviceId}/applications"


def start(client, user, **extra):
    return client.post(SERVICE, params={"serviceId": ids.service_id("newborn")},
                       body={"applicantId": str(user.pk), **extra})


@pytest.mark.django_db
def test_credentials_and_client_header(demo_catalog, govstack, citizen_alice, clerk_bob_amr):
    assert start(govstack(None), citizen_alice).status_code == 401
    assert start(govstack(citizen_alice, header=None), citizen_alice).status_code == 400
    assert start(govstack(citizen_alice, header="eGovStack/GOV/1/unknown"), citizen_alice).status_code == 403
    for malformed in ("''", "invalid_header", "eGovStack/GOV/90000009/", "eGovStack/GOV/9 0/x", "a/b/c/d/e"):
        refused = start(govstack(citizen_alice, header=malformed), citizen_alice)
        assert refused.status_code == 400 and "Information-Mediator-Client" in refused.json()["errors"], malformed
    assert start(govstack(citizen_alice, header="eGovStack/GOV/90000009"), citizen_alice).status_code == 403
    Client.objects.create(identifier="eGovStack/GOV/1/amr", name="AMR back office", user=clerk_bob_amr)
    # A client registered to an account takes only that account's token, and that account only it.
    assert start(govstack(citizen_alice, header="eGovStack/GOV/1/amr"), citizen_alice).status_code == 403
    assert govstack(clerk_bob_amr).get("/tasks").status_code == 403
    assert govstack(clerk_bob_amr, header="eGovStack/GOV/1/amr").get("/tasks").status_code == 200
    Client.objects.filter(identifier="eGovStack/GOV/1/amr").update(is_active=False)
    assert govstack(clerk_bob_amr, header="eGovStack/GOV/1/amr").get("/tasks").status_code == 403
    assert not Application.objects.exists()
    assert start(govstack(citizen_alice), citizen_alice).status_code == 200


@pytest.mark.django_db
def test_authorised_as_the_govflow_api(demo_catalog, govstack, citizen_alice, citizen_carol, clerks):
    app = submitted(citizen_alice, "newborn")
    carol = govstack(citizen_carol)
    assert carol.get("/applications/{fileId}", params={"fileId": str(app.pk)}).status_code == 404
    assert carol.put("/applications/{fileId}", params={"fileId": str(app.pk)},
                     body={"applicantId": str(citizen_carol.pk)}).status_code == 404
    assert carol.get("/applications").json() == []
    assert carol.get("/tasks").status_code == 403  # a citizen on tasks, as /api/v1/tasks/
    task = app.cases.get(procedure_code="health-birth-certificate").task_id
    # Another department's clerk: the task does not exist for them.
    assert govstack(clerks["amr"]).get("/tasks/{taskId}", params={"taskId": str(task)}).status_code == 404
    assert govstack(clerks["amr"]).post("/tasks/{taskId}/complete", params={"taskId": str(task)},
                                        body={"data": {"decision": {"value": "APPROVED"}}}).status_code == 404
    health = govstack(clerks["health"])
    assert [t["taskId"] for t in health.get("/tasks").json()] == [str(task)]
    # Approving without the outputs: 400, and the task stays where it was.
    refused = health.post("/tasks/{taskId}/complete", params={"taskId": str(task)},
                          body={"data": {"decision": {"value": "approve"}}})
    assert refused.status_code == 400 and "outputs" in refused.json()["errors"]
    assert app.cases.get(procedure_code="health-birth-certificate").status in ("queued", "in_review")


BAD_QUERIES = [("/applications", {"firstResult": "-1"}), ("/applications", {"maxResult": "1000"}),
               ("/applications", {"sortBy": "nope"}), ("/applications", {"sortOrder": "up"}),
               ("/tasks", {"maxResult": "x"}), ("/tasks", {"assigneeId": "a\u0000b"}),
               ("/tasks", {"sortBy": "priority"})]


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "query"), BAD_QUERIES)
def test_bad_queries_are_4xx(demo_catalog, govstack, clerks, path, query):
    response = govstack(clerks["health"]).get(path, query=query)
    assert 400 <= response.status_code < 500 and response.json()["code"] == str(response.status_code)


@pytest.mark.django_db
def test_filters_matching_nothing_find_nothing(demo_catalog, govstack, citizen_alice, citizen_carol, clerks, settings):
    """The lists document only 200: a filter naming nothing the caller has is an empty list, not a 404."""
    settings.GOVFLOW_AUTOMATIC_STEPS = False
    app = submitted(citizen_alice, "newborn")
    alice, health = govstack(citizen_alice), govstack(clerks["health"])
    assert len(alice.get("/applications").json()) == 1
    for query in ({"serviceId": "n0t-ex1st1ng-serv1ce#-1d"}, {"applicantId": "org:99"},
                  {"applicantId": str(citizen_carol.pk)}, {"applicantId": "11962de0-11b2-11cc-9390-0242ac121114"}):
        response = alice.get("/applications", query=query)
        assert response.status_code == 200 and response.json() == [], query
    assert len(alice.get("/applications", query={"serviceId": ids.service_id("newborn")}).json()) == 1
    assert len(health.get("/tasks", query={"fileId": str(app.pk)}).json()) == 1
    for query in ({"fileId": "x"}, {"mainTaskId": "42962de0-bdb2-11ed-9397-0242ac120004"}, {"fileId": "99999"},
                  {"fileId": str(app.pk), "mainTaskId": "99999"}):
        response = health.get("/tasks", query=query)
        assert response.status_code == 200 and response.json() == [], query


@pytest.mark.django_db
def test_bad_bodies_and_ids_are_4xx(demo_catalog, govstack, citizen_alice, clerks):
    alice = govstack(citizen_alice)
    for service_id in ("n0t-ex1st1ng-serv1ce-1d", "f7d33db0-2809-484e-a780-76b7ccd4ecbf", "\u0000"):
        assert alice.get("/services/{serviceId}", params={"serviceId": service_id}).status_code == 404
        assert alice.post(SERVICE, params={"serviceId": service_id},
                          body={"applicantId": str(citizen_alice.pk)}).status_code == 404
    assert alice.get("/eForms/{eFormId}", params={"eFormId": "nope"}).status_code == 404
    for body in ([], "x", {}, {"applicantId": 5}, {"applicantId": "me", "formData": []},
                 {"applicantId": "me", "formData": {"data": {"baby_name": {"value": 7}}}},
                 {"applicantId": "me", "formData": {"data": {"favourite_colour": "blue"}}},
                 {"applicantId": "me", "documentUrls": ["http://elsewhere/x"]}):
        response = alice.post(SERVICE, params={"serviceId": ids.service_id("newborn")}, body=body)
        assert response.status_code == 400, (body, response.content)
    assert not Application.objects.exists()
    for meta in (None, "{", '{"fileId": "1"}', '{"fileId": "999", "material": "baby_photo"}'):
        query = {"additionalMetadata": meta} if meta else None
        response = alice.post("/documents", query=query, body={}, fmt="multipart")
        assert response.status_code in (400, 404), (meta, response.content)
    for task_id in ("n0t-ex1st1ng-task-1d", "99999"):
        assert govstack(clerks["health"]).post("/tasks/{taskId}/complete", params={"taskId": task_id},
                                               body={"data": {}}).status_code == 404
    created = start(alice, citizen_alice, formData={"data": {"baby_name": NEWBORN_ANSWERS["baby_name"]}})
    assert created.status_code == 200
    for page in ("0", "1"):
        listed = alice.get("/applications", query={"firstResult": page, "maxResult": "1"}).json()
        assert len(listed) == (1 if page == "0" else 0)


NEWBORN_ORDER = ["health-birth-certificate", "psb-household-registration", "mi-newborn-insurance",
                 "hrss-social-security-card"]


@pytest.mark.django_db
def test_statistics(demo_catalog, govstack, clerks, citizen_alice, settings):
    settings.GOVFLOW_AUTOMATIC_STEPS = False
    staff = UserFactory(username="staffer", is_staff=True)
    approved = submitted(citizen_alice, "newborn")
    for procedure in NEWBORN_ORDER:
        approve(approved, procedure, clerks[procedure.split("-")[0]])
    submitted(citizen_alice, "newborn")  # still open
    today = local_date(timezone.now())
    stats, first = "/data/statistics", today.replace(day=1)
    admin = govstack(staff)
    whole = admin.call("get", stats, query={"startDate": (first - timedelta(days=1)).isoformat(),
                                            "endDate": today.isoformat()}, document="statistics").json()
    assert [(r["processed"], r["approved"], r["rejected"], r["sentBack"]) for r in whole] == [(1, 1, 0, 0)]
    by_month = admin.call("get", stats, query={"startDate": (first - timedelta(days=1)).isoformat(),
                                               "endDate": today.isoformat(), "timeframe": "month",
                                               "registrationName": "newborn"}, document="statistics").json()
    assert [(r["references"]["startDate"], r["processed"]) for r in by_month] == [
        ((first - timedelta(days=1)).isoformat(), 0), (first.isoformat(), 1)]
    assert all(r["references"]["timeframeMonth"] and not r["references"]["timeframeDay"] for r in by_month)
    for query in ({"startDate": "2026-13-01"}, {"startDate": "0001-01-01"}, {"endDate": "20261201"},
                  {"timeframe": "hour"}, {"startDate": "2026-12-31", "endDate": "2026-01-01"}):
        assert admin.call("get", stats, query=query, document="statistics").status_code == 400, query
    assert admin.call("get", stats, query={"registrationName": "nothing"}, document="statistics").status_code == 404
    # operator (a username) and role (an office's or a department's code): the cases they handled.
    window = {"startDate": (first - timedelta(days=1)).isoformat(), "endDate": today.isoformat()}
    health_office = approved.cases.get(procedure_code="health-birth-certificate").office.code

    def counts(**query):
        rows = admin.call("get", stats, query={**window, **query}, document="statistics").json()
        assert all(r["references"]["operator"] == query.get("operator", "") for r in rows)
        return [(r["processed"], r["approved"], r["rejected"], r["sentBack"]) for r in rows]
    assert counts(operator="clerk-health") == [(1, 1, 0, 0)]
    assert counts(role="health") == counts(role=health_office) == [(1, 1, 0, 0)]  # the open one is in none of the counts
    assert counts(operator="clerk-health", role="health") == [(1, 1, 0, 0)]
    assert counts(operator="clerk-health", role="psb") == [(0, 0, 0, 0)]  # no case of both
    assert counts(operator="clerk-amr") == counts(role="amr") == counts(operator="nobody") == [(0, 0, 0, 0)]
    for query in ({"operator": "x" * 151}, {"role": "a\u0007b"}):
        assert admin.call("get", stats, query=query, document="statistics").status_code == 400, query
    assert govstack(citizen_alice).call("get", stats, document="statistics").status_code == 403
