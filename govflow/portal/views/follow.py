"""Follow an application: the list, and the detail page with its timeline, its cases, what is asked
of the citizen and what they may do (the actions themselves are :mod:`.follow_actions`).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from govflow.applications import delivery as delivery_rules
from govflow.applications import papers, proactive
from govflow.applications import selectors as app_selectors
from govflow.applications.models import Application, ApplicationStatus, CaseStatus, DocumentStatus, Origin
from govflow.applications.readiness import readiness
from govflow.applications.remedies import rejection_notices
from govflow.applications.rules import correction_scope
from govflow.applications.states import STATES, may_apply_again, state_label, state_of
from govflow.applications.timeline import citizen_note, citizen_text
from govflow.catalog import questions as qa
from govflow.catalog.checkers import readable_comment
from govflow.catalog.definition import Definition
from govflow.catalog.models import localized
from govflow.catalog.questions import department_name_of, procedure_name
from govflow.text import join_list

from ..acting import current_principal
from ..forms import EvaluationForm, FilterForm
from ..selectors import one_thing_name, published_one_thing_choices
from ..templatetags.portal import tone
from .common import (
    _applicable,
    _definition,
    _documents,
    _error_items,
    _materials_for,
    _questions,
    _row,
)

PAGE_SIZE = 20


# -- follow --------------------------------------------------------------------------------------

class _LocalDates:
    """What ``|date:"Y-m-d"`` and ``|date:"Y-m-d H:i"`` print (in the current time zone, as templates
    convert), with the time zone looked up once per page: the ``date`` filter costs ~20 µs a value."""

    def __init__(self) -> None:
        self.zone = timezone.get_current_timezone() if settings.USE_TZ else None

    def _local(self, value: Any) -> Any:
        if self.zone is not None and isinstance(value, datetime) and timezone.is_aware(value):
            return value.astimezone(self.zone)
        return value

    def day(self, value: Any) -> str:
        if not value:
            return ""
        value = self._local(value)
        return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"

    def minute(self, value: Any) -> str:
        if not value:
            return ""
        value = self._local(value)
        return f"{value.year:04d}-{value.month:02d}-{value.day:02d} {value.hour:02d}:{value.minute:02d}"


def _list_rows(applications: list[Application]) -> list[dict]:
    """The list's rows in display form: labels translated once per page, a one thing's name once per
    version, so that the template only prints strings (per-row template work was most of the page)."""
    labels = {code: str(label) for code, label in STATES.items()}
    names: dict[int, str] = {}
    dates = _LocalDates()
    progress = app_selectors.case_progress([application.pk for application in applications])
    rows = []
    for application in applications:
        name = names.get(application.version_id)
        if name is None:
            name = names[application.version_id] = one_thing_name(application)
        status = application.status
        state = state_of(status, application.outcome)
        done, total = progress.get(application.pk, (0, 0))
        rows.append({
            "application": application, "name": name, "url": reverse("application", args=[application.pk]),
            "number": application.number,
            "state": state, "status_label": labels.get(state, state), "status_tone": tone(state),
            "submitted": dates.day(application.submitted_at),
            "saved": "" if application.submitted_at else dates.minute(application.updated_at),
            "expected_finish": dates.day(application.expected_finish),
            "done": done, "total": total,
            "needs_you": status == ApplicationStatus.CORRECTION_REQUESTED,
            "origin": application.origin if application.origin != Origin.CITIZEN else "",
        })
    return rows


@login_required
@require_safe
def application_list(request: HttpRequest) -> HttpResponse:
    form = FilterForm(request.GET or None, one_things=published_one_thing_choices())
    status = code = ""
    if form.is_valid():
        status, code = form.cleaned_data["status"], form.cleaned_data["one_thing"]
    principal = current_principal(request)
    queryset = app_selectors.applications_for_citizen(user=request.user, status=status or None, principal=principal)
    if code:
        queryset = queryset.filter(one_thing__code=code)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = _list_rows(list(page.object_list))
    query = request.GET.copy()
    query.pop("page", None)
    # Proactive services: what the state prepared for the person, waiting for them (1 query).
    offers = ([{"pk": o.pk, "name": localized(o.one_thing.name)} for o in proactive.waiting_offers(request.user)]
              if principal.kind == "self" else [])
    return render(request, "portal/application_list.html", {
        "form": form, "rows": rows, "page": page, "filtered": bool(status or code), "query": query.urlencode(),
        "principal": principal, "offers": offers,
    })


def _holder(case, definition: Definition, department: str) -> str:
    if case.status == CaseStatus.WAITING:
        names = [procedure_name(definition, p) for p in case.after]
        return _("Starts when %(procedures)s is approved") % {"procedures": join_list(names) or "—"}
    if case.status == CaseStatus.QUEUED:
        return _("%(department)s (waiting for a clerk)") % {"department": department}
    if case.status == CaseStatus.IN_REVIEW:
        return _("%(department)s (a clerk is reviewing it)") % {"department": department}
    if case.status == CaseStatus.CORRECTION_REQUESTED:
        return _("You: corrections are needed")
    if case.status == CaseStatus.REJECTED:
        return _("No one: refused")
    if case.status == CaseStatus.CANCELLED:
        return _("No one: cancelled")
    if case.status == CaseStatus.REVOKED:
        return _("No one: the approval was revoked")
    return _("No one: finished")


def _case_rows(application: Application, definition: Definition, cases: list) -> list[dict]:
    rows = []
    for case in cases:
        department = localized(case.department.name) if case.department_id else department_name_of(
            definition, case.procedure_code)
        outputs = []
        labels = {o["code"]: localized(o.get("label")) or o["code"] for o in definition.outputs_of(case.procedure_code)} \
            if case.procedure_code in definition.procedures else {}
        for code, value in (case.outputs or {}).items():
            outputs.append({"label": labels.get(code, code), "value": value})
        rows.append({
            "case": case, "procedure": procedure_name(definition, case.procedure_code), "department": department,
            "status": case.status, "status_label": case.get_status_display(), "due_date": case.due_date,
            "holder": _holder(case, definition, department), "outputs": outputs,
            "comment": readable_comment(case.comment) if case.status == CaseStatus.REJECTED else "",
        })
    return rows


def _timeline_text(entry, cases_by_id: dict, definition: Definition) -> str:
    case = cases_by_id.get(entry.case_id)
    procedure = procedure_name(definition, case.procedure_code) if case is not None else ""
    department = localized(entry.department.name) if entry.department_id and entry.department else ""
    result = localized(entry.data.get("label")) if isinstance(entry.data, dict) and entry.data.get("label") else ""
    return citizen_text(entry.kind, procedure=procedure, department=department, result=result, data=entry.data)


def _timeline_note(entry) -> str:
    """The words a citizen should read with an event (the domain's rule: ``timeline.citizen_note``)."""
    return citizen_note(entry)


def _timeline_agent(entry) -> str:
    """Who acted on the applicant's side for someone else ("李娜 for 杭州示例科技有限公司"): the
    entries of such steps name whom (``data["on_behalf_of"]``); clerks are never named."""
    on_behalf_of = entry.data.get("on_behalf_of") if isinstance(entry.data, dict) else None
    if not isinstance(on_behalf_of, dict) or entry.actor is None:
        return ""
    return _("%(agent)s for %(party)s") % {"agent": entry.actor.name or entry.actor.username,
                                           "party": on_behalf_of.get("name", "")}


def _party(request: HttpRequest, application: Application) -> dict:
    """Whom the application is for, who applied, and the authorisation it was made under."""
    submitted_by = application.submitted_by
    for_name = (application.organisation.name if application.organisation_id
                else application.applicant.name or application.applicant.username)
    return {
        "for_name": for_name, "for_organisation": bool(application.organisation_id),
        "for_you": application.applicant_id == request.user.pk,
        "submitted_by": (submitted_by.name or submitted_by.username) if submitted_by is not None else "",
        "by_someone_else": submitted_by is not None and submitted_by.pk != application.applicant_id,
        "authorisation": application.authorisation if application.authorisation_id else None,
        "channel": application.get_channel_display(),
        "counter": application.channel == "counter",
    }


def correction_state(application: Application, definition: Definition, cases: list) -> dict | None:
    waiting = [c for c in cases if c.status == CaseStatus.CORRECTION_REQUESTED]
    if not waiting:
        return None
    scope = correction_scope(definition, waiting)
    requests = []
    for case in waiting:
        corrections = case.corrections or {}
        requests.append({"procedure": procedure_name(definition, case.procedure_code),
                         "department": localized(case.department.name), "message": corrections.get("message", ""),
                         "fields": [localized(definition.fields[f].get("label")) or f
                                    for f in corrections.get("fields", []) if f in definition.fields],
                         "materials": [localized(definition.materials.get(m, {}).get("label")) or m
                                       for m in corrections.get("materials", [])],
                         "since": case.paused_at})
    return {"fields": list(scope.fields), "materials": list(scope.materials), "requests": requests, "cases": waiting}


def detail_context(request: HttpRequest, application: Application, *, correction_errors=None, raw=None,
                    material_errors=None, other_errors=()) -> dict:
    definition = _definition(application)
    cases = list(application.cases.select_related("department"))
    cases_by_id = {c.pk: c for c in cases}
    documents = _documents(application)
    data = application.data or {}
    applicable = [c.procedure_code for c in cases] or _applicable(definition, data)
    correction = correction_state(application, definition, cases)
    marked_fields = set(correction["fields"]) if correction else set()
    marked_materials = set(correction["materials"]) if correction else set()

    sections = []
    if definition.guide:
        sections.append({"title": _("Your situation"), "rows": [
            {**_row(definition, c, data, {}, ""), "marked": False} for c in definition.guide]})
    for title, department, codes in qa.sections(definition, applicable):
        sections.append({"title": title, "department": department, "rows": [
            {**_row(definition, c, data, {}, f"#{qa.input_id(c)}"), "marked": c in marked_fields} for c in codes]})
    materials = _materials_for(definition, applicable, documents)
    for material in materials:
        material["marked"] = material["code"] in marked_materials
        material["errors"] = list((material_errors or {}).get(material["code"], []))

    correction_questions: list[qa.Question] = []
    if correction:
        required = definition.required_fields(applicable) if applicable else set()
        correction_questions = _questions(definition, correction["fields"], data, required=required,
                                          errors=correction_errors, raw=raw, marked=correction["fields"])
    error_items = [{"href": "#correction", "text": t} for t in other_errors] + _error_items(correction_questions)
    error_items += [{"href": f"#{m['id']}-file", "text": f"{m['label']}: {e}"} for m in materials for e in m["errors"]]

    timeline = [{"at": e.at, "kind": e.kind, "text": _timeline_text(e, cases_by_id, definition),
                 "note": _timeline_note(e), "by": _timeline_agent(e)}
                for e in app_selectors.application_timeline(application)]
    case_rows = _case_rows(application, definition, cases)
    results = papers.outputs_with_certificates(definition, application) if any(
        row["outputs"] for row in case_rows) else []
    for result in results:
        result["may_consent"] = bool(result["certificate"]) and papers.may_consent(request.user, result["certificate"])
    deliveries = [{"procedure": procedure_name(definition, d.case.procedure_code) if d.case_id in cases_by_id else "",
                   "label": localized(d.label) or d.code, "state": d.state, "state_label": d.get_state_display(),
                   "tracking_number": d.tracking_number,
                   "office": d.pickup_office.display_name if d.pickup_office_id else ""}
                  for d in app_selectors.deliveries_of(application)] if application.delivery_method else []
    try:
        evaluation = application.evaluation
    except Application.evaluation.RelatedObjectDoesNotExist:
        evaluation = None
    return {
        "application": application, "definition_name": one_thing_name(application),
        "state": state_of(application.status, application.outcome),
        "state_label": state_label(application.status, application.outcome),
        "cases": case_rows, "timeline": timeline, "sections": sections,
        "materials": materials, "correction": correction, "correction_questions": correction_questions,
        "error_items": error_items, "evaluation": evaluation,
        "evaluation_form": EvaluationForm() if application.status == ApplicationStatus.COMPLETED and not evaluation
        else None,
        # The issued outputs with their electronic certificates (one query, once something is issued).
        "results": results,
        "is_draft": application.status == ApplicationStatus.DRAFT,
        "task_list": _task_list(application, definition, documents) if application.status == ApplicationStatus.DRAFT
        else None,
        "party": _party(request, application),
        "delivery": delivery_rules.choice_summary(application), "deliveries": deliveries,
        "rejections": rejection_notices(definition, cases),
        "may_apply_again": may_apply_again(application.status, application.outcome),
        # 容缺受理: the materials still to follow, each a task with its due date and an upload.
        "to_follow": [m for m in materials if m["document"] is not None
                      and m["document"].status == DocumentStatus.DEFERRED],
        "today": timezone.localdate(),
    }


def _task_list(application: Application, definition: Definition, documents: dict) -> list[dict]:
    """The draft's steps and how far each is (GOV.UK "task list")."""
    report = readiness(definition, application.data, documents)
    tasks = []
    if definition.guide:
        tasks.append({"name": _("Answer the questions about your situation"),
                      "url": reverse("apply-guide", args=[application.pk]),
                      "status": "done" if report.guide_done else "todo"})
    answered = report.answered
    tasks.append({"name": _("Fill in the form"), "url": reverse("apply-form", args=[application.pk]),
                  "status": "done" if report.form_done else ("started" if answered else "todo"),
                  "detail": _("%(done)s of %(total)s questions answered") % {"done": len(answered),
                                                                            "total": len(report.form_fields)}})
    tasks.append({"name": _("Upload the materials"), "url": reverse("apply-materials", args=[application.pk]),
                  "status": "done" if report.materials_done else ("started" if report.uploaded else "todo"),
                  "detail": _("%(done)s of %(total)s uploaded") % {"done": len(report.uploaded),
                                                                   "total": len(report.materials)}})
    tasks.append({"name": _("Check your answers and submit"), "url": reverse("apply-check", args=[application.pk]),
                  "status": "todo"})
    return tasks


@login_required
@require_safe
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    application = app_selectors.application_for_citizen(request.user, pk)
    return render(request, "portal/application_detail.html", detail_context(request, application))
