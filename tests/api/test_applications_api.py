"""Applications and documents over HTTP: contract shapes, errors, and no 500s."""
from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from rest_framework import serializers

from govflow.api.serializers.applications import rejection_repr
from govflow.applications.models import Application, ApplicationStatus, Evaluation, Outcome
from govflow.applications.remedies import rejection_notices
from govflow.applications.services import citizen_actions, deciding
from govflow.applications.timeline import PUBLIC_TIMELINE_KINDS
from govflow.catalog.definition import get_definition
from govflow.catalog.models import localized

from ..stories import (
    BUSINESS_ANSWERS,
    NEWBORN_ANSWERS,
    NEWBORN_MATERIALS,
    PDF_BYTES,
    approve,
    case_of,
    draft,
    submitted,
)
from .conftest import list_queries

pytestmark = pytest.mark.django_db

APPLICATION_KEYS = {"id", "number", "one_thing", "version", "applicant", "submitted_by", "channel", "origin",
                    "division", "status",
                    "outcome", "state", "state_label", "rejections", "data", "documents", "cases", "timeline",
                    "submitted_at", "expected_finish", "evaluation", "delivery", "deliveries"}


def create(api, user, one_thing="newborn", data=None):
    response = api(user).post("/api/v1/applications/", {"one_thing": one_thing, "data": data or {}}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def upload(api, user, app_id, material, content, name="f.pdf"):
    return api(user).post(f"/api/v1/applications/{app_id}/documents/",
                          {"material": material, "file": SimpleUploadedFile(name, content)}, format="multipart")


def test_a_draft_has_the_contract_shape(api, citizen_alice, demo_catalog):
    body = create(api, citizen_alice, data={"baby_name": "小宝", "gestational_weeks": 39})
    assert set(body) == APPLICATION_KEYS
    assert body["status"] == "draft" and body["number"] is None and body["outcome"] is None
    assert body["one_thing"] == "newborn" and isinstance(body["version"], int)
    assert body["data"] == {"baby_name": "小宝", "gestational_weeks": 39}
    assert body["cases"] == [] and body["timeline"] == [] and body["evaluation"] is None
    assert body["origin"] == "citizen"
    # For herself, by herself, through the API.
    assert body["applicant"] == {"kind": "person", "id": citizen_alice.pk, "name": citizen_alice.name}
    assert body["submitted_by"] == {"id": citizen_alice.pk, "name": citizen_alice.name}
    assert body["channel"] == "api"
    assert Application.objects.get(pk=body["id"]).channel == "api"


def test_unauthenticated_requests_get_401_with_a_token_challenge(api, demo_catalog):
    response = api(None).get("/api/v1/applications/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Token")


@pytest.mark.parametrize("payload", [
    {"one_thing": "no-such"}, {"one_thing": 5}, {}, {"one_thing": "newborn", "data": []},
    {"one_thing": "newborn", "data": {"unknown": 1}}, {"one_thing": "newborn", "data": {"gestational_weeks": 10**40}},
    {"one_thing": "newborn", "data": {"birth_date": "yesterday"}}, {"one_thing": ["newborn"]},
])
def test_bad_create_input_is_a_400_and_creates_nothing(api, citizen_alice, demo_catalog, payload):
    response = api(citizen_alice).post("/api/v1/applications/", payload, format="json")
    assert response.status_code == 400, response.content
    assert isinstance(response.json(), dict)
    assert not Application.objects.exists()


def test_malformed_json_is_a_400(api, citizen_alice, demo_catalog):
    response = api(citizen_alice).generic("POST", "/api/v1/applications/", "{not json",
                                          content_type="application/json")
    assert response.status_code == 400


def test_patch_merges_and_null_removes_and_unknown_keys_are_400(api, citizen_alice, demo_catalog):
    app = create(api, citizen_alice, data={"baby_name": "小宝", "ethnicity": "汉族"})
    client = api(citizen_alice)
    url = f"/api/v1/applications/{app['id']}/"
    response = client.patch(url, {"data": {"baby_sex": "male", "ethnicity": None}}, format="json")
    assert response.status_code == 200
    assert response.json()["data"] == {"baby_name": "小宝", "baby_sex": "male"}
    assert client.patch(url, {"data": {"nope": 1}}, format="json").status_code == 400
    assert client.patch(url, {"data": "x"}, format="json").status_code == 400


def test_another_citizens_application_is_404_everywhere(api, citizen_alice, outsider_charlie, demo_catalog):
    app = create(api, citizen_alice)
    client = api(outsider_charlie)
    base = f"/api/v1/applications/{app['id']}/"
    assert client.get(base).status_code == 404
    assert client.patch(base, {"data": {}}, format="json").status_code == 404
    assert client.delete(base).status_code == 404
    for action in ("submit", "resubmit", "withdraw"):
        assert client.post(base + f"{action}/").status_code == 404
    assert client.post(base + "evaluation/", {"score": 5}, format="json").status_code == 404
    assert upload(api, outsider_charlie, app["id"], "delivery_record", PDF_BYTES).status_code == 404
    assert client.get("/api/v1/applications/").json()["count"] == 0


@pytest.mark.parametrize("path", ["/api/v1/applications/abc/", "/api/v1/applications/99999999999999999999999/",
                                  "/api/v1/applications/0/"])
def test_non_numeric_or_huge_ids_are_404(api, citizen_alice, demo_catalog, path):
    assert api(citizen_alice).get(path).status_code == 404


def test_uploads_are_checked_by_content_and_size(api, citizen_alice, demo_catalog):
    app = create(api, citizen_alice)
    exe = b"MZ\x90\x00" + b"\x00" * 100
    assert upload(api, citizen_alice, app["id"], "delivery_record", exe, "record.pdf").status_code == 415
    html = b"<!DOCTYPE html><html><script>alert(1)</script></html>"
    assert upload(api, citizen_alice, app["id"], "delivery_record", html, "r.pdf").status_code == 415
    big = NEWBORN_MATERIALS["baby_photo"] + b"\x00" * (5 * 1024 * 1024)
    assert upload(api, citizen_alice, app["id"], "baby_photo", big, "p.jpg").status_code == 413
    assert upload(api, citizen_alice, app["id"], "nope", PDF_BYTES).status_code == 400
    response = api(citizen_alice).post(f"/api/v1/applications/{app['id']}/documents/", {"material": "x"},
                                       format="multipart")
    assert response.status_code == 400
    ok = upload(api, citizen_alice, app["id"], "delivery_record", PDF_BYTES, "../../出生 记录.pdf")
    assert ok.status_code == 201
    body = ok.json()
    assert set(body) == {"id", "material", "filename", "size", "sha256", "status", "due_date", "uploaded_at", "url"}
    assert body["status"] == "provided" and body["due_date"] is None
    assert "/" not in body["filename"]


def test_documents_are_served_with_safe_headers_to_the_owner_only(api, citizen_alice, outsider_charlie, demo_catalog):
    app = create(api, citizen_alice)
    doc = upload(api, citizen_alice, app["id"], "delivery_record", PDF_BYTES).json()
    response = api(citizen_alice).get(doc["url"])
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox"
    assert not response["Content-Disposition"].startswith("attachment")  # PDFs may show inline
    assert api(outsider_charlie).get(doc["url"]).status_code == 404
    assert api(None).get(doc["url"]).status_code == 401


def test_submit_reports_field_errors_and_missing_materials(api, citizen_alice, demo_catalog):
    app = create(api, citizen_alice, data={"baby_name": "小宝"})
    response = api(citizen_alice).post(f"/api/v1/applications/{app['id']}/submit/")
    assert response.status_code == 400
    body = response.json()
    assert "birth_date" in body["data"] and "delivery_record" in body["materials"]
    assert Application.objects.get(pk=app["id"]).status == "draft"


def test_submit_then_conflicts_on_a_second_submit_and_a_delete(api, citizen_alice, demo_catalog):
    app = create(api, citizen_alice, data=NEWBORN_ANSWERS)
    for material, content in NEWBORN_MATERIALS.items():
        assert upload(api, citizen_alice, app["id"], material, content).status_code == 201
    client = api(citizen_alice)
    response = client.post(f"/api/v1/applications/{app['id']}/submit/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "submitted" and body["number"].startswith("GF-")
    assert [c["status"] for c in body["cases"]] == ["queued", "waiting", "waiting", "waiting"]
    assert body["cases"][0]["due_date"] and body["expected_finish"]
    assert [e["kind"] for e in body["timeline"]] == ["application.submitted", "case.queued"]
    assert body["timeline"][1]["department"]["code"] == "health"
    assert client.post(f"/api/v1/applications/{app['id']}/submit/").status_code == 409
    assert client.delete(f"/api/v1/applications/{app['id']}/").status_code == 409
    assert client.patch(f"/api/v1/applications/{app['id']}/", {"data": {"baby_name": "x"}},
                        format="json").status_code == 409


def test_names_follow_accept_language(api, citizen_alice, demo_catalog):
    app = submitted(citizen_alice, "newborn")
    client = api(citizen_alice)
    zh = client.get(f"/api/v1/applications/{app.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    en = client.get(f"/api/v1/applications/{app.pk}/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert zh["cases"][0]["department"]["name"] != en["cases"][0]["department"]["name"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in zh["cases"][0]["procedure"]["name"])


def test_status_filter_and_pagination(api, citizen_alice, demo_catalog):
    submitted(citizen_alice, "newborn")
    for _ in range(3):
        create(api, citizen_alice)
    client = api(citizen_alice)
    assert client.get("/api/v1/applications/?status=draft").json()["count"] == 3
    assert client.get("/api/v1/applications/?status=submitted").json()["count"] == 1
    assert client.get("/api/v1/applications/?status=bogus").status_code == 400
    page = client.get("/api/v1/applications/?page_size=2").json()
    assert page["count"] == 4 and len(page["results"]) == 2 and page["next"]
    assert client.get("/api/v1/applications/?page=99").status_code == 404


def test_evaluation_rules(api, citizen_alice, clerks):
    from ..stories import approve

    app = submitted(citizen_alice, "business-startup", answers=dict(BUSINESS_ANSWERS, has_employees=False))
    client = api(citizen_alice)
    url = f"/api/v1/applications/{app.pk}/evaluation/"
    assert client.post(url, {"score": 5}, format="json").status_code == 409
    for code in ("amr-licence", "psb-seal-filing", "tax-registration"):
        approve(app, code, clerks[code.split("-")[0]])
    assert client.post(url, {"score": 0}, format="json").status_code == 400
    assert client.post(url, {"score": "five"}, format="json").status_code == 400
    response = client.post(url, {"score": 4, "comment": "很方便"}, format="json")
    assert response.status_code == 201 and response.json()["score"] == 4
    assert client.post(url, {"score": 5}, format="json").status_code == 409
    assert client.get(f"/api/v1/applications/{app.pk}/").json()["evaluation"]["score"] == 4


def _read_one_by_one(app: Application, language: str) -> dict:
    """The contract's representation of ``app``, read the obvious way: its own rows, as models."""
    times = serializers.DateTimeField()
    definition = get_definition(app.version)
    with translation.override(language):
        def department(row):
            return {"code": row.code, "name": localized(row.name)} if row else None

        def office(row):
            return {"code": row.code, "name": localized(row.name), "division": row.division.code}

        evaluation = Evaluation.objects.filter(application=app).first()
        return {
            "id": app.pk, "number": app.number, "one_thing": app.one_thing.code, "version": app.version.number,
            "applicant": {"kind": "organisation", "id": app.organisation.pk, "name": app.organisation.name}
            if app.organisation else {"kind": "person", "id": app.applicant.pk,
                                      "name": app.applicant.name or app.applicant.username},
            "submitted_by": {"id": app.submitted_by.pk, "name": app.submitted_by.name or app.submitted_by.username}
            if app.submitted_by else None,
            "channel": app.channel, "origin": app.origin,
            "division": {"code": app.division.code, "name": localized(app.division.name)}, "status": app.status, "outcome": app.outcome or None,
            "state": app.outcome if app.status == "completed" else app.status,
            "state_label": str({"completed": ApplicationStatus.COMPLETED.label, "rejected": Outcome.REJECTED.label,
                                "partially_approved": Outcome.PARTIALLY_APPROVED.label}.get(
                app.outcome if app.status == "completed" and app.outcome != "approved" else app.status,
                ApplicationStatus(app.status).label)),
            "data": app.data,
            "documents": [{"id": d.pk, "material": d.material_code, "filename": d.filename, "size": d.size,
                           "sha256": d.sha256, "status": d.status,
                           "due_date": d.due_date.isoformat() if d.due_date else None,
                           "uploaded_at": times.to_representation(d.uploaded_at),
                           "url": f"/api/v1/applications/{app.pk}/documents/{d.pk}/file" if d.file else None}
                          for d in app.documents.order_by("material_code", "id")],
            "cases": [{"id": c.pk,
                       "procedure": {"code": c.procedure_code,
                                     "name": localized(definition.procedures[c.procedure_code]["name"])},
                       "department": department(c.department), "office": office(c.office), "status": c.status,
                       "due_date": c.due_date.isoformat() if c.due_date else None, "outputs": c.outputs,
                       "corrections": {"fields": c.corrections.get("fields", []),
                                       "materials": c.corrections.get("materials", []),
                                       "message": c.corrections.get("message", "")}
                       if c.status == "correction_requested" else None}
                      for c in app.cases.order_by("position", "id")],
            "timeline": [{"at": times.to_representation(e.at), "kind": e.kind, "department": department(e.department),
                          "message": e.message}
                         for e in app.timeline.filter(kind__in=PUBLIC_TIMELINE_KINDS).order_by("at", "id")],
            "submitted_at": times.to_representation(app.submitted_at) if app.submitted_at else None,
            "expected_finish": app.expected_finish.isoformat() if app.expected_finish else None,
            "rejections": [rejection_repr(n) for n in rejection_notices(
                definition, app.cases.filter(status="rejected").select_related("department"))],
            "evaluation": {"score": evaluation.score, "comment": evaluation.comment,
                           "created_at": times.to_representation(evaluation.created_at)} if evaluation else None,
            "delivery": {"method": app.delivery_method,
                         "office": office(app.pickup_office) if app.pickup_office else None,
                         "address": app.delivery_address or None} if app.delivery_method else None,
            "deliveries": [{"id": d.pk, "case": d.case_id, "procedure": d.case.procedure_code, "result": d.code,
                            "label": localized(d.label), "method": d.method, "state": d.state,
                            "tracking_number": d.tracking_number, "updated_at": times.to_representation(d.updated_at)}
                           for d in app.deliveries.order_by("id")],
        }


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_list_shows_each_application_as_read_one_by_one(api, citizen_alice, clerks, language):
    """A page is built from a few queries for all its applications' rows: each item must be what its
    own rows say (documents, outputs, a correction request, the public timeline, an evaluation)."""
    finished = submitted(citizen_alice, "business-startup", answers=dict(BUSINESS_ANSWERS, has_employees=False))
    for code in ("amr-licence", "psb-seal-filing", "tax-registration"):
        approve(finished, code, clerks[code.split("-")[0]])
    citizen_actions.evaluation_create(application=finished, user=citizen_alice, score=4, comment="很方便")
    corrected = submitted(citizen_alice, "business-startup")
    deciding.task_claim(case=case_of(corrected, "amr-licence"), user=clerks["amr"])
    deciding.task_complete(case=case_of(corrected, "amr-licence"), user=clerks["amr"], decision="request_correction",
                           corrections={"fields": ["registered_address"], "materials": ["premises_proof"],
                                        "message": "地址与证明不符"})
    submitted(citizen_alice, "newborn")
    draft(citizen_alice, "newborn")

    body = api(citizen_alice).get("/api/v1/applications/", HTTP_ACCEPT_LANGUAGE=language).json()

    expected = [_read_one_by_one(app, language) for app in Application.objects.filter(applicant=citizen_alice)
                .order_by("-created_at", "-id")]
    assert body["results"] == expected
    assert [item["status"] for item in body["results"]] == ["draft", "submitted", "correction_requested", "completed"]
    assert body["results"][2]["cases"][0]["corrections"]["message"] == "地址与证明不符"


def test_the_application_list_costs_the_same_for_1_and_for_50(api, citizen_alice, clerks):
    """Real applications, each with its cases, documents and timeline; one case claimed (an owner,
    several timeline entries per case). A draft is in the plain list and filtered out by ?status=."""
    plain, filtered = "/api/v1/applications/?page_size=100", "/api/v1/applications/?status=in_progress&page_size=100"

    def one_more():
        app = submitted(citizen_alice, "newborn")
        deciding.task_claim(case=case_of(app, "health-birth-certificate"), user=clerks["health"])

    draft(citizen_alice, "business-startup")
    one_more()
    client = api(citizen_alice)
    (plain_one, body), (filtered_one, body_filtered) = list_queries(client, plain), list_queries(client, filtered)
    assert (len(body["results"]), len(body_filtered["results"])) == (2, 1)
    for _ in range(49):
        one_more()
    (plain_many, body), (filtered_many, body_filtered) = list_queries(client, plain), list_queries(client, filtered)
    assert (len(body["results"]), len(body_filtered["results"])) == (51, 50)
    assert body["next"] is None and body_filtered["next"] is None
    # the division and each case's office come with the rows already read
    assert {a["division"]["code"] for a in body["results"]} == {"330106"}
    assert {(c["office"]["code"], c["office"]["division"]) for a in body_filtered["results"] for c in a["cases"]} \
        >= {("health-330106", "330106"), ("mi-330100", "330100")}
    # count, page, and one prefetch each for documents, cases and the timeline
    assert plain_one == plain_many <= 5, (plain_one, plain_many)
    assert filtered_one == filtered_many <= 5, (filtered_one, filtered_many)


@pytest.mark.parametrize(("header", "chinese"), [("", False), ("fr", False), ("en-US,en;q=0.9", False),
                                                 ("zh-CN,zh;q=0.9", True), ("zh-hans", True),
                                                 ("fr, zh;q=0.5", True), ("en, zh;q=0.5", False)])
def test_api_language_is_chinese_only_when_asked_for(api, citizen_alice, demo_catalog, header, chinese):
    app = submitted(citizen_alice, "newborn")
    kwargs = {"HTTP_ACCEPT_LANGUAGE": header} if header else {}
    body = api(citizen_alice).get(f"/api/v1/applications/{app.pk}/", **kwargs).json()
    name = body["cases"][0]["department"]["name"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in name) is chinese


# -- corrections: the API and the portal follow one rule (the service's) ---------------------

def _correction_requested(citizen, clerk, corrections):
    app = submitted(citizen, "business-startup")
    case = case_of(app, "amr-licence")
    deciding.task_claim(case=case, user=clerk)
    deciding.task_complete(case=case, user=clerk, decision="request_correction",
                           corrections={"message": "请更正", **corrections})
    return app


def test_resubmit_without_uploading_a_marked_material_again_is_a_400_that_names_it(api, citizen_alice, clerks):
    app = _correction_requested(citizen_alice, clerks["amr"], {"materials": ["articles_of_association"]})
    before = app.documents.get(material_code="articles_of_association").sha256

    response = api(citizen_alice).post(f"/api/v1/applications/{app.pk}/resubmit/")

    assert response.status_code == 400, response.content
    assert response.json() == {"data": {}, "materials": ["articles_of_association"]}
    app.refresh_from_db()
    assert app.status == "correction_requested"
    assert case_of(app, "amr-licence").status == "correction_requested"
    assert app.documents.get(material_code="articles_of_association").sha256 == before
    assert not app.timeline.filter(kind="application.resubmitted").exists()

    assert upload(api, citizen_alice, app.pk, "articles_of_association", PDF_BYTES + b"%signed").status_code == 201
    response = api(citizen_alice).post(f"/api/v1/applications/{app.pk}/resubmit/")
    assert response.status_code == 200, response.content
    assert case_of(app, "amr-licence").status == "in_review"


def test_a_marked_answer_may_be_confirmed_unchanged_through_the_api_as_in_the_portal(api, citizen_alice, clerks):
    app = _correction_requested(citizen_alice, clerks["amr"], {"fields": ["company_name"]})

    response = api(citizen_alice).post(f"/api/v1/applications/{app.pk}/resubmit/")

    assert response.status_code == 200, response.content
    assert case_of(app, "amr-licence").status == "in_review"


@pytest.mark.parametrize("value", ["12345678\n", "12345678\n\n", "x12345678"])
def test_a_pattern_refuses_a_trailing_newline_and_changes_nothing(api, citizen_alice, demo_catalog, value):
    app = create(api, citizen_alice, one_thing="business-startup", data={"bank_account_no": "12345678"})
    url = f"/api/v1/applications/{app['id']}/"

    response = api(citizen_alice).patch(url, {"data": {"bank_account_no": value}}, format="json")

    assert response.status_code == 400, response.content
    assert list(response.json()["data"]) == ["bank_account_no"]
    assert Application.objects.get(pk=app["id"]).data["bank_account_no"] == "12345678"
    created = api(citizen_alice).post("/api/v1/applications/", {
        "one_thing": "business-startup", "data": {"bank_account_no": value}}, format="json")
    assert created.status_code == 400
