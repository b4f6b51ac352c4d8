"""The importer checks a document's shape with ``catalog.schema.json`` and says it in its own words."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from django.utils import translation

from govflow.catalog.io import format as catalog_format
from govflow.catalog.io.structure import TRANSLATED_KEYWORDS, structure_errors
from govflow.catalog.io.validation import validate_document

from .test_catalog_schema import BROKEN, DEMO, _broken


@pytest.fixture(autouse=True)
def _english():
    """The catalog's messages are asserted in English (the site's default language is Chinese)."""
    with translation.override("en"):
        yield

ROOT = Path(__file__).resolve().parents[2]

# What jsonschema says in its own words; none of it may reach a catalog editor.
RAW_JSONSCHEMA = ("is a required property", "is not valid under", "is not of type", "is not one of",
                  "does not match", "False schema", "should be non-empty", "is too long", "is less than",
                  "is greater than", "was expected", "Additional properties")


def test_the_published_schema_is_the_one_the_importer_uses():
    assert (ROOT / "docs" / "catalog.schema.json").read_bytes() == catalog_format.SCHEMA_PATH.read_bytes(), (
        "docs/catalog.schema.json must be a copy of govflow/catalog/catalog.schema.json")


def test_the_importers_names_and_limits_agree_with_the_schema():
    defs = catalog_format.schema()["$defs"]
    assert tuple(defs["field_type"]["enum"]) == catalog_format.FIELD_TYPES
    output_type = defs["procedure"]["properties"]["outputs"]["items"]["properties"]["type"]
    assert tuple(output_type["enum"]) == catalog_format.OUTPUT_TYPES
    accepted = defs["material"]["properties"]["accepted_types"]["items"]["enum"]
    assert set(accepted) == set(catalog_format.ACCEPTED_MATERIAL_TYPES) | set(catalog_format.MATERIAL_TYPE_ALIASES)
    assert catalog_format.schema()["properties"]["format"]["const"] == catalog_format.CATALOG_FORMAT
    assert (catalog_format.MAX_DAYS, catalog_format.MAX_SIZE_MB, catalog_format.PATTERN_MAX) == (3650, 100, 500)


def _keywords(node) -> set[str]:
    if isinstance(node, list):
        return set().union(*(_keywords(item) for item in node)) if node else set()
    if not isinstance(node, dict):
        return set()
    found = set(node)
    for key, value in node.items():
        if key in ("properties", "$defs"):
            found |= set().union(*(_keywords(v) for v in value.values()))
        elif key not in ("enum", "const", "required", "description", "default"):
            found |= _keywords(value)
    return found


def test_every_keyword_the_schema_checks_with_is_translated():
    annotations = {"$schema", "title", "description", "default", "$defs", "$ref", "properties", "items",
                   "allOf", "if", "then", "else", "anyOf"}
    assert _keywords(catalog_format.schema()) - annotations <= TRANSLATED_KEYWORDS


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_a_broken_document_is_refused_in_the_importers_words(name):
    errors = validate_document(_broken(BROKEN[name]))
    assert errors
    for error in errors:
        assert error.path.startswith("$") and error.message
        assert not any(raw in error.message for raw in RAW_JSONSCHEMA), error


@pytest.mark.parametrize(("change", "path", "message"), [
    (lambda d: d.update(format=["govflow.catalog/1"]), "$.format",
     "unknown format ['govflow.catalog/1']; expected 'govflow.catalog/1'"),
    (lambda d: d["departments"][0].update(code="d" * 51), "$.departments[0].code", "must be at most 50 characters long"),
    (lambda d: d["departments"][0].update(code="amr\n"), "$.departments[0].code",
     "'amr\\n' is not a valid code (lower-case letters, digits, '-' and '_', starting with a letter or digit)"),
    (lambda d: d["departments"][0]["name"].update({" ": "x"}), "$.departments[0].name",
     "language keys must be non-empty strings"),
    (lambda d: d["departments"][0].update(name={"zh-hans": "市场"}), "$.departments[0].name.en",
     "is required (every label needs an English text)"),
    (lambda d: d["fields"][1].update(type="url", max_length=3), "$.fields[1].type",
     "unknown field type 'url'; expected one of string, text, integer, decimal, boolean, date, choice, email, phone, "
     "id_number, uscc, division"),
    (lambda d: d["fields"][0].update(max_length=3, pattern="x"), "$.fields[0].pattern",
     "only applies to string and text fields"),
    (lambda d: d["procedures"][0].update(department=["amr"]), "$.procedures[0].department",
     "must be a department code (a string), not a list"),
    (lambda d: d["one_things"][0]["steps"][1].update(after=[3]), "$.one_things[0].steps[1].after[0]",
     "must be a procedure code (a string), not a number"),
    (lambda d: d["one_things"][0]["steps"][1].update(when=True), "$.one_things[0].steps[1].when",
     "must be a string, not a boolean"),
    (lambda d: d["procedures"][0].update(statutory_days=3651), "$.procedures[0].statutory_days",
     "must be between 1 and 3650"),
    (lambda d: d["one_things"][0].update(applicant="company"), "$.one_things[0].applicant",
     "unknown kind of applicant 'company'; expected one of person, organisation, either"),
    (lambda d: d["one_things"][0].update(applicant=None), "$.one_things[0].applicant",
     "unknown kind of applicant None; expected one of person, organisation, either"),
    (lambda d: d["procedures"][0].update(level="town"), "$.procedures[0].level",
     "unknown level 'town'; expected one of province, city, county"),
])
def test_shape_errors_keep_their_paths_and_messages(change, path, message):
    doc = copy.deepcopy(DEMO)
    change(doc)
    assert [(e.path, e.message) for e in validate_document(doc) if e.path == path] == [(path, message)]


def test_an_unknown_field_type_is_the_fields_only_shape_error():
    doc = copy.deepcopy(DEMO)
    doc["fields"][1].update(type="url", max_length=3, min=1, choices=[{"value": "a", "label": {"en": "A"}}])
    assert [e.path for e in validate_document(doc) if e.path.startswith("$.fields[1]")] == ["$.fields[1].type"]


def test_jpg_is_accepted_by_the_schema_as_by_the_importer():
    doc = copy.deepcopy(DEMO)
    doc["materials"][0]["accepted_types"] = ["jpg", "pdf"]
    assert structure_errors(doc) == [] and validate_document(doc) == []


def test_a_location_with_a_shape_error_gets_no_other_error():
    doc = copy.deepcopy(DEMO)
    doc["fields"][1]["pattern"] = "(" * 501  # too long, and no regular expression either
    assert [(e.path, e.message) for e in validate_document(doc)] == [
        ("$.fields[1].pattern", "must be at most 500 characters long")]


def test_the_schema_is_read_once():
    assert catalog_format.schema() is catalog_format.schema()
    assert json.loads(catalog_format.SCHEMA_PATH.read_text(encoding="utf-8")) == catalog_format.schema()
