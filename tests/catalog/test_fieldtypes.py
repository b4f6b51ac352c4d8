"""The field-type registry: one object per type, and every reader of field types agrees with it."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.utils import translation

from govflow.accounts.models import mask_id_number
from govflow.catalog.definition import Definition
from govflow.catalog.fieldkind import Unparsable
from govflow.catalog.fieldtypes import FIELD_TYPES, OUTPUT_TYPES, field_type, types_with
from govflow.catalog.identifiers import is_valid_id_number, is_valid_phone, is_valid_uscc, mask_middle
from govflow.catalog.models import Field, FieldType
from govflow.notifications.channels import mask_phone

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "docs" / "catalog.schema.json").read_text(encoding="utf-8"))

#: A field of each type, what a citizen may type for it, and the answer that becomes.
TYPED = {
    "string": ({}, "  Zhang San ", "Zhang San"),
    "text": ({}, "line one\r\nline two", "line one\nline two"),
    "integer": ({"min": 0, "max": 100}, "１２", 12),
    "decimal": ({"min": 0}, "+.5", "0.5"),
    "boolean": ({}, "yes", True),
    "date": ({}, "2026/12/01", "2026-12-01"),
    "choice": ({"choices": [{"value": "llc", "label": {"en": "LLC", "zh-hans": "有限公司"}}]}, "llc", "llc"),
    "email": ({}, "a@example.com", "a@example.com"),
    "phone": ({}, "138 0013-8000", "13800138000"),
    "id_number": ({}, "11010519491231002x", "11010519491231002X"),
    "uscc": ({}, " ９１３３０１０６ｍａ２Ｂ７Ｋ５Ｌ１Ｆ ", "91330106MA2B7K5L1F"),
    "division": ({}, "３３０１０６", "330106"),
}


def spec(kind: str) -> dict:
    return {"code": "answer", "label": {"en": "Answer"}, "type": kind, **TYPED[kind][0]}


def one_field_definition(kind: str) -> Definition:
    return Definition({
        "format": "govflow.catalog/1", "departments": [{"code": "d", "name": {"en": "D"}}], "fields": [spec(kind)],
        "materials": [], "procedures": [{"code": "p", "department": "d", "name": {"en": "P"}, "statutory_days": 1,
                                         "committed_days": 1, "fields": [{"field": "answer"}]}],
        "one_things": [{"code": "t", "name": {"en": "T"}, "committed_days": 1, "steps": [{"procedure": "p"}]}],
    })


def test_every_type_is_registered_once_and_is_a_model_choice_in_the_same_order():
    assert set(TYPED) == set(FIELD_TYPES)
    assert [value for value, _label in FieldType.choices] == list(FIELD_TYPES)
    assert Field._meta.get_field("type").choices == FieldType.choices
    assert all(kind.code == code for code, kind in FIELD_TYPES.items())


def test_the_published_catalog_schema_names_the_registered_types():
    assert SCHEMA["$defs"]["field_type"]["enum"] == list(FIELD_TYPES)
    output_types = SCHEMA["$defs"]["procedure"]["properties"]["outputs"]["items"]["properties"]["type"]
    assert output_types["enum"] == list(OUTPUT_TYPES) == [code for code in FIELD_TYPES
                                                          if code not in ("choice", "division")]


@pytest.mark.parametrize("kind", list(TYPED))
def test_what_the_form_reads_is_what_validation_accepts(kind):
    """Each type's parser, JSON Schema fragment and checks agree: typed text → a valid answer."""
    raw, expected = TYPED[kind][1:]
    answer = field_type(spec(kind)).parse(spec(kind), raw)
    assert answer == expected and type(answer) is type(expected)
    assert one_field_definition(kind).validate({"answer": answer}) == {}
    assert field_type(spec(kind)).parse(spec(kind), "   ") is None


@pytest.mark.parametrize(("kind", "raw"), [
    ("integer", "12.5"), ("decimal", "1e3"), ("boolean", "maybe"), ("date", "2026-02-30"), ("choice", "nope"),
])
def test_text_that_cannot_be_the_type_is_unparsable(kind, raw):
    with pytest.raises(Unparsable):
        field_type(spec(kind)).parse(spec(kind), raw)


def test_the_browser_pattern_of_a_phone_and_an_id_number_accepts_what_the_checks_accept():
    phone, id_number = FIELD_TYPES["phone"].widget({}), FIELD_TYPES["id_number"].widget({})
    assert re.fullmatch(phone.attrs["pattern"], "13800138000") and is_valid_phone("13800138000")
    assert re.fullmatch(id_number.attrs["pattern"], "11010519491231002X") and is_valid_id_number("11010519491231002X")
    assert not re.fullmatch(phone.attrs["pattern"], "12800138000") and not is_valid_phone("12800138000")


def test_a_uscc_is_read_in_capitals_checked_and_shown_whole():
    kind, uscc = FIELD_TYPES["uscc"], "91330106MA2B7K5L1F"
    pattern = kind.widget({}).attrs["pattern"]
    # The browser lets lower case through (the answer is read in capitals); never I, O, S, V or Z.
    assert re.fullmatch(pattern, uscc) and re.fullmatch(pattern, uscc.lower())
    assert not re.fullmatch(pattern, "91330106MA2B7K5L1O") and not re.fullmatch(pattern, uscc[:17])
    assert kind.parse({}, "9133-0106 ma2b 7k5l 1f") == uscc and is_valid_uscc(uscc)
    assert one_field_definition("uscc").validate({"answer": uscc.lower()}) != {}
    assert one_field_definition("uscc").validate({"answer": uscc[:17] + "0"}) != {}
    with translation.override("en"):
        assert one_field_definition("uscc").validate({"answer": "91330106MA2B7K5L10"}) == {
            "answer": ["Enter a valid 18-character unified social credit code."]}
    # Public register data, not a person's: shown whole in lists and logs.
    assert kind.mask(uscc) == uscc == kind.display(None, uscc)
    assert "uscc" in OUTPUT_TYPES


def test_each_type_shows_a_stored_answer():
    with translation.override("en"):
        assert FIELD_TYPES["boolean"].display(spec("boolean"), True) == "Yes"
        assert FIELD_TYPES["choice"].display(spec("choice"), "llc") == "LLC"
        assert FIELD_TYPES["choice"].display(spec("choice"), "gone") == "gone"
        assert FIELD_TYPES["decimal"].display(spec("decimal"), "12.50") == "12.50"
        assert FIELD_TYPES["string"].display(None, ["a", "b"]) == "a, b"
    with translation.override("zh-hans"):
        assert FIELD_TYPES["boolean"].display(spec("boolean"), False) == "否"
        assert FIELD_TYPES["choice"].display(spec("choice"), "llc") == "有限公司"
    assert all(kind.display(None, None) == "" == kind.display(None, "") for kind in FIELD_TYPES.values())


def test_personal_data_types_mask_their_answers_as_accounts_and_sms_logs_do():
    assert FIELD_TYPES["id_number"].mask("11010519491231002X") == "110***********002X"
    assert mask_id_number("11010519491231002X") == "110***********002X"
    assert FIELD_TYPES["phone"].mask("13800138000") == "138****8000" == mask_phone("13800138000")
    assert mask_middle("1380013") == "*******" and mask_middle("") == "" and mask_id_number(None) == ""
    assert FIELD_TYPES["string"].mask("Zhang San") == "Zhang San"


def test_the_catalog_options_of_each_type():
    assert types_with("max_length") == types_with("pattern") == ("string", "text")
    assert types_with("min") == types_with("max") == ("integer", "decimal")
    assert types_with("choices") == ("choice",)
    assert [code for code, kind in FIELD_TYPES.items() if kind.whole_numbers] == ["integer"]
    assert [code for code, kind in FIELD_TYPES.items() if kind.multiline] == ["text"]
