"""``docs/catalog.schema.json`` describes what the importer accepts.

The importer (:func:`govflow.catalog.io.validate_document`) checks a document's shape with this
schema (its copy ``govflow/catalog/catalog.schema.json``) and its meaning in code; editors and a
department's tooling can check a document against the schema before sending it. These tests keep
the two in step: every document the importer accepts (the demo catalog, an export, the
example of ``docs/catalog.md``) is valid under the schema, and every structural mistake the
schema refuses is refused by the importer too. Cross references (unknown codes, cycles, CEL)
are the importer's alone; one test pins that boundary so the docs stay honest about it.
"""
from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from django.utils import translation

from govflow.catalog.io import export_catalog, validate_document
from govflow.catalog.services import import_catalog


@pytest.fixture(autouse=True)
def _english():
    """The catalog's messages are asserted in English (the site's default language is Chinese)."""
    with translation.override("en"):
        yield

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "docs" / "catalog.schema.json").read_text(encoding="utf-8"))
DEMO = json.loads((ROOT / "govflow" / "catalog" / "demo_catalog.json").read_text(encoding="utf-8"))
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


def schema_errors(doc: Any) -> list[str]:
    return [f"{error.json_path}: {error.message}" for error in VALIDATOR.iter_errors(doc)]


def docs_example() -> dict:
    """The complete example of docs/catalog.md (the first ```json block after its heading)."""
    text = (ROOT / "docs" / "catalog.md").read_text(encoding="utf-8")
    match = re.search(r"## A complete example.*?```json\n(.*?)\n```", text, re.S)
    assert match, "docs/catalog.md has no '## A complete example' with a json block"
    return json.loads(match.group(1))


def test_the_schema_is_a_valid_draft_2020_12_schema():
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_the_demo_catalog_is_valid_under_the_schema_and_for_the_importer():
    assert validate_document(DEMO) == []
    assert schema_errors(DEMO) == []


def test_the_example_of_the_docs_is_valid_under_the_schema_and_for_the_importer():
    example = docs_example()
    assert validate_document(example) == []
    assert schema_errors(example) == []


def test_the_example_of_the_docs_imports(db):
    result = import_catalog(docs_example())
    assert [v.one_thing.code for v in result.published] == ["business-startup"]


@pytest.mark.django_db
def test_an_export_of_the_demo_catalog_is_valid_under_the_schema():
    import_catalog(DEMO)
    everything = export_catalog()
    assert everything["one_things"], "the export must contain the demo one things"
    assert schema_errors(everything) == []
    for code in ("business-startup", "newborn"):
        assert schema_errors(export_catalog(code)) == []


def _broken(change) -> dict:
    doc = copy.deepcopy(DEMO)
    change(doc)
    return doc


def _set(path: tuple, value: Any):
    def change(doc: dict) -> None:
        target = doc
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return change


def _delete(path: tuple):
    def change(doc: dict) -> None:
        target = doc
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]
    return change


def _field(code: str, doc: dict) -> int:
    return next(i for i, f in enumerate(doc["fields"]) if f["code"] == code)


def _field_set(code: str, key: str, value: Any):
    def change(doc: dict) -> None:
        doc["fields"][_field(code, doc)][key] = value
    return change


BROKEN = {
    "format is a list": _set(("format",), ["govflow.catalog/1"]),
    "unknown format": _set(("format",), "govflow.catalog/2"),
    "no format": _delete(("format",)),
    "unknown top-level key": _set(("version",), 1),
    "section is not a list": _set(("departments",), {"amr": "Market Regulation"}),
    "department without English name": _set(("departments", 0, "name"), {"zh-hans": "市场监督管理局"}),
    "blank English label": _set(("departments", 0, "name", "en"), "   "),
    "NUL in a label": _set(("departments", 0, "name", "zh-hans"), "市场\x00监督"),
    "upper-case code": _set(("departments", 0, "code"), "AMR"),
    "department code too long": _set(("departments", 0, "code"), "d" * 51),
    "unknown key in a department": _set(("departments", 0, "phone"), "12345"),
    "unknown field type": _field_set("company_name", "type", "url"),
    "choice field without choices": _delete(("fields", 2, "choices")),
    "choice field with no choice": _field_set("company_type", "choices", []),
    "max_length on a boolean field": _field_set("has_employees", "max_length", 10),
    "min on a string field": _field_set("company_name", "min", 1),
    "fractional min of an integer field": _field_set("employee_count", "min", 1.5),
    "choices on a string field": _field_set("company_name", "choices", [{"value": "a", "label": {"en": "A"}}]),
    "max_length zero": _field_set("company_name", "max_length", 0),
    "pattern too long": _field_set("company_name", "pattern", "a" * 501),
    "unknown material type": _set(("materials", 0, "accepted_types"), ["gif"]),
    "no material type": _set(("materials", 0, "accepted_types"), []),
    "material type twice": _set(("materials", 0, "accepted_types"), ["pdf", "pdf"]),
    "material size zero": _set(("materials", 0, "max_size_mb"), 0),
    "material size over the limit": _set(("materials", 0, "max_size_mb"), 101),
    "days as a string": _set(("procedures", 0, "statutory_days"), "15"),
    "days as a boolean": _set(("procedures", 0, "committed_days"), True),
    "days over ten years": _set(("procedures", 0, "statutory_days"), 3651),
    "required as a string": _set(("procedures", 0, "fields", 0, "required"), "yes"),
    "field entry without field": _set(("procedures", 0, "fields", 0), {"required": True}),
    "output of type choice": _set(("procedures", 0, "outputs", 0, "type"), "choice"),
    "output without label": _delete(("procedures", 0, "outputs", 0, "label")),
    "needs_outputs twice": _set(("procedures", 1, "needs_outputs"), ["uscc", "uscc"]),
    "blank automatic checker": _set(("procedures", 0, "automatic"), " "),
    "one thing without steps": _set(("one_things", 0, "steps"), []),
    "unknown key in a step": _set(("one_things", 0, "steps", 0, "optional"), True),
    "when is not text": _set(("one_things", 0, "steps", 1, "when"), True),
    "guide field twice": _set(("one_things", 0, "guide"), ["has_employees", "has_employees"]),
    "after is not a list": _set(("one_things", 0, "steps", 1, "after"), "amr-licence"),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_a_broken_document_is_refused_by_the_schema_and_by_the_importer(name):
    doc = _broken(BROKEN[name])
    assert schema_errors(doc), f"the schema accepts: {name}"
    assert validate_document(doc), f"the importer accepts: {name}"


def _required_keys() -> list[tuple[str, str]]:
    """(section, key) for every key the schema requires of an item of a section."""
    defs = SCHEMA["$defs"]
    sections = {name: prop["items"]["$ref"].rsplit("/", 1)[1]
                for name, prop in SCHEMA["properties"].items() if "items" in prop}
    return [(section, key) for section, definition in sections.items() for key in defs[definition]["required"]]


@pytest.mark.parametrize(("section", "key"), _required_keys())
def test_every_key_the_schema_requires_is_required_by_the_importer(section, key):
    doc = _broken(_delete((section, 0, key)))
    assert schema_errors(doc)
    assert any(error.path == f"$.{section}[0].{key}" and error.message == "is required"
               for error in validate_document(doc))


@pytest.mark.parametrize(("section", "definition"), [
    ("departments", "department"), ("fields", "field"), ("materials", "material"),
    ("procedures", "procedure"), ("one_things", "one_thing")])
def test_the_schema_and_the_importer_allow_the_same_keys(section, definition):
    """Each optional key of the schema is accepted by the importer, and any other key is refused by both."""
    allowed = set(SCHEMA["$defs"][definition]["properties"])
    for item in DEMO[section]:
        assert set(item) <= allowed
    doc = _broken(_set((section, 0, "not_a_key"), 1))
    assert schema_errors(doc)
    assert any(error.path == f"$.{section}[0].not_a_key" for error in validate_document(doc))


def test_cross_references_are_the_importers_alone():
    """The boundary docs/catalog.md states: shape in the schema, references in the importer."""
    doc = _broken(_set(("procedures", 0, "department"), "no-such-department"))
    assert schema_errors(doc) == []
    assert [e.path for e in validate_document(doc)] == ["$.procedures[0].department"]
