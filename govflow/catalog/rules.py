"""Applicability rules: the CEL ``when`` expressions of one-thing steps.

A step's ``when`` is a CEL (Common Expression Language) expression over the form's
field codes, e.g. ``has_employees`` or ``employee_count > 5 && company_type == "llc"``.
Applicability is decided once, at submission, and must never fail there, so
:meth:`CompiledRule.evaluate` turns every problem into ``False``:

* A rule that names an **unanswered field** is false, whatever the rest of the
  expression says. "Unanswered" means the key is missing, ``None`` or a blank string.
  This deliberately includes ``!has_employees`` with no answer: a step is only
  included on a positive, answered condition, never by default.
* A type error (``"ten" > 5``), division by zero, a non-boolean result (``employee_count``
  alone), any evaluation error → false.

Numbers compare across ``int`` and ``double`` (``registered_capital > 100.5`` with the
answer ``150``), as newer CEL specifications allow; cel-python 0.5 would otherwise
refuse ``int < double``, and a decimal field answered with a whole number would make
such a rule silently false.

Compiled rules are cached per expression string: a definition's rules compile once
per process.

The designer's condition builder does not write CEL itself: it sends clauses (a field, an
operator, a value) to :func:`write_condition`, which writes the one CEL text for them, and reads a
condition back into clauses with :func:`read_condition` when it is one that it could have written.
"""
from __future__ import annotations

import datetime
import decimal
import functools
import json
import math
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import celpy
import lark
from celpy import celtypes
from celpy.evaluation import base_functions
from django.utils.translation import gettext as _

__all__ = ["Clause", "CompiledRule", "RuleError", "compile_rule", "condition_operators", "read_condition",
           "referenced_names", "write_condition"]


class RuleError(ValueError):
    """A ``when`` expression that is not valid CEL."""


# Method-style macros whose first argument binds a loop variable: ``list.all(x, x > 0)``.
_MACROS = frozenset({"all", "exists", "exists_one", "map", "filter"})

# Identifiers that CEL resolves to types, not to variables (``type(x) == int``).
_TYPE_NAMES = frozenset({
    "bool", "bytes", "double", "duration", "dyn", "int", "list", "map", "null_type",
    "string", "timestamp", "type", "uint", "google",
})


@functools.cache
def _environment() -> celpy.Environment:
    """The one CEL environment of the process.

    Building it constructs the lark parser (~0.2 s), so it is created on first use
    rather than at import: importing the catalog app must stay cheap for every
    management command and worker start.
    """
    return celpy.Environment()


# -- numeric comparisons across int and double ---------------------------------------------


def _plain_number(value: Any) -> int | float | None:
    """The Python number behind a CEL int/uint/double, or None (bools are not numbers)."""
    if isinstance(value, celtypes.BoolType):
        return None
    if isinstance(value, (celtypes.IntType, celtypes.UintType)):
        return int(value)
    if isinstance(value, celtypes.DoubleType):
        return float(value)
    return None


def _mixed_numeric(op: Callable[[Any, Any], bool], base: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a CEL comparison so that mixed int/double operands compare by value."""

    def compare(left: Any, right: Any) -> Any:
        a, b = _plain_number(left), _plain_number(right)
        if a is not None and b is not None and type(left) is not type(right):
            # Python compares int and float exactly (no precision loss for big ints).
            return celtypes.BoolType(op(a, b))
        return base(left, right)

    compare.__name__ = getattr(base, "__name__", "compare")
    return compare


_FUNCTIONS: dict[str, Any] = {
    name: _mixed_numeric(op, base_functions[name])
    for name, op in {
        "_<_": operator.lt, "_<=_": operator.le, "_>_": operator.gt,
        "_>=_": operator.ge, "_==_": operator.eq, "_!=_": operator.ne,
    }.items()
}


# -- names referenced by an expression -----------------------------------------------------


def _single_ident(tree: Any) -> str | None:
    """The identifier if ``tree`` is nothing but a bare identifier (a macro's loop variable)."""
    while isinstance(tree, lark.Tree):
        if tree.data == "ident":
            return str(tree.children[0])
        if len(tree.children) != 1:
            return None
        tree = tree.children[0]
    return None


def _collect_names(tree: Any, bound: frozenset[str], out: set[str]) -> None:
    if not isinstance(tree, lark.Tree):
        return  # a Token: literal, operator or a member/function name
    kind = tree.data
    if kind == "ident":
        name = str(tree.children[0])
        if name not in bound and name not in _TYPE_NAMES:
            out.add(name)
        return
    if kind == "dot_ident":
        # ``.name`` is an explicitly root-scoped variable.
        out.add(str(tree.children[0]))
        return
    if kind in ("ident_arg", "dot_ident_arg"):
        # ``size(x)``, ``has(x.y)``: the first child is the function name, not a variable.
        for child in tree.children[1:]:
            _collect_names(child, bound, out)
        return
    if kind == "member_dot_arg":
        target, method, args = (list(tree.children) + [None, None, None])[:3]
        _collect_names(target, bound, out)
        arguments = list(args.children) if isinstance(args, lark.Tree) else []
        if str(method) in _MACROS and len(arguments) >= 2:
            variable = _single_ident(arguments[0])
            if variable is not None:
                inner = bound | {variable}
                for argument in arguments[1:]:
                    _collect_names(argument, inner, out)
                return
        for argument in arguments:
            _collect_names(argument, bound, out)
        return
    if kind == "member_dot":
        # ``a.b``: only the root ``a`` is a variable; ``b`` is a field of it.
        _collect_names(tree.children[0], bound, out)
        return
    if kind in ("member_object", "fieldinits"):
        # Message construction ``T{f: v}``: field names are tokens, values are expressions.
        for child in tree.children:
            _collect_names(child, bound, out)
        return
    for child in tree.children:
        _collect_names(child, bound, out)


# -- compiled rules ------------------------------------------------------------------------


def _is_unanswered(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _to_cel(value: Any) -> Any:
    """JSON answer → CEL value; tolerates the Python types cleaned form data may hold."""
    if isinstance(value, decimal.Decimal):
        number = float(value)
        if not math.isfinite(number):
            raise ValueError("not a finite number")
        return celtypes.DoubleType(number)
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        # Dates travel as ISO strings in JSON answers; keep rules consistent with them.
        return celtypes.StringType(value.isoformat())
    return celpy.json_to_cel(value)


@dataclass(frozen=True)
class CompiledRule:
    """A parsed ``when`` expression, ready to evaluate many times."""

    expr: str
    names: frozenset[str]
    _program: Any = field(repr=False, compare=False)

    def evaluate(self, data: Mapping[str, Any] | None) -> bool:
        """True only when every named field is answered and the rule yields boolean true.

        Never raises: a missing field, a type error or any evaluation error is ``False``.
        """
        if not isinstance(data, Mapping):
            return False
        try:
            activation: dict[str, Any] = {}
            for name in self.names:
                value = data.get(name)
                if _is_unanswered(value):
                    return False
                activation[name] = _to_cel(value)
            result = self._program.evaluate(activation)
        except Exception:  # noqa: BLE001 - by contract a rule that cannot be evaluated is false
            return False
        return isinstance(result, celtypes.BoolType) and bool(result)


@functools.lru_cache(maxsize=2048)
def compile_rule(expr: str) -> CompiledRule:
    """Parse and prepare a CEL expression; raises :class:`RuleError` when it does not parse.

    Cached on the expression string, so each distinct rule is compiled once.
    """
    if not isinstance(expr, str) or not expr.strip():
        raise RuleError("a rule must be a non-empty CEL expression")
    env = _environment()
    try:
        ast = env.compile(expr)
        names: set[str] = set()
        _collect_names(ast, frozenset(), names)
        program = env.program(ast, functions=_FUNCTIONS)
    except RecursionError as exc:
        raise RuleError("the expression is nested too deeply") from exc
    except Exception as exc:  # noqa: BLE001 - lark/celpy raise several exception types
        raise RuleError(_parse_message(exc)) from exc
    return CompiledRule(expr=expr, names=frozenset(names), _program=program)


def _parse_message(exc: Exception) -> str:
    """A one-line parse error message with the position (celpy's own repeats the source)."""
    line, column = getattr(exc, "line", None), getattr(exc, "column", None)
    if isinstance(line, int) and isinstance(column, int):
        return f"not a valid CEL expression (syntax error at line {line}, column {column})"
    return f"not a valid CEL expression ({exc.__class__.__name__})"


def referenced_names(expr: str) -> frozenset[str]:
    """The variable names (field codes) an expression refers to; raises :class:`RuleError`."""
    return compile_rule(expr).names


# -- conditions written from clauses (the designer's condition builder) --------------------

_ORDERED = ("eq", "ne", "gt", "ge", "lt", "le")
_TEXT = ("eq", "ne", "in", "not_in")

#: The operators a condition may apply to a field, by field type; other types compare as text.
CONDITION_OPERATORS: dict[str, tuple[str, ...]] = {
    "boolean": ("is_true", "is_false"),
    "integer": _ORDERED,
    "decimal": _ORDERED,
    "date": _ORDERED,  # ISO dates (answers are "YYYY-MM-DD" strings) compare in calendar order
    "choice": _TEXT,
}
JOINS = {"and": " && ", "or": " || "}
_COMPARISONS = {"eq": "==", "ne": "!=", "gt": ">", "ge": ">=", "lt": "<", "le": "<="}
_CEL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_INTEGER = re.compile(r"[+-]?\d+")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def condition_operators(field_type: str) -> tuple[str, ...]:
    """The operators offered for a field of this type (``eq``, ``gt``, ``in``, ``is_true`` …)."""
    return CONDITION_OPERATORS.get(field_type, _TEXT)


@dataclass(frozen=True)
class Clause:
    """One comparison of a condition: ``field`` ``operator`` ``values`` (as typed; several for
    ``in``/``not_in``, none for ``is_true``/``is_false``)."""

    field: str
    operator: str
    values: tuple[str, ...] = ()


def _literal(spec: Mapping[str, Any], text: str) -> str:
    """A typed value → its CEL literal for a field of this catalog entry; RuleError if it cannot be."""
    kind = spec.get("type") or "string"
    text = text.strip()
    if not text:
        raise RuleError(_("Enter a value to compare with."))
    if kind == "integer":
        if not _INTEGER.fullmatch(text):
            raise RuleError(_("“%(value)s” is not a whole number.") % {"value": text})
        return str(int(text))
    if kind == "decimal":
        try:
            number = decimal.Decimal(text)
        except decimal.InvalidOperation:
            number = None
        if number is None or not number.is_finite() or not math.isfinite(float(number)):
            raise RuleError(_("“%(value)s” is not a number.") % {"value": text})
        literal = format(number.normalize(), "f")
        return literal if "." in literal else f"{literal}.0"
    if kind == "date":
        try:
            valid = bool(_ISO_DATE.fullmatch(text)) and bool(datetime.date.fromisoformat(text))
        except ValueError:
            valid = False
        if not valid:
            raise RuleError(_("“%(value)s” is not a date in the format YYYY-MM-DD.") % {"value": text})
        return json.dumps(text)
    if kind == "choice":
        for choice in spec.get("choices") or []:
            if isinstance(choice, Mapping) and str(choice.get("value")) == text:
                return json.dumps(choice["value"], ensure_ascii=False)
        raise RuleError(_("“%(value)s” is not one of the field's options.") % {"value": text})
    return json.dumps(text, ensure_ascii=False)


def _clause_cel(clause: Clause, fields: Mapping[str, Mapping[str, Any]]) -> str:
    spec = fields.get(clause.field)
    if not isinstance(spec, Mapping):
        raise RuleError(_("There is no field “%(field)s”.") % {"field": clause.field})
    if not _CEL_NAME.fullmatch(clause.field):
        raise RuleError(_("The field “%(field)s” cannot be used in a condition: its code is not a name CEL "
                          "can read (letters, digits and “_” only).") % {"field": clause.field})
    kind = spec.get("type") or "string"
    if clause.operator not in condition_operators(kind):
        raise RuleError(_("This comparison does not apply to the field “%(field)s”.") % {"field": clause.field})
    name = clause.field
    if clause.operator == "is_true":
        return name
    if clause.operator == "is_false":
        return f"!{name}"
    values = [v for v in clause.values if isinstance(v, str) and v.strip()]
    if clause.operator in ("in", "not_in"):
        if not values:
            raise RuleError(_("Choose or enter at least one value for “%(field)s”.") % {"field": clause.field})
        listed = f"{name} in [{', '.join(_literal(spec, v) for v in dict.fromkeys(values))}]"
        return listed if clause.operator == "in" else f"!({listed})"
    if len(values) != 1:
        raise RuleError(_("Enter one value to compare “%(field)s” with.") % {"field": clause.field})
    # A decimal answer is a string ("150.00"): compare it as a number.
    subject = f"double({name})" if kind == "decimal" else name
    return f"{subject} {_COMPARISONS[clause.operator]} {_literal(spec, values[0])}"


def write_condition(clauses: Sequence[Clause], fields: Mapping[str, Mapping[str, Any]], *,
                    join: str = "and") -> str:
    """The CEL ``when`` for these clauses, all true (``join="and"``) or any true (``"or"``).

    ``fields`` maps field codes to their catalog entries (``type``, ``choices``): each value is
    written as a literal of the field's type (a whole number, a number, a quoted date or text, one
    of a choice field's options), so that the condition compares like with like at submission.
    Raises :class:`RuleError` with a message for people when a clause cannot be written.
    """
    if join not in JOINS:
        raise RuleError(_("Join the clauses with AND or OR."))
    if not clauses:
        raise RuleError(_("Add at least one clause."))
    expr = JOINS[join].join(_clause_cel(clause, fields) for clause in clauses)
    compile_rule(expr)  # what the builder writes is always a rule the engine compiles
    return expr


_READ_CLAUSE = re.compile(
    r"(?P<not>!)?(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?:double\()?(?P<subject>[A-Za-z_][A-Za-z0-9_]*)\)? (?P<op>==|!=|>=|<=|>|<) (?P<literal>.+)"
    r"|(?P<negated>!\()?(?P<member>[A-Za-z_][A-Za-z0-9_]*) in (?P<list>\[.*\])\)?", re.DOTALL)
_OPERATOR_CODES = {symbol: code for code, symbol in _COMPARISONS.items()}


def _split_top_level(expr: str) -> tuple[str, list[str]] | None:
    """``a && b && c`` → ("and", [a, b, c]); None when both ``&&`` and ``||`` join at the top."""
    parts, joins, depth, quote, start, i = [], set(), 0, "", 0, 0
    while i < len(expr):
        char = expr[i]
        if quote:
            if char == "\\":
                i += 1
            elif char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif depth == 0 and expr.startswith((" && ", " || "), i):
            joins.add("and" if expr[i + 1] == "&" else "or")
            parts.append(expr[start:i])
            start = i + 4
            i += 3
        i += 1
    parts.append(expr[start:])
    if len(joins) > 1:
        return None
    return (joins.pop() if joins else "and"), parts


def _values(literal: str) -> tuple[str, ...] | None:
    try:
        parsed = json.loads(literal)
    except ValueError:
        return None
    items = parsed if isinstance(parsed, list) else [parsed]
    if any(isinstance(item, (list, dict, bool)) or item is None for item in items):
        return None
    return tuple(item if isinstance(item, str) else json.dumps(item) for item in items)


def read_condition(expr: str, fields: Mapping[str, Mapping[str, Any]]) -> tuple[str, list[Clause]] | None:
    """The join and clauses :func:`write_condition` would turn into exactly ``expr``, or None when
    ``expr`` is a condition it cannot write (kept as free CEL)."""
    if not isinstance(expr, str) or not expr.strip():
        return None
    split = _split_top_level(expr.strip())
    if split is None:
        return None
    join, parts = split
    clauses: list[Clause] = []
    for part in parts:
        match = _READ_CLAUSE.fullmatch(part)
        if match is None:
            return None
        if match["name"]:
            clauses.append(Clause(match["name"], "is_false" if match["not"] else "is_true"))
            continue
        if match["subject"]:
            values = _values(match["literal"])
            operator_code = _OPERATOR_CODES[match["op"]]
            field_name = match["subject"]
        else:
            values = _values(match["list"])
            operator_code = "not_in" if match["negated"] else "in"
            field_name = match["member"]
        if values is None:
            return None
        clauses.append(Clause(field_name, operator_code, values))
    try:
        written = write_condition(clauses, fields, join=join)
    except RuleError:
        return None
    return (join, clauses) if written == expr.strip() else None
