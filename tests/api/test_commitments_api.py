"""告知承诺制 through the API: the one thing says which materials a commitment may replace, a
citizen signs with ``POST …/documents/`` and ``"commitment": true``, the clerk opens the PDF."""
from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from govflow.applications.models import RefusalEntry, RefusalKind

from ..pdf_text import pdf_text
from ..stories import BUSINESS_MATERIALS, PDF_BYTES, case_of, draft

pytestmark = pytest.mark.django_db

WITHOUT_PREMISES = {k: v for k, v in BUSINESS_MATERIALS.items() if k != "premises_proof"}


def test_the_one_thing_names_the_commitment_and_its_text(api, demo_catalog):
    body = api(None).get("/api/v1/one-things/business-startup/", HTTP_ACCEPT_LANGUAGE="en").json()
    materials = {m["code"]: m for m in body["materials"]}
    commitment = materials["premises_proof"]["commitment"]
    assert commitment["procedures"] == ["amr-licence"] and commitment["verify_rate"] == 0.2
    assert commitment["text"].startswith("I undertake")
    assert materials["articles_of_association"]["commitment"] is None


def test_sign_by_api_then_the_clerk_opens_the_pdf(api, citizen_alice, clerks):
    app = draft(citizen_alice, "business-startup", materials=WITHOUT_PREMISES)
    url = f"/api/v1/applications/{app.pk}/documents/"
    refused = api(citizen_alice).post(url, {"material": "premises_proof", "commitment": False}, format="json")
    assert refused.status_code == 400 and "commitment" in refused.json()
    assert api(citizen_alice).post(url, {"material": "articles_of_association", "commitment": True},
                                   format="json").status_code == 400
    assert api(citizen_alice).post(url, {"material": "premises_proof"}, format="json").status_code == 400
    both = api(citizen_alice).post(url, {"material": "premises_proof", "commitment": "true",
                                         "file": SimpleUploadedFile("p.pdf", PDF_BYTES)}, format="multipart")
    assert both.status_code == 400 and "file" in both.json()
    response = api(citizen_alice).post(url, {"material": "premises_proof", "commitment": True}, format="json")
    assert response.status_code == 201, response.content
    document = response.json()
    assert document["status"] == "commitment" and document["material"] == "premises_proof"
    # Multipart works too (a form field "true").
    again = api(citizen_alice).post(url, {"material": "premises_proof", "commitment": "true"}, format="multipart")
    assert again.status_code == 201 and again.json()["id"] == document["id"]

    submitted = api(citizen_alice).post(f"/api/v1/applications/{app.pk}/submit/", {}, format="json")
    assert submitted.status_code == 200, submitted.content
    number = submitted.json()["number"]
    docs = {d["material"]: d for d in submitted.json()["documents"]}
    assert docs["premises_proof"]["status"] == "commitment"
    # Another citizen: 404; the amr clerk (whose procedure lists the material): the PDF, with the number.
    # The tax clerk only once the tax case is queued (it waits for the licence): not yet.
    assert api(clerks["tax"]).get(docs["premises_proof"]["url"]).status_code == 404
    case = case_of(app, "amr-licence")
    task = api(clerks["amr"]).get(f"/api/v1/tasks/{case.task_id}/")
    assert task.status_code == 200
    listed = {d["material"]: d for d in task.json()["documents"]}
    assert listed["premises_proof"]["status"] == "commitment"
    pdf = api(clerks["amr"]).get(listed["premises_proof"]["url"])
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    content = b"".join(pdf.streaming_content)
    assert number in pdf_text(content)


def test_someone_on_the_refusal_list_gets_409_with_the_reason(api, citizen_alice, demo_catalog):
    app = draft(citizen_alice, "business-startup", materials=WITHOUT_PREMISES)
    RefusalEntry.objects.create(kind=RefusalKind.PERSON, identifier=citizen_alice.id_number,
                                reason={"en": "Listed for a false commitment.", "zh-hans": "因不实承诺列入。"})
    response = api(citizen_alice).post(f"/api/v1/applications/{app.pk}/documents/",
                                       {"material": "premises_proof", "commitment": True}, format="json",
                                       HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 409 and response.json() == {"detail": "Listed for a false commitment."}
    assert not app.documents.filter(material_code="premises_proof").exists()
