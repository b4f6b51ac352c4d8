"""No request can cause a 500 (issue #13 item 2): hostile text, deep JSON, huge bodies, odd uploads.

Plain tests, one per defect; they run on SQLite and, with ``DATABASE_URL`` set, on PostgreSQL,
which is where NUL and lone surrogates used to become a 500 (it cannot store them).
``test_fuzz_no_5xx.py`` sends arbitrary input to every write endpoint.
"""
from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, RequestFactory
from rest_framework.test import APIClient

from govflow.api.callbacks import signature_header
from govflow.api.models import InboundEvent
from govflow.applications.models import Application, Case, Document, Evaluation
from govflow.applications.services import citizen_actions, deciding
from govflow.catalog.models import Department

from ..factories import MembershipFactory, id_number_for
from ..stories import OUTPUTS, PDF_BYTES, approve, case_of, draft, submitted

pytestmark = pytest.mark.django_db

#: NUL, a lone surrogate, a right-to-left override, an escape sequence: json.dumps sends them as
#: ``\u0000``, ``\ud800``... escapes, which the server decodes back into these characters.
HOSTILE = ["a\x00b", "\ud800", "abc\u202egpj.exe", "a\x1b[31mb"]
CALLBACK_SECRET = "amr-webhook-secret-0123456789"
TEXT_ERROR = "Remove the characters that are not allowed here"
TEXT_ERROR_ZH = "请删除此处不允许的字符"


def client(user=None, language="en") -> APIClient:
    api = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    if user is not None:
        api.force_authenticate(user)
    return api


def send(api, method: str, url: str, raw: str | bytes, **extra):
    return getattr(api, method)(url, raw, content_type="application/json", **extra)


def errors_of(response) -> str:
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    return json.dumps(response.json(), ensure_ascii=False)


# -- text in answers, names and messages -------------------------------------------------------------


@pytest.mark.parametrize("literal", HOSTILE)
def test_hostile_text_in_an_answer_is_a_400_on_that_field_and_nothing_is_created(citizen_alice, demo_catalog,
                                                                                  literal):
    response = send(client(citizen_alice), "post", "/api/v1/applications/",
                    json.dumps({"one_thing": "newborn", "data": {"baby_name": literal}}))
    assert response.status_code == 400
    assert TEXT_ERROR in json.dumps(response.json()["data"]["baby_name"])
    assert not Application.objects.exists()


@pytest.mark.parametrize("literal", HOSTILE)
def test_hostile_text_in_a_patch_is_a_400_and_the_answers_stay(citizen_alice, demo_catalog, literal):
    app = draft(citizen_alice, "newborn")
    before = Application.objects.get(pk=app.pk).data
    response = send(client(citizen_alice, "zh-hans"), "patch", f"/api/v1/applications/{app.pk}/",
                    json.dumps({"data": {"baby_name": literal, "mailing_address": literal}}))
    assert response.status_code == 400
    body = response.json()["data"]
    assert set(body) == {"baby_name", "mailing_address"}
    assert TEXT_ERROR_ZH in body["baby_name"][0]
    assert Application.objects.get(pk=app.pk).data == before


@pytest.mark.parametrize("literal", HOSTILE)
def test_a_hostile_field_code_is_a_400_that_does_not_echo_it(citizen_alice, demo_catalog, literal):
    app = draft(citizen_alice, "newborn")
    for method, url, body in [("post", "/api/v1/applications/", {"one_thing": "newborn", "data": {literal: 1}}),
                              ("patch", f"/api/v1/applications/{app.pk}/", {"data": {literal: 1}})]:
        response = send(client(citizen_alice), method, url, json.dumps(body))
        assert response.status_code == 400, response.content
        assert TEXT_ERROR in errors_of(response)


def test_a_multi_line_answer_keeps_line_breaks_and_tabs_but_not_other_controls(citizen_alice, demo_catalog):
    app = draft(citizen_alice, "newborn")
    url = f"/api/v1/applications/{app.pk}/"
    ok = send(client(citizen_alice), "patch", url, json.dumps({"data": {"mailing_address": "杭州市\r\n上城区\t1 号"}}))
    assert ok.status_code == 200, ok.content
    one_line = send(client(citizen_alice), "patch", url, json.dumps({"data": {"baby_name": "张\n小宝"}}))
    assert one_line.status_code == 400 and "baby_name" in one_line.json()["data"]
    bell = send(client(citizen_alice), "patch", url, json.dumps({"data": {"mailing_address": "a\x07b"}}))
    assert bell.status_code == 400 and "mailing_address" in bell.json()["data"]


@pytest.mark.parametrize("literal", HOSTILE)
def test_hostile_text_on_login_and_registration_is_a_400(db, literal):
    login = send(client(), "post", "/api/v1/auth/token/", json.dumps({"username": literal, "password": literal}))
    assert login.status_code == 400, login.content
    register = send(client(), "post", "/api/v1/auth/register/",
                    json.dumps({"username": literal, "password": "Kaiban-yijianshi-26", "name": literal,
                                "id_number": id_number_for(79, birth="19880512"), "phone": "13800138000"}))
    assert register.status_code == 400, register.content
    assert {"username", "name"} <= set(register.json())


@pytest.mark.parametrize("comment", ["好\x07评", "好\u202e评", "a\x00b"])
def test_hostile_evaluation_comment_is_a_400(citizen_alice, clerks, comment):
    app = submitted(citizen_alice, "newborn")
    for procedure in ("health-birth-certificate", "psb-household-registration", "mi-newborn-insurance",
                      "hrss-social-security-card"):
        approve(app, procedure, clerks[procedure.split("-")[0]])
    response = send(client(citizen_alice), "post", f"/api/v1/applications/{app.pk}/evaluation/",
                    json.dumps({"score": 5, "comment": comment}))
    assert response.status_code == 400 and "comment" in response.json()
    assert not Evaluation.objects.exists()
    ok = send(client(citizen_alice), "post", f"/api/v1/applications/{app.pk}/evaluation/",
              json.dumps({"score": 5, "comment": "办事快。\n谢谢！"}))
    assert ok.status_code == 201, ok.content


@pytest.mark.parametrize("body", [
    {"decision": "reject", "comment": "依据\u202e第十四条"},
    {"decision": "approve", "outputs": {"uscc": OUTPUTS["amr-licence"]["uscc"] + "\x1b"}},
    {"decision": "request_correction", "corrections": {"fields": ["company_name"], "message": "请\x08核对"}},
    {"decision": "request_correction", "corrections": {"fields": ["company_name\u2066"], "message": "请核对"}},
    {"decision": "approve", "outputs": {"uscc\ud800": "x"}},
])
def test_hostile_text_in_a_decision_is_a_400_and_the_case_stays(citizen_alice, clerks, body):
    app = submitted(citizen_alice, "business-startup")
    case = case_of(app, "amr-licence")
    deciding.task_claim(case=case, user=clerks["amr"])
    response = send(client(clerks["amr"]), "post", f"/api/v1/tasks/{case.task_id}/complete/", json.dumps(body))
    assert response.status_code == 400, response.content
    errors_of(response)
    assert Case.objects.get(pk=case.pk).status == "in_review"


# -- deep JSON -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/api/v1/auth/token/", "/api/v1/auth/register/"])
def test_deeply_nested_json_is_a_400_even_anonymously(db, url):
    response = send(client(), "post", url, "[" * 50_000)
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["detail"]


@pytest.mark.parametrize("depth", [65, 50_000])
def test_a_deeply_nested_signed_callback_is_a_400_and_decides_nothing(citizen_alice, demo_catalog, depth):
    Department.objects.filter(code="amr").update(webhook_secret=CALLBACK_SECRET)
    case = case_of(submitted(citizen_alice, "business-startup"), "amr-licence")
    raw = ('{"event_id": "evt-deep", "decision": "approve", "outputs": ' + "[" * depth + "]" * depth + "}").encode()
    response = send(client(), "post", f"/api/v1/cases/{case.pk}/decision/", raw,
                    HTTP_X_GOVFLOW_SIGNATURE=signature_header(CALLBACK_SECRET, raw))
    assert response.status_code == 400, response.content[:200]
    assert "nested too deeply" in response.json()["detail"]
    assert Case.objects.get(pk=case.pk).status == "queued" and not InboundEvent.objects.exists()


@pytest.mark.parametrize("depth", [65, 900, 50_000])
def test_deeply_nested_answers_are_a_400_with_or_without_idempotency_key(citizen_alice, demo_catalog, depth):
    raw = '{"one_thing": "newborn", "data": {"baby_name": ' + "[" * depth + "]" * depth + "}}"
    for headers in ({}, {"HTTP_IDEMPOTENCY_KEY": f"deep-{depth}"}):
        response = send(client(citizen_alice, "zh-hans"), "post", "/api/v1/applications/", raw, **headers)
        assert response.status_code == 400, response.content[:200]
        assert "嵌套层数过多" in response.json()["detail"]
    assert not Application.objects.exists()


def test_nesting_within_the_limit_is_parsed_as_usual(citizen_alice, demo_catalog):
    raw = '{"one_thing": "newborn", "data": {"baby_name": ' + "[" * 60 + "]" * 60 + "}}"
    response = send(client(citizen_alice), "post", "/api/v1/applications/", raw)
    assert response.status_code == 400
    assert "baby_name" in response.json()["data"]  # an answer of the wrong type, not a parse error


# -- too large, malformed, several files --------------------------------------------------------------


def test_a_too_large_json_body_without_idempotency_key_is_a_json_413(citizen_alice, demo_catalog):
    raw = '{"one_thing": "newborn", "data": {"baby_name": "' + "a" * 3_000_000 + '"}}'
    response = send(client(citizen_alice, "zh-hans"), "post", "/api/v1/applications/", raw)
    assert response.status_code == 413
    assert response.json() == {"detail": "请求体过大。"}
    assert not Application.objects.exists()


def test_several_file_parts_in_one_upload_are_a_400_and_nothing_is_stored(citizen_alice, demo_catalog):
    app = draft(citizen_alice, "newborn", materials={})
    response = client(citizen_alice).post(
        f"/api/v1/applications/{app.pk}/documents/",
        {"material": "delivery_record", "file": [SimpleUploadedFile("a.pdf", PDF_BYTES),
                                                  SimpleUploadedFile("b.pdf", PDF_BYTES)]}, format="multipart")
    assert response.status_code == 400
    assert response.json() == {"file": ["Upload one file at a time."]}
    assert not Document.objects.filter(application=app).exists()


def test_hostile_characters_in_an_upload_file_name_are_replaced(citizen_alice, demo_catalog):
    app = draft(citizen_alice, "newborn", materials={})
    response = client(citizen_alice).post(
        f"/api/v1/applications/{app.pk}/documents/",
        {"material": "delivery_record", "file": SimpleUploadedFile("证明\u202efdp.exe\x01.pdf", PDF_BYTES)},
        format="multipart")
    assert response.status_code == 201, response.content
    name = Document.objects.get(application=app).filename
    assert "\u202e" not in name and "\x01" not in name and name.endswith(".pdf")


@pytest.mark.parametrize("key", ["a\x01b", "ключ", " "])
def test_a_bad_idempotency_key_is_a_json_400(citizen_alice, demo_catalog, key):
    response = send(client(citizen_alice), "post", "/api/v1/applications/", '{"one_thing": "newborn"}',
                    HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 400 and "Idempotency-Key" in response.json()
    assert not Application.objects.exists()


def test_a_bad_host_is_a_json_400_under_the_api_and_an_html_page_elsewhere(db):
    api = Client(raise_request_exception=False).get("/api/v1/one-things/", HTTP_HOST="evil..example")
    assert api.status_code == 400 and api.json() == {"detail": "The request is malformed."}
    page = Client(raise_request_exception=False).get("/", HTTP_HOST="evil..example")
    assert page.status_code == 400 and page["Content-Type"].startswith("text/html")


def test_csrf_failures_and_server_errors_are_json_under_the_api():
    from govflow.api.exceptions import csrf_failure, server_error

    request = RequestFactory().post("/api/v1/applications/")
    for response, status in ((csrf_failure(request, reason="no token"), 403), (server_error(request), 500)):
        assert response.status_code == status and "detail" in json.loads(response.content)
    page = server_error(RequestFactory().get("/applications/"))
    assert page.status_code == 500 and page["Content-Type"].startswith("text/html")


# -- portal and workbench ------------------------------------------------------------------------------


def test_a_nul_in_a_search_is_not_a_500(citizen_alice, clerk_bob_amr):
    portal = Client(raise_request_exception=False)
    portal.force_login(citizen_alice)
    for url in ("/?q=%00", "/applications/?q=a%00b&status=%00"):
        assert portal.get(url).status_code < 500, url
    workbench = Client(raise_request_exception=False)
    workbench.force_login(clerk_bob_amr)
    for url in ("/workbench/?q=%00", "/workbench/mine/?q=%00&procedure=%00&sla=%00"):
        assert workbench.get(url).status_code < 500, url


@pytest.mark.parametrize("value", ["a\x00b", "a\x01b", "a\u202eb"])
def test_hostile_text_in_the_portal_form_is_an_error_and_nothing_is_saved(citizen_alice, demo_catalog, value):
    app = draft(citizen_alice, "newborn", answers={"baby_name": "张小宝"}, materials={})
    portal = Client(HTTP_ACCEPT_LANGUAGE="en", raise_request_exception=False)
    portal.force_login(citizen_alice)
    response = portal.post(f"/applications/{app.pk}/form/", {"baby_name": value})
    assert response.status_code < 500
    assert Application.objects.get(pk=app.pk).data["baby_name"] == "张小宝"


def test_hostile_names_on_portal_login_and_registration_are_errors(db):
    portal = Client(HTTP_ACCEPT_LANGUAGE="en", raise_request_exception=False)
    assert portal.post("/accounts/login/", {"username": "a\x00", "password": "b\x00"}).status_code < 500
    response = portal.post("/accounts/register/", {
        "username": "mallory", "password1": "Kaiban-yijianshi-26", "password2": "Kaiban-yijianshi-26",
        "name": "Mal\u202elory", "id_number": id_number_for(78, birth="19880512"), "phone": "13800138000"})
    assert response.status_code < 500
    assert TEXT_ERROR in response.content.decode()


def test_several_files_in_the_portal_upload_are_an_error(citizen_alice, demo_catalog):
    app = draft(citizen_alice, "newborn", materials={})
    portal = Client(HTTP_ACCEPT_LANGUAGE="en")
    portal.force_login(citizen_alice)
    response = portal.post(f"/applications/{app.pk}/materials/", {
        "material": "delivery_record", "file": [SimpleUploadedFile("a.pdf", PDF_BYTES),
                                                 SimpleUploadedFile("b.pdf", PDF_BYTES)]})
    assert "Upload one file at a time." in response.content.decode()
    assert not Document.objects.filter(application=app).exists()


def test_hostile_decision_comment_in_the_workbench_is_a_400(citizen_alice, clerks):
    app = submitted(citizen_alice, "business-startup")
    case = case_of(app, "amr-licence")
    deciding.task_claim(case=case, user=clerks["amr"])
    workbench = Client(HTTP_ACCEPT_LANGUAGE="en")
    workbench.force_login(clerks["amr"])
    response = workbench.post(f"/workbench/tasks/{case.task_id}/decide/",
                              {"decision": "reject", "comment": "依据\u202e第十四条", "confirmed": "1"})
    assert response.status_code == 400
    assert TEXT_ERROR in response.content.decode()
    assert Case.objects.get(pk=case.pk).status == "in_review"


def test_hostile_text_in_a_follow_up_note_is_refused_and_nothing_recorded(citizen_alice, clerks):
    from govflow.accounts.models import Role
    from govflow.errors import InvalidInput
    from govflow.workbench.services import evaluation_follow_up

    from ..factories import UserFactory

    app = submitted(citizen_alice, "newborn")
    for procedure in ("health-birth-certificate", "psb-household-registration", "mi-newborn-insurance",
                      "hrss-social-security-card"):
        approve(app, procedure, clerks[procedure.split("-")[0]])
    evaluation = citizen_actions.evaluation_create(application=app, user=citizen_alice, score=1)
    supervisor = UserFactory(username="sue-health")
    MembershipFactory(user=supervisor, department=Department.objects.get(code="health"),
                              role=Role.SUPERVISOR)
    with pytest.raises(InvalidInput) as refused:
        evaluation_follow_up(evaluation=evaluation, user=supervisor, note="已回访\u202e")
    assert set(refused.value.errors) == {"note"}
    evaluation.refresh_from_db()
    assert evaluation.followed_up_at is None and evaluation.follow_up_note == ""
    evaluation_follow_up(evaluation=evaluation, user=supervisor, note="已电话回访。\n\t优化了流程。")


@pytest.mark.parametrize("target", ["0", "applications", "/ok\r\nSet-Cookie: x=1", "/a\x00b"])
def test_a_next_that_is_not_a_clean_path_goes_to_the_default_page(citizen_alice, clerks, target):
    app = submitted(citizen_alice, "business-startup")
    case = case_of(app, "amr-licence")
    deciding.task_claim(case=case, user=clerks["amr"])
    workbench = Client(HTTP_ACCEPT_LANGUAGE="en", raise_request_exception=False)
    workbench.force_login(clerks["amr"])
    response = workbench.post(f"/workbench/tasks/{case.task_id}/release/", {"next": target})
    assert response.status_code == 302 and response["Location"] == "/workbench/mine/"
