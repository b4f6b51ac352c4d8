"""The generated form: catalog fields as questions (the portal and the designer's preview render them),
grouped by the procedure that first needs them, and posted text back to typed answers.

Server-side validation is the services' (``application_create``/``application_update`` raise
``InvalidInput`` with ``{"data": {code: [messages]}}``); here posted strings become the JSON types
the catalog format keeps (``int``, a decimal *string*, ``bool``, ``YYYY-MM-DD``), and every answer
that could be read is checked by the same rules (:meth:`Definition.validate`), so one page reports
every mistake at once: a number that cannot be read never hides a bad ID number next to it. The inputs
carry the same constraints as native attributes (``required``, ``min``/``max``, ``maxlength``,
``pattern``, ``type``) for assistive technology and phone keyboards; the portal's form turns the
browser's own checks off (``novalidate``): a browser reports one mistake at a time, the server all of them.
What each field type asks, reads and shows is the field-type registry's
(:mod:`govflow.catalog.fieldtypes`); this module turns it into what the templates render.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.forms.utils import flatatt
from django.utils.safestring import SafeString

from govflow.catalog.definition import Definition
from govflow.catalog.fieldkind import Unparsable
from govflow.catalog.fieldtypes import field_type
from govflow.catalog.models import localized

__all__ = ["Question", "Section", "Unparsable", "display_value", "input_id", "parse_answers", "parse_value",
           "question", "sections"]


def input_id(code: str) -> str:
    return f"f-{code}"


@dataclass
class Question:
    """One field as the templates render it."""

    code: str
    kind: str
    label: str
    widget: str  # input | textarea | radios | select | yesno
    value: str = ""
    required: bool = False
    hint: str = ""
    example: str = ""
    errors: list[str] = field(default_factory=list)
    choices: list[tuple[str, str]] = field(default_factory=list)
    attrs: dict[str, Any] = field(default_factory=dict)
    prefilled: bool = False
    marked: bool = False  # marked by a clerk for correction
    prefilled_from: str = ""  # the serial of the electronic certificate a pre-filled value is from

    @property
    def id(self) -> str:
        return input_id(self.code)

    @property
    def hint_id(self) -> str:
        return f"{self.id}-hint"

    @property
    def error_id(self) -> str:
        return f"{self.id}-error"

    @property
    def anchor(self) -> str:
        """The element an error-summary link moves focus to (the first radio of a group)."""
        return f"{self.id}-0" if self.widget in ("radios", "yesno") else self.id

    @property
    def described_by(self) -> str:
        ids = []
        if self.hint or self.example:
            ids.append(self.hint_id)
        if self.errors:
            ids.append(self.error_id)
        return " ".join(ids)

    @property
    def html_attrs(self) -> SafeString:
        """Attributes of the input/textarea/select (escaped by ``flatatt``)."""
        attrs: dict[str, Any] = {"id": self.id, "name": self.code, **self.attrs}
        if self.required:
            attrs["required"] = True
        if self.described_by:
            attrs["aria-describedby"] = self.described_by
        if self.errors:
            attrs["aria-invalid"] = "true"
        return flatatt(attrs)

    @property
    def group_attrs(self) -> SafeString:
        """Attributes shared by each radio of a group."""
        attrs: dict[str, Any] = {"name": self.code}
        if self.required:
            attrs["required"] = True
        if self.errors:
            attrs["aria-invalid"] = "true"
        return flatatt(attrs)


def question(spec: dict, *, value: Any = None, required: bool = False, errors: list[str] | None = None,
             prefilled: bool = False, marked: bool = False, raw: str | None = None) -> Question:
    """``raw`` is what the citizen typed (shown back after an error); else ``value`` (typed)."""
    kind = field_type(spec)
    widget = kind.widget(spec)
    return Question(
        code=spec["code"], kind=kind.code, label=localized(spec.get("label")) or spec["code"], widget=widget.name,
        value=raw if raw is not None else kind.form_value(value), required=required, hint=kind.hint(spec),
        example=kind.example(spec),
        errors=list(errors or []), choices=widget.choices, attrs=widget.attrs, prefilled=prefilled, marked=marked,
    )


# -- sections ------------------------------------------------------------------------------------

def procedure_name(definition: Definition, code: str) -> str:
    return localized(definition.procedures.get(code, {}).get("name")) or code


def department_name_of(definition: Definition, procedure_code: str) -> str:
    procedure = definition.procedures.get(procedure_code, {})
    return localized(definition.departments.get(procedure.get("department"), {}).get("name"))


@dataclass
class Section:
    title: str
    department: str
    questions: list[Question]


def sections(definition: Definition, applicable: list[str], codes: list[str] | None = None) -> list[tuple[str, str,
                                                                                                          list[str]]]:
    """Field codes grouped by the applicable procedure that first needs them (guide fields left out).

    Returns ``(procedure name, department name, [field codes])`` in step order; ``codes`` limits the
    fields shown (e.g. to those a clerk marked).
    """
    shown: set[str] = set(definition.guide)
    allowed = set(codes) if codes is not None else None
    groups = []
    for procedure in applicable:
        own = [c for c in definition.field_codes_of(procedure) if c not in shown and c in definition.fields
               and (allowed is None or c in allowed)]
        shown.update(own)
        if own:
            groups.append((procedure_name(definition, procedure), department_name_of(definition, procedure), own))
    return groups


# -- parsing -------------------------------------------------------------------------------------

def parse_value(spec: dict, raw: str | None) -> Any:
    """Posted text → the JSON answer (``None`` when left blank); :class:`Unparsable` when it cannot be."""
    return field_type(spec).parse(spec, raw)


def parse_answers(definition: Definition, codes: list[str], post: Any) -> tuple[dict[str, Any], dict[str, list[str]],
                                                                                 dict[str, str]]:
    """Read ``codes`` from the POST: ``(answers with None for blanks, errors, raw texts)``.

    ``errors`` holds every mistake of the page at once: the answers that cannot be read as their
    type, and the answers that could, checked by the definition's rules (format, pattern, bounds,
    length: :meth:`Definition.validate`, partial, so a blank is not an error here). Whether a blank
    is allowed is the caller's to say (a draft may keep one, submitting may not).
    """
    answers: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    raw: dict[str, str] = {}
    for code in codes:
        spec = definition.fields[code]
        text = post.get(code, "")
        raw[code] = text
        try:
            answers[code] = parse_value(spec, text)
        except Unparsable as exc:
            errors[code] = [str(exc)]
    readable = {code: value for code, value in answers.items() if code not in errors and value is not None}
    for code, messages in definition.validate(readable, partial=True).items():
        if code in answers and code not in errors:
            errors[code] = [str(m) for m in messages]
    return answers, {code: errors[code] for code in codes if code in errors}, raw


def display_value(spec: dict, value: Any) -> str:
    """An answer as the check-your-answers page shows it."""
    return field_type(spec).display(spec, value)
