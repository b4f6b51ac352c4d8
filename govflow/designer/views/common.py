"""What the designer's pages share: the admin page context, the one thing of the address, and the
design problems in words with a link to where each is fixed (the change form shows them too), and
the offices missing where a one thing is offered (preview and publish show them).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.contrib.admin.utils import unquote
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from govflow.catalog import design, jurisdictions
from govflow.catalog.models import (
    Department,
    Division,
    Field,
    Material,
    OneThing,
    Procedure,
    Step,
    localized,
)
from govflow.catalog.services import snapshot_digest

# ---------------------------------------------------------------------------------------------
# helpers


def page_context(model_admin: Any, request: HttpRequest, *, title: str, obj: Any = None, **extra: Any) -> dict:
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


def one_thing_or_404(model_admin: Any, request: HttpRequest, object_id: str) -> OneThing:
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
