"""Export: the live (draft) catalog as a ``govflow.catalog/1`` document."""
from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q

from .. import models
from .format import CATALOG_FORMAT, DEFERRAL_DEFAULTS, material_types


def _json_list(value: Any) -> Any:
    """A copy of a JSON list column; anything else as stored (validation will report it)."""
    return list(value) if isinstance(value, list) else value


def _department_doc(department: models.Department) -> dict:
    return {"code": department.code, "name": department.name}


def _division_doc(division: models.Division) -> dict:
    return {"code": division.code, "name": division.name, "level": division.level,
            "parent": division.parent.code if division.parent else None}


def _office_doc(office: models.Office) -> dict:
    out: dict[str, Any] = {"code": office.code, "department": office.department.code,
                           "division": office.division.code, "name": office.name}
    for key in ("address", "opening_hours", "phone"):
        if getattr(office, key):
            out[key] = getattr(office, key)
    return out


def _hint_and_example(item: models.Field | models.Output, out: dict[str, Any]) -> dict[str, Any]:
    """The optional ``hint`` and ``example`` (only when set: older snapshots keep their digest)."""
    if item.hint:
        out["hint"] = item.hint
    if item.example:
        out["example"] = item.example
    return out


def _field_doc(item: models.Field) -> dict:
    out: dict[str, Any] = {"code": item.code, "label": item.label, "type": item.type}
    # Optional keys only when set, in the contract's order, so that the round trip is exact.
    if item.max_length is not None:
        out["max_length"] = item.max_length
    if item.pattern:
        out["pattern"] = item.pattern
    if item.minimum is not None:
        out["min"] = item.minimum
    if item.maximum is not None:
        out["max"] = item.maximum
    if item.choices:
        out["choices"] = item.choices
    if item.help:
        out["help"] = item.help
    return _hint_and_example(item, out)


def _material_doc(item: models.Material) -> dict:
    out = {"code": item.code, "label": item.label, "accepted_types": material_types(item.accepted_types),
           "max_size_mb": item.max_size_mb}
    if item.sample:
        out["sample"] = item.sample
    return out


def _output_doc(output: models.Output) -> dict:
    out: dict[str, Any] = {"code": output.code, "label": output.label, "type": output.type}
    if output.pattern:
        out["pattern"] = output.pattern
    return _hint_and_example(output, out)


def _procedure_material_doc(pm: models.ProcedureMaterial) -> dict:
    out: dict[str, Any] = {"material": pm.material.code, "required": pm.required}
    if pm.deferrable_days is not None:  # 容缺受理
        out["deferrable"] = {"days": pm.deferrable_days}
    if pm.commitment:  # 告知承诺制; absent when none: older snapshots keep their digest
        out["commitment"] = pm.commitment
    return out


def _procedure_doc(procedure: models.Procedure, *, whole: bool = False) -> dict:
    out: dict[str, Any] = {"code": procedure.code, "department": procedure.department.code, "name": procedure.name}
    if procedure.description:
        out["description"] = procedure.description
    out.update({
        "statutory_days": procedure.statutory_days,
        "committed_days": procedure.committed_days,
    })
    for key in ("legal_basis", "fees"):
        if getattr(procedure, key):
            out[key] = getattr(procedure, key)
    if procedure.level != models.DivisionLevel.COUNTY:  # the default stays implicit: snapshots before levels keep their digest
        out["level"] = procedure.level
    out.update({
        "fields": [{"field": pf.field.code, "required": pf.required} for pf in procedure.procedure_fields.all()],
        "materials": [_procedure_material_doc(pm) for pm in procedure.procedure_materials.all()],
        "needs_outputs": _json_list(procedure.needs_outputs),
        "outputs": [_output_doc(o) for o in procedure.outputs.all()],
    })
    if procedure.automatic:
        out["automatic"] = procedure.automatic
    if procedure.physical_results:  # absent when none: snapshots before physical results keep their digest
        out["physical_results"] = procedure.physical_results
    deferral = _deferral_doc(procedure)
    if deferral:  # absent: the defaults and no deferrable material (older snapshots keep their digest)
        out["deferral"] = deferral
    remedy = _remedy_doc(procedure)
    if remedy:  # absent: the law's defaults and no place named (older snapshots keep their digest)
        out["remedy"] = remedy
    if procedure.retention_years is not None:  # absent: kept for ever (older snapshots keep their digest)
        out["retention"] = {"years": procedure.retention_years}
    if whole and procedure.triggers:  # live configuration, like a one thing's: never in a snapshot
        out["triggers"] = _json_list(procedure.triggers)
    return out


def _deferral_doc(procedure: models.Procedure) -> dict:
    """The procedure's 容缺受理 policy, in full when it defers a material or departs from the defaults."""
    policy = {"conditional_approval": procedure.deferral_conditional_approval,
              "on_missed": procedure.deferral_on_missed, "clock": procedure.deferral_clock}
    defers = any(pm.deferrable_days is not None for pm in procedure.procedure_materials.all())
    return policy if defers or policy != DEFERRAL_DEFAULTS else {}


def _remedy_doc(procedure: models.Procedure) -> dict:
    out: dict[str, Any] = {}
    if procedure.reconsideration_body or procedure.reconsideration_days != 60:
        out["reconsideration"] = {"body": procedure.reconsideration_body or {},
                                  "days": procedure.reconsideration_days}
    if procedure.litigation_court or procedure.litigation_months != 6:
        out["litigation"] = {"court": procedure.litigation_court or {}, "months": procedure.litigation_months}
    return out


def _step_doc(step: models.Step) -> dict:
    out: dict[str, Any] = {"procedure": step.procedure.code}
    if step.after:
        out["after"] = _json_list(step.after)
    if step.when:
        out["when"] = step.when
    return out


def _triggers_doc(one_thing: models.OneThing) -> list:
    """Proactive services' triggers (docs/proactive.md): live configuration, so only in a
    whole-catalog export (never in a published version's snapshot)."""
    return _json_list(one_thing.triggers) if one_thing.triggers else []


def _one_thing_doc(one_thing: models.OneThing, *, whole: bool = False) -> dict:
    out: dict[str, Any] = {"code": one_thing.code, "name": one_thing.name}
    if one_thing.description:
        out["description"] = one_thing.description
    if one_thing.keywords:
        out["keywords"] = one_thing.keywords
    out.update({
        "committed_days": one_thing.committed_days,
        "division": one_thing.division.code,
    })
    if one_thing.route_by:
        out["route_by"] = one_thing.route_by
    if one_thing.applicant != models.ApplicantKind.PERSON:
        out["applicant"] = one_thing.applicant
    out.update({
        "guide": _json_list(one_thing.guide),
    })
    if whole and one_thing.triggers:
        out["triggers"] = _triggers_doc(one_thing)
    out["steps"] = [_step_doc(s) for s in one_thing.steps.all()]
    return out


def export_catalog(one_thing_code: str | None = None) -> dict:
    """The live (draft) catalog as a ``govflow.catalog/1`` document.

    With ``one_thing_code``, only that one thing and what it references (its procedures,
    their departments, fields and materials, and its guide fields): a self-contained
    document, which is what a published version stores. Raises ``OneThing.DoesNotExist``
    for an unknown code. Lists of definitions are ordered by code and nested lists by
    position, so an export is deterministic. A constant number of queries.
    """
    step_qs = models.Step.objects.select_related("procedure").order_by("position", "id")
    one_things = models.OneThing.objects.order_by("code").select_related("division").prefetch_related(Prefetch("steps", queryset=step_qs))
    if one_thing_code is not None:
        one_things = list(one_things.filter(code=one_thing_code))
        if not one_things:
            raise models.OneThing.DoesNotExist(f"no one thing with code {one_thing_code!r}")
    else:
        one_things = list(one_things)

    procedures = (
        models.Procedure.objects.select_related("department").order_by("code").prefetch_related(
            Prefetch("procedure_fields", queryset=models.ProcedureField.objects.select_related("field")
                     .order_by("position", "id")),
            Prefetch("procedure_materials", queryset=models.ProcedureMaterial.objects.select_related("material")
                     .order_by("position", "id")),
            Prefetch("outputs", queryset=models.Output.objects.order_by("position", "id")),
        )
    )
    departments = models.Department.objects.order_by("code")
    offices = models.Office.objects.select_related("department", "division").order_by("code")
    divisions = models.Division.objects.select_related("parent").order_by("path")
    fields = models.Field.objects.order_by("code")
    materials = models.Material.objects.order_by("code")
    if one_thing_code is not None:
        procedure_ids = {s.procedure_id for ot in one_things for s in ot.steps.all()}
        procedures = list(procedures.filter(id__in=procedure_ids))
        departments = departments.filter(id__in={p.department_id for p in procedures})
        field_ids = {pf.field_id for p in procedures for pf in p.procedure_fields.all()}
        guide = {code for ot in one_things if isinstance(ot.guide, list) for code in ot.guide if isinstance(code, str)}
        fields = fields.filter(Q(id__in=field_ids) | Q(code__in=guide))
        materials = materials.filter(id__in={pm.material_id for p in procedures for pm in p.procedure_materials.all()})
        # A published version carries where it is offered, not the deployment's offices.
        divisions = divisions.filter(code__in={code for ot in one_things for code in ot.division.lineage})
        offices = offices.none()

    return {
        "format": CATALOG_FORMAT,
        "divisions": [_division_doc(d) for d in divisions],
        "departments": [_department_doc(d) for d in departments],
        **({"offices": [_office_doc(o) for o in offices]} if one_thing_code is None else {}),
        "fields": [_field_doc(f) for f in fields],
        "materials": [_material_doc(m) for m in materials],
        "procedures": [_procedure_doc(p, whole=one_thing_code is None) for p in procedures],
        "one_things": [_one_thing_doc(o, whole=one_thing_code is None) for o in one_things],
    }
