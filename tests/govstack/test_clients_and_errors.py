"""Who may call the GovStack API, and bad input: clear 4xx systemErrors, never a 5xx, nothing changed."""
from __future__ import annotations

import pytest

from govflow.applications.models import Application
from govflow.govstack import ids
from govflow.govstack.models import Client

from ..stories import NEWBORN_ANSWERS, submitted

SERVICE = "/services/{serviceId}/applications"


def start(client, user, **extra):
    return client.post(SERVICE, params={"serviceId": ids.service_id("newborn")},
                       body={"applicantId": str(user.pk), **extra})


@pytest.mark.django_db
def test_credentials_and_client_header(demo_catalog, govstack, citizen_alice, clerk_bob_amr):
    assert start(govstack(None), citizen_alice).status_code == 401
    assert start(govstack(citizen_alice, header=None), citizen_alice).status_code == 400
    assert start(govstack(citizen_alice, header="eGovStack/GOV/1/unknown"), citizen_alice).status_code == 403
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
               ("/applications", {"serviceId": "n0t-ex1st1ng"}), ("/applications", {"applicantId": "org:99"}),
               ("/tasks", {"maxResult": "x"})]


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "query"), BAD_QUERIES)
def test_bad_queries_are_4xx(demo_catalog, govstack, clerks, path, query):
    response = govstack(clerks["health"]).get(path, query=query)
    assert 400 <= response.status_code < 500 and response.json()["code"] == str(response.status_code)


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


@pytest.mark.django_db
def test_statistics(demo_catalog, govstack, clerks, supervisor_sue_amr, citizen_alice):
    stats = "/data/statistics"
    sue = govstack(supervisor_sue_amr)
    ok = sue.call("get", stats, query={"startDate": "2026-01-01", "endDate": "2026-12-31", "timeframe": "year"},
                  document="statistics")
    assert ok.status_code == 200 and ok.json()[0]["references"]["timeframeYear"] is True
    assert set(ok.json()[0]) == {"processed", "approved", "sentBack", "rejected", "references"}
    for query in ({"startDate": "2026-13-01"}, {"timeframe": "hour"},
                  {"startDate": "2026-12-31", "endDate": "2026-01-01"}):
        assert sue.call("get", stats, query=query, document="statistics").status_code == 400
    assert sue.call("get", stats, query={"registrationName": "nothing"}, document="statistics").status_code == 404
    assert govstack(citizen_alice).call("get", stats, document="statistics").status_code == 403
