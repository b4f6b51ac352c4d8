"""Catalog additions for what people see: hints and examples of fields and outputs, keywords of
one things (search by everyday words) and the service guide's data (legal basis, fees, samples,
offices' addresses, hours and phones)."""
from __future__ import annotations

import pytest
from django.utils import translation

from govflow.catalog.answers import example_problem
from govflow.catalog.definition import Definition
from govflow.catalog.io import export_catalog, validate_document
from govflow.catalog.models import Office, OneThing
from govflow.catalog.services import import_catalog

from .test_io import error_at, example_document

# -- examples must be valid values --------------------------------------------------------------

@pytest.mark.parametrize(("spec", "valid"), [
    ({"type": "uscc", "example": "91330106MA2K111106"}, True),
    ({"type": "uscc", "example": "91330106MA2K11110A"}, False),  # wrong check character (GB 32100)
    ({"type": "id_number", "example": "110101199003074470"}, False),
    ({"type": "string", "pattern": "^[0-9]{13}$", "example": "3301062026001"}, True),
    ({"type": "string", "pattern": "^[0-9]{13}$", "example": "330106"}, False),
    ({"type": "string", "max_length": 3, "example": "abcd"}, False),
    ({"type": "integer", "min": 1, "max": 10, "example": "3"}, True),
    ({"type": "integer", "min": 1, "max": 10, "example": "11"}, False),
    ({"type": "decimal", "min": 0.3, "max": 8, "example": "3.25"}, True),
    ({"type": "date", "example": "2026-02-30"}, False),
    ({"type": "phone", "example": "13812345678"}, True),
    ({"type": "choice", "choices": [{"value": "a", "label": {"en": "A"}}], "example": "b"}, False),
])
def test_an_example_must_pass_the_checks_of_its_type_and_pattern(spec, valid):
    assert (example_problem(spec) is None) is valid


@pytest.fixture
def english():
    """The catalog's messages asserted in English (the site's default language is Chinese)."""
    with translation.override("en"):
        yield


@pytest.mark.usefixtures("english")
def test_the_importer_refuses_an_invalid_example_of_a_field_or_an_output_saying_where():
    doc = example_document()
    doc["fields"][3]["example"] = "110101199003074470"  # legal_rep_id: a bad check digit
    doc["procedures"][0]["outputs"][0]["example"] = "91330106MA2K"  # too short for the pattern

    assert "is not a value this accepts" in error_at(doc, "$.fields[3].example")
    assert "91330106MA2K" in error_at(doc, "$.procedures[0].outputs[0].example")


@pytest.mark.usefixtures("english")
def test_valid_examples_and_hints_pass_and_an_unknown_key_inside_does_not():
    doc = example_document()
    doc["fields"][2].update(example="5", hint={"en": "A whole number.", "zh-hans": "整数。"})
    doc["procedures"][0]["outputs"][0].update(example="91330106MA2K111106", hint={"en": "18 characters."})
    assert validate_document(doc) == []

    doc["fields"][2]["hint"] = {"zh-hans": "整数。"}  # every text needs English
    assert error_at(doc, "$.fields[2].hint.en").startswith("is required")


@pytest.mark.usefixtures("english")
def test_keywords_are_lists_of_words_per_language_each_word_once():
    doc = example_document()
    doc["one_things"][0]["keywords"] = {"zh-hans": ["开公司", "注册公司"], "en": ["Start a company", "start a company"]}
    assert "listed twice" in error_at(doc, '$.one_things[0].keywords.en[1]')

    doc["one_things"][0]["keywords"] = {"en": "start a company"}
    assert error_at(doc, "$.one_things[0].keywords.en") == "must be a list, not a string"


# -- import, export and the published snapshot ---------------------------------------------------

@pytest.mark.django_db
def test_the_published_snapshot_carries_what_people_see(demo_catalog):
    one_thing = OneThing.objects.get(code="business-startup")
    doc = one_thing.current_version.definition

    assert doc["one_things"][0]["keywords"]["zh-hans"][0] == "开公司"
    licence = next(p for p in doc["procedures"] if p["code"] == "amr-licence")
    assert licence["legal_basis"]["en"].startswith("Company Law")
    assert licence["fees"] == {"en": "Free of charge.", "zh-hans": "不收费。"}
    assert licence["outputs"][0]["example"] == "91330106MA2K111106"
    assert licence["outputs"][0]["hint"]["zh-hans"].startswith("18 位")
    assert all(m.get("sample") for m in doc["materials"])
    assert "offices" not in doc  # a version carries where it is offered, not the deployment's offices


@pytest.mark.django_db
def test_offices_keep_their_address_hours_and_phone_through_export_and_import(demo_catalog):
    doc = export_catalog()
    office = next(o for o in doc["offices"] if o["code"] == "amr-330106")
    office.update(phone="0571-88888888", address={"en": "1 Example Road", "zh-hans": "示例路 1 号"})

    result = import_catalog(doc)

    saved = Office.objects.get(code="amr-330106")
    assert saved.phone == "0571-88888888" and saved.address["zh-hans"] == "示例路 1 号"
    assert result.updated["offices"] == 1
    assert export_catalog() == doc


@pytest.mark.django_db
def test_a_catalog_without_the_new_keys_exports_without_them():
    doc = example_document()
    import_catalog(doc)

    exported = export_catalog("business-startup")

    assert "keywords" not in exported["one_things"][0]
    assert not any(k in p for p in exported["procedures"] for k in ("legal_basis", "fees"))
    assert not any(k in f for f in exported["fields"] for k in ("hint", "example"))


# -- search --------------------------------------------------------------------------------------

def _definition(**one_thing) -> Definition:
    doc = example_document()
    doc["one_things"][0].update(one_thing)
    return Definition(doc)


def test_a_search_matches_name_description_and_keywords_in_every_language_whatever_the_active_one():
    definition = _definition(keywords={"zh-hans": ["开公司"], "en": ["Open a company"]})

    with translation.override("en"):
        assert definition.matches("开公司") and definition.matches("开办企业")
    with translation.override("zh-hans"):
        assert definition.matches("open a COMPANY") and definition.matches("start a business")
    assert definition.matches("我想开公司")  # the query holds a keyword
    assert definition.matches("Tax registration")  # a procedure's name
    assert definition.matches("")
    assert not definition.matches("生孩子")
    assert not definition.matches("passport")


def test_the_form_schema_offers_each_demo_example_as_an_answer_it_accepts():
    from .test_io import demo_document

    doc = demo_document()
    for one_thing in doc["one_things"]:
        definition = Definition({**doc, "one_things": [one_thing]})
        schema = definition.form_schema("en")
        with_examples = {code: prop["examples"][0] for code, prop in schema["properties"].items() if "examples" in prop}
        assert with_examples, one_thing["code"]
        assert definition.validate(with_examples, partial=True) == {}
