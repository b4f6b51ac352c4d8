"""CEL ``when`` rules: compile once, list the names they use, never fail at evaluation."""
from __future__ import annotations

import datetime
import decimal

import pytest
from django.utils import translation

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


# -- conditions written from clauses (the designer's condition builder) -----------------------

from govflow.catalog.rules import Clause, condition_operators, read_condition, write_condition  # noqa: E402

FIELDS = {
    "has_employees": {"type": "boolean"},
    "employee_count": {"type": "integer"},
    "registered_capital": {"type": "decimal"},
    "operation_start_date": {"type": "date"},
    "company_type": {"type": "choice", "choices": [{"value": "llc"}, {"value": "partnership"}, {"value": 3}]},
    "company_name": {"type": "string"},
    "bad-code": {"type": "string"},
}


@pytest.mark.parametrize(("clauses", "join", "expr"), [
    ([Clause("has_employees", "is_true")], "and", "has_employees"),
    ([Clause("has_employees", "is_false")], "and", "!has_employees"),
    ([Clause("has_employees", "is_true"), Clause("employee_count", "gt", ("+10",))], "and",
     "has_employees && employee_count > 10"),
    ([Clause("registered_capital", "ge", ("100",)), Clause("registered_capital", "lt", ("0.50",))], "or",
     "double(registered_capital) >= 100.0 || double(registered_capital) < 0.5"),
    ([Clause("operation_start_date", "lt", ("2027-01-01",))], "and", 'operation_start_date < "2027-01-01"'),
    ([Clause("company_type", "eq", ("llc",))], "and", 'company_type == "llc"'),
    ([Clause("company_type", "in", ("llc", "3", "llc"))], "and", 'company_type in ["llc", 3]'),
    ([Clause("company_type", "not_in", ("partnership",))], "and", '!(company_type in ["partnership"])'),
    ([Clause("company_name", "ne", ('浙江 "示例" && x',))], "and", 'company_name != "浙江 \\"示例\\" && x"'),
])
def test_clauses_are_written_as_the_cel_the_engine_compiles(clauses, join, expr):
    assert write_condition(clauses, FIELDS, join=join) == expr
    compile_rule(expr)
    # The builder reopens what it wrote: the clauses read back write the same text.
    read_join, read_clauses = read_condition(expr, FIELDS)
    assert read_join == join and [(c.field, c.operator) for c in read_clauses] == [
        (c.field, c.operator) for c in clauses]
    assert write_condition(read_clauses, FIELDS, join=read_join) == expr


@pytest.mark.parametrize(("clauses", "answers", "applies"), [
    ([Clause("registered_capital", "gt", ("100.5",))], {"registered_capital": "150.00"}, True),
    ([Clause("registered_capital", "gt", ("100.5",))], {"registered_capital": "100.50"}, False),
    ([Clause("employee_count", "ge", ("10",))], {"employee_count": 10}, True),
    ([Clause("operation_start_date", "lt", ("2027-01-01",))], {"operation_start_date": "2026-12-31"}, True),
    ([Clause("operation_start_date", "lt", ("2027-01-01",))], {"operation_start_date": "2027-01-01"}, False),
    ([Clause("company_type", "in", ("llc", "3"))], {"company_type": 3}, True),
    ([Clause("company_type", "not_in", ("llc",))], {"company_type": "llc"}, False),
    ([Clause("has_employees", "is_false")], {"has_employees": False}, True),
    ([Clause("has_employees", "is_false")], {}, False),  # unanswered: never included by default
])
def test_written_conditions_decide_on_the_answers_as_stored(clauses, answers, applies):
    assert compile_rule(write_condition(clauses, FIELDS)).evaluate(answers) is applies


@pytest.mark.parametrize(("clauses", "join", "message"), [
    ([], "and", "at least one clause"),
    ([Clause("has_employees", "is_true")], "xor", "AND or OR"),
    ([Clause("nope", "eq", ("1",))], "and", "no field"),
    ([Clause("bad-code", "eq", ("1",))], "and", "not a name CEL"),
    ([Clause("has_employees", "gt", ("1",))], "and", "does not apply"),
    ([Clause("company_name", "contains", ("1",))], "and", "does not apply"),
    ([Clause("employee_count", "gt", ("ten",))], "and", "not a whole number"),
    ([Clause("employee_count", "gt", ("1.5",))], "and", "not a whole number"),
    ([Clause("registered_capital", "gt", ("1e999999",))], "and", "not a number"),
    ([Clause("registered_capital", "gt", ("NaN",))], "and", "not a number"),
    ([Clause("operation_start_date", "lt", ("2027-02-30",))], "and", "YYYY-MM-DD"),
    ([Clause("company_type", "eq", ("gmbh",))], "and", "not one of the field"),
    ([Clause("company_type", "in", ())], "and", "at least one value"),
    ([Clause("company_name", "eq", ("  ",))], "and", "one value"),
    ([Clause("company_name", "eq", ("a", "b"))], "and", "one value"),
])
def test_clauses_that_cannot_be_written_say_why(clauses, join, message):
    with translation.override("en"), pytest.raises(RuleError, match=message):
        write_condition(clauses, FIELDS, join=join)


@pytest.mark.parametrize("expr", [
    "", "has_employees && employee_count > 5 || company_type == 'llc'",  # mixed joins
    "employee_count > 5.5",  # an integer field compared with a decimal: not what the builder writes
    "company_type == 'llc'",  # single quotes: CEL, but written by hand
    "size(company_name) > 3", "registered_capital > 100.0", "nope == 1", "company_type == \"gmbh\"",
])
def test_conditions_the_builder_cannot_write_are_left_as_free_cel(expr):
    assert read_condition(expr, FIELDS) is None


def test_operators_suit_the_field_type():
    assert condition_operators("boolean") == ("is_true", "is_false")
    assert "gt" in condition_operators("integer") and "in" not in condition_operators("integer")
    assert "gt" in condition_operators("date")
    assert condition_operators("choice") == condition_operators("phone") == ("eq", "ne", "in", "not_in")
