"""The shape of a ``govflow.catalog/1`` document, checked by its JSON Schema.

``catalog.schema.json`` (in this package; ``docs/catalog.schema.json`` is the published copy) is
the one statement of what a document looks like: keys, types, ranges, patterns, which options
apply to which field type. This module runs it and says each violation the way the rest of the
validation speaks: a :class:`~.format.CatalogError` at the JSON path of the offending value, in
words a catalog editor understands (``is required``, ``unknown key``, ``must be between 1 and
3650``) rather than the schema's own. Only the first problem of a location is reported.
"""
from __future__ import annotations

import math
from collections.abc import Iterator
from functools import cache
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from .format import ACCEPTED_MATERIAL_TYPES, CATALOG_FORMAT, FIELD_TYPES, CatalogError, json_path, schema

__all__ = ["TRANSLATED_KEYWORDS", "describe", "structure_errors"]

#: The schema keywords whose violations are said in the importer's words (a test checks that the
#: schema uses no other).
TRANSLATED_KEYWORDS = frozenset({"type", "required", "additionalProperties", "not", "uniqueItems", "const", "enum",
                                 "pattern", "propertyNames", "maxLength", "minimum", "maximum", "minItems"})

# Where a document names something defined elsewhere in it: the key (or, for a list of codes,
# the list's key) and what it names.
_REFERENCES = {"department": gettext_lazy("department"), "field": gettext_lazy("field"),
               "material": gettext_lazy("material"), "procedure": gettext_lazy("procedure"),
               "needs_outputs": gettext_lazy("output"), "after": gettext_lazy("procedure"),
               "guide": gettext_lazy("field")}
_AT_LEAST_ONE = {"choices": gettext_lazy("a choice field needs at least one choice"),
                 "accepted_types": gettext_lazy("must name at least one file type"),
                 "steps": gettext_lazy("a one thing needs at least one step")}
_TYPE_NAMES = {"object": gettext_lazy("an object"), "array": gettext_lazy("a list"), "string": gettext_lazy("a string"),
               "number": gettext_lazy("a number"), "integer": gettext_lazy("a whole number"),
               "boolean": gettext_lazy("true or false")}


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(schema())


def describe(value: Any) -> str:
    """JSON type name of a value, for messages like ``must be a string, not a number``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return _("a boolean")
    if isinstance(value, (int, float)):
        return _("a number")
    if isinstance(value, str):
        return _("a string")
    if isinstance(value, list):
        return _("a list")
    if isinstance(value, dict):
        return _("an object")
    return type(value).__name__


def structure_errors(doc: Any) -> list[CatalogError]:
    """Every place where ``doc`` does not have the shape the schema describes (first problem of each)."""
    found: dict[str, CatalogError] = {}
    # An option of another field type is said first: that it does not apply, not what is wrong inside.
    for error in sorted(_validator().iter_errors(doc), key=lambda e: e.validator != "not"):
        for problem in _translate(error):
            found.setdefault(problem.path, problem)
    return list(found.values())


def _translate(error: ValidationError) -> Iterator[CatalogError]:
    where = list(error.absolute_path)
    path = json_path(where)
    value = error.instance
    kind = error.validator
    if kind == "required":
        for name in error.validator_value:
            if isinstance(value, dict) and name not in value:
                yield CatalogError(json_path([*where, name]), _required(name))
    elif kind == "additionalProperties":
        known = error.schema.get("properties", {})
        for name in value:
            if name not in known:
                yield CatalogError(json_path([*where, name]), _("unknown key"))
    elif kind == "not":  # an option of another field type (the field's allOf rules)
        if value.get("type") in FIELD_TYPES:  # with an unknown type, the type's error is enough
            kinds = _field_rule_kinds(error)
            negated = error.validator_value  # {"required": [...]} or {"anyOf": [{"required": [...]}, ...]}
            for option in (o for rule in negated.get("anyOf", [negated]) for o in rule["required"]):
                if option in value:
                    yield CatalogError(json_path([*where, option]), _("only applies to %(kinds)s fields") % {
                        "kinds": _(" and ").join(kinds)})
    elif kind != "uniqueItems":  # duplicates are the semantic checks', which say which entry repeats which
        yield CatalogError(path, _message(error, where))


def _required(name: str) -> str:
    if name == "en":
        return _("is required (every label needs an English text)")
    if name == "choices":
        return _("is required for a choice field")
    return _("is required")


def _message(error: ValidationError, where: list) -> str:
    value, kind, expected = error.instance, error.validator, error.validator_value
    key = next((k for k in reversed(where) if isinstance(k, str)), None)
    if kind == "type":
        if not where:
            return _("a catalog document must be a JSON object, not %(value)s") % {"value": describe(value)}
        if expected == "string" and key in _REFERENCES:
            return _("must be a %(kind)s code (a string), not %(value)s") % {"kind": _REFERENCES[key],
                                                                              "value": describe(value)}
        if expected == "integer" and key in ("min", "max") and isinstance(value, float):
            return _("must be a whole number for an integer field") if math.isfinite(value) else _("must be a number")
        return _("must be %(type)s, not %(value)s") % {"type": _TYPE_NAMES.get(expected, expected),
                                                       "value": describe(value)}
    if kind == "const":
        return _("unknown format %(value)s; expected %(format)s") % {"value": repr(value),
                                                                      "format": repr(CATALOG_FORMAT)}
    if kind == "enum":
        return _unknown_name(value, where, expected)
    if kind == "pattern":
        if "propertyNames" in error.relative_schema_path:
            return _("language keys must be non-empty strings")
        if key == "code":
            return _("%(value)s is not a valid code (lower-case letters, digits, '-' and '_', starting with a letter "
                     "or digit)") % {"value": repr(value)}
        return _("must not contain NUL characters") if "\x00" in value else _("must not be empty")
    if kind == "maxLength":
        return _("must be at most %(count)s characters long") % {"count": expected}
    if kind in ("minimum", "maximum"):
        return _("must be between %(minimum)s and %(maximum)s") % {"minimum": error.schema["minimum"],
                                                                  "maximum": error.schema["maximum"]}
    if kind == "minItems" and key in _AT_LEAST_ONE:
        return str(_AT_LEAST_ONE[key])
    return error.message  # pragma: no cover - every keyword the schema uses is translated above


def _unknown_name(value: Any, where: list, expected: list) -> str:
    if where[0] == "materials":
        return _("unknown file type %(value)s; expected one of %(types)s (or jpg for jpeg)") % {
            "value": repr(value), "types": ", ".join(ACCEPTED_MATERIAL_TYPES)}
    key = where[-1] if where else None
    if key == "type":
        what = _("output type") if "outputs" in where else _("field type")
    else:  # a one thing's ``applicant``, a procedure's or a division's ``level``
        what = {"applicant": _("kind of applicant"), "level": _("level")}.get(key, str(key).replace("_", " "))
    return _("unknown %(what)s %(value)s; expected one of %(expected)s") % {
        "what": what, "value": repr(value), "expected": ", ".join(map(str, expected))}


def _field_rule_kinds(error: ValidationError) -> list[str]:
    """The field types a rule of the field's ``allOf`` is about (its ``if`` names them)."""
    schema_path = list(error.relative_schema_path)
    last = max(i for i, keyword in enumerate(schema_path) if keyword == "allOf")
    index = schema_path[last + 1]
    condition = schema()["$defs"]["field"]["allOf"][index]["if"]["properties"]["type"]
    return list(condition.get("enum", [condition.get("const")]))
