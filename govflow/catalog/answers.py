"""Checking a citizen's answers against a compiled :class:`~govflow.catalog.definition.Definition`.

The answers' JSON Schema is assembled from the field types' fragments
(:mod:`govflow.catalog.fieldtypes`) and checked by :data:`FormValidator`; messages come from the
field types too, translated into the active language. Nothing here touches the database.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from typing import Any, Protocol

from django.utils.translation import gettext, ngettext
from jsonschema import Draft202012Validator, FormatChecker, validators
from jsonschema.exceptions import ValidationError as SchemaValidationError

from govflow.text import bad_text_in, has_bad_text, invalid_text_message

from .fieldkind import FieldKind, Unparsable
from .fieldtypes import FIELD_TYPES, as_decimal, field_type


class CompiledForm(Protocol):
    """What answer checking needs of a compiled definition (:class:`~govflow.catalog.definition.Definition`,
    which calls :func:`validate_answers` itself, so this module cannot import it)."""

    fields: Mapping[str, dict]

    @property
    def form(self) -> Any: ...


__all__ = ["FORMAT_CHECKER", "FormValidator", "example_problem", "validate_answers"]


def _only_strings(kind: FieldKind):
    """Formats constrain strings only; other JSON types are the ``type`` keyword's business."""

    def checker(instance: object) -> bool:
        return not isinstance(instance, str) or kind.is_valid(instance)

    return checker


#: The ``format`` checks of the registered field types (``date``, ``email``, ``phone``, …).
FORMAT_CHECKER = FormatChecker(formats=())
for _kind in FIELD_TYPES.values():
    if _kind.format:
        FORMAT_CHECKER.checks(_kind.format)(_only_strings(_kind))


def _decimal_bound(kind: str):
    def check(validator, bound, instance, schema) -> Iterator[SchemaValidationError]:
        value = as_decimal(instance)
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


def _message(error: SchemaValidationError, kind: FieldKind) -> str:
    keyword = error.validator
    if keyword == "type":
        return str(kind.type_message)
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
        return str(FIELD_TYPES["choice"].type_message)
    if keyword in ("format", "pattern"):
        return str(kind.format_message)
    return gettext("Enter a valid value.")


def _is_unanswered(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def validate_answers(
    definition: CompiledForm,
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
      ``Definition.required_fields``). With ``partial`` nothing is required but every given value
      must still be valid.
    - Data that is not a JSON object → ``{"non_field_errors": [...]}``.
    - Text that breaks :mod:`govflow.text` (NUL, lone surrogates, control characters, bidi
      overrides; a multiline field may hold line breaks and tabs) → an error on that field; such
      a key is reported under ``non_field_errors`` and never echoed.

    Messages are translated into the active language. Never raises for any ``data``.
    """
    if not isinstance(data, Mapping):
        return {"non_field_errors": [gettext("Expected an object of answers keyed by field code.")]}
    errors: dict[str, list[str]] = {}

    def add(code: str, message: str) -> None:
        messages = errors.setdefault(code, [])
        if message not in messages:
            messages.append(message)

    form = definition.form
    order = form.asked_order
    answers: dict[str, object] = {}
    unknown: list[str] = []
    for key, value in data.items():
        if isinstance(key, str) and has_bad_text(key):  # never echoed back: it may not even encode
            add("non_field_errors", invalid_text_message())
        elif key not in order:
            unknown.append(str(key))
        elif bad_text_in(value, multiline=field_type(definition.fields[key]).multiline):
            add(key, invalid_text_message())
        elif not _is_unanswered(value):
            answers[key] = value

    if not partial:
        needed = set(form.unconditional_required) | {str(code) for code in required}
        for code in needed & order.keys():
            if code not in answers:
                add(code, gettext("This field is required."))

    for error in form.validator.iter_errors(answers):
        if error.path:
            code = str(error.path[0])
            add(code, _message(error, field_type(definition.fields[code])))
        else:  # pragma: no cover - unknown keys and non-objects are filtered out above
            add("non_field_errors", gettext("Enter a valid value."))

    result = {code: errors[code] for code in sorted(errors, key=lambda c: order.get(c, len(order)))}
    for key in unknown:
        result.setdefault(key, []).append(gettext("Unknown field."))
    return result


def example_problem(spec: Mapping) -> str | None:
    """Why the ``example`` of a field's or an output's catalog entry would not be accepted as its
    value, in the active language (``None``: it would be, or there is no example).

    The example is read as a person's typed text would be (the type's :meth:`FieldKind.parse`)
    and then checked by the same schema as an answer: the type, its format (a USCC's check
    character, an ID number's), the pattern, the length and the bounds. Never raises for a spec
    whose type is registered.
    """
    example = spec.get("example")
    if not isinstance(example, str) or not example.strip():
        return None
    kind = field_type(spec)
    try:
        value = kind.parse(spec, example)
    except Unparsable as exc:
        return str(exc)
    try:
        validator = FormValidator(kind.schema(spec, "en"), format_checker=FORMAT_CHECKER)
        error = next(iter(validator.iter_errors(value)), None)
    except (re.error, RecursionError, OverflowError, ValueError):  # a bad pattern is reported on its own
        return None
    return None if error is None else _message(error, kind)
