"""The field-type registry: what the system knows about each catalog field type, in one object.

A catalog field (``{"code": …, "type": "integer", "min": 0, …}``) is checked, described in JSON
Schema, asked as a form question, read back from posted text, shown and masked by the object
registered for its ``type`` in :data:`FIELD_TYPES` (each implements
:class:`~govflow.catalog.fieldkind.FieldKind`). The catalog's option rules (which options a type
takes, which an output may have) come from here too, and so do the choices of ``models.FieldType``. A new field type is one new class in this module (plus the migration of
those choices).

Answers keep their JSON types: ``integer`` is a JSON integer (never ``true``, never ``3.0``),
``decimal`` is a string such as ``"12.50"`` (exact, no binary floating point), ``date`` is a
``YYYY-MM-DD`` string, ``boolean`` is ``true``/``false``.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .fieldkind import NO, YES, FieldKind, Unparsable, Widget
from .identifiers import (
    ID_NUMBER_INPUT_PATTERN,
    PHONE_INPUT_PATTERN,
    USCC_INPUT_PATTERN,
    is_valid_id_number,
    is_valid_phone,
    is_valid_uscc,
    mask_middle,
)
from .labels import localized

__all__ = ["FIELD_TYPES", "OUTPUT_TYPES", "as_decimal", "field_type", "types_with", "whole_string_pattern"]

#: Integers without an explicit range are kept within what a browser's JavaScript can hold exactly.
MAX_SAFE_INTEGER = 2**53 - 1
#: A decimal answer: optional minus, up to 20 integer digits, up to 10 decimal places; no exponent.
DECIMAL_PATTERN = r"^-?[0-9]{1,20}(\.[0-9]{1,10})?$"
#: Choice fields with at most this many options are radios; more become a select.
MAX_RADIOS = 5

_DECIMAL_RE = re.compile(DECIMAL_PATTERN)
_INTEGER_RE = re.compile(r"^[+-]?\d+$")
_DATE_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
DIVISION_INPUT_PATTERN = "[0-9]{6,12}"
_DIVISION_RE = re.compile(f"^{DIVISION_INPUT_PATTERN}$")


def as_decimal(value: object) -> Decimal | None:
    """The exact value of a decimal answer, or None when it is not a well-formed decimal string."""
    if not isinstance(value, str) or not _DECIMAL_RE.fullmatch(value):
        return None
    try:
        return Decimal(value)
    except InvalidOperation:  # pragma: no cover - the pattern already excludes it
        return None


def whole_string_pattern(pattern: str) -> str:
    """``pattern`` as a JSON Schema (ECMA-262) ``pattern`` that matches whole strings only.

    JSON Schema patterns are not anchored, so a catalog pattern is wrapped in ``^(?:…)$`` unless
    it is plainly anchored already (``^…$`` with no ``|``; ECMA-262's ``$`` is the end of input).
    """
    if pattern.startswith("^") and pattern.endswith("$") and not pattern.endswith("\\$") and "|" not in pattern:
        return pattern
    return f"^(?:{pattern})$"


def _decimal_text(value: object) -> str:
    return str(value) if isinstance(value, (int, str)) else repr(value)


# --------------------------------------------------------------------------------------------
# The types


class _Text(FieldKind):
    options = frozenset({"max_length", "pattern"})
    default_max_length: ClassVar[int]

    def schema(self, spec: Mapping, language: str) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "string", "maxLength": spec.get("max_length") or self.default_max_length}
        if spec.get("pattern"):
            schema["pattern"] = whole_string_pattern(spec["pattern"])
        return schema


class String(_Text):
    code, label = "string", _("Text (one line)")
    default_max_length = 1000

    def widget(self, spec: Mapping) -> Widget:
        attrs: dict[str, Any] = {"maxlength": spec["max_length"]} if spec.get("max_length") else {}
        attrs["type"] = "text"
        if spec.get("pattern"):
            attrs["pattern"] = spec["pattern"].removeprefix("^").removesuffix("$")
        return Widget("input", attrs)


class Text(_Text):
    code, label = "text", _("Text (several lines)")
    default_max_length = 10000
    multiline = True

    def schema(self, spec: Mapping, language: str) -> dict[str, Any]:
        return {**super().schema(spec, language), "x-govflow-widget": "textarea"}

    def widget(self, spec: Mapping) -> Widget:
        attrs: dict[str, Any] = {"maxlength": spec["max_length"]} if spec.get("max_length") else {}
        return Widget("textarea", {**attrs, "rows": 4})

    def read(self, spec: Mapping, text: str) -> Any:
        return text.replace("\r\n", "\n")


class Integer(FieldKind):
    code, label = "integer", _("Whole number")
    options = frozenset({"min", "max"})
    whole_numbers = True
    full_width_input = True
    type_message = _("Enter a whole number.")

    def schema(self, spec: Mapping, language: str) -> dict[str, Any]:
        return {"type": "integer",
                "minimum": spec["min"] if spec.get("min") is not None else -MAX_SAFE_INTEGER,
                "maximum": spec["max"] if spec.get("max") is not None else MAX_SAFE_INTEGER}

    def widget(self, spec: Mapping) -> Widget:
        attrs: dict[str, Any] = {"type": "number", "inputmode": "numeric", "step": 1}
        attrs.update({name: spec[name] for name in ("min", "max") if spec.get(name) is not None})
        return Widget("input", attrs)

    def default_hint(self, spec: Mapping) -> str:
        if spec.get("min") is not None and spec.get("max") is not None:
            return _("A whole number from %(min)s to %(max)s.") % {"min": spec["min"], "max": spec["max"]}
        return ""

    def read(self, spec: Mapping, text: str) -> Any:
        compact = text.replace(",", "").replace(" ", "")
        if not _INTEGER_RE.fullmatch(compact):
            raise Unparsable(_("Enter a whole number, like 12."))
        return int(compact)


class DecimalNumber(FieldKind):
    code, label = "decimal", _("Decimal number")
    options = frozenset({"min", "max"})
    format = "decimal"
    full_width_input = True
    type_message = _('Enter the number as a string, for example "12.50".')
    format_message = _("Enter a number.")

    def is_valid(self, value: str) -> bool:
        return as_decimal(value) is not None

    def schema(self, spec: Mapping, language: str) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "string", "format": "decimal", "pattern": DECIMAL_PATTERN}
        for option, keyword in (("min", "x-govflow-minimum"), ("max", "x-govflow-maximum")):
            if spec.get(option) is not None:
                schema[keyword] = _decimal_text(spec[option])
        return schema

    def widget(self, spec: Mapping) -> Widget:
        return Widget("input", {"type": "text", "inputmode": "decimal", "pattern": DECIMAL_PATTERN[1:-1]})

    def default_hint(self, spec: Mapping) -> str:
        # Within the field's range when it has one (a birth weight is not "12.50" kilograms).
        low, high = spec.get("min"), spec.get("max")
        if low is not None and high is not None:
            return _("A number from %(min)s to %(max)s.") % {"min": _decimal_text(low), "max": _decimal_text(high)}
        if low is not None:
            return _("A number of at least %(min)s.") % {"min": _decimal_text(low)}
        if high is not None:
            return _("A number of at most %(max)s.") % {"max": _decimal_text(high)}
        return _("A number, for example 12.50.")

    def read(self, spec: Mapping, text: str) -> Any:
        compact = text.replace(",", "").replace(" ", "").lstrip("+")
        if compact.startswith("."):
            compact = "0" + compact
        if not _DECIMAL_RE.fullmatch(compact):
            raise Unparsable(_("Enter a number, like 12.50."))
        return compact


class Boolean(FieldKind):
    code, label = "boolean", _("Yes / no")
    type_message = _("Answer true or false.")

    def schema(self, spec: Mapping, language: str) -> dict[str, Any]:
        return {"type": "boolean"}

    def widget(self, spec: Mapping) -> Widget:
        return Widget("yesno", choices=[("yes", str(YES)), ("no", str(NO))])

    def read(self, spec: Mapping, text: str) -> Any:
        if text in ("yes", "true", "1"):
            return True
        if text in ("no", "false", "0"):
            return False
        raise Unparsable(_("Select yes or no."))


class Date(FieldKind):
    code, label = "date", _("Date")
    format = "date"
    full_width_input = True
    type_message = _("Enter a date in the format YYYY-MM-DD.")
    format_message = _("Enter a real date in the format YYYY-MM-DD.")

    def is_valid(self, value: str) -> bool:
        if not _DATE_RE.fullmatch(value):
            return False
        try:
            date.fromisoformat(value)
        except ValueError:
            return False
        return True

    def widget(self, spec: Mapping) -> Widget:
        return Widget("input", {"type": "date"})

    def read(self, spec: Mapping, text: str) -> Any:
        try:
            return date.fromisoformat(text.replace("/", "-")).isoformat()
        except ValueError:
            raise Unparsable(_("Enter a real date, like 2026-12-01.")) from None


class Choice(FieldKind):
    code, label = "choice", _("Choice")
    options = required_options = frozenset({"choices"})
    can_be_output = False  # an output a clerk enters would need its own options
    type_message = _("Select a valid choice. That choice is not one of the available choices.")

    def schema(self, spec: Mapping, language: str) -> dict[str, Any]:
        choices = spec.get("choices") or []
        values = [choice["value"] for choice in choices]
        schema: dict[str, Any] = {"type": "string"} if all(isinstance(value, str) for value in values) else {}
        schema["enum"] = values
        schema["x-govflow-choices"] = [
            {"value": choice["value"], "label": localized(dict(choice.get("label") or {}), language)}
            for choice in choices]
        return schema

    def widget(self, spec: Mapping) -> Widget:
        choices = [(str(c["value"]), localized(c.get("label")) or str(c["value"])) for c in spec.get("choices", [])]
        return Widget("radios" if len(choices) <= MAX_RADIOS else "select", choices=choices)

    def read(self, spec: Mapping, text: str) -> Any:
        for choice in spec.get("choices", []):
            if str(choice["value"]) == text:
                return choice["value"]
        raise Unparsable(_("Select one of the options."))

    def display(self, spec: Mapping | None, value: Any) -> str:
        chosen = next((c for c in (spec or {}).get("choices", []) if c.get("value") == value), None)
        if chosen is None or value in (None, ""):
            return super().display(spec, value)
        return localized(chosen.get("label")) or str(value)


class Email(FieldKind):
    code, label = "email", _("Email address")
    format = "email"
    format_message = _("Enter a valid email address.")
    max_length = 254

    def is_valid(self, value: str) -> bool:
        try:
            validate_email(value)
        except DjangoValidationError:
            return False
        return True

    def schema(self, spec: Mapping, language: str) -> dict[str, Any]:
        return {**super().schema(spec, language), "maxLength": self.max_length}

    def widget(self, spec: Mapping) -> Widget:
        return Widget("input", {"type": "email", "autocomplete": "email", "spellcheck": "false",
                                "maxlength": self.max_length})

    def default_hint(self, spec: Mapping) -> str:
        return _("We send updates about the application to this address.")


class _PersonalNumber(FieldKind):
    """A number that identifies a person: masked wherever it is shown in lists and logs (PIPL)."""

    full_width_input = True
    check: ClassVar[Callable[[object], bool]]
    input_attrs: ClassVar[dict[str, Any]]
    hint_text: ClassVar[Promise]

    def is_valid(self, value: str) -> bool:
        return type(self).check(value)

    def widget(self, spec: Mapping) -> Widget:
        return Widget("input", dict(self.input_attrs))

    def default_hint(self, spec: Mapping) -> str:
        return self.hint_text

    def mask(self, value: Any) -> str:
        return mask_middle(self.display(None, value))


class Phone(_PersonalNumber):
    code, label = "phone", _("Mobile phone number")
    format = "phone"
    format_message = _("Enter a valid mainland China mobile number (11 digits).")
    check = staticmethod(is_valid_phone)
    input_attrs = {"type": "tel", "autocomplete": "tel-national", "inputmode": "tel", "pattern": PHONE_INPUT_PATTERN,
                   "maxlength": 11}
    hint_text = _("An 11-digit mainland China mobile number, for example 13800138000.")

    def read(self, spec: Mapping, text: str) -> Any:
        return re.sub(r"[\s-]", "", text)


class IdNumber(_PersonalNumber):
    code, label = "id_number", _("Resident ID number")
    format = "id_number"
    format_message = _("Enter a valid 18-character resident ID number.")
    check = staticmethod(is_valid_id_number)
    input_attrs = {"type": "text", "pattern": ID_NUMBER_INPUT_PATTERN, "maxlength": 18,
                   "autocapitalize": "characters", "spellcheck": "false"}
    hint_text = _("18 characters: 17 digits, then a digit or X.")

    def read(self, spec: Mapping, text: str) -> Any:
        return text.replace(" ", "").upper()


class UnifiedSocialCreditCode(FieldKind):
    """An organisation's unified social credit code (统一社会信用代码, GB 32100): 18 characters of
    :data:`USCC_CHARS`, the last a check character (MOD 31).

    Not masked: a USCC identifies an organisation, not a person, and is public by law (it is
    printed on the business licence and published in the enterprise credit information system),
    so lists and logs show it whole, as a counter clerk needs to recognise a company by it."""

    code, label = "uscc", _("Unified social credit code")
    format = "uscc"
    format_message = _("Enter a valid 18-character unified social credit code.")
    full_width_input = True
    input_attrs: ClassVar[dict[str, Any]] = {
        "type": "text", "pattern": USCC_INPUT_PATTERN, "maxlength": 18, "autocapitalize": "characters",
        "autocomplete": "off", "spellcheck": "false"}

    def is_valid(self, value: str) -> bool:
        return is_valid_uscc(value)

    def widget(self, spec: Mapping) -> Widget:
        return Widget("input", dict(self.input_attrs))

    def default_hint(self, spec: Mapping) -> str:
        return _("18 characters: digits and capital letters (not I, O, S, V or Z), as on the business licence.")

    def read(self, spec: Mapping, text: str) -> Any:
        # Full-width letters typed with a Chinese input method become ASCII; spaces and hyphens
        # copied from a printed licence go; letters are read in capitals.
        return re.sub(r"[\s-]", "", unicodedata.normalize("NFKC", text)).upper()


class DivisionCode(FieldKind):
    """An administrative division's GB/T 2260 code (a company's registered address, a place of
    residence). A one thing may route its application by such an answer (``route_by``); whether
    the division exists is checked when the application is routed."""

    code, label = "division", _("Administrative division")
    format = "division"
    format_message = _("Enter an administrative division code (6 to 12 digits), for example 330106.")
    can_be_output = False
    full_width_input = True

    def is_valid(self, value: str) -> bool:
        return bool(_DIVISION_RE.fullmatch(value))

    def widget(self, spec: Mapping) -> Widget:
        return Widget("input", {"type": "text", "inputmode": "numeric", "pattern": DIVISION_INPUT_PATTERN,
                                "maxlength": 12, "spellcheck": "false"})

    def default_hint(self, spec: Mapping) -> str:
        return _("The administrative division code (GB/T 2260), for example 330106 for Xihu District, Hangzhou.")


#: Every field type by its catalog code, in the order the designer offers them.
FIELD_TYPES: dict[str, FieldKind] = {kind.code: kind for kind in (
    String(), Text(), Integer(), DecimalNumber(), Boolean(), Date(), Choice(), Email(), Phone(), IdNumber(),
    UnifiedSocialCreditCode(), DivisionCode())}

#: The types an output may have.
OUTPUT_TYPES: tuple[str, ...] = tuple(code for code, kind in FIELD_TYPES.items() if kind.can_be_output)


def field_type(spec: Mapping | None) -> FieldKind:
    """The registered type of a field's catalog entry (``string`` when it names none).

    Raises ``KeyError`` for a type that is not registered (a checked catalog has none).
    """
    return FIELD_TYPES[(spec or {}).get("type", "string")]


def types_with(option: str) -> tuple[str, ...]:
    """Codes of the types a catalog option (``max_length``, ``min``, ``choices``, …) applies to."""
    return tuple(code for code, kind in FIELD_TYPES.items() if option in kind.options)
