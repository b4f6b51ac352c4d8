"""The rules of a decision and of a correction, written once.

The services enforce them; an interface asks them before it calls a service (to offer only what
the service will accept, or to word a refusal), and never re-derives them.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from govflow.catalog.definition import Definition
from govflow.errors import InvalidState

from .models import Application, ApplicationStatus, Case, CaseStatus

# -- what a clerk may mark for correction --------------------------------------------------------


@dataclass(frozen=True)
class CorrectionTargets:
    """What a clerk deciding one procedure may mark, by code, in the catalog's order."""

    fields: tuple[str, ...]
    materials: tuple[str, ...]
    #: This procedure's fields that cannot be marked (shown to the clerk as such).
    locked_fields: tuple[str, ...]


def correction_targets(definition: Definition, procedure: str,
                       siblings: Iterable[tuple[str, str]]) -> CorrectionTargets:
    """This procedure's fields and materials, minus guide answers, answers that decide
    applicability, and anything an approved case relied on. ``siblings``: ``(procedure code,
    status)`` of the application's cases."""
    locked = set(definition.guide) | set(definition.when_fields)
    relied_fields: set[str] = set()
    relied_materials: set[str] = set()
    for code, status in siblings:
        if status == CaseStatus.APPROVED and code in definition.procedures:
            relied_fields.update(definition.field_codes_of(code))
            relied_materials.update(definition.material_codes_of(code))
    own = definition.field_codes_of(procedure)
    return CorrectionTargets(
        fields=tuple(c for c in own if c not in locked and c not in relied_fields),
        materials=tuple(c for c in definition.material_codes_of(procedure) if c not in relied_materials),
        locked_fields=tuple(c for c in own if c in locked or c in relied_fields),
    )


# -- what the citizen may change while corrections are requested ---------------------------------


@dataclass(frozen=True)
class CorrectionScope:
    """The answers and materials the clerks marked, over every case waiting for the citizen."""

    fields: tuple[str, ...]
    materials: tuple[str, ...]


def correction_scope(definition: Definition, cases: Iterable[Case]) -> CorrectionScope:
    fields: list[str] = []
    materials: list[str] = []
    for case in cases:
        if case.status != CaseStatus.CORRECTION_REQUESTED:
            continue
        corrections = case.corrections or {}
        fields += [f for f in corrections.get("fields", []) if f in definition.fields and f not in fields]
        materials += [m for m in corrections.get("materials", []) if m not in materials]
    return CorrectionScope(fields=tuple(fields), materials=tuple(materials))


def blanked_required(definition: Definition, cases: Iterable[Case], changes: Mapping[str, object]) -> list[str]:
    """The changes that would leave a required answer blank: a submitted application may not
    become incomplete (a draft may)."""
    required = definition.required_fields([c.procedure_code for c in cases])
    return sorted(k for k, v in changes.items() if k in required and v in (None, ""))


def stale_materials(cases: Iterable[Case], uploaded: Mapping[str, datetime]) -> list[str]:
    """The materials a clerk marked that have no upload since that clerk asked.

    A marked material must be uploaded again: a document uploaded before the case was paused
    for correction (or none at all) is the very file the clerk refused. Marked answers are
    different: the citizen may confirm an answer as it is, so they need only be valid.
    """
    stale: list[str] = []
    for case in cases:
        if case.status != CaseStatus.CORRECTION_REQUESTED:
            continue
        for code in (case.corrections or {}).get("materials", []):
            at = uploaded.get(code)
            if at is None or (case.paused_at is not None and at < case.paused_at):
                if code not in stale:
                    stale.append(code)
    return stale


# -- what an output must look like ---------------------------------------------------------------


def output_matches(spec: Mapping, value: str) -> bool:
    """Whether an output's value has the format its catalog entry requires (if any)."""
    pattern = spec.get("pattern")
    return not pattern or re.fullmatch(pattern, value) is not None


def require_material_changeable(application: Application, definition: Definition, material_code: str) -> None:
    """A material may be given (uploaded, or replaced by a signed commitment) while the application
    is a draft, or while a clerk has marked it for correction; otherwise ``InvalidState``. (Handing in
    a material accepted to follow is the deferral's own rule.) One query while corrections are asked."""
    if application.status == ApplicationStatus.CORRECTION_REQUESTED:
        scope = correction_scope(definition, Case.objects.filter(application=application,
                                                                 status=CaseStatus.CORRECTION_REQUESTED))
        if material_code not in scope.materials:
            raise InvalidState("This material is not marked for correction.")
    elif application.status != ApplicationStatus.DRAFT:
        raise InvalidState("Materials can no longer be changed.")
