"""The ``Information-Mediator-Client`` header where the specification lists none (``POST /documents``,
``GET /tasks``, ``GET /tasks/{taskId}``, ``POST /tasks/{taskId}/complete``): optional. Without it the
token alone authenticates and an account registered to a client acts as that client (its departments
apply exactly as with the header); with it, it must match as everywhere. Where the specification lists
it (applications, statistics) it stays required."""
from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from govflow.applications.models import Document
from govflow.catalog.models import Department
from govflow.govstack import ids
from govflow.govstack.models import Client

from ..factories import MembershipFactory
from ..stories import NEWBORN_ANSWERS, PDF_BYTES, draft, submitted

BACK_OFFICE = "eGovStack/GOV/1/health-back-office"


def task_calls(client, task_id):
    """GET /tasks, GET /tasks/{taskId}, POST /tasks/{taskId}/complete (no outputs: a 400 once past the gate)."""
    listed = client.get("/tasks")
    detail = client.get("/tasks/{taskId}", params={"taskId": str(task_id)})
    complete = client.post("/tasks/{taskId}/complete", params={"taskId": str(task_id)},
                           body={"data": {"decision": {"value": "APPROVED"}}})
    return listed, detail, complete


@pytest.fixture
def world(demo_catalog, clerks, citizen_alice):
    """A health clerk who is also in AMR, registered to a back-office client; a health task."""
    clerk = clerks["health"]
    MembershipFactory(user=clerk, department=Department.objects.get(code="amr"), role="clerk")
    client = Client.objects.create(identifier=BACK_OFFICE, name="Health back office", user=clerk)
    app = submitted(citizen_alice, "newborn")
    return {"clerk": clerk, "client": client, "task": app.cases.get(procedure_code="health-birth-certificate").task_id}


@pytest.mark.django_db
def test_tasks_without_the_header_act_as_the_accounts_client(world, govstack):
    clerk, client, task = world["clerk"], world["client"], world["task"]
    for header in (None, BACK_OFFICE):  # the same answers with and without the header
        listed, detail, complete = task_calls(govstack(clerk, header=header), task)
        assert [t["taskId"] for t in listed.json()] == [str(task)], header
        assert detail.status_code == 200 and detail.json()["taskId"] == str(task), header
        assert complete.status_code == 400 and "outputs" in complete.json()["errors"], header
    # The client limited to AMR: the health task is out of its scope, with the header or without.
    client.departments.set([Department.objects.get(code="amr")])
    for header in (None, BACK_OFFICE):
        listed, detail, complete = task_calls(govstack(clerk, header=header), task)
        assert listed.status_code == 200 and listed.json() == [], header
        assert (detail.status_code, complete.status_code) == (404, 404), header
    # An inactive client: its account is refused without the header too.
    Client.objects.filter(pk=client.pk).update(is_active=False)
    for response in task_calls(govstack(clerk, header=None), task):
        assert response.status_code == 403


@pytest.mark.django_db
def test_a_header_that_does_not_match_is_still_refused(world, govstack, clerks):
    clerk, task = world["clerk"], world["task"]
    for header in ("eGovStack/GOV/90000009/portal", "eGovStack/GOV/1/unknown"):  # not the account's own client
        for response in task_calls(govstack(clerk, header=header), task):
            assert response.status_code == 403, header
    for response in task_calls(govstack(clerk, header="not a client"), task):
        assert response.status_code == 400
    # Another account's client: refused even though the caller's token would see the task.
    other = clerks["amr"]
    for response in task_calls(govstack(other, header=BACK_OFFICE), task):
        assert response.status_code == 403


@pytest.mark.django_db
def test_an_account_of_no_client_uses_its_own_rights(world, govstack, clerks, citizen_alice):
    task = world["task"]
    # Another department's clerk, no header: the task does not exist for them, as on /api/v1/tasks/.
    listed, detail, complete = task_calls(govstack(clerks["amr"], header=None), task)
    assert listed.json() == [] and (detail.status_code, complete.status_code) == (404, 404)
    # A health clerk of no client, no header: the task, as /api/v1/tasks/ shows it.
    second = MembershipFactory(department=Department.objects.get(code="health"), role="clerk").user
    listed, detail, _complete = task_calls(govstack(second, header=None), task)
    assert [t["taskId"] for t in listed.json()] == [str(task)] and detail.status_code == 200
    # A citizen, no header: tasks are office members' (403), as with the header.
    assert govstack(citizen_alice, header=None).get("/tasks").status_code == 403
    # No credentials: 401 whatever the header.
    assert govstack(None, header=None).get("/tasks").status_code == 401


@pytest.mark.django_db
def test_documents_without_the_header(demo_catalog, govstack, citizen_alice, citizen_carol):
    app = draft(citizen_alice, "newborn", answers=dict(NEWBORN_ANSWERS), materials={})

    def upload(client):
        return client.post("/documents", query={"additionalMetadata": json.dumps(
            {"fileId": str(app.pk), "material": "delivery_record"})},
            body={"file": SimpleUploadedFile("record.pdf", PDF_BYTES)}, fmt="multipart")

    assert upload(govstack(citizen_carol, header=None)).status_code == 404  # another person's file
    assert upload(govstack(citizen_alice, header="eGovStack/GOV/1/unknown")).status_code == 403
    assert not Document.objects.exists()
    uploaded = upload(govstack(citizen_alice, header=None))
    assert uploaded.status_code == 200 and Document.objects.get().application_id == app.pk


@pytest.mark.django_db
def test_the_header_stays_required_where_the_specification_lists_it(demo_catalog, govstack, citizen_alice,
                                                                    supervisor_sue_amr):
    alice = govstack(citizen_alice, header=None)
    app = submitted(citizen_alice, "newborn")
    for response in (alice.get("/applications"), alice.get("/applications/{fileId}", params={"fileId": str(app.pk)}),
                     alice.put("/applications/{fileId}", params={"fileId": str(app.pk)}, body={"applicantId": "me"}),
                     alice.post("/services/{serviceId}/applications", params={"serviceId": ids.service_id("newborn")},
                                body={"applicantId": "me"}),
                     govstack(supervisor_sue_amr, header=None).get("/data/statistics", document="statistics")):
        assert response.status_code == 400 and "Information-Mediator-Client" in response.json()["errors"]


@pytest.mark.django_db
def test_an_account_of_several_clients_names_one(world, govstack):
    clerk, task = world["clerk"], world["task"]
    second = Client.objects.create(identifier="eGovStack/GOV/1/amr-desk", name="AMR desk", user=clerk)
    second.departments.set([Department.objects.get(code="amr")])
    for response in task_calls(govstack(clerk, header=None), task):
        assert response.status_code == 400 and "Information-Mediator-Client" in response.json()["errors"]
    assert govstack(clerk, header=BACK_OFFICE).get("/tasks/{taskId}", params={"taskId": str(task)}).status_code == 200
    assert govstack(clerk, header=second.identifier).get("/tasks/{taskId}", params={"taskId": str(task)}).status_code == 404
