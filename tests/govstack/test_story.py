"""A GovStack client registers a newborn end to end; the same application through /api/v1/."""
from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from govflow.applications.models import Application
from govflow.govstack import ids

from ..api.conftest import client_for
from ..stories import NEWBORN_ANSWERS, NEWBORN_MATERIALS, OUTPUTS

NEWBORN_STEPS = ["health-birth-certificate", "psb-household-registration", "mi-newborn-insurance",
                 "hrss-social-security-card"]
EXTENSION = {b"%": "pdf", b"\x89": "png", b"\xff": "jpg"}


def upload(client, file_id: str, material: str, content: bytes):
    name = f"{material}.{EXTENSION[content[:1]]}"
    return client.post("/documents", query={"additionalMetadata": json.dumps({"fileId": file_id, "material": material})},
                       body={"file": SimpleUploadedFile(name, content)}, fmt="multipart")


@pytest.fixture
def newborn_world(demo_catalog, clerks, citizen_alice, settings, govstack):
    settings.GOVFLOW_AUTOMATIC_STEPS = False
    return {"citizen": govstack(citizen_alice), "clerks": {code: govstack(c) for code, c in clerks.items()}}


def test_newborn_through_govstack(newborn_world, citizen_alice):
    citizen = newborn_world["citizen"]
    services = citizen.get("/services").json()
    newborn = next(s for s in services if s["id"] == ids.service_id("newborn"))
    assert newborn["version"] == "1" and newborn["type"] == "Public"
    assert citizen.get("/services", query={"name": "newborn"}).status_code == 200

    forms = citizen.get("/services/{serviceId}/eForms", params={"serviceId": newborn["id"]}).json()
    assert [f["latest"] for f in forms] == [True]
    form = citizen.get("/eForms/{eFormId}", params={"eFormId": forms[0]["eFormId"]}).json()
    assert set(NEWBORN_ANSWERS) <= set(form["schema"]["properties"])
    assert set(NEWBORN_MATERIALS) <= {m["code"] for m in form["schema"]["x-govflow-materials"]}

    created = citizen.post("/services/{serviceId}/applications", params={"serviceId": newborn["id"]}, body={
        "applicantId": str(citizen_alice.pk), "applicationName": "Baby",
        "formData": {"eFormId": forms[0]["eFormId"], "data": {k: {"value": v} for k, v in NEWBORN_ANSWERS.items()}}})
    assert created.status_code == 200, created.content
    file = created.json()
    file_id = file["fileId"]
    assert file["status"]["code"] == "PENDING" and file["ended"] is False and "registered" not in file
    assert file["applicationData"]["formData"]["data"]["baby_name"] == {"value": NEWBORN_ANSWERS["baby_name"]}

    # Sending it before the materials are there: a 400 naming what is missing, nothing changed.
    refused = citizen.put("/applications/{fileId}", params={"fileId": file_id},
                          body={"applicantId": str(citizen_alice.pk)})
    assert refused.status_code == 400 and "materials" in refused.json()["errors"]
    assert Application.objects.get(pk=file_id).status == "draft"

    urls = []
    for material, content in NEWBORN_MATERIALS.items():
        uploaded = upload(citizen, file_id, material, content)
        assert uploaded.status_code == 200, uploaded.content
        urls.append(uploaded.json()["url"])
    sent = citizen.put("/applications/{fileId}", params={"fileId": file_id},
                       body={"applicantId": str(citizen_alice.pk), "documentUrls": urls})
    assert sent.status_code == 200, sent.content
    assert sent.json()["status"]["code"] == "PENDING" and "registered" in sent.json()
    assert sorted(sent.json()["applicationData"]["documentUrls"]) == sorted(urls)

    # The operators complete every task through /tasks/{taskId}/complete, as the steps come.
    decided = []
    while pending := [(c, t) for c in newborn_world["clerks"].values()
                      for t in c.get("/tasks", query={"fileId": file_id}).json()]:
        operator, task = pending[0]
        detail = operator.get("/tasks/{taskId}", params={"taskId": task["taskId"]}).json()
        assert detail["fileId"] == file_id and detail["status"]["code"] == "PENDING"
        step = next(code for code in NEWBORN_STEPS
                    if set(OUTPUTS[code]) == set(detail["formVariables"]["outputs"]["value"]))
        done = operator.post("/tasks/{taskId}/complete", params={"taskId": task["taskId"]}, body={
            "data": {"decision": {"value": "APPROVED"}, "outputs": OUTPUTS[step], "comment": {"value": "ok"}}})
        assert done.status_code == 200, done.content
        assert done.json()["status"]["code"] == "APPROVED" and done.json()["fileId"] == file_id
        decided.append(step)
    assert sorted(decided) == sorted(NEWBORN_STEPS)

    final = citizen.get("/applications/{fileId}", params={"fileId": file_id}).json()
    assert final["status"]["code"] == "APPROVED" and final["ended"] is True

    # The same application through govflow's own API: the same answers, documents and outcome.
    own = client_for(citizen_alice).get(f"/api/v1/applications/{file_id}/").json()
    assert own["status"] == "completed" and own["outcome"] == "approved" and own["channel"] == "api"
    assert {k: {"value": v} for k, v in own["data"].items()} == final["applicationData"]["formData"]["data"]
    assert sorted(d["url"] for d in own["documents"]) == sorted(
        u.removeprefix("http://testserver") for u in final["applicationData"]["documentUrls"])
    assert own["submitted_at"] == final["registered"]
    listed = citizen.get("/applications").json()
    assert [item["fileId"] for item in listed] == [file_id] and listed[0]["status"]["code"] == "APPROVED"
