"""govflow's objects as the GovStack Registration Building Block represents them (docs/govstack.md).

Everything shown comes from the same rows and the same published snapshot (``get_definition``) as
``/api/v1/``; this module only renames and reshapes. The specification types every form answer as a
JSON object (``additionalProperties: {type: object}``), so each answer travels as ``{"value": answer}``.
"""
from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from rest_framework import serializers

from govflow.applications.models import Application, ApplicationStatus, Case, CaseStatus, Document, Outcome
from govflow.catalog.definition import get_definition
from govflow.catalog.models import OneThing, OneThingVersion, localized

from . import ids

PENDING, APPROVED, SENDBACK, REJECTED = "PENDING", "APPROVED", "SENDBACK", "REJECTED"


def when(value) -> str | None:
    return serializers.DateTimeField().to_representation(value) if value else None


def status(code: str, title: str) -> dict:
    return {"code": code, "title": str(title)}


def wrapped(answers: dict) -> dict:
    """Answers as the specification types them: each an object."""
    return {key: {"value": value} for key, value in answers.items()}


def unwrapped(data: Any) -> Any:
    """Answers as govflow keeps them: ``{"value": x}`` → ``x``; a bare value stays as it is."""
    if not isinstance(data, dict):
        return data
    return {key: value["value"] if isinstance(value, dict) and set(value) == {"value"} else value
            for key, value in data.items()}


def _language() -> str:
    return "zh-hans" if (get_language() or "").lower().startswith("zh") else "en"


# -- services and eForms -------------------------------------------------------------------------

def service_repr(one_thing: OneThing) -> dict:
    version = one_thing.current_version
    definition = get_definition(version)
    snapshot = definition.one_thing
    body = [{"code": "code", "value": snapshot["code"]},
            {"code": "committedDays", "value": str(snapshot["committed_days"])},
            {"code": "applicant", "value": definition.applicant},
            {"code": "eFormId", "value": ids.eform_id(snapshot["code"], version.number)}]
    body += [{"code": "procedure", "value": step["procedure"]} for step in definition.steps]
    return {"id": ids.service_id(snapshot["code"]), "name": localized(snapshot.get("name")),
            "version": str(version.number), "type": "Public", "isExecutable": True, "isClosed": True,
            "description": localized(snapshot.get("description")), "serviceBody": body}


def eform_repr(one_thing: OneThing, *, with_schema: bool, version: OneThingVersion | None = None) -> dict:
    """The form of ``version`` (default: the current one); ``latest`` only for the current one."""
    version = version or one_thing.current_version
    definition = get_definition(version)
    snapshot = definition.one_thing
    form = {"eFormId": ids.eform_id(snapshot["code"], version.number), "name": localized(snapshot.get("name")),
            "description": localized(snapshot.get("description")), "version": str(version.number),
            "latest": version.pk == one_thing.current_version_id}
    if with_schema:
        schema = definition.form_schema(_language())
        schema["x-govflow-materials"] = [
            {"code": m["code"], "name": localized(m["label"]), "required": m["required"],
             "accepted_types": m["accepted_types"], "max_size_mb": m["max_size_mb"]}
            for m in definition.materials_asked]
        form["schema"] = schema
    return form


# -- applications ---------------------------------------------------------------------------------

_APPLICATION_STATUS = {
    ApplicationStatus.DRAFT: PENDING, ApplicationStatus.SUBMITTED: PENDING, ApplicationStatus.IN_PROGRESS: PENDING,
    ApplicationStatus.CORRECTION_REQUESTED: SENDBACK, ApplicationStatus.WITHDRAWN: REJECTED,
}
_OUTCOME_STATUS = {Outcome.APPROVED: APPROVED, Outcome.PARTIALLY_APPROVED: APPROVED, Outcome.REJECTED: REJECTED}


def application_status(app: Application) -> dict:
    if app.status == ApplicationStatus.COMPLETED:
        return status(_OUTCOME_STATUS.get(app.outcome, PENDING), Outcome(app.outcome).label if app.outcome
                      else ApplicationStatus.COMPLETED.label)
    return status(_APPLICATION_STATUS.get(app.status, PENDING), ApplicationStatus(app.status).label)


def definition_code(app: Application) -> str:
    return get_definition(app.version).code


def applicant_id(app: Application) -> str:
    """The applicant: ``org:<id>`` for an organisation, else the person's account id."""
    if app.organisation_id:
        return f"org:{app.organisation_id}"
    return str(app.applicant_id) if app.applicant_id else ""


def document_url(request, document: Document) -> str:
    return request.build_absolute_uri(reverse("api:document-file", args=[document.application_id, document.pk]))


def application_repr(request, app: Application, documents: list[Document]) -> dict:
    definition = get_definition(app.version)
    data = {"applicantId": applicant_id(app), "applicationName": app.number or localized(definition.one_thing.get("name")),
            "created": when(app.created_at),
            "formData": {"data": wrapped(app.data or {}), "eFormId": ids.eform_id(definition.code, app.version.number)},
            "documentUrls": [document_url(request, d) for d in documents if d.file]}
    body = {"fileId": str(app.pk), "serviceId": ids.service_id(definition.code),
            "serviceName": localized(definition.one_thing.get("name")), "status": application_status(app),
            "ended": app.status in (ApplicationStatus.COMPLETED, ApplicationStatus.WITHDRAWN),
            "applicantId": data["applicantId"], "applicationData": data}
    if app.submitted_at:
        body["registered"] = when(app.submitted_at)
    return body


def application_list_item(request, app: Application, documents: list[Document]) -> dict:
    full = application_repr(request, app, documents)
    item = {"fileId": full["fileId"], "status": full["status"], "applicantId": full["applicantId"],
            "created": full["applicationData"]["created"], "description": full["applicationData"]["applicationName"],
            "serviceName": full["serviceName"], "serviceId": full["serviceId"],
            "eformId": full["applicationData"]["formData"]["eFormId"],
            "documentUrls": full["applicationData"]["documentUrls"]}
    if "registered" in full:
        item["registered"] = full["registered"]
    return item


# -- tasks ----------------------------------------------------------------------------------------

_CASE_STATUS = {
    CaseStatus.WAITING: PENDING, CaseStatus.QUEUED: PENDING, CaseStatus.IN_REVIEW: PENDING,
    CaseStatus.CORRECTION_REQUESTED: SENDBACK, CaseStatus.APPROVED: APPROVED, CaseStatus.REJECTED: REJECTED,
    CaseStatus.CANCELLED: REJECTED, CaseStatus.REVOKED: REJECTED,
}


def case_status(case: Case) -> dict:
    return status(_CASE_STATUS.get(case.status, PENDING), CaseStatus(case.status).label)


def task_repr(case: Case, task_id: int) -> dict:
    app = case.application
    definition = get_definition(app.version)
    body = {"taskId": str(task_id), "mainTaskId": str(app.pk), "name": localized(case.procedure.name),
            "roleId": case.office.code if case.office_id else case.department.code,
            "created": when(case.queued_at) or when(app.submitted_at),
            "description": _("%(procedure)s of application %(number)s") % {
                "procedure": localized(case.procedure.name), "number": app.number or app.pk},
            "serviceId": ids.service_id(definition.code), "serviceName": localized(definition.one_thing.get("name")),
            "fileId": str(app.pk), "eFormId": ids.eform_id(definition.code, app.version.number),
            "status": case_status(case)}
    if case.owner_id:
        body["assigneeId"] = case.owner.username
    return {k: v for k, v in body.items() if v is not None}


def task_detail_repr(request, case: Case, task_id: int, view: dict) -> dict:
    """``view``: what ``selectors.task_view_for_clerk`` lets the clerk see of the case."""
    summary = task_repr(case, task_id)
    body = {"taskId": summary["taskId"], "taskName": summary["name"], "roleId": summary["roleId"],
            "description": summary["description"], "fileId": summary["fileId"], "serviceId": summary["serviceId"],
            "serviceName": summary["serviceName"], "eFormId": summary["eFormId"], "status": summary["status"],
            "data": wrapped({**view["data"], **view["outputs"]}),
            "formVariables": {
                "outputs": {"value": [o["code"] for o in
                                      get_definition(case.application.version).outputs_of(case.procedure_code)]},
                "documentUrls": {"value": [document_url(request, d) for d in view["documents"] if d.file]}}}
    for key in ("created", "assigneeId"):
        if key in summary:
            body[key] = summary[key]
    return body
