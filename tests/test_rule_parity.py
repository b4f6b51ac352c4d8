"""One rule, one outcome: for each rule the domain owns, the same input through the service, the
API and the web interface (the portal for citizens, the workbench for clerks) gives the same
outcome. Real database, real workflow engine.

Each channel runs on a fresh application and reports a comparable outcome: ``"accepted"``, or the
refusal reduced to what it names (field codes, material codes).
"""
from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from govflow.applications.models import Application, ApplicationStatus, CaseStatus
from govflow.applications.services import citizen_actions, deciding, drafting, submitting
from govflow.errors import DomainError, InvalidInput

from .stories import BUSINESS_ANSWERS, BUSINESS_MATERIALS, OUTPUTS, PDF_BYTES, case_of, draft, submitted, upload

pytestmark = pytest.mark.django_db

ACCEPTED = "accepted"
CORRECTION = {"fields": ["company_name"], "materials": ["articles_of_association"], "message": "请重新上传章程。"}


def _web(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _refusal(errors: dict) -> tuple:
    """An incomplete application's refusal: (field codes with errors, material codes named)."""
    return tuple(sorted((errors.get("data") or {}).keys())), tuple(sorted(errors.get("materials") or []))


def _same(outcomes: dict) -> None:
    assert len(set(outcomes.values())) == 1, outcomes


def _submitting(user, make, service_call, api_url: str):
    """The service and the API channels of a (re)submission of what ``make()`` returns."""
    def service():
        try:
            service_call(application=make(), user=user)
        except InvalidInput as exc:
            return _refusal(exc.errors)
        return ACCEPTED

    def api():
        response = _api(user).post(reverse(api_url, args=[make().pk]))
        return ACCEPTED if response.status_code == 200 else _refusal(response.json())

    return service, api


# -- readiness: submitting a draft ----------------------------------------------------------------

def _without(mapping: dict, key: str | None) -> dict:
    return {k: v for k, v in mapping.items() if k != key}


READINESS = [  # (answer left out, material left out, expected outcome)
    (None, None, ACCEPTED),
    ("company_name", None, (("company_name",), ())),
    (None, "articles_of_association", ((), ("articles_of_association",))),
    ("legal_rep_phone", "premises_proof", (("legal_rep_phone",), ("premises_proof",))),
]


@pytest.mark.parametrize(("answer", "material", "expected"), READINESS)
def test_readiness_is_one_report(citizen_alice, demo_catalog, answer, material, expected):
    def make() -> Application:
        return draft(citizen_alice, "business-startup", _without(BUSINESS_ANSWERS, answer),
                     _without(BUSINESS_MATERIALS, material))

    service, api = _submitting(citizen_alice, make, submitting.application_submit, "api:application-submit")

    def page(response) -> tuple:
        fields = [row["code"] for section in response.context["sections"] for row in section["rows"] if row["errors"]]
        materials = [m["code"] for m in response.context["materials"] if m["errors"]]
        return tuple(sorted(fields)), tuple(sorted(materials))

    def check_page():
        response = _web(citizen_alice).get(reverse("apply-check", args=[make().pk]))
        return page(response) if response.context["error_items"] else ACCEPTED

    def portal():
        response = _web(citizen_alice).post(reverse("apply-submit", args=[make().pk]), {"submit_key": "k"})
        return ACCEPTED if response.status_code == 302 else page(response)

    outcomes = {"service": service(), "api": api(), "check page": check_page(), "portal": portal()}
    _same(outcomes)
    assert outcomes["service"] == expected


# -- what a citizen may change while a correction is requested -----------------------------------

def _in_correction(citizen, clerk) -> Application:
    application = submitted(citizen, "business-startup")
    case = case_of(application, "amr-licence")
    deciding.task_claim(case=case, user=clerk)
    deciding.task_complete(case=case, user=clerk, decision="request_correction", corrections=CORRECTION)
    application.refresh_from_db()
    return application


CHANGES = [  # (answers, material uploaded, expected: is the change stored?)
    ({"company_name": "杭州新名称科技有限公司"}, None, True),
    ({"company_name": ""}, None, False),  # a required answer stays answered
    ({"company_name": "杭州新名称科技有限公司", "legal_rep_name": "冒名顶替"}, None, False),  # not marked
    ({}, "articles_of_association", True),
    ({}, "premises_proof", False),  # not marked
]


def _stored(application: Application, answers: dict, material: str | None) -> bool:
    application.refresh_from_db()
    same = all(application.data.get(k) == v for k, v in answers.items())
    if material is None:
        return same
    return same and application.documents.get(material_code=material).filename == "corrected.pdf"


@pytest.mark.parametrize(("answers", "material", "expected"), CHANGES)
def test_a_correction_changes_only_what_was_marked(citizen_alice, clerks, answers, material, expected):
    def service():
        application = _in_correction(citizen_alice, clerks["amr"])
        try:
            if answers:
                drafting.application_update(application=application, user=citizen_alice, data=answers)
            if material:
                upload(application, citizen_alice, material, PDF_BYTES, "corrected.pdf")
        except DomainError:  # InvalidInput, or InvalidState for a material not marked
            pass
        return _stored(application, answers, material)

    def api():
        application = _in_correction(citizen_alice, clerks["amr"])
        client = _api(citizen_alice)
        if answers:
            client.patch(reverse("api:application-detail", args=[application.pk]),
                         {"data": {k: v or None for k, v in answers.items()}}, format="json")
        if material:
            client.post(reverse("api:document-upload", args=[application.pk]),
                        {"material": material, "file": SimpleUploadedFile("corrected.pdf", PDF_BYTES)},
                        format="multipart")
        return _stored(application, answers, material)

    def portal():
        application = _in_correction(citizen_alice, clerks["amr"])
        body = {"action": "save", "company_name": application.data["company_name"], **answers}
        if material:
            body[f"file-{material}"] = SimpleUploadedFile("corrected.pdf", PDF_BYTES)
        _web(citizen_alice).post(reverse("application-correct", args=[application.pk]), body)
        return _stored(application, answers, material)

    outcomes = {"service": service(), "api": api(), "portal": portal()}
    _same(outcomes)
    assert outcomes["service"] is expected


# -- resubmitting after a correction -------------------------------------------------------------

@pytest.mark.parametrize(("upload_again", "expected"), [
    (True, ACCEPTED),
    (False, ((), ("articles_of_association",))),  # the refused file must be replaced
])
def test_resubmit_is_one_rule(citizen_alice, clerks, upload_again, expected):
    def make() -> Application:
        application = _in_correction(citizen_alice, clerks["amr"])
        if upload_again:
            upload(application, citizen_alice, "articles_of_association", PDF_BYTES, "corrected.pdf")
        return application

    service, api = _submitting(citizen_alice, make, citizen_actions.application_resubmit, "api:application-resubmit")

    def portal():
        application = make()
        response = _web(citizen_alice).post(reverse("application-correct", args=[application.pk]), {
            "action": "resubmit", "company_name": application.data["company_name"]})
        if response.status_code == 302:
            application.refresh_from_db()
            assert application.status != ApplicationStatus.CORRECTION_REQUESTED
            return ACCEPTED
        fields = [q.code for q in response.context["correction_questions"] if q.errors]
        return tuple(fields), tuple(sorted(m["code"] for m in response.context["materials"] if m["errors"]))

    outcomes = {"service": service(), "api": api(), "portal": portal()}
    _same(outcomes)
    assert outcomes["service"] == expected


# -- a clerk's decision: what may be marked, what an output must look like ------------------------

def _held_case(citizen, clerk):
    case = case_of(submitted(citizen, "business-startup"), "amr-licence")
    deciding.task_claim(case=case, user=clerk)
    case.refresh_from_db()
    return case


def _decided(case, status: str) -> bool:
    case.refresh_from_db()
    return case.status == status


def _decide_everywhere(citizen, clerk, *, service_kwargs: dict, api_body: dict, workbench_body: dict,
                       status: str) -> dict:
    def service():
        case = _held_case(citizen, clerk)
        try:
            deciding.task_complete(case=case, user=clerk, **service_kwargs)
        except InvalidInput:
            pass
        return _decided(case, status)

    def api():
        case = _held_case(citizen, clerk)
        _api(clerk).post(reverse("api:task-complete", args=[case.task_id]), api_body, format="json")
        return _decided(case, status)

    def workbench():
        case = _held_case(citizen, clerk)
        _web(clerk).post(reverse("workbench:decide", args=[case.task_id]), {**workbench_body, "confirmed": "1"})
        return _decided(case, status)

    return {"service": service(), "api": api(), "workbench": workbench()}


TARGETS = [  # (fields, materials, may be marked?)
    (["company_name"], [], True),
    ([], ["articles_of_association"], True),
    (["taxpayer_category"], [], False),  # another procedure's answer
    (["company_name"], ["employee_roster"], False),  # another procedure's material
]


@pytest.mark.parametrize(("fields", "materials", "expected"), TARGETS)
def test_correction_targets_are_one_rule(citizen_alice, clerks, fields, materials, expected):
    corrections = {"fields": fields, "materials": materials, "message": CORRECTION["message"]}
    outcomes = _decide_everywhere(
        citizen_alice, clerks["amr"], status=CaseStatus.CORRECTION_REQUESTED,
        service_kwargs={"decision": "request_correction", "corrections": corrections},
        api_body={"decision": "request_correction", "corrections": corrections},
        workbench_body={"decision": "request_correction", "fields_to_correct": fields,
                        "materials_to_correct": materials, "message": corrections["message"]})
    _same(outcomes)
    assert outcomes["service"] is expected


USCC = OUTPUTS["amr-licence"]["uscc"]


@pytest.mark.parametrize(("value", "expected"), [
    (USCC, True),
    (USCC.lower(), False),  # lower-case letters are not in the code's alphabet
    (USCC[:-1], False),  # one character short
])
def test_an_output_must_have_its_format(citizen_alice, clerks, value, expected):
    outcomes = _decide_everywhere(
        citizen_alice, clerks["amr"], status=CaseStatus.APPROVED,
        service_kwargs={"decision": "approve", "outputs": {"uscc": value}},
        api_body={"decision": "approve", "outputs": {"uscc": value}},
        workbench_body={"decision": "approve", "output_uscc": value})
    _same(outcomes)
    assert outcomes["service"] is expected


def test_the_tables_exercise_refusals_and_acceptances():
    """Each table holds at least one accepted and one refused row (a table of only one kind would
    compare nothing worth comparing)."""
    for table, outcome in ((READINESS, lambda row: row[-1] == ACCEPTED), (CHANGES, lambda row: row[-1]),
                           (TARGETS, lambda row: row[-1])):
        assert {outcome(row) for row in table} == {True, False}
