"""The preview and dry run of a one thing: its steps, questions, coverage and savings."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from govflow.catalog import design, services
from govflow.catalog.definition import Definition
from govflow.catalog.fieldkind import Unparsable
from govflow.catalog.fieldtypes import field_type
from govflow.catalog.models import (
    ApplicantKind,
    localized,
)
from govflow.catalog.questions import question
from govflow.catalog.questions import sections as group_by_procedure
from govflow.catalog.rules import compile_rule
from govflow.stats.savings import one_thing_savings
from govflow.text import join_list

from ..diagram import step_diagram
from .common import (
    coverage,
    one_thing_or_404,
    page_context,
    status_context,
)

# ---------------------------------------------------------------------------------------------
# Preview and dry run


@dataclass
class StepRow:
    code: str
    name: str
    department: str
    days: int
    after: list[str]
    when: str
    critical: bool
    applies: bool | None = None
    reason: str = ""


def _step_rows(doc: dict, report: design.DesignReport, applicable: list[str] | None,
               answers: dict) -> list[StepRow]:
    procedures = {p.get("code"): p for p in doc.get("procedures", []) if isinstance(p, dict)}
    departments = {d.get("code"): d for d in doc.get("departments", []) if isinstance(d, dict)}
    critical = set(report.critical_steps)
    rows = []
    for step in report.one_thing.get("steps") or []:
        if not isinstance(step, dict):
            continue
        code = str(step.get("procedure"))
        procedure = procedures.get(code, {})
        department = departments.get(procedure.get("department"), {})
        row = StepRow(
            code=code, name=localized(procedure.get("name")) or code,
            department=localized(department.get("name")) or str(procedure.get("department") or ""),
            days=procedure.get("committed_days") if isinstance(procedure.get("committed_days"), int) else 0,
            after=[a for a in step.get("after") or [] if isinstance(a, str)],
            when=step.get("when") or "", critical=code in critical,
        )
        if applicable is not None:
            row.applies = code in applicable
            if not row.applies:
                rule = compile_rule(row.when) if row.when else None
                if rule is not None and not rule.evaluate(answers):
                    missing = sorted(n for n in rule.names if answers.get(n) in (None, ""))
                    row.reason = (_("its condition is false, or names an unanswered field: %(fields)s")
                                  % {"fields": join_list(missing)} if missing
                                  else _("its condition is false for these answers"))
                else:
                    skipped = [a for a in row.after if a not in applicable]
                    row.reason = _("it comes after %(steps)s, which does not apply") % {
                        "steps": join_list(skipped)}
        rows.append(row)
    return rows


def _savings_rows(definition: Any) -> list[dict]:
    s = one_thing_savings(definition)
    return [
        {"what": _("Procedures"), "separately": s["procedures"], "once": 1,
         "note": _("one application instead of one per procedure")},
        {"what": _("Form fields to fill in"), "separately": s["fields_separately"], "once": s["fields_once"],
         "note": _("shared fields asked once; results of one procedure are never asked for by the next")},
        {"what": _("Materials to upload"), "separately": s["materials_separately"], "once": s["materials_once"],
         "note": _("a document needed by several procedures is uploaded once")},
        {"what": _("Visits"), "separately": s["visits_separately"], "once": s["visits_once"],
         "note": _("everything online")},
        {"what": _("Working days"), "separately": s["days_separately"], "once": s["days_committed"],
         "note": _("statutory days one after another, against the one thing's commitment")},
    ]


def _questions(definition: Any, answers: dict, raw: dict, errors: dict, required: set[str]) -> tuple[list, list]:
    """The merged form as the citizen sees it: decisive questions first, then by procedure."""
    def make(code: str):
        spec = definition.fields[code]
        return question(spec, value=answers.get(code), raw=raw.get(code), required=code in required,
                        errors=errors.get(code))

    asked = list(definition.asked_fields)
    decisive = list(definition.guide) + [c for c in asked if c in definition.when_fields and c not in definition.guide]
    shown = set(decisive)
    sections = []
    every_step = [step["procedure"] for step in definition.steps]
    for title, department, own in group_by_procedure(definition, every_step, [c for c in asked if c not in shown]):
        shown.update(own)
        sections.append({"title": title, "department": department, "questions": [make(f) for f in own]})
    rest = [c for c in asked if c not in shown]
    if rest:
        sections.append({"title": _("Other questions"), "department": "", "questions": [make(f) for f in rest]})
    return [make(c) for c in decisive if c in definition.fields], sections


def preview_view(model_admin: Any, request: HttpRequest, object_id: str) -> HttpResponse:
    """Diagram, critical path, merged form, materials and savings of the draft; POST: dry run."""
    one_thing = one_thing_or_404(model_admin, request, object_id)
    report = services.check_one_thing(one_thing)
    doc = report.doc
    definition = None
    if report.ok:
        try:
            definition = Definition(doc)  # uncached: a draft, not a published version
            definition.form  # noqa: B018 - compile the form now, so that a broken definition shows here
        except Exception:  # noqa: BLE001 - a draft the checks let through must still never break the page
            definition = None

    answers: dict = {}
    raw: dict = {}
    parse_errors: dict = {}
    applicable = None
    required: set[str] = set()
    required_materials: set[str] = set()
    if definition is not None:
        required = set(definition.form.unconditional_required)
        required_materials = {m["code"] for m in definition.materials_asked if m["required"]}
    dry_run = request.method == "POST" and definition is not None
    if dry_run:
        for code in definition.asked_fields:
            text = request.POST.get(code, "")
            raw[code] = text
            spec = definition.fields[code]
            try:
                value = field_type(spec).parse(spec, text)
            except Unparsable as exc:
                parse_errors[code] = [str(exc)]
                continue
            if value is not None:
                answers[code] = value
        applicable = definition.applicable_procedures(answers)
        required = definition.required_fields(applicable)
        required_materials = definition.required_materials(applicable)
        for code, problems in definition.validate(answers, partial=True).items():
            parse_errors.setdefault(code, []).extend(problems)

    decisive, sections = ([], [])
    savings = []
    materials = []
    if definition is not None:
        decisive, sections = _questions(definition, answers, raw, parse_errors, required)
        savings = _savings_rows(definition)
        materials = [{**m, "label_text": localized(m["label"]), "required_now": m["code"] in required_materials}
                     for m in definition.materials_asked]
        if applicable is not None:
            used = definition.materials_for(applicable)
            materials = [m for m in materials if m["code"] in used]

    committed = report.one_thing.get("committed_days")
    context = page_context(
        model_admin, request, obj=one_thing,
        title=_("Preview: %(name)s") % {"name": localized(one_thing.name) or one_thing.code},
        diagram=step_diagram(doc, applicable=applicable),
        steps=_step_rows(doc, report, applicable, answers),
        critical_days=report.critical_days,
        critical_steps=report.critical_steps,
        committed_days=committed,
        definition=definition,
        decisive=decisive,
        sections=sections,
        materials=materials,
        savings=savings,
        dry_run=dry_run,
        applicable=applicable,
        answer_errors=parse_errors,
        coverage=coverage(request, one_thing, doc, applicable),
        offered_in=one_thing.division,
        applicant=report.one_thing.get("applicant") or ApplicantKind.PERSON,
        **status_context(one_thing, report),  # report, problems, version, links
    )
    return TemplateResponse(request, "admin/catalog/onething/preview.html", context)
