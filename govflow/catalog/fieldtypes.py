"""The field-type registry: what the system knows about each catalog field type, in one object.

A catalog field (``{"code": …, "type": "integer", "min": 0, …}``) is checked, described in JSON
Schema, asked as a form question, read back from posted text, shown and masked by the object
registered for its ``type`` in :data:`FIELD_TYPES`. The catalog's option rules (which options a
type takes, which an output may have) come from here too, and so do the choices of
``models.FieldType``. A new field type is one new class in this module (plus the migration of
those choices).

Answers keep their JSON types: ``integer`` is a JSON integer (never ``true``, never ``3.0``),
``decimal`` is a string such as ``"12.50"`` (exact, no binary floating point), ``date`` is a
``YYYY-MM-DD`` string, ``boolean`` is ``true``/``false``.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from govflow.text import join_list

from .labels import localized

__all__ = [
    "FIELD_TYPES",
    "OUTPUT_TYPES",
    "FieldKind",
    "Unparsable",
    "Widget",
    "field_type",
    "id_number_check_char",
    "is_valid_id_number",
    "is_valid_phone",
    "is_valid_uscc",
    "mask_middle",
    "types_with",
    "uscc_check_char",
    "whole_string_pattern",
]

#: Integers without an explicit range are kept within what a browser's JavaScript can hold exactly.
MAX_SAFE_INTEGER = 2**53 - 1
#: A decimal answer: optional minus, up to 20 integer digits, up to 10 decimal places; no exponent.
DECIMAL_PATTERN = r"^-?[0-9]{1,20}(\.[0-9]{1,10})?$"
#: What a browser checks while typing (HTML ``pattern`` attributes are anchored already).
PHONE_INPUT_PATTERN = "1[3-9][0-9]{9}"
ID_NUMBER_INPUT_PATTERN = r"\d{17}[\dXx]"
#: Choice fields with at most this many options are radios; more become a select.
MAX_RADIOS = 5

_DECIMAL_RE = re.compile(DECIMAL_PATTERN)
_INTEGER_RE = re.compile(r"^[+-]?\d+$")
_DATE_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_PHONE_RE = re.compile(f"^{PHONE_INPUT_PATTERN}$")
_ID_NUMBER_RE = re.compile(r"^[0-9]{17}[0-9X]$")
DIVISION_INPUT_PATTERN = "[0-9]{6,12}"
_DIVISION_RE = re.compile(f"^{DIVISION_INPUT_PATTERN}$")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARS = "10X98765432"
# Full-width digits and punctuation typed with a Chinese input method.
_FULL_WIDTH = str.maketrans("０１２３４５６７８９．－＋　", "0123456789.-+ ")


# --------------------------------------------------------------------------------------------
# Checks of one value


def id_number_check_char(first17: str) -> str:
    """Return the ISO 7064 MOD 11-2 check character (``0``–``9`` or ``X``) for 17 digits.

    >>> id_number_check_char("11010519491231002")
    'X'
    """
    if not isinstance(first17, str) or not re.fullmatch(r"[0-9]{17}", first17):
        raise ValueError("first17 must be a string of exactly 17 ASCII digits")
    total = sum(int(digit) * weight for digit, weight in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK_CHARS[total % 11]


def is_valid_id_number(value: object) -> bool:
    """Whether ``value`` is an 18-character PRC resident ID number (GB 11643-1999).

    17 digits (address code, birth date ``YYYYMMDD``, sequence) and a check character verified
    with ISO 7064 MOD 11-2. The check character ``X`` must be upper case; surrounding whitespace
    is not accepted (normalise before storing). The birth date must be a real date, from 1900 on
    and not in the future. The address code is not checked against GB/T 2260: codes change over
    time and permanent-residence cards of foreigners use their own prefix.
    """
    if not isinstance(value, str) or not _ID_NUMBER_RE.fullmatch(value):
        return False
    if id_number_check_char(value[:17]) != value[17]:
        return False
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    return born.year >= 1900 and born <= timezone.localdate()


#: The 31 characters a unified social credit code is written with (no I, O, S, V, Z), in the order
#: of their values in the check-character computation (GB 32100-2015).
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
#: What a browser checks while typing: the alphabet in either case (the answer is read in capitals).
USCC_INPUT_PATTERN = f"[{USCC_CHARS}{USCC_CHARS[10:].lower()}]{{18}}"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_RE = re.compile(f"^[{USCC_CHARS}]{{18}}$")


def uscc_check_char(first17: str) -> str:
    """Return the check character of a unified social credit code's first 17 characters.

    GB 32100-2015: each character's value (its position in :data:`USCC_CHARS`) times the weight
    ``3^i mod 31``; the check value is ``31 - sum mod 31`` (31 becomes 0).

    >>> uscc_check_char("91350100M000100Y4")
    '3'
    """
    if not isinstance(first17, str) or len(first17) != 17 or any(c not in USCC_CHARS for c in first17):
        raise ValueError("first17 must be 17 characters of the USCC alphabet")
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_CHARS[(31 - total % 31) % 31]


def is_valid_uscc(value: object) -> bool:
    """Whether ``value`` is an 18-character unified social credit code (统一社会信用代码, GB 32100)
    with a correct check character. Upper case only: normalise before checking. The registration
    authority, type and the embedded organisation code are not checked against registries."""
    return (isinstance(value, str) and bool(_USCC_RE.fullmatch(value))
            and uscc_check_char(value[:17]) == value[17])


def is_valid_phone(value: object) -> bool:
    """Whether ``value`` is a mainland China mobile number: 11 digits, ``1`` then ``3``–``9``."""
    return isinstance(value, str) and bool(_PHONE_RE.fullmatch(value))


def as_decimal(value: object) -> Decimal | None:
    """The exact value of a decimal answer, or None when it is not a well-formed decimal string."""
    if not isinstance(value, str) or not _DECIMAL_RE.fullmatch(value):
        return None
    try:
        return Decimal(value)
    except InvalidOperation:  # pragma: no cover - the pattern already excludes it
        return None


def mask_middle(value: str | None) -> str:
    """PIPL: only the first 3 and the last 4 characters shown (``138****0000``); a value of 7
    characters or fewer is masked whole."""
    if not value:
        return ""
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


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


class Unparsable(ValueError):
    """The posted text cannot be the field's type; the message says what to enter."""


@dataclass(frozen=True)
class Widget:
    """How a question is asked: ``input``, ``textarea``, ``radios``, ``select`` or ``yesno``, with
    the HTML attributes the browser checks and the ``(value, label)`` options of a choice."""

    name: str
    attrs: dict[str, Any] = field(default_factory=dict)
    choices: list[tuple[str, str]] = field(default_factory=list)


YES, NO = _("Yes"), _("No")


class FieldKind:
    """One field type. Methods take the field's catalog entry (``spec``) where options matter."""

    code: ClassVar[str]
    label: ClassVar[Promise]
    #: Catalog options that apply to this type; ``required_options`` must be given.
    options: ClassVar[frozenset[str]] = frozenset()
    required_options: ClassVar[frozenset[str]] = frozenset()
    #: ``min``/``max`` must be whole numbers.
    whole_numbers: ClassVar[bool] = False
    #: Answers may hold line breaks and tabs.
    multiline: ClassVar[bool] = False
    #: A procedure may issue a value of this type (an output a clerk enters).
    can_be_output: ClassVar[bool] = True
    #: The JSON Schema ``format`` this type checks with :meth:`is_valid` (strings only).
    format: ClassVar[str | None] = None
    #: Digits typed on a Chinese input method may come full-width.
    full_width_input: ClassVar[bool] = False
    type_message: ClassVar[Promise] = _("Enter a text value.")
    format_message: ClassVar[Promise] = _("Enter a valid value.")

    # -- validation and JSON Schema ------------------------------------------------------------

    def is_valid(self, value: str) -> bool:
        """The check behind :attr:`format`."""
        return True

    def schema(self, spec: Mapping, language: str) -> dict[str, Any]:
        """The type's part of the answer's JSON Schema (``type``, ``format``, bounds, …)."""
        schema: dict[str, Any] = {"type": "string"}
        if self.format:
            schema["format"] = self.format
        return schema

    # -- the form ------------------------------------------------------------------------------

    def widget(self, spec: Mapping) -> Widget:
        return Widget("input", {"type": "text"})

    def default_hint(self, spec: Mapping) -> str:
        return ""

    def hint(self, spec: Mapping) -> str:
        """The text under the question: the catalog's help and its format hint (a field's or an
        output's plain description of what to enter), else what the type expects."""
        own = [localized(spec[key]) for key in ("help", "hint") if isinstance(spec.get(key), dict) and spec[key]]
        return " ".join(text for text in own if text) or str(self.default_hint(spec))

    @staticmethod
    def example(spec: Mapping) -> str:
        """The catalog's example value of a field or an output ("" when it has none)."""
        example = spec.get("example")
        return example if isinstance(example, str) else ""

    def parse(self, spec: Mapping, raw: str | None) -> Any:
        """Posted text → the JSON answer (``None`` when left blank); :class:`Unparsable` if it
        cannot be one."""
        text = (raw or "").strip()
        if self.full_width_input:
            text = text.translate(_FULL_WIDTH).strip()
        return None if text == "" else self.read(spec, text)

    def read(self, spec: Mapping, text: str) -> Any:
        """Non-blank, stripped text → the answer."""
        return text

    def form_value(self, value: Any) -> str:
        """A stored answer as the text an input shows."""
        if value is None:
            return ""
        if isinstance(value, bool):
            return "yes" if value else "no"
        return str(value)

    # -- showing -------------------------------------------------------------------------------

    def display(self, spec: Mapping | None, value: Any) -> str:
        """A stored answer (or issued output) as people read it."""
        if value is None or value == "":
            return ""
        if isinstance(value, bool):
            return str(YES if value else NO)
        if isinstance(value, list):
            return join_list(self.display(spec, item) for item in value)
        return str(value)

    def mask(self, value: Any) -> str:
        """The answer where personal data must not be shown whole (lists, logs)."""
        return self.display(None, value)


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
