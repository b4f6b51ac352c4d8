"""The generated form: catalog fields as questions (the portal and the designer's preview render them),
grouped by the procedure that first needs them, and posted text back to typed answers.

Server-side validation is the services' (``application_create``/``application_update`` raise
``InvalidInput`` with ``{"data": {code: [messages]}}``); here posted strings only become the JSON
types the catalog format keeps (``int``, a decimal *string*, ``bool``, ``YYYY-MM-DD``). The browser
gets the same constraints as native attributes (``required``, ``min``/``max``, ``maxlength``,
``pattern``, ``type``), so most mistakes are caught before a round trip, and all of them after one.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.forms.utils import flatatt
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from govflow.catalog.definition import Definition
from govflow.catalog.forms import DECIMAL_PATTERN
from govflow.catalog.models import localized

#: Choice fields with at most this many options are radios; more become a select.
MAX_RADIOS = 5
PHONE_PATTERN = "^1[3-9][0-9]{9}$"
ID_NUMBER_PATTERN = r"^\d{17}[\dXx]$"
_INTEGER_RE = re.compile(r"^[+-]?\d+$")
_DECIMAL_RE = re.compile(DECIMAL_PATTERN)
# Full-width digits and punctuation typed with a Chinese input method.
_FULL_WIDTH = str.maketrans("０１２３４５６７８９．－＋　", "0123456789.-+ ")


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
    errors: list[str] = field(default_factory=list)
    choices: list[tuple[str, str]] = field(default_factory=list)
    attrs: dict[str, Any] = field(default_factory=dict)
    prefilled: bool = False
    marked: bool = False  # marked by a clerk for correction

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
        if self.hint:
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


def _hint(kind: str, spec: dict) -> str:
    own = localized(spec.get("help")) if spec.get("help") else ""
    if own:
        return own
    if kind == "decimal":
        return _("A number, for example 12.50.")
    if kind == "phone":
        return _("An 11-digit mainland China mobile number, for example 13800138000.")
    if kind == "id_number":
        return _("18 characters: 17 digits, then a digit or X.")
    if kind == "email":
        return _("We send updates about the application to this address.")
    if kind == "integer" and spec.get("min") is not None and spec.get("max") is not None:
        return _("A whole number from %(min)s to %(max)s.") % {"min": spec["min"], "max": spec["max"]}
    return ""


def _display_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def question(spec: dict, *, value: Any = None, required: bool = False, errors: list[str] | None = None,
             prefilled: bool = False, marked: bool = False, raw: str | None = None) -> Question:
    """``raw`` is what the citizen typed (shown back after an error); else ``value`` (typed)."""
    kind = spec.get("type", "string")
    attrs: dict[str, Any] = {}
    widget = "input"
    choices: list[tuple[str, str]] = []
    if kind in ("string", "text"):
        if spec.get("max_length"):
            attrs["maxlength"] = spec["max_length"]
        if kind == "text":
            widget = "textarea"
            attrs["rows"] = 4
        else:
            attrs["type"] = "text"
            if spec.get("pattern"):
                attrs["pattern"] = spec["pattern"].removeprefix("^").removesuffix("$")
    elif kind == "integer":
        attrs.update(type="number", inputmode="numeric", step=1)
        if spec.get("min") is not None:
            attrs["min"] = spec["min"]
        if spec.get("max") is not None:
            attrs["max"] = spec["max"]
    elif kind == "decimal":
        attrs.update(type="text", inputmode="decimal", pattern="-?[0-9]{1,20}(\\.[0-9]{1,10})?")
    elif kind == "boolean":
        widget = "yesno"
        choices = [("yes", _("Yes")), ("no", _("No"))]
    elif kind == "date":
        attrs["type"] = "date"
    elif kind == "choice":
        choices = [(str(c["value"]), localized(c.get("label")) or str(c["value"])) for c in spec.get("choices", [])]
        widget = "radios" if len(choices) <= MAX_RADIOS else "select"
    elif kind == "email":
        attrs.update(type="email", autocomplete="email", spellcheck="false", maxlength=254)
    elif kind == "phone":
        attrs.update(type="tel", autocomplete="tel-national", inputmode="tel", pattern=PHONE_PATTERN[1:-1],
                     maxlength=11)
    elif kind == "id_number":
        attrs.update(type="text", pattern=ID_NUMBER_PATTERN[1:-1], maxlength=18, autocapitalize="characters",
                     spellcheck="false")
    return Question(
        code=spec["code"], kind=kind, label=localized(spec.get("label")) or spec["code"], widget=widget,
        value=raw if raw is not None else _display_text(value), required=required, hint=_hint(kind, spec),
        errors=list(errors or []), choices=choices, attrs=attrs, prefilled=prefilled, marked=marked,
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

class Unparsable(ValueError):
    """The posted text cannot be the field's type; the message says what to enter."""


def parse_value(spec: dict, raw: str | None) -> Any:
    """Posted text → the JSON answer (``None`` when left blank)."""
    kind = spec.get("type", "string")
    text = (raw or "").strip()
    if kind in ("integer", "decimal", "phone", "id_number", "date"):
        text = text.translate(_FULL_WIDTH).strip()
    if text == "":
        return None
    if kind == "integer":
        compact = text.replace(",", "").replace(" ", "")
        if not _INTEGER_RE.fullmatch(compact):
            raise Unparsable(_("Enter a whole number, like 12."))
        return int(compact)
    if kind == "decimal":
        compact = text.replace(",", "").replace(" ", "").lstrip("+")
        if compact.startswith("."):
            compact = "0" + compact
        if not _DECIMAL_RE.fullmatch(compact):
            raise Unparsable(_("Enter a number, like 12.50."))
        return compact
    if kind == "boolean":
        if text in ("yes", "true", "1"):
            return True
        if text in ("no", "false", "0"):
            return False
        raise Unparsable(_("Select yes or no."))
    if kind == "date":
        try:
            return date.fromisoformat(text.replace("/", "-")).isoformat()
        except ValueError:
            raise Unparsable(_("Enter a real date, like 2026-12-01.")) from None
    if kind == "choice":
        for choice in spec.get("choices", []):
            if str(choice["value"]) == text:
                return choice["value"]
        raise Unparsable(_("Select one of the options."))
    if kind == "phone":
        return re.sub(r"[\s-]", "", text)
    if kind == "id_number":
        return text.replace(" ", "").upper()
    if kind == "email":
        return text
    return raw.replace("\r\n", "\n").strip() if kind == "text" else text


def parse_answers(definition: Definition, codes: list[str], post: Any) -> tuple[dict[str, Any], dict[str, list[str]],
                                                                                 dict[str, str]]:
    """Read ``codes`` from the POST: ``(answers with None for blanks, errors, raw texts)``."""
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
    return answers, errors, raw


def display_value(spec: dict, value: Any) -> str:
    """An answer as the check-your-answers page shows it."""
    if value is None or value == "":
        return ""
    kind = spec.get("type", "string")
    if kind == "boolean":
        return _("Yes") if value else _("No")
    if kind == "choice":
        for choice in spec.get("choices", []):
            if choice["value"] == value:
                return localized(choice.get("label")) or str(value)
    return str(value)
