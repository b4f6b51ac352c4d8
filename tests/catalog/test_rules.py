"""CEL ``when`` rules: compile once, list the names they use, never fail at evaluation."""
from __future__ import annotations

import datetime
import decimal

import pytest

from govflow.catalog.rules import CompiledRule, RuleError, compile_rule, referenced_names


def test_it_compiles_a_rule_once_per_expression():
    first = compile_rule("has_employees && employee_count > 5")
    assert compile_rule("has_employees && employee_count > 5") is first
    assert isinstance(first, CompiledRule)


@pytest.mark.parametrize(("expr", "names"), [
    ("has_employees", {"has_employees"}),
    ("employee_count > 5 && company_type == 'llc'", {"employee_count", "company_type"}),
    ("!has_employees || size(company_name) > 3", {"has_employees", "company_name"}),
    ("has(profile.phone)", {"profile"}),
    ("address.city == 'Hangzhou'", {"address"}),
    ("industry in ['retail', 'food']", {"industry"}),
    ("company_name.startsWith('浙江')", {"company_name"}),
    ("type(employee_count) == int && true && null == null", {"employee_count"}),
    ("children.all(c, c.age < limit)", {"children", "limit"}),
    ("children.exists(c, c > 1) && c", {"children", "c"}),
    ("[1, 2].map(x, x * factor).filter(y, y > 2).size() > 0", {"factor"}),
])
def test_it_lists_the_field_names_an_expression_uses(expr, names):
    assert compile_rule(expr).names == frozenset(names)
    assert referenced_names(expr) == frozenset(names)


@pytest.mark.parametrize("expr", ["has_employees &&", "a ==== b", "(((", "'unterminated", "x.all(", "", "   "])
def test_it_raises_a_rule_error_for_an_expression_that_does_not_parse(expr):
    with pytest.raises(RuleError):
        compile_rule(expr)


def test_a_rule_error_is_a_value_error_with_a_position():
    with pytest.raises(ValueError, match="line 1, column"):
        compile_rule("has_employees &&")


@pytest.mark.parametrize(("expr", "data", "expected"), [
    ("has_employees", {"has_employees": True}, True),
    ("has_employees", {"has_employees": False}, False),
    ("!has_employees", {"has_employees": False}, True),
    ("employee_count > 5", {"employee_count": 6}, True),
    ("employee_count > 5", {"employee_count": 5}, False),
    ("company_type == 'llc'", {"company_type": "llc"}, True),
    ("industry in ['retail', 'food']", {"industry": "food"}, True),
    ("size(company_name) > 3", {"company_name": "浙江一号"}, True),
])
def test_it_evaluates_answered_fields(expr, data, expected):
    assert compile_rule(expr).evaluate(data) is expected


@pytest.mark.parametrize(("expr", "data"), [
    ("has_employees", {}),
    ("employee_count > 5", {}),
    # Documented: an unanswered field makes the rule false, even under a negation.
    ("!has_employees", {}),
    ("has_employees || true", {}),
    ("has_employees", {"has_employees": None}),
    ("company_name == ''", {"company_name": "  "}),
    ("a && b", {"a": True}),
])
def test_a_rule_that_names_an_unanswered_field_is_false(expr, data):
    assert compile_rule(expr).evaluate(data) is False


@pytest.mark.parametrize(("expr", "data"), [
    ("employee_count > 5", {"employee_count": "ten"}),  # type error
    ("employee_count / 0 == 1", {"employee_count": 3}),  # division by zero
    ("employee_count", {"employee_count": 7}),  # not a boolean
    ("company_name", {"company_name": "true"}),  # a string is not a boolean
    ("profile.phone == '1'", {"profile": {}}),  # missing member
    ("has_employees", {"has_employees": object()}),  # not JSON at all
])
def test_a_rule_that_fails_to_evaluate_is_false_and_never_raises(expr, data):
    assert compile_rule(expr).evaluate(data) is False


@pytest.mark.parametrize("data", [None, [], "has_employees", 1])
def test_evaluate_tolerates_answers_that_are_not_an_object(data):
    assert compile_rule("has_employees").evaluate(data) is False


@pytest.mark.parametrize(("expr", "data"), [
    ("registered_capital > 100.5", {"registered_capital": 150}),
    ("registered_capital >= 100", {"registered_capital": 100.0}),
    ("registered_capital == 100", {"registered_capital": 100.0}),
    ("registered_capital > 1", {"registered_capital": decimal.Decimal("1.5")}),
])
def test_numbers_compare_across_int_and_double(expr, data):
    assert compile_rule(expr).evaluate(data) is True


def test_a_python_date_answer_is_seen_as_its_iso_string():
    rule = compile_rule("birth_date >= '2026-01-01'")
    assert rule.evaluate({"birth_date": datetime.date(2026, 3, 1)}) is True
    assert rule.evaluate({"birth_date": "2025-12-31"}) is False
