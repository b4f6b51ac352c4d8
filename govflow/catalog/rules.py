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
"""
from __future__ import annotations

import datetime
import decimal
import functools
import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import celpy
import lark
from celpy import celtypes
from celpy.evaluation import base_functions

__all__ = ["CompiledRule", "RuleError", "compile_rule", "referenced_names"]


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
