"""Is an application ready to be submitted? One report, one rule.

The submit and resubmit services refuse by it; the portal's task list, form and check pages show
it; the API returns the services' refusal, so none of them can disagree about what is missing.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from govflow.catalog.definition import Definition
from govflow.catalog.questions import sections
from govflow.errors import InvalidInput


def _unanswered(value: object) -> bool:
    return value in (None, "")


@dataclass(frozen=True)
class Readiness:
    """What an application still lacks, measured against the procedures that apply to it."""

    #: The procedures that apply, in step order (those of the cases once submitted).
    applicable: tuple[str, ...]
    #: The answers the applicable procedures need (what a submission keeps).
    answers: dict
    #: Field errors of those answers, required ones included (``{code: [messages]}``).
    errors: dict
    #: Required fields without an answer (blank counts as none).
    missing_fields: frozenset[str]
    #: Required materials not uploaded, by code.
    missing_materials: tuple[str, ...]
    #: The form's questions: the applicable procedures' fields outside the guide, in step order.
    form_fields: tuple[str, ...]
    #: Every material the applicable procedures use, and those of them uploaded.
    materials: frozenset[str]
    uploaded: frozenset[str]
    guide_done: bool

    @property
    def form_done(self) -> bool:
        return bool(self.form_fields) and not self.missing_fields.intersection(self.form_fields)

    @property
    def answered(self) -> tuple[str, ...]:
        return tuple(c for c in self.form_fields if not _unanswered(self.answers.get(c)))

    @property
    def materials_done(self) -> bool:
        return not self.missing_materials

    @property
    def complete(self) -> bool:
        return bool(self.applicable) and not self.errors and not self.missing_materials

    def refusal(self, *, also_missing: Iterable[str] = ()) -> InvalidInput | None:
        """The services' refusal when incomplete (``None`` when ready); ``also_missing`` adds the
        materials another rule asks for again (a correction)."""
        if not self.applicable:
            return InvalidInput("None of this one thing's procedures applies to these answers.",
                                errors={"non_field_errors": ["No procedure applies to these answers."],
                                        "data": {}, "materials": []})
        again = [m for m in also_missing if m not in self.missing_materials]
        if self.errors or self.missing_materials:
            return InvalidInput("The application is not complete.",
                                errors={"data": self.errors, "materials": [*self.missing_materials, *again]})
        if again:
            return InvalidInput("Upload a corrected file for each material marked for correction.",
                                errors={"data": {}, "materials": again})
        return None


def readiness(definition: Definition, data: object, uploaded: Iterable[str], *,
              applicable: Iterable[str] | None = None) -> Readiness:
    """The report for these answers and uploaded material codes. ``applicable`` fixes the
    procedures (a submitted application's cases); by default the answers decide them."""
    data = data if isinstance(data, dict) else {}
    procedures = list(applicable) if applicable is not None else definition.applicable_procedures(data)
    uploaded = frozenset(uploaded)
    needed = definition.fields_for(procedures)
    answers = {k: v for k, v in data.items() if k in needed}
    if procedures:
        required = definition.required_fields(procedures)
        errors = definition.validate(answers, required=required)
        missing_materials = tuple(sorted(definition.required_materials(procedures) - uploaded))
    else:
        required, errors, missing_materials = set(), {}, ()
    materials = frozenset(definition.materials_for(procedures))
    return Readiness(
        applicable=tuple(procedures), answers=answers, errors=errors,
        missing_fields=frozenset(c for c in required if _unanswered(data.get(c))),
        missing_materials=missing_materials,
        form_fields=tuple(c for _title, _department, codes in sections(definition, procedures) for c in codes),
        materials=materials, uploaded=materials & uploaded,
        guide_done=all(data.get(c) is not None for c in definition.guide),
    )
