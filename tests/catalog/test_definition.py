"""The compiled definition: the merged form, id numbers, phones, the JSON Schema and answer validation."""
from __future__ import annotations

import copy
import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.utils import translation
from jsonschema import Draft202012Validator

from govflow.catalog.definition import Definition, DefinitionError, get_definition
from govflow.catalog.identifiers import id_number_check_char, is_valid_id_number, is_valid_phone
from govflow.catalog.models import OneThingVersion

DEMO = json.loads((Path(__file__).resolve().parents[2] / "govflow/catalog/demo_catalog.json").read_text("utf-8"))


def version_definition(code: str) -> dict:
    """A self-contained single-one-thing document cut out of the demo catalog."""
    one_thing = next(o for o in DEMO["one_things"] if o["code"] == code)
    step_codes = [step["procedure"] for step in one_thing["steps"]]
    procedures = [p for p in DEMO["procedures"] if p["code"] in step_codes]
    field_codes = set(one_thing["guide"]) | {f["field"] for p in procedures for f in p["fields"]}
    material_codes = {m["material"] for p in procedures for m in p["materials"]}
    departments = {p["department"] for p in procedures}
    return copy.deepcopy({
        "format": DEMO["format"],
        "departments": [d for d in DEMO["departments"] if d["code"] in departments],
        "fields": [f for f in DEMO["fields"] if f["code"] in field_codes],
        "materials": [m for m in DEMO["materials"] if m["code"] in material_codes],
        "procedures": procedures,
        "one_things": [one_thing],
    })


def make_id(first17: str) -> str:
    return first17 + id_number_check_char(first17)


def field(code: str, type_: str, **extra) -> dict:
    return {"code": code, "label": {"en": code.replace("_", " ").capitalize(), "zh-hans": "字段" + code},
            "type": type_, **extra}


def tiny_definition(*fields: dict, required: bool = True) -> dict:
    """One procedure, one unconditional step, asking the given fields."""
    return {
        "format": "govflow.catalog/1",
        "departments": [{"code": "d", "name": {"en": "Dept"}}],
        "fields": list(fields),
        "materials": [],
        "procedures": [{
            "code": "p", "department": "d", "name": {"en": "P"}, "statutory_days": 5, "committed_days": 1,
            "fields": [{"field": f["code"], "required": required} for f in fields],
            "materials": [], "needs_outputs": [], "outputs": [],
        }],
        "one_things": [{"code": "t", "name": {"en": "T", "zh-hans": "事"}, "committed_days": 1, "guide": [],
                        "steps": [{"procedure": "p"}]}],
    }


@pytest.fixture(autouse=True)
def english():
    """Messages are asserted in English (the project's default language is Chinese)."""
    with translation.override("en"):
        yield


@pytest.fixture
def startup() -> dict:
    return version_definition("business-startup")


@pytest.fixture
def newborn() -> dict:
    return version_definition("newborn")


@pytest.fixture
def valid_startup_answers() -> dict:
    return {
        "has_employees": False,
        "company_name": "杭州一件事科技有限公司",
        "company_type": "llc",
        "registered_capital": "100.00",
        "business_scope": "软件开发",
        "registered_address": "浙江省杭州市西湖区文三路 1 号",
        "legal_rep_name": "张三",
        "legal_rep_id": make_id("33010619900307001"),
        "legal_rep_phone": "13800138000",
        "operation_start_date": "2026-12-01",
        "seal_count": 2,
        "seal_material": "rubber",
        "taxpayer_category": "small_scale",
        "finance_contact_name": "李四",
        "finance_contact_phone": "13912345678",
    }


# --------------------------------------------------------------------------- id numbers, phones

class TestIdNumber:
    def test_it_computes_the_gb11643_check_character(self):
        # The standard's own example (GB 11643-1999 appendix).
        assert id_number_check_char("11010519491231002") == "X"
        assert is_valid_id_number("11010519491231002X")
        assert id_number_check_char("44052418800101001") == "4"
        assert is_valid_id_number("440524188001010014") is False  # born 1880: before 1900

    def test_it_accepts_valid_numbers_with_digit_and_x_check_characters(self):
        assert is_valid_id_number(make_id("33010619900307001"))
        with_x = next(make_id(f"3301061990030700{n}") for n in range(10)
                      if id_number_check_char(f"3301061990030700{n}") == "X")
        assert with_x.endswith("X") and is_valid_id_number(with_x)

    def test_it_rejects_a_wrong_check_digit(self):
        good = make_id("33010619900307001")
        wrong = good[:17] + ("0" if good[17] != "0" else "1")
        assert not is_valid_id_number(wrong)

    def test_it_rejects_a_lowercase_x(self):
        assert not is_valid_id_number("11010519491231002x")

    @pytest.mark.parametrize("first17", [
        "33010619900230001",  # 30 February
        "33010619901301001",  # month 13
        "33010618991231001",  # born before 1900
        "33010600000101001",  # year 0
    ])
    def test_it_rejects_impossible_birth_dates(self, first17):
        assert not is_valid_id_number(make_id(first17))

    def test_it_rejects_a_birth_date_in_the_future(self):
        tomorrow = date.today() + timedelta(days=2)
        assert not is_valid_id_number(make_id("330106" + tomorrow.strftime("%Y%m%d") + "001"))
        assert is_valid_id_number(make_id("330106" + (date.today() - timedelta(days=2)).strftime("%Y%m%d") + "001"))

    @pytest.mark.parametrize("value", [
        "", "11010519491231002", "11010519491231002X0", "110105194912310", " 11010519491231002X",
        "11010519491231002X ", "1101051949123100２X", "1101051949123100X2", None, 11010519491231002, [],
    ])
    def test_it_rejects_wrong_lengths_and_non_digits(self, value):
        assert not is_valid_id_number(value)

    @pytest.mark.parametrize("value", ["1101051949123100", "1101051949123100a2", 11010519491231002])
    def test_check_char_needs_exactly_17_digits(self, value):
        with pytest.raises(ValueError):
            id_number_check_char(value)


@pytest.mark.parametrize(("value", "ok"), [
    ("13800138000", True), ("19912345678", True), ("15000000000", True),
    ("12800138000", False), ("10800138000", False), ("1380013800", False), ("138001380001", False),
    ("+8613800138000", False), ("138-0013-8000", False), ("1３800138000", False), (13800138000, False),
    ("", False), (None, False),
])
def test_phone_numbers_are_mainland_mobiles(value, ok):
    assert is_valid_phone(value) is ok


# --------------------------------------------------------------------------- asked fields, materials

def test_guide_comes_first_then_fields_in_step_order_once_each(startup):
    asked = Definition(startup).asked_fields
    assert asked[0] == "has_employees"
    assert asked[1:4] == ["company_name", "company_type", "registered_capital"]
    assert len(asked) == len(set(asked))
    assert asked.index("seal_count") < asked.index("taxpayer_category") < asked.index("employee_count")
    assert asked.index("employee_count") < asked.index("hpf_contribution_rate")


def test_fields_issued_as_outputs_are_never_asked(newborn):
    # Make psb-household-registration also ask for "birth_certificate_no", an output of the
    # birth-certificate procedure, as a field: the citizen must still not be asked it.
    newborn["fields"].append(field("birth_certificate_no", "string"))
    proc = next(p for p in newborn["procedures"] if p["code"] == "psb-household-registration")
    proc["fields"].append({"field": "birth_certificate_no", "required": True})
    assert "birth_certificate_no" not in Definition(newborn).asked_fields
    assert "birth_certificate_no" not in Definition(newborn).form_schema()["properties"]
    assert "birth_certificate_no" not in Definition(newborn).required_fields(["psb-household-registration"])
    assert Definition(newborn).validate({"birth_certificate_no": "A123456789"}, partial=True) == {
        "birth_certificate_no": ["Unknown field."]}


def test_materials_issued_as_outputs_are_never_asked(newborn):
    newborn["materials"].append({"code": "citizen_id", "label": {"en": "Citizen ID"}, "accepted_types": ["pdf"],
                                 "max_size_mb": 1})
    proc = next(p for p in newborn["procedures"] if p["code"] == "mi-newborn-insurance")
    proc["materials"].append({"material": "citizen_id", "required": True})
    assert "citizen_id" not in [m["code"] for m in Definition(newborn).materials_asked]
    assert "citizen_id" not in Definition(newborn).required_materials(["mi-newborn-insurance"])


def test_field_required_by_lists_procedures_in_step_order(startup):
    required_by = Definition(startup).field_required_by
    assert required_by["company_name"] == ["amr-licence", "psb-seal-filing", "tax-registration",
                                           "hrss-employer-insurance", "hpf-employer-account"]
    assert required_by["employee_count"] == ["hrss-employer-insurance", "hpf-employer-account"]
    assert "contact_email" not in required_by  # optional everywhere
    assert "has_employees" not in required_by  # a guide question only
    assert Definition(startup).field_procedures["contact_email"] == ["amr-licence", "hpf-employer-account"]


def test_materials_are_asked_once_in_order_of_first_use(startup):
    materials = Definition(startup).materials_asked
    codes = [m["code"] for m in materials]
    assert codes == ["legal_rep_id_card", "articles_of_association", "premises_proof", "investor_id_docs",
                     "agent_authorization", "employee_roster", "labour_contracts"]
    by_code = {m["code"]: m for m in materials}
    id_card = by_code["legal_rep_id_card"]
    assert id_card["required"] is True
    assert id_card["procedures"] == ["amr-licence", "psb-seal-filing", "hrss-employer-insurance",
                                     "hpf-employer-account"]
    assert id_card["accepted_types"] == ["pdf", "png", "jpeg"] and id_card["max_size_mb"] == 10
    assert id_card["label"]["zh-hans"] == "法定代表人身份证件（正反面）"
    assert by_code["employee_roster"]["required"] is False  # only conditional steps need it
    assert by_code["agent_authorization"]["required"] is False  # optional everywhere


def test_required_fields_and_materials_follow_the_applicable_steps(startup):
    base = ["amr-licence", "psb-seal-filing", "tax-registration"]
    fields = Definition(startup).required_fields(base)
    assert {"company_name", "seal_count", "taxpayer_category"} <= fields
    assert "employee_count" not in fields and "invoice_needed" not in fields
    with_staff = Definition(startup).required_fields([*base, "hrss-employer-insurance", "hpf-employer-account"])
    assert {"employee_count", "hpf_contribution_rate", "bank_account_no"} <= with_staff
    assert Definition(startup).required_materials(base) == {
        "legal_rep_id_card", "articles_of_association", "premises_proof", "investor_id_docs"}
    assert "employee_roster" in Definition(startup).required_materials(["hrss-employer-insurance"])
    with pytest.raises(ValueError):
        Definition(startup).required_fields(["no-such-procedure"])


# --------------------------------------------------------------------------- schema

def test_schema_is_valid_json_schema_2020_12(startup, newborn):
    for definition in (startup, newborn):
        schema = Definition(definition).form_schema()
        Draft202012Validator.check_schema(schema)
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert schema["type"] == "object" and schema["additionalProperties"] is False


def test_schema_requires_only_what_unconditional_steps_require(startup):
    schema = Definition(startup).form_schema()
    assert list(schema["properties"]) == Definition(startup).asked_fields == schema["x-govflow-order"]
    assert schema["x-govflow-guide"] == ["has_employees"]
    assert "company_name" in schema["required"]
    assert "legal_rep_id" in schema["required"]
    assert "employee_count" not in schema["required"]  # its steps have `when`
    assert "hpf_contribution_rate" not in schema["required"]
    assert "employee_count" in schema["properties"]
    assert "contact_email" not in schema["required"] and "invoice_needed" not in schema["required"]
    for output in ("uscc", "seal_filing_no", "tax_office_code", "social_insurance_employer_no"):
        assert output not in schema["properties"]


def test_schema_describes_each_type(startup):
    props = Definition(startup).form_schema()["properties"]
    assert props["company_name"] == {
        "title": "Company name", "x-govflow-type": "string", "type": "string", "maxLength": 100,
        "x-govflow-hint": "The full name to be registered: place, trade name, industry and form, up to 100 characters.",
        "examples": ["杭州示例科技有限公司"]}
    assert props["bank_account_no"]["pattern"] == "^[0-9]{8,30}$"
    assert props["business_scope"]["type"] == "string"
    assert props["business_scope"]["x-govflow-widget"] == "textarea"
    assert props["employee_count"] | {} == {"title": "Number of employees", "x-govflow-type": "integer",
                                            "type": "integer", "minimum": 1, "maximum": 100000,
                                            "x-govflow-hint": "A whole number, at least 1.",
                                            "examples": [5]}  # the answer it stands for: a number
    assert props["registered_capital"]["type"] == "string"
    assert props["registered_capital"]["format"] == "decimal"
    assert props["registered_capital"]["x-govflow-minimum"] == "0"
    assert props["registered_capital"]["x-govflow-maximum"] == "10000000"
    assert props["has_employees"]["type"] == "boolean"
    assert props["operation_start_date"] == {"title": "Date business operations start", "x-govflow-type": "date",
                                             "type": "string", "format": "date",
                                             "x-govflow-hint": "Year, month and day.", "examples": ["2026-12-01"]}
    assert props["company_type"]["type"] == "string"
    assert props["company_type"]["enum"] == ["llc", "sole_proprietorship", "partnership"]
    assert props["company_type"]["x-govflow-choices"][0] == {"value": "llc", "label": "Limited liability company"}
    assert props["contact_email"]["format"] == "email"
    assert props["legal_rep_phone"]["format"] == "phone"
    assert props["legal_rep_id"]["format"] == "id_number"


def test_schema_titles_follow_the_language(startup):
    zh = Definition(startup).form_schema("zh-hans")
    assert zh["title"] == "开办企业一件事"
    assert zh["properties"]["company_name"]["title"] == "企业名称"
    assert zh["properties"]["company_type"]["x-govflow-choices"][0]["label"] == "有限责任公司"
    assert Definition(startup).form_schema()["properties"]["company_name"]["title"] == "Company name"
    assert Definition(startup).form_schema("fr")["properties"]["company_name"]["title"] == "Company name"


def test_schema_is_a_fresh_copy_each_time(startup):
    Definition(startup).form_schema()["properties"].clear()
    assert Definition(startup).form_schema()["properties"]


def test_a_definition_must_hold_exactly_one_one_thing(startup):
    both = copy.deepcopy(DEMO)
    with pytest.raises(DefinitionError):
        Definition(both).form_schema()
    with pytest.raises(DefinitionError):
        Definition({**startup, "one_things": []})


@pytest.mark.django_db
def test_a_published_version_is_compiled_once_and_cached_by_its_id(demo_catalog):
    version = OneThingVersion.objects.get(one_thing__code="business-startup")
    compiled = get_definition(version)
    assert get_definition(OneThingVersion.objects.get(pk=version.pk)) is compiled  # another row object
    assert Definition(version.definition) is not compiled  # a document is compiled uncached
    # Changing the row's dict afterwards does not corrupt the cached definition.
    version.definition["fields"].clear()
    assert "company_name" in get_definition(version).form.validator.schema["properties"]


# --------------------------------------------------------------------------- validation

def test_complete_valid_answers_pass(startup, valid_startup_answers):
    assert Definition(startup).validate(valid_startup_answers) == {}
    assert Definition(startup).form.validator.is_valid(valid_startup_answers)


def test_required_fields_of_unconditional_steps_are_always_required(startup, valid_startup_answers):
    del valid_startup_answers["company_name"]
    valid_startup_answers["legal_rep_name"] = "   "
    valid_startup_answers["seal_count"] = None
    errors = Definition(startup).validate(valid_startup_answers)
    assert errors == {"company_name": ["This field is required."], "legal_rep_name": ["This field is required."],
                      "seal_count": ["This field is required."]}


def test_the_caller_adds_what_applicable_conditional_steps_require(startup, valid_startup_answers):
    valid_startup_answers["has_employees"] = True
    required = Definition(startup).required_fields(["amr-licence", "hrss-employer-insurance"])
    errors = Definition(startup).validate(valid_startup_answers, required=required)
    assert set(errors) == {"employee_count", "bank_name", "bank_account_no"}
    assert Definition(startup).validate({**valid_startup_answers, "employee_count": 3, "bank_name": "工商银行",
                                      "bank_account_no": "1202020209000012345"}, required=required) == {}


def test_partial_mode_accepts_missing_fields_but_not_wrong_values(startup):
    assert Definition(startup).validate({}, partial=True) == {}
    assert Definition(startup).validate({"company_name": "x"}, required=["employee_count"], partial=True) == {}
    assert Definition(startup).validate({"employee_count": "3"}, partial=True) == {
        "employee_count": ["Enter a whole number."]}
    assert "company_name" in Definition(startup).validate({})


def test_unknown_keys_are_reported_under_the_key(startup):
    errors = Definition(startup).validate({"company_name": "x", "uscc": "91330106MA2XXXXX1X", "hack": 1},
                              partial=True)
    assert errors == {"uscc": ["Unknown field."], "hack": ["Unknown field."]}


@pytest.mark.parametrize("data", [None, [], "text", 3, [["company_name", "x"]]])
def test_data_that_is_not_an_object_is_a_non_field_error(startup, data):
    errors = Definition(startup).validate(data)
    assert list(errors) == ["non_field_errors"] and errors["non_field_errors"]


@pytest.mark.parametrize(("value", "message"), [
    (True, "Enter a whole number."),
    (False, "Enter a whole number."),
    (3.0, "Enter a whole number."),
    (2.5, "Enter a whole number."),
    ("3", "Enter a whole number."),
    (0, "Ensure this value is greater than or equal to 1."),
    (100001, "Ensure this value is less than or equal to 100000."),
    (10**400, "Ensure this value is less than or equal to 100000."),
    (-(10**400), "Ensure this value is greater than or equal to 1."),
])
def test_integers_are_json_integers_within_range(startup, value, message):
    assert Definition(startup).validate({"employee_count": value}, partial=True) == {"employee_count": [message]}


def test_integers_without_a_range_stay_within_safe_integers():
    definition = tiny_definition(field("n", "integer"))
    assert Definition(definition).validate({"n": 2**53 - 1}) == {}
    assert Definition(definition).validate({"n": -(2**53 - 1)}) == {}
    assert Definition(definition).validate({"n": 2**53}) == {
        "n": ["Ensure this value is less than or equal to 9007199254740991."]}
    assert Definition(definition).validate({"n": 10**1000})["n"]


@pytest.mark.parametrize("value", ["0", "100.00", "10000000", "0.5", "9999999.9999"])
def test_decimals_are_strings_within_range(startup, value):
    assert Definition(startup).validate({"registered_capital": value}, partial=True) == {}


@pytest.mark.parametrize(("value", "message"), [
    (12.5, 'Enter the number as a string, for example "12.50".'),
    (12, 'Enter the number as a string, for example "12.50".'),
    (True, 'Enter the number as a string, for example "12.50".'),
    ("abc", "Enter a number."),
    ("1e5", "Enter a number."),
    ("NaN", "Enter a number."),
    ("Infinity", "Enter a number."),
    ("1,000", "Enter a number."),
    (".5", "Enter a number."),
    ("5.", "Enter a number."),
    ("+5", "Enter a number."),
    ("1" * 21, "Enter a number."),
    ("-0.01", "Ensure this value is greater than or equal to 0."),
    ("10000000.01", "Ensure this value is less than or equal to 10000000."),
])
def test_bad_decimals_are_rejected(startup, value, message):
    assert Definition(startup).validate({"registered_capital": value}, partial=True) == {"registered_capital": [message]}


def test_decimal_bounds_are_exact(newborn):
    # birth_weight_kg: min 0.3 (not representable as a binary float), max 8
    assert Definition(newborn).validate({"birth_weight_kg": "0.3"}, partial=True) == {}
    assert Definition(newborn).validate({"birth_weight_kg": "0.2999999999"}, partial=True) == {
        "birth_weight_kg": ["Ensure this value is greater than or equal to 0.3."]}
    assert Definition(newborn).validate({"birth_weight_kg": "8.0000000001"}, partial=True)["birth_weight_kg"]
    assert Definition(newborn).validate({"birth_weight_kg": "8.00"}, partial=True) == {}


@pytest.mark.parametrize(("value", "ok"), [
    (True, True), (False, True), ("yes", False), ("true", False), (1, False), (0, False), ([], False),
])
def test_booleans_are_json_booleans(startup, value, ok):
    errors = Definition(startup).validate({"has_employees": value}, partial=True)
    assert errors == ({} if ok else {"has_employees": ["Answer true or false."]})


@pytest.mark.parametrize(("value", "message"), [
    ("2026-02-30", "Enter a real date in the format YYYY-MM-DD."),
    ("2026-13-01", "Enter a real date in the format YYYY-MM-DD."),
    ("20260101", "Enter a real date in the format YYYY-MM-DD."),
    ("2026-1-1", "Enter a real date in the format YYYY-MM-DD."),
    ("01/02/2026", "Enter a real date in the format YYYY-MM-DD."),
    ("2026-01-01T00:00:00", "Enter a real date in the format YYYY-MM-DD."),
    (20260101, "Enter a date in the format YYYY-MM-DD."),
])
def test_dates_are_real_iso_dates(startup, value, message):
    assert Definition(startup).validate({"operation_start_date": "2028-02-29"}, partial=True) == {}
    assert Definition(startup).validate({"operation_start_date": value}, partial=True) == {
        "operation_start_date": [message]}


def test_choices_must_be_one_of_the_values(startup):
    assert Definition(startup).validate({"company_type": "partnership"}, partial=True) == {}
    bad = ["Select a valid choice. That choice is not one of the available choices."]
    for value in ("LLC", "Limited liability company", 1, True, ["llc"]):
        assert Definition(startup).validate({"company_type": value}, partial=True) == {"company_type": bad}


@pytest.mark.parametrize(("code", "good", "bad", "message"), [
    ("contact_email", "boss@example.cn", "not-an-email", "Enter a valid email address."),
    ("contact_email", "boss@例子.中国", "a@b", "Enter a valid email address."),
    ("legal_rep_phone", "13800138000", "23800138000", "Enter a valid mainland China mobile number (11 digits)."),
    ("legal_rep_phone", "19912345678", "1380013800", "Enter a valid mainland China mobile number (11 digits)."),
    ("legal_rep_id", "11010519491231002X", "11010519491231002x",
     "Enter a valid 18-character resident ID number."),
    ("legal_rep_id", "11010519491231002X", "110105194912310021",
     "Enter a valid 18-character resident ID number."),
])
def test_formats_are_enforced(startup, code, good, bad, message):
    assert Definition(startup).validate({code: good}, partial=True) == {}
    assert Definition(startup).validate({code: bad}, partial=True) == {code: [message]}


def test_strings_respect_type_length_and_pattern(startup):
    assert Definition(startup).validate({"company_name": 42}, partial=True) == {"company_name": ["Enter a text value."]}
    assert Definition(startup).validate({"company_name": "企" * 101}, partial=True) == {"company_name": [
        "Ensure this value has at most 100 characters (it has 101)."]}
    assert Definition(startup).validate({"company_name": "企" * 100}, partial=True) == {}
    assert Definition(startup).validate({"bank_account_no": "12345"}, partial=True) == {
        "bank_account_no": ["Enter a valid value."]}
    assert Definition(startup).validate({"bank_account_no": "1234567890"}, partial=True) == {}


def test_text_without_max_length_is_still_bounded():
    definition = tiny_definition(field("notes", "text"), field("name", "string"))
    assert Definition(definition).validate({"notes": "x" * 10000, "name": "y" * 1000}) == {}
    errors = Definition(definition).validate({"notes": "x" * 10001, "name": "y" * 1001})
    assert set(errors) == {"notes", "name"}


def test_every_error_of_every_field_is_reported_together(startup):
    errors = Definition(startup).validate({
        "company_name": 1, "employee_count": "many", "registered_capital": "-1", "has_employees": "yes",
        "contact_email": "x", "operation_start_date": "2026-02-30", "nope": None,
    })
    assert {"company_name", "employee_count", "registered_capital", "has_employees", "contact_email",
            "operation_start_date", "nope", "legal_rep_id", "seal_count"} <= set(errors)
    # Errors come in form order, unknown keys last.
    assert list(errors)[0] == "has_employees" and list(errors)[-1] == "nope"
    assert all(isinstance(m, str) for messages in errors.values() for m in messages)


def test_messages_are_translated(startup):
    with translation.override("zh-hans"):
        errors = Definition(startup).validate({"employee_count": "x"})
    # Django's own message ids, so the Chinese comes from Django's (or DRF's) catalogue.
    assert errors["company_name"][0] in ("这个字段是必填项。", "该字段是必填项。")
    assert errors["employee_count"] == ["输入整数。"]


@pytest.mark.parametrize(("when", "required"), [("", True), (None, True), ("  ", True), ("flag", False)])
def test_only_a_non_empty_when_makes_a_step_conditional(when, required):
    definition = tiny_definition(field("name", "string"))
    definition["one_things"][0]["steps"][0]["when"] = when
    assert (Definition(definition).form_schema()["required"] == ["name"]) is required
    assert ("name" in Definition(definition).validate({})) is required
    assert Definition(definition).materials_asked == []


@pytest.mark.parametrize("breakage", ["bad_pattern", "unknown_field", "unknown_procedure", "unknown_type", "no_code"])
def test_a_broken_definition_raises_definition_error(breakage):
    definition = tiny_definition(field("name", "string"))
    if breakage == "bad_pattern":
        definition["fields"][0]["pattern"] = "^[0-9"
    elif breakage == "unknown_field":
        definition["procedures"][0]["fields"].append({"field": "ghost", "required": True})
    elif breakage == "unknown_procedure":
        definition["one_things"][0]["steps"].append({"procedure": "ghost"})
    elif breakage == "unknown_type":
        definition["fields"][0]["type"] = "colour"
    else:
        del definition["fields"][0]["code"]
    with pytest.raises(DefinitionError):
        Definition(definition).validate({})


def test_a_tiny_definition_covers_optional_fields():
    definition = tiny_definition(field("when_", "date"), field("flag", "boolean"), required=False)
    assert Definition(definition).form_schema()["required"] == []
    assert Definition(definition).validate({}) == {}
    assert Definition(definition).validate({"when_": "", "flag": None}) == {}


@pytest.mark.parametrize(("pattern", "value", "valid"), [
    ("^[0-9]{8}$", "12345678", True),
    ("^[0-9]{8}$", "12345678\n", False),  # Python's $ matches before a final newline
    ("[0-9]{8}", "12345678", True),
    ("[0-9]{8}", "x12345678y", False),  # unanchored: still the whole answer
    ("^a|b$", "ab", False),
    ("^a|b$", "b", True),
])
def test_a_pattern_must_match_the_whole_answer(pattern, value, valid):
    definition = tiny_definition(field("account", "string", pattern=pattern))

    errors = Definition(definition).validate({"account": value})

    assert ("account" not in errors) is valid


def test_an_anchored_pattern_is_exported_as_it_is_and_an_unanchored_one_anchored():
    def exported(pattern):
        return Definition(tiny_definition(field("account", "string", pattern=pattern))).form_schema()["properties"]["account"][
            "pattern"]

    assert exported("^[0-9]{8,30}$") == "^[0-9]{8,30}$"
    assert exported("[0-9]{8}") == "^(?:[0-9]{8})$"
    assert exported("^a|b$") == "^(?:^a|b$)$"


def test_parse_answers_reports_unreadable_and_invalid_answers_together(demo_catalog):
    """A number that cannot be read never hides the other answers' mistakes: every readable answer
    is checked by the definition's rules in the same call, a blank is never an error here."""
    from django.http import QueryDict

    from govflow.catalog import questions as qa
    from govflow.catalog.definition import get_definition
    from govflow.catalog.models import OneThing

    definition = get_definition(OneThing.objects.get(code="business-startup").current_version)
    post = QueryDict(mutable=True)
    post.update({"registered_capital": "abc", "legal_rep_phone": "12345", "legal_rep_id": "11010119900101123X",
                 "company_name": "", "legal_rep_name": "王小明"})
    codes = ["company_name", "registered_capital", "legal_rep_name", "legal_rep_id", "legal_rep_phone"]
    assert not is_valid_id_number(post["legal_rep_id"])

    answers, errors, raw = qa.parse_answers(definition, codes, post)

    assert list(errors) == ["registered_capital", "legal_rep_id", "legal_rep_phone"]
    assert answers["legal_rep_name"] == "王小明" and answers["company_name"] is None
    assert raw["registered_capital"] == "abc"
