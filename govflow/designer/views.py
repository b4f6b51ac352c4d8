"""The designer's own admin pages: preview and dry run, publish (with diff), unpublish,
import/export of the catalog JSON, and the calendar's year view.

Each view takes the ``ModelAdmin`` it belongs to (for permissions, ``each_context`` and logging)
and only turns the request into calls of the catalog's functions: :mod:`.design` (checks, diff,
publishing), :mod:`.io` (the same import/export as the management commands), :mod:`.services`.
"""
from __future__ import annotations

import calendar as pycalendar
import json
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS, WEEKDAYS_ABBR
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from govflow.accounts import selectors
from govflow.applications.models import Application
from govflow.catalog import design, jurisdictions, services
from govflow.catalog.calendar import seed_calendar
from govflow.catalog.definition import Definition
from govflow.catalog.fieldtypes import Unparsable, field_type
from govflow.catalog.io import CatalogValidationError, export_catalog
from govflow.catalog.models import (
    ApplicantKind,
    CalendarDay,
    Department,
    Division,
    Field,
    Material,
    OneThing,
    Procedure,
    Step,
    localized,
)
from govflow.catalog.questions import question
from govflow.catalog.questions import sections as group_by_procedure
from govflow.catalog.rules import compile_rule
from govflow.catalog.services import import_catalog, snapshot_digest, unpublish_one_thing
from govflow.stats.savings import one_thing_savings
from govflow.text import join_list

from .diagram import step_diagram
from .forms.imports import ImportForm

# ---------------------------------------------------------------------------------------------
# helpers


def _context(model_admin: Any, request: HttpRequest, *, title: str, obj: Any = None, **extra: Any) -> dict:
    opts = model_admin.opts
    return {
        **model_admin.admin_site.each_context(request),
        "opts": opts,
        "app_label": opts.app_label,
        "original": obj,
        "title": title,
        "has_view_permission": model_admin.has_view_permission(request, obj),
        "has_change_permission": model_admin.has_change_permission(request, obj),
        **extra,
    }


def _one_thing(model_admin: Any, request: HttpRequest, object_id: str) -> OneThing:
    obj = model_admin.get_object(request, unquote(object_id))
    if obj is None:
        raise Http404(_("No such one thing."))
    if not model_admin.has_view_permission(request, obj):
        raise PermissionDenied
    return obj


_STEP_INDEX_RE = re.compile(r"^\$\.one_things\[0\]\.steps\[(\d+)\]")
_ADMIN_MODELS = {"procedure": Procedure, "field": Field, "material": Material, "department": Department}


@dataclass(frozen=True)
class LocatedProblem:
    """A problem with what it concerns, in words, and where to fix it."""

    problem: design.Problem
    where: str
    url: str

    @property
    def message(self) -> str:
        return self.problem.message


def _attribute_label(target: str, attribute: str) -> str:
    """What the admin calls a problem's attribute (its field's name), not the format's key."""
    model = {**_ADMIN_MODELS, "step": Step, "one_thing": OneThing}.get(target)
    try:
        return str(model._meta.get_field(attribute).verbose_name) if model is not None else attribute
    except FieldDoesNotExist:
        return attribute


def locate_problems(problems: list[design.Problem], one_thing: OneThing | None) -> list[LocatedProblem]:
    """Words and admin links for problems; one query per kind of thing mentioned."""
    codes: dict[str, set[str]] = {}
    for p in problems:
        if p.target in _ADMIN_MODELS and p.code:
            codes.setdefault(p.target, set()).add(p.code)
    pks = {target: dict(_ADMIN_MODELS[target].objects.filter(code__in=found).values_list("code", "pk"))
           for target, found in codes.items()}
    change_url = reverse("admin:catalog_onething_change", args=[one_thing.pk]) if one_thing else ""
    out = []
    for p in problems:
        attribute = f" · {_attribute_label(p.target, p.attribute)}" if p.attribute else ""
        if p.target == "step":
            match = _STEP_INDEX_RE.match(p.path)
            where = _("Step %(code)s") % {"code": p.code or "?"} + attribute
            url = f"{change_url}#steps-{match.group(1)}" if match and change_url else change_url
        elif p.target in _ADMIN_MODELS:
            names = {"procedure": _("Procedure %(code)s"), "field": _("Field %(code)s"),
                     "material": _("Material %(code)s"), "department": _("Department %(code)s")}
            where = names[p.target] % {"code": p.code or "?"} + attribute
            pk = pks.get(p.target, {}).get(p.code or "")
            url = reverse(f"admin:catalog_{p.target}_change", args=[pk]) if pk else ""
        elif p.target == "one_thing":
            where = _("One thing") + attribute
            url = change_url
        else:
            where = p.path
            url = ""
        out.append(LocatedProblem(p, where, url))
    return out


def status_context(one_thing: OneThing, report: design.DesignReport) -> dict:
    """What the change form shows above the form: version, draft status, problems, links."""
    version = one_thing.current_version
    changed = version is None or version.digest != snapshot_digest(report.doc)
    pk = one_thing.pk
    return {
        "design_report": report,
        "design_errors": locate_problems(report.errors, one_thing),
        "design_warnings": locate_problems(report.warnings, one_thing),
        "current_version": version,
        "draft_changed": changed,
        "preview_url": reverse("admin:catalog_onething_preview", args=[pk]),
        "publish_url": reverse("admin:catalog_onething_publish", args=[pk]),
        "unpublish_url": reverse("admin:catalog_onething_unpublish", args=[pk]),
        "export_url": reverse("admin:catalog_onething_export", args=[pk]),
    }


def _json_response(doc: dict, filename: str) -> HttpResponse:
    # The same text as ``manage.py export_catalog``.
    text = json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
    response = HttpResponse(text, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


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


@dataclass
class MissingHere:
    """An office missing at a division: its department, the procedure that needs it there, and
    where to open it."""

    department: str
    department_name: str
    procedure: str
    procedure_name: str
    office_code: str
    add_url: str = ""
    applies: bool | None = None  # in a dry run: whether the procedure applies to the sample answers


@dataclass
class CoverageGap:
    """A division where an application cannot be routed yet, with every office missing there."""

    division: str
    division_name: str
    missing: list[MissingHere]


def coverage(request: HttpRequest, one_thing: OneThing, doc: dict,
             applicable: list[str] | None = None) -> list[CoverageGap]:
    """The offices missing wherever ``one_thing`` is offered, by division (the rule:
    :func:`jurisdictions.one_thing_coverage_gaps`; names from the draft ``doc``). A bounded number
    of queries whatever the number of divisions."""
    gaps = jurisdictions.one_thing_coverage_gaps(one_thing)
    if not gaps:
        return []
    procedures = {p.get("code"): p for p in doc.get("procedures", []) if isinstance(p, dict)}
    departments = {d.get("code"): d for d in doc.get("departments", []) if isinstance(d, dict)}
    division_pks: dict[str, int] = {}
    department_pks: dict[str, int] = {}
    if request.user.has_perm("catalog.add_office"):
        division_pks = dict(Division.objects.filter(code__in={g.division for g in gaps}).values_list("code", "pk"))
        department_pks = dict(Department.objects.filter(code__in={g.department for g in gaps})
                              .values_list("code", "pk"))
    add_office = reverse("admin:catalog_office_add")
    groups: dict[str, CoverageGap] = {}
    for gap in gaps:
        group = groups.setdefault(gap.division, CoverageGap(gap.division, gap.division_name, []))
        code = jurisdictions.office_code(gap.department, gap.division)
        add_url = ""
        if gap.division in division_pks and gap.department in department_pks:
            add_url = f"{add_office}?" + urlencode({"code": code, "department": department_pks[gap.department],
                                                    "division": division_pks[gap.division]})
        group.missing.append(MissingHere(
            department=gap.department,
            department_name=localized(departments.get(gap.department, {}).get("name")) or gap.department,
            procedure=gap.procedure,
            procedure_name=localized(procedures.get(gap.procedure, {}).get("name")) or gap.procedure,
            office_code=code, add_url=add_url,
            applies=None if applicable is None else gap.procedure in applicable))
    return list(groups.values())


def preview_view(model_admin: Any, request: HttpRequest, object_id: str) -> HttpResponse:
    """Diagram, critical path, merged form, materials and savings of the draft; POST: dry run."""
    one_thing = _one_thing(model_admin, request, object_id)
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
    context = _context(
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


# ---------------------------------------------------------------------------------------------
# Publish and unpublish


def publish_view(model_admin: Any, request: HttpRequest, object_id: str) -> HttpResponse:
    """GET: every check and the diff against the published version. POST: publish."""
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    one_thing = _one_thing(model_admin, request, object_id)
    can_change = model_admin.has_change_permission(request, one_thing)
    if request.method == "POST":
        if not can_change:
            raise PermissionDenied
        try:
            version, _report = services.publish_and_check(one_thing=one_thing, user=request.user)
        except CatalogValidationError as exc:
            messages.error(request, ngettext(
                "Not published: %(count)d problem must be fixed first. Nothing was changed.",
                "Not published: %(count)d problems must be fixed first. Nothing was changed.",
                len(exc.errors)) % {"count": len(exc.errors)})
        else:
            change_url = reverse("admin:catalog_onething_change", args=[one_thing.pk])
            if version is None:
                messages.info(request, _("Nothing changed since version %(number)d: no new version. The one thing "
                                         "takes applications.") % {"number": one_thing.current_version.number})
            else:
                model_admin.log_change(request, one_thing, _("Published version %(number)d.") % {"number": version.number})
                messages.success(request, _(
                    "Published version %(number)d. New applications use it; applications already submitted "
                    "keep the version they were submitted on.") % {"number": version.number})
            return HttpResponseRedirect(change_url)

    report = services.check_one_thing(one_thing)
    version = one_thing.current_version
    changes = design.diff_documents(version.definition if version else None, report.doc)
    next_number = (one_thing.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    gaps = coverage(request, one_thing, report.doc)
    context = _context(
        model_admin, request, obj=one_thing,
        title=_("Publish %(name)s") % {"name": localized(one_thing.name) or one_thing.code},
        report=report,
        design_errors=locate_problems(report.errors, one_thing),
        design_warnings=locate_problems(report.warnings, one_thing),
        changes=changes,
        current_version=version,
        next_number=next_number,
        can_publish=can_change and report.ok and (bool(changes) or not one_thing.is_published or version is None),
        critical_days=report.critical_days,
        critical_steps=report.critical_steps,
        change_url=reverse("admin:catalog_onething_change", args=[one_thing.pk]),
        preview_url=reverse("admin:catalog_onething_preview", args=[one_thing.pk]),
        coverage=gaps,
        missing_offices=sum(len(g.missing) for g in gaps),
        offered_in=one_thing.division,
    )
    return TemplateResponse(request, "admin/catalog/onething/publish.html", context,
                            status=400 if request.method == "POST" else 200)


def unpublish_view(model_admin: Any, request: HttpRequest, object_id: str) -> HttpResponse:
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    one_thing = _one_thing(model_admin, request, object_id)
    if not model_admin.has_change_permission(request, one_thing):
        raise PermissionDenied
    change_url = reverse("admin:catalog_onething_change", args=[one_thing.pk])
    if request.method == "POST":
        if one_thing.is_published:
            unpublish_one_thing(one_thing=one_thing)
            model_admin.log_change(request, one_thing, _("Unpublished."))
            messages.success(request, _("Unpublished: the one thing takes no new applications. Applications "
                                        "already submitted finish on their version."))
        return HttpResponseRedirect(change_url)
    running = Application.objects.filter(one_thing=one_thing, status__in=(
        "submitted", "in_progress", "correction_requested")).count()
    drafts = Application.objects.filter(one_thing=one_thing, status="draft").count()
    context = _context(model_admin, request, obj=one_thing,
                       title=_("Unpublish %(name)s") % {"name": localized(one_thing.name) or one_thing.code},
                       running=running, drafts=drafts, change_url=change_url)
    return TemplateResponse(request, "admin/catalog/onething/unpublish.html", context)


# ---------------------------------------------------------------------------------------------
# Import and export


_IMPORT_MODELS = ("department", "field", "material", "procedure", "onething")


def can_import(request: HttpRequest) -> bool:
    """Add and change on every catalog model, and the whole catalog: an import may change and
    republish one things of any division, so a catalog editor of a division may not import (today
    implied by ``change_department``, which makes an administrator catalog-wide; kept explicit)."""
    user = request.user
    return user.is_active and user.is_staff and all(
        user.has_perm(f"catalog.{action}_{model}") for model in _IMPORT_MODELS for action in ("add", "change")
    ) and selectors.catalog_division(user) is None


def export_view(model_admin: Any, request: HttpRequest, object_id: str | None = None) -> HttpResponse:
    """The catalog (or one one thing with what it references) as a download."""
    stamp = timezone.localdate().strftime("%Y%m%d")
    if object_id is None:
        if not model_admin.has_view_permission(request):
            raise PermissionDenied
        return _json_response(export_catalog(), f"govflow-catalog-{stamp}.json")
    one_thing = _one_thing(model_admin, request, object_id)
    return _json_response(export_catalog(one_thing.code), f"govflow-{one_thing.code}-{stamp}.json")


@dataclass
class ImportLine:
    kind: str
    created: int
    updated: int
    unchanged: int
    deleted: int


KIND_NAMES = {"departments": _("departments"), "fields": _("fields"), "materials": _("materials"),
              "procedures": _("procedures"), "outputs": _("outputs"), "one_things": _("one things")}


def import_view(model_admin: Any, request: HttpRequest) -> HttpResponse:
    """Upload or paste a ``govflow.catalog/1`` document: check it, or import and publish it."""
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    if not can_import(request):
        raise PermissionDenied
    errors = []
    lines: list[ImportLine] = []
    published = []
    checked = False
    status = 200
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            doc = form.cleaned_data["document"]
            if form.cleaned_data["validate_only"]:
                errors = design.publish_errors(doc)  # what the import itself refuses (publishing included)
                checked = True
                if not errors:
                    messages.success(request, _("The document is valid. Nothing was imported yet."))
            else:
                try:
                    result = import_catalog(doc, user=request.user)
                except CatalogValidationError as exc:
                    errors = exc.errors
                else:
                    for kind in ("departments", "fields", "materials", "procedures", "outputs", "one_things"):
                        counts = (result.created[kind], result.updated[kind], result.unchanged[kind],
                                  result.deleted[kind])
                        if any(counts):
                            lines.append(ImportLine(str(KIND_NAMES[kind]), *counts))
                    published = result.published
                    for version in published:
                        model_admin.log_change(request, version.one_thing, _(
                            "Published version %(number)d by importing a catalog.") % {"number": version.number})
                    messages.success(request, ngettext(
                        "Imported. %(count)d one thing published a new version.",
                        "Imported. %(count)d one things published a new version.",
                        len(published)) % {"count": len(published)} if published
                        else _("Imported. No one thing changed, so no new version was published."))
            if errors:
                status = 400
                messages.error(request, ngettext(
                    "%(count)d problem in the document; nothing was imported.",
                    "%(count)d problems in the document; nothing was imported.",
                    len(errors)) % {"count": len(errors)})
        else:
            status = 400
    else:
        form = ImportForm()
    context = _context(model_admin, request, title=_("Import a catalog"), form=form, errors=errors,
                       lines=lines, published=published, checked=checked,
                       export_url=reverse("admin:catalog_onething_export_all"))
    return TemplateResponse(request, "admin/catalog/onething/import.html", context, status=status)


# ---------------------------------------------------------------------------------------------
# The calendar's year view


@dataclass
class Day:
    date: date
    in_month: bool
    kind: str  # workday | weekend | holiday | makeup
    name: str
    url: str

    @property
    def working(self) -> bool:
        return self.kind in ("workday", "makeup")


def calendar_year_view(model_admin: Any, request: HttpRequest, year: int | None = None) -> HttpResponse:
    """Twelve months of working days, holidays and make-up working days; each day links to its edit."""
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    year = year or timezone.localdate().year
    if not 1900 <= year <= 2200:
        raise Http404
    if request.method == "POST":
        if not model_admin.has_add_permission(request):
            raise PermissionDenied
        created = seed_calendar([year])
        messages.success(request, ngettext(
            "%(count)d day added from the official holiday arrangement of %(year)d; existing days were kept.",
            "%(count)d days added from the official holiday arrangement of %(year)d; existing days were kept.",
            created) % {"count": created, "year": year})
        return HttpResponseRedirect(reverse("admin:catalog_calendarday_year", args=[year]))

    exceptions = {d.date: d for d in CalendarDay.objects.filter(date__year=year)}
    can_add = model_admin.has_add_permission(request)
    add_url = reverse("admin:catalog_calendarday_add")
    months = []
    totals = {"working": 0, "holiday": 0, "makeup": 0}
    weeks_of = pycalendar.Calendar(firstweekday=0)
    for month in range(1, 13):
        weeks = []
        working = 0
        for week in weeks_of.monthdatescalendar(year, month):
            row = []
            for day in week:
                exception = exceptions.get(day) if day.year == year else None
                weekend = day.weekday() >= 5
                if exception is not None:
                    kind = "makeup" if exception.is_working_day else "holiday"
                    url = reverse("admin:catalog_calendarday_change", args=[exception.pk])
                else:
                    kind = "weekend" if weekend else "workday"
                    url = f"{add_url}?date={day.isoformat()}&is_working_day={1 if weekend else 0}" if can_add else ""
                if day.month == month:
                    if kind in ("workday", "makeup"):
                        working += 1
                    if kind == "holiday":
                        totals["holiday"] += 1
                    if kind == "makeup":
                        totals["makeup"] += 1
                row.append(Day(day, day.month == month, kind, exception.name if exception else "", url))
            weeks.append(row)
        totals["working"] += working
        months.append({"name": MONTHS[month], "weeks": weeks, "working": working})
    context = _context(
        model_admin, request, title=_("Working-day calendar %(year)d") % {"year": year}, year=year,
        months=months, totals=totals, weekdays=[WEEKDAYS_ABBR[i] for i in range(7)],
        previous_year=year - 1, next_year=year + 1, can_add=can_add,
        changelist_url=reverse("admin:catalog_calendarday_changelist") + f"?year={year}",
    )
    return TemplateResponse(request, "admin/catalog/calendarday/year.html", context)
