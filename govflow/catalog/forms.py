"""The merged form of a one thing: what the citizen is asked, its JSON Schema, and validation.

Everything here reads a *version definition*: a self-contained ``govflow.catalog/1`` document
with exactly one entry in ``one_things`` plus the departments, fields, materials and procedures
it references (see ``docs/catalog.md``). Nothing here touches the database.

One form: a field shared by several procedures is asked once. Fields (and materials) whose code
is an output issued by a procedure of the one thing are never asked: a later procedure gets them
from the earlier one.

Answers keep their JSON types: ``integer`` is a JSON integer (never ``true``, never ``3.0``),
``decimal`` is a string such as ``"12.50"`` (exact, no binary floating point), ``date`` is a
``YYYY-MM-DD`` string, ``boolean`` is ``true``/``false``.

Deriving the plan (asked fields, requirements, compiled validator) costs a few milliseconds, so it
is cached per definition content (:func:`definition_key`); published versions are immutable, so
the cache never needs invalidating.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from jsonschema import Draft202012Validator, FormatChecker, validators
from jsonschema.exceptions import SchemaError
from jsonschema.exceptions import ValidationError as SchemaValidationError

from govflow.text import bad_text_in, has_bad_text, invalid_text_message

from .models import localized

__all__ = [
    "DefinitionError",
    "JSON_SCHEMA_DIALECT",
    "asked_fields",
    "definition_key",
    "field_procedures",
    "field_required_by",
    "form_schema",
    "get_validator",
    "id_number_check_char",
    "is_valid_id_number",
    "is_valid_phone",
    "materials_asked",
    "required_fields_for",
    "required_materials_for",
    "validate_answers",
]

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

#: Integers without an explicit range are kept within what a browser's JavaScript can hold exactly.
MAX_SAFE_INTEGER = 2**53 - 1
#: Upper bounds for text without a ``max_length`` in the catalog (a form is not a file store).
DEFAULT_MAX_LENGTH = {"string": 1000, "text": 10000, "email": 254}
#: A decimal answer: optional minus, up to 20 integer digits, up to 10 decimal places; no exponent.
DECIMAL_PATTERN = r"^-?[0-9]{1,20}(\.[0-9]{1,10})?$"

_DECIMAL_RE = re.compile(DECIMAL_PATTERN)
_DATE_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_PHONE_RE = re.compile(r"^1[3-9][0-9]{9}$")
_ID_NUMBER_RE = re.compile(r"^[0-9]{17}[0-9X]$")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARS = "10X98765432"



class DefinitionError(ValueError):
    """The version definition is not a usable ``govflow.catalog/1`` one-thing document."""


# --------------------------------------------------------------------------------------------
# Identity numbers and phones


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


def is_valid_phone(value: object) -> bool:
    """Whether ``value`` is a mainland China mobile number: 11 digits, ``1`` then ``3``–``9``."""
    return isinstance(value, str) and bool(_PHONE_RE.fullmatch(value))


def _is_valid_date(value: str) -> bool:
    if not _DATE_RE.fullmatch(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _is_valid_email(value: str) -> bool:
    try:
        validate_email(value)
    except DjangoValidationError:
        return False
    return True


def _as_decimal(value: object) -> Decimal | None:
    """The exact value of a decimal answer, or None when it is not a well-formed decimal string."""
    if not isinstance(value, str) or not _DECIMAL_RE.fullmatch(value):
        return None
    try:
        return Decimal(value)
    except InvalidOperation:  # pragma: no cover - the pattern already excludes it
        return None


# --------------------------------------------------------------------------------------------
# The compiled plan of a definition

_FORMAT_CHECKER = FormatChecker(formats=())


def _only_strings(check):
    """Formats constrain strings only; other JSON types are the ``type`` keyword's business."""

    def checker(instance: object) -> bool:
        return not isinstance(instance, str) or check(instance)

    return checker


_FORMAT_CHECKER.checks("date")(_only_strings(_is_valid_date))
_FORMAT_CHECKER.checks("email")(_only_strings(_is_valid_email))
_FORMAT_CHECKER.checks("phone")(_only_strings(is_valid_phone))
_FORMAT_CHECKER.checks("id_number")(_only_strings(is_valid_id_number))
_FORMAT_CHECKER.checks("decimal")(_only_strings(lambda value: _as_decimal(value) is not None))


def _decimal_bound(kind: str):
    def check(validator, bound, instance, schema) -> Iterator[SchemaValidationError]:
        value = _as_decimal(instance)
        if value is None:
            return
        limit = Decimal(str(bound))
        if (kind == "minimum" and value < limit) or (kind == "maximum" and value > limit):
            yield SchemaValidationError(f"{instance} is out of range", validator_value=bound)

    return check


def _whole_pattern(validator, pattern, instance, schema) -> Iterator[SchemaValidationError]:
    """``pattern`` matches the whole answer (``re.fullmatch``), not a part of it: JSON Schema's
    own ``pattern`` searches, and Python's ``$`` also matches before a final newline, so
    ``^[0-9]{8}$`` would let ``"12345678\n"`` through."""
    if validator.is_type(instance, "string") and re.fullmatch(pattern, instance) is None:
        yield SchemaValidationError(f"{instance!r} does not match {pattern!r}")


def whole_string_pattern(pattern: str) -> str:
    """``pattern`` as a JSON Schema (ECMA-262) ``pattern`` that matches whole strings only.

    JSON Schema patterns are not anchored, so a catalog pattern is wrapped in ``^(?:…)$`` unless
    it is plainly anchored already (``^…$`` with no ``|``; ECMA-262's ``$`` is the end of input).
    """
    if pattern.startswith("^") and pattern.endswith("$") and not pattern.endswith("\\$") and "|" not in pattern:
        return pattern
    return f"^(?:{pattern})$"


#: Draft 2020-12 with three changes: ``integer`` means a JSON integer only (no ``3.0``, no
#: ``true``), ``x-govflow-minimum`` / ``x-govflow-maximum`` bound decimal strings exactly, and
#: ``pattern`` matches the whole string.
FormValidator = validators.extend(
    Draft202012Validator,
    validators={
        "x-govflow-minimum": _decimal_bound("minimum"),
        "x-govflow-maximum": _decimal_bound("maximum"),
        "pattern": _whole_pattern,
    },
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine(
        "integer", lambda checker, instance: isinstance(instance, int) and not isinstance(instance, bool)
    ),
)


@dataclass(frozen=True)
class _Plan:
    """Everything derived from one definition; immutable and shared between threads."""

    definition: dict
    one_thing: dict
    fields: Mapping[str, dict]
    materials: Mapping[str, dict]
    procedures: Mapping[str, dict]
    output_codes: frozenset[str]
    steps: tuple[tuple[str, bool], ...]  # (procedure code, conditional)
    asked: tuple[str, ...]
    guide: tuple[str, ...]
    field_procedures: Mapping[str, tuple[str, ...]]
    field_required_by: Mapping[str, tuple[str, ...]]
    unconditional_required: tuple[str, ...]
    procedure_required_fields: Mapping[str, frozenset[str]]
    procedure_required_materials: Mapping[str, frozenset[str]]
    materials_asked: tuple[dict, ...]
    validator: Any


def definition_key(definition: Mapping) -> str:
    """A canonical text of the definition: equal for equal content, whatever the key order."""
    return json.dumps(definition, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _plan(definition: Mapping) -> _Plan:
    if not isinstance(definition, Mapping):
        raise DefinitionError("a version definition must be a JSON object")
    return _compile(definition_key(definition))


@lru_cache(maxsize=128)
def _compile(key: str) -> _Plan:
    # Work on a private copy parsed from the key, so later changes by the caller to their dict
    # can never corrupt the cached plan.
    try:
        return _compile_definition(json.loads(key))
    except SchemaError as exc:
        raise DefinitionError(f"the form schema is invalid: {exc.message}") from exc
    except (KeyError, TypeError, AttributeError) as exc:
        raise DefinitionError(f"malformed version definition: {exc!r}") from exc


def _compile_definition(definition: dict) -> _Plan:
    one_things = definition.get("one_things") or []
    if len(one_things) != 1:
        raise DefinitionError("a version definition must contain exactly one one thing")
    one_thing = one_things[0]
    fields = {f["code"]: f for f in definition.get("fields", [])}
    materials = {m["code"]: m for m in definition.get("materials", [])}
    procedures = {p["code"]: p for p in definition.get("procedures", [])}

    steps: list[tuple[str, bool]] = []
    for step in one_thing.get("steps", []):
        code = step.get("procedure")
        if code not in procedures:
            raise DefinitionError(f"step names unknown procedure {code!r}")
        steps.append((code, bool((step.get("when") or "").strip())))

    output_codes = frozenset(
        output["code"] for code, _ in steps for output in procedures[code].get("outputs", [])
    )

    def field_def(code: str) -> dict:
        if code not in fields:
            raise DefinitionError(f"unknown field {code!r}")
        return fields[code]

    asked: list[str] = []
    seen: set[str] = set()

    def ask(code: str) -> None:
        field_def(code)
        if code not in seen and code not in output_codes:
            seen.add(code)
            asked.append(code)

    guide = tuple(code for code in one_thing.get("guide", []) if code not in output_codes)
    for code in guide:
        ask(code)
    used_by: dict[str, list[str]] = {}
    required_by: dict[str, list[str]] = {}
    proc_fields: dict[str, frozenset[str]] = {}
    for proc_code, _conditional in steps:
        required_here: set[str] = set()
        for ref in procedures[proc_code].get("fields", []):
            code = ref["field"]
            ask(code)
            if code in output_codes:
                continue
            used_by.setdefault(code, []).append(proc_code)
            if ref.get("required", True):
                required_by.setdefault(code, []).append(proc_code)
                required_here.add(code)
        proc_fields[proc_code] = frozenset(required_here)

    order = {code: index for index, code in enumerate(asked)}
    unconditional = {
        code for proc_code, conditional in steps if not conditional for code in proc_fields[proc_code]
    }

    material_order: list[str] = []
    material_info: dict[str, dict] = {}
    proc_materials: dict[str, frozenset[str]] = {}
    for proc_code, conditional in steps:
        required_here = set()
        for ref in procedures[proc_code].get("materials", []):
            code = ref["material"]
            if code not in materials:
                raise DefinitionError(f"unknown material {code!r}")
            if code in output_codes:
                continue
            info = material_info.get(code)
            if info is None:
                material = materials[code]
                info = material_info[code] = {
                    "code": code,
                    "label": material.get("label", {}),
                    "required": False,
                    "accepted_types": list(material.get("accepted_types", [])),
                    "max_size_mb": material.get("max_size_mb", 10),
                    "procedures": [],
                }
                material_order.append(code)
            if proc_code not in info["procedures"]:
                info["procedures"].append(proc_code)
            if ref.get("required", True):
                required_here.add(code)
                if not conditional:
                    info["required"] = True
        proc_materials[proc_code] = frozenset(required_here)

    plan_args = {
        "definition": definition,
        "one_thing": one_thing,
        "fields": fields,
        "materials": materials,
        "procedures": procedures,
        "output_codes": output_codes,
        "steps": tuple(steps),
        "asked": tuple(asked),
        "guide": guide,
        "field_procedures": {code: tuple(procs) for code, procs in used_by.items()},
        "field_required_by": {code: tuple(procs) for code, procs in required_by.items()},
        "unconditional_required": tuple(sorted(unconditional, key=order.__getitem__)),
        "procedure_required_fields": proc_fields,
        "procedure_required_materials": proc_materials,
        "materials_asked": tuple(material_info[code] for code in material_order),
    }
    schema = _build_schema(plan_args, "en")
    FormValidator.check_schema(schema, format_checker=FormValidator.FORMAT_CHECKER)
    # Validation ignores the schema's "required": validate_answers decides what is required now.
    validation_schema = {key: value for key, value in schema.items() if key != "required"}
    return _Plan(**plan_args, validator=FormValidator(validation_schema, format_checker=_FORMAT_CHECKER))


# --------------------------------------------------------------------------------------------
# JSON Schema


def _text(labels: Mapping | None, language: str) -> str:
    return localized(dict(labels or {}), language)


def _decimal_text(value: object) -> str:
    return str(value) if isinstance(value, (int, str)) else repr(value)


def _property(field: dict, language: str) -> dict:
    """The JSON Schema of one answer."""
    kind = field.get("type", "string")
    prop: dict[str, Any] = {"title": _text(field.get("label"), language)}
    if field.get("help"):
        prop["description"] = _text(field["help"], language)
    prop["x-govflow-type"] = kind
    if kind in ("string", "text"):
        prop["type"] = "string"
        prop["maxLength"] = field.get("max_length") or DEFAULT_MAX_LENGTH[kind]
        if field.get("pattern"):
            prop["pattern"] = whole_string_pattern(field["pattern"])
        if kind == "text":
            prop["x-govflow-widget"] = "textarea"
    elif kind == "integer":
        prop["type"] = "integer"
        prop["minimum"] = field["min"] if field.get("min") is not None else -MAX_SAFE_INTEGER
        prop["maximum"] = field["max"] if field.get("max") is not None else MAX_SAFE_INTEGER
    elif kind == "decimal":
        prop.update(type="string", format="decimal", pattern=DECIMAL_PATTERN)
        if field.get("min") is not None:
            prop["x-govflow-minimum"] = _decimal_text(field["min"])
        if field.get("max") is not None:
            prop["x-govflow-maximum"] = _decimal_text(field["max"])
    elif kind == "boolean":
        prop["type"] = "boolean"
    elif kind == "date":
        prop.update(type="string", format="date")
    elif kind == "choice":
        choices = field.get("choices") or []
        values = [choice["value"] for choice in choices]
        if all(isinstance(value, str) for value in values):
            prop["type"] = "string"
        prop["enum"] = values
        prop["x-govflow-choices"] = [
            {"value": choice["value"], "label": _text(choice.get("label"), language)} for choice in choices
        ]
    elif kind == "email":
        prop.update(type="string", format="email", maxLength=DEFAULT_MAX_LENGTH["email"])
    elif kind == "phone":
        prop.update(type="string", format="phone")
    elif kind == "id_number":
        prop.update(type="string", format="id_number")
    else:
        raise DefinitionError(f"field {field.get('code')!r} has unknown type {kind!r}")
    return prop


def _build_schema(plan: Mapping[str, Any], language: str) -> dict:
    fields = plan["fields"]
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "title": _text(plan["one_thing"].get("name"), language),
        "type": "object",
        "properties": {code: _property(fields[code], language) for code in plan["asked"]},
        "required": list(plan["unconditional_required"]),
        "additionalProperties": False,
        "x-govflow-guide": list(plan["guide"]),
        "x-govflow-order": list(plan["asked"]),
    }


def form_schema(definition: Mapping, language: str | None = None) -> dict:
    """The merged form as a JSON Schema 2020-12 document (a fresh dict; callers may change it).

    ``properties`` hold every asked field in asking order (also listed in ``x-govflow-order``,
    for clients that do not keep key order), with ``title`` in ``language`` (``zh-hans`` or
    ``en``; English when None or unknown). ``required`` lists what the unconditional steps
    require; the rest depends on the answers and is checked at submission. Non-standard
    annotations: ``x-govflow-type`` (the catalog field type), ``x-govflow-choices`` (labelled
    choices), ``x-govflow-widget``, ``x-govflow-minimum``/``x-govflow-maximum`` (decimal bounds,
    exact, as strings) and ``x-govflow-guide`` (the guide questions, asked first).
    """
    plan = _plan(definition)
    return _build_schema(plan.__dict__, language or "en")


def get_validator(definition: Mapping):
    """The compiled, cached validator of the definition's answers (schema without ``required``).

    A :data:`FormValidator` (Draft 2020-12 with strict integers and exact decimal bounds) with
    the format checker for ``date``, ``email``, ``phone``, ``id_number`` and ``decimal``.
    """
    return _plan(definition).validator


# --------------------------------------------------------------------------------------------
# What is asked and what is required


def asked_fields(definition: Mapping) -> list[str]:
    """Codes of the fields the citizen is asked: guide first, then in step and procedure order.

    Deduplicated; fields whose code is an output issued by a procedure of the one thing are left
    out (never ask what another procedure issues).
    """
    return list(_plan(definition).asked)


def field_required_by(definition: Mapping) -> dict[str, list[str]]:
    """Field code → codes of the procedures (in step order) that require it.

    Only fields that at least one procedure requires appear; see :func:`field_procedures` for
    every procedure that uses a field.
    """
    return {code: list(procs) for code, procs in _plan(definition).field_required_by.items()}


def field_procedures(definition: Mapping) -> dict[str, list[str]]:
    """Field code → codes of the procedures (in step order) that use it, required or not."""
    return {code: list(procs) for code, procs in _plan(definition).field_procedures.items()}


def materials_asked(definition: Mapping) -> list[dict]:
    """The one set of materials, in order of first use.

    Each: ``code``, ``label`` (the ``{language: text}`` dict), ``required`` (a procedure of an
    unconditional step requires it), ``accepted_types``, ``max_size_mb`` and ``procedures`` (codes
    of every procedure that lists it). Materials issued as outputs are left out.
    """
    return [
        {**info, "label": dict(info["label"]), "accepted_types": list(info["accepted_types"]),
         "procedures": list(info["procedures"])}
        for info in _plan(definition).materials_asked
    ]


def _required_for(plan: _Plan, applicable_procedures: Iterable[str], table: Mapping[str, frozenset[str]]) -> set[str]:
    result: set[str] = set()
    for code in applicable_procedures:
        if code not in table:
            raise ValueError(f"{code!r} is not a procedure of this one thing")
        result |= table[code]
    return result


def required_fields_for(definition: Mapping, applicable_procedures: Iterable[str]) -> set[str]:
    """Fields required by the given procedures (those of the applicable steps)."""
    plan = _plan(definition)
    return _required_for(plan, applicable_procedures, plan.procedure_required_fields)


def required_materials_for(definition: Mapping, applicable_procedures: Iterable[str]) -> set[str]:
    """Materials required by the given procedures (those of the applicable steps)."""
    plan = _plan(definition)
    return _required_for(plan, applicable_procedures, plan.procedure_required_materials)


# --------------------------------------------------------------------------------------------
# Validation


def _is_unanswered(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _type_message(kind: str) -> str:
    if kind == "integer":
        return gettext("Enter a whole number.")
    if kind == "decimal":
        return gettext('Enter the number as a string, for example "12.50".')
    if kind == "boolean":
        return gettext("Answer true or false.")
    if kind == "date":
        return gettext("Enter a date in the format YYYY-MM-DD.")
    if kind == "choice":
        return gettext("Select a valid choice. That choice is not one of the available choices.")
    return gettext("Enter a text value.")


def _format_message(kind: str) -> str:
    if kind == "date":
        return gettext("Enter a real date in the format YYYY-MM-DD.")
    if kind == "email":
        return gettext("Enter a valid email address.")
    if kind == "phone":
        return gettext("Enter a valid mainland China mobile number (11 digits).")
    if kind == "id_number":
        return gettext("Enter a valid 18-character resident ID number.")
    if kind == "decimal":
        return gettext("Enter a number.")
    return gettext("Enter a valid value.")


def _message(error: SchemaValidationError, kind: str) -> str:
    keyword = error.validator
    if keyword == "type":
        return _type_message(kind)
    if keyword == "maxLength":
        limit = error.validator_value
        return ngettext(
            "Ensure this value has at most %(limit_value)d character (it has %(show_value)d).",
            "Ensure this value has at most %(limit_value)d characters (it has %(show_value)d).",
            limit,
        ) % {"limit_value": limit, "show_value": len(error.instance)}
    if keyword in ("minimum", "x-govflow-minimum"):
        return gettext("Ensure this value is greater than or equal to %(limit_value)s.") % {
            "limit_value": error.validator_value}
    if keyword in ("maximum", "x-govflow-maximum"):
        return gettext("Ensure this value is less than or equal to %(limit_value)s.") % {
            "limit_value": error.validator_value}
    if keyword == "enum":
        return _type_message("choice")
    if keyword in ("format", "pattern"):
        return _format_message(kind)
    return gettext("Enter a valid value.")


def validate_answers(
    definition: Mapping,
    data: object,
    *,
    required: Iterable[str] = (),
    partial: bool = False,
) -> dict[str, list[str]]:
    """Check form answers; return ``{field_code: [messages]}``, empty when all is well.

    - Keys that are not asked fields (including output codes) → ``"Unknown field."``.
    - ``None`` or a blank string counts as not answered: never a type error.
    - Unless ``partial`` (saving a draft), a field is required when an unconditional step needs it
      or it is in ``required`` (the caller adds what the applicable conditional steps need, see
      :func:`required_fields_for`). With ``partial`` nothing is required but every given value
      must still be valid.
    - Data that is not a JSON object → ``{"non_field_errors": [...]}``.
    - Text that breaks :mod:`govflow.text` (NUL, lone surrogates, control characters, bidi
      overrides; a ``text`` field may hold line breaks and tabs) → an error on that field; such a
      key is reported under ``non_field_errors`` and never echoed.

    Messages are translated into the active language. Never raises for any ``data``.
    """
    if not isinstance(data, Mapping):
        return {"non_field_errors": [gettext("Expected an object of answers keyed by field code.")]}
    plan = _plan(definition)
    errors: dict[str, list[str]] = {}

    def add(code: str, message: str) -> None:
        messages = errors.setdefault(code, [])
        if message not in messages:
            messages.append(message)

    asked = set(plan.asked)
    answers: dict[str, object] = {}
    unknown: list[str] = []
    for key, value in data.items():
        if isinstance(key, str) and has_bad_text(key):  # never echoed back: it may not even encode
            add("non_field_errors", invalid_text_message())
        elif key not in asked:
            unknown.append(str(key))
        elif bad_text_in(value, multiline=plan.fields[key].get("type") == "text"):
            add(key, invalid_text_message())
        elif not _is_unanswered(value):
            answers[key] = value

    if not partial:
        needed = set(plan.unconditional_required) | {str(code) for code in required}
        for code in needed & asked:
            if code not in answers:
                add(code, gettext("This field is required."))

    for error in plan.validator.iter_errors(answers):
        if error.path:
            code = str(error.path[0])
            add(code, _message(error, plan.fields[code].get("type", "string")))
        else:  # pragma: no cover - unknown keys and non-objects are filtered out above
            add("non_field_errors", gettext("Enter a valid value."))

    order = {code: index for index, code in enumerate(plan.asked)}
    result = {code: errors[code] for code in sorted(errors, key=lambda c: order.get(c, len(order)))}
    for key in unknown:
        result.setdefault(key, []).append(gettext("Unknown field."))
    return result
