"""The ``govflow.catalog/1`` format: validation, import, export and publishing."""
from __future__ import annotations

import copy
import io
import json
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from govflow.catalog import models as m
from govflow.catalog.io import CATALOG_FORMAT, CatalogError, CatalogValidationError, export_catalog, validate_document
from govflow.catalog.services import (
    build_snapshot,
    import_catalog,
    publish_one_thing,
    snapshot_digest,
    unpublish_one_thing,
)

from ..threads import run_together


@pytest.fixture(autouse=True)
def _english():
    """The catalog's messages are asserted in English (the site's default language is Chinese)."""
    with translation.override("en"):
        yield


DEMO_PATH = Path(__file__).resolve().parents[2] / "govflow" / "catalog" / "demo_catalog.json"
DEMO = json.loads(DEMO_PATH.read_text(encoding="utf-8"))

# The example of the catalog contract: small, so that validation tests stay fast.
EXAMPLE = {
    "format": "govflow.catalog/1",
    "departments": [
        {"code": "amr", "name": {"en": "Administration for Market Regulation", "zh-hans": "市场监督管理局"}},
        {"code": "tax", "name": {"en": "Taxation Bureau", "zh-hans": "税务局"}},
        {"code": "hrss", "name": {"en": "Human Resources and Social Security", "zh-hans": "人力资源和社会保障局"}},
    ],
    "fields": [
        {"code": "company_name", "label": {"en": "Company name", "zh-hans": "企业名称"},
         "type": "string", "max_length": 100},
        {"code": "has_employees", "label": {"en": "Will you hire employees?"}, "type": "boolean"},
        {"code": "employee_count", "label": {"en": "Number of employees"}, "type": "integer", "min": 1,
         "max": 100000},
        {"code": "legal_rep_id", "label": {"en": "Legal representative ID number"}, "type": "id_number"},
        {"code": "industry", "label": {"en": "Industry"}, "type": "choice",
         "choices": [{"value": "retail", "label": {"en": "Retail"}}, {"value": "food", "label": {"en": "Catering"}}]},
    ],
    "materials": [
        {"code": "articles", "label": {"en": "Articles of association"}, "accepted_types": ["pdf"], "max_size_mb": 10},
    ],
    "procedures": [
        {"code": "amr-licence", "department": "amr",
         "name": {"en": "Business licence registration", "zh-hans": "营业执照登记"},
         "statutory_days": 15, "committed_days": 1,
         "fields": [{"field": "company_name", "required": True}, {"field": "legal_rep_id", "required": True}],
         "materials": [{"material": "articles", "required": True}],
         "needs_outputs": [],
         "outputs": [{"code": "uscc", "label": {"en": "Unified social credit code"}, "type": "string",
                      "pattern": "^[0-9A-Z]{18}$"}]},
        {"code": "tax-registration", "department": "tax", "name": {"en": "Tax registration"},
         "statutory_days": 10, "committed_days": 1,
         "fields": [{"field": "company_name", "required": True}],
         "materials": [], "needs_outputs": ["uscc"], "outputs": []},
        {"code": "hrss-employer-insurance", "department": "hrss",
         "name": {"en": "Employer social insurance enrolment"},
         "statutory_days": 10, "committed_days": 1,
         "fields": [{"field": "company_name", "required": True}, {"field": "employee_count", "required": True}],
         "materials": [], "needs_outputs": ["uscc"], "outputs": []},
    ],
    "one_things": [
        {"code": "business-startup",
         "name": {"en": "Start a business", "zh-hans": "开办企业一件事"},
         "description": {"en": "Licence, seal, tax, social insurance and housing fund in one application."},
         "committed_days": 3,
         "guide": ["has_employees"],
         "steps": [
             {"procedure": "amr-licence"},
             {"procedure": "tax-registration", "after": ["amr-licence"]},
             {"procedure": "hrss-employer-insurance", "after": ["amr-licence"], "when": "has_employees"},
         ]},
    ],
}

CATALOG_MODELS = (m.Department, m.Field, m.Material, m.Procedure, m.ProcedureField, m.ProcedureMaterial,
                  m.Output, m.OneThing, m.Step, m.OneThingVersion)


def example_document() -> dict:
    """A fresh, valid copy of the contract's example (tests mutate it)."""
    return copy.deepcopy(EXAMPLE)


def demo_document() -> dict:
    return copy.deepcopy(DEMO)


def row_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in CATALOG_MODELS}


def paths(doc) -> list[str]:
    return [e.path for e in validate_document(doc)]


def error_at(doc, path: str) -> str:
    """The message of the one error reported at ``path`` (fails when there is none or several)."""
    found = [e.message for e in validate_document(doc) if e.path == path]
    assert len(found) == 1, f"expected one error at {path}, got {validate_document(doc)}"
    return found[0]


def wipe_catalog() -> None:
    """Empty the catalog tables (versions are protected by their one thing, so in order)."""
    m.OneThing.objects.update(current_version=None)
    m.OneThingVersion.objects.all().delete()
    m.OneThing.objects.all().delete()
    m.Procedure.objects.all().delete()
    m.Field.objects.all().delete()
    m.Material.objects.all().delete()
    m.Department.objects.all().delete()


# =============================================================================================
# Validation
# =============================================================================================


def test_the_contract_example_and_the_demo_catalog_are_valid():
    assert validate_document(example_document()) == []
    assert validate_document(demo_document()) == []


def test_it_reports_an_unknown_format():
    doc = example_document()
    doc["format"] = "govflow.catalog/2"
    assert "unknown format" in error_at(doc, "$.format")


def test_it_reports_a_missing_format():
    doc = example_document()
    del doc["format"]
    assert error_at(doc, "$.format") == "is required"


def test_it_reports_an_unknown_key_so_that_typos_are_not_silently_ignored():
    doc = example_document()
    doc["one_things"][0]["steps"][1]["aftr"] = ["amr-licence"]
    assert error_at(doc, "$.one_things[0].steps[1].aftr") == "unknown key"


@pytest.mark.parametrize(("section", "path"), [
    ("departments", "$.departments[3].code"),
    ("fields", "$.fields[5].code"),
    ("materials", "$.materials[1].code"),
    ("procedures", "$.procedures[3].code"),
    ("one_things", "$.one_things[1].code"),
])
def test_it_reports_a_duplicate_code_at_the_second_definition(section, path):
    doc = example_document()
    duplicate = copy.deepcopy(doc[section][-1])
    duplicate["code"] = doc[section][0]["code"]
    if section == "procedures":
        duplicate["outputs"] = []  # only the procedure code is duplicated, not its outputs
    doc[section].append(duplicate)
    message = error_at(doc, path)
    assert "duplicate" in message and repr(doc[section][0]["code"]) in message


@pytest.mark.parametrize(("section", "path"), [
    ("departments", "$.departments[0].code"),
    ("one_things", "$.one_things[0].code"),
    ("procedures", "$.procedures[0].code"),
])
def test_a_code_with_a_trailing_newline_is_refused(section, path):
    # Python's "$" also matches before a final newline: "newborn\n" was published and broke "/".
    doc = example_document()
    doc[section][0]["code"] += "\n"
    assert "code" in error_at(doc, path)


def test_it_reports_a_duplicate_output_code_across_procedures():
    doc = example_document()
    doc["procedures"][1]["outputs"] = [{"code": "uscc", "label": {"en": "Again"}, "type": "string"}]
    assert "duplicate output code 'uscc'" in error_at(doc, "$.procedures[1].outputs[0].code")


def test_it_reports_a_procedure_listed_twice_as_a_step():
    doc = example_document()
    doc["one_things"][0]["steps"].append({"procedure": "tax-registration", "after": ["amr-licence"]})
    assert "already a step" in error_at(doc, "$.one_things[0].steps[3].procedure")


def test_it_reports_a_field_listed_twice_in_a_procedure():
    doc = example_document()
    doc["procedures"][1]["fields"].append({"field": "company_name", "required": False})
    assert "listed twice" in error_at(doc, "$.procedures[1].fields[1].field")


@pytest.mark.parametrize(("mutate", "path", "message"), [
    (lambda d: d["procedures"][0].__setitem__("department", "psb"), "$.procedures[0].department",
     "unknown department 'psb'"),
    (lambda d: d["procedures"][0]["fields"][0].__setitem__("field", "company"), "$.procedures[0].fields[0].field",
     "unknown field 'company'"),
    (lambda d: d["procedures"][0]["materials"][0].__setitem__("material", "charter"),
     "$.procedures[0].materials[0].material", "unknown material 'charter'"),
    (lambda d: d["procedures"][1].__setitem__("needs_outputs", ["licence_no"]), "$.procedures[1].needs_outputs[0]",
     "unknown output 'licence_no'"),
    (lambda d: d["one_things"][0]["steps"][0].__setitem__("procedure", "amr-permit"),
     "$.one_things[0].steps[0].procedure", "unknown procedure 'amr-permit'"),
    (lambda d: d["one_things"][0]["steps"][1].__setitem__("after", ["amr-permit"]),
     "$.one_things[0].steps[1].after[0]", "unknown procedure 'amr-permit'"),
    (lambda d: d["one_things"][0].__setitem__("guide", ["has_staff"]), "$.one_things[0].guide[0]",
     "unknown field 'has_staff'"),
])
def test_it_reports_a_reference_to_something_undefined(mutate, path, message):
    doc = example_document()
    mutate(doc)
    assert message in error_at(doc, path)


def test_it_reports_a_dependency_on_a_procedure_that_is_not_a_step():
    doc = example_document()
    doc["one_things"][0]["steps"] = [
        {"procedure": "amr-licence"},
        {"procedure": "hrss-employer-insurance", "after": ["amr-licence", "tax-registration"],
         "when": "has_employees"},
    ]
    assert "not a step of this one thing" in error_at(doc, "$.one_things[0].steps[1].after[1]")


def test_it_reports_a_cycle_in_after_with_its_path():
    doc = example_document()
    doc["one_things"][0]["steps"] = [
        {"procedure": "amr-licence"},
        {"procedure": "tax-registration", "after": ["amr-licence", "hrss-employer-insurance"]},
        {"procedure": "hrss-employer-insurance", "after": ["tax-registration"]},
    ]
    errors = [e for e in validate_document(doc) if "cycle" in e.message]
    assert len(errors) == 1
    assert errors[0].path in ("$.one_things[0].steps[1].after", "$.one_things[0].steps[2].after")
    assert "tax-registration → hrss-employer-insurance" in errors[0].message \
        or "hrss-employer-insurance → tax-registration" in errors[0].message


def test_it_reports_a_step_that_comes_after_itself():
    doc = example_document()
    doc["one_things"][0]["steps"][1]["after"] = ["amr-licence", "tax-registration"]
    assert "after itself" in error_at(doc, "$.one_things[0].steps[1].after[1]")


def test_it_reports_a_one_thing_where_every_step_waits_for_another():
    doc = example_document()
    doc["one_things"][0]["steps"] = [{"procedure": "amr-licence", "after": ["tax-registration"]},
                                     {"procedure": "tax-registration", "after": ["amr-licence"]}]
    assert any("cycle" in e.message for e in validate_document(doc))


def test_it_reports_a_one_thing_without_steps():
    doc = example_document()
    doc["one_things"][0]["steps"] = []
    assert "at least one step" in error_at(doc, "$.one_things[0].steps")


def test_it_reports_a_needed_output_that_is_not_issued_upstream():
    doc = example_document()
    del doc["one_things"][0]["steps"][1]["after"]  # tax needs uscc but no longer waits for the licence
    message = error_at(doc, "$.one_things[0].steps[1]")
    assert "'uscc'" in message and "does not come after 'amr-licence'" in message


def test_a_needed_output_may_be_issued_transitively_upstream():
    doc = example_document()
    doc["one_things"][0]["steps"][2]["after"] = ["tax-registration"]
    assert validate_document(doc) == []


def test_it_reports_a_needed_output_whose_issuer_is_not_in_the_one_thing():
    doc = example_document()
    doc["one_things"][0]["steps"] = [{"procedure": "tax-registration"}]
    assert "not a step of this one thing" in error_at(doc, "$.one_things[0].steps[0]")


def test_it_reports_a_when_that_does_not_parse():
    doc = example_document()
    doc["one_things"][0]["steps"][2]["when"] = "has_employees &&"
    assert "not a valid CEL expression" in error_at(doc, "$.one_things[0].steps[2].when")


def test_it_reports_a_when_that_names_a_field_the_one_thing_never_asks():
    doc = example_document()
    doc["one_things"][0]["steps"][2]["when"] = "has_employees && industry == 'food'"
    assert "'industry'" in error_at(doc, "$.one_things[0].steps[2].when")


def test_a_when_may_name_a_field_of_any_step():
    doc = example_document()
    doc["one_things"][0]["steps"][2]["when"] = "has_employees && size(company_name) > 0"
    assert validate_document(doc) == []


@pytest.mark.parametrize(("mutate", "path"), [
    (lambda d: d["fields"][0].__setitem__("pattern", "^[0-9"), "$.fields[0].pattern"),
    (lambda d: d["procedures"][0]["outputs"][0].__setitem__("pattern", "(?P<x"), "$.procedures[0].outputs[0].pattern"),
])
def test_it_reports_a_pattern_that_is_not_a_regular_expression(mutate, path):
    doc = example_document()
    mutate(doc)
    assert "not a valid regular expression" in error_at(doc, path)


def test_it_reports_committed_days_greater_than_statutory_days():
    doc = example_document()
    doc["procedures"][1]["committed_days"] = 11
    assert "must not exceed statutory days" in error_at(doc, "$.procedures[1].committed_days")


@pytest.mark.parametrize(("mutate", "path"), [
    (lambda d: d["departments"][0].__setitem__("name", {"zh-hans": "市场监督管理局"}), "$.departments[0].name.en"),
    (lambda d: d["fields"][1].__setitem__("label", {}), "$.fields[1].label.en"),
    (lambda d: d["fields"][4]["choices"][1].__setitem__("label", {"zh-hans": "餐饮"}),
     "$.fields[4].choices[1].label.en"),
    (lambda d: d["materials"][0].__setitem__("label", {"fr": "Statuts"}), "$.materials[0].label.en"),
    (lambda d: d["procedures"][0]["outputs"][0].__setitem__("label", {"zh-hans": "统一社会信用代码"}),
     "$.procedures[0].outputs[0].label.en"),
    (lambda d: d["procedures"][0].__setitem__("description", {"zh-hans": "说明"}), "$.procedures[0].description.en"),
    (lambda d: d["one_things"][0].__setitem__("description", {"zh-hans": "说明"}),
     "$.one_things[0].description.en"),
    (lambda d: d["one_things"][0].__setitem__("name", {"zh-hans": "开办企业一件事"}), "$.one_things[0].name.en"),
])
def test_it_reports_a_missing_english_label(mutate, path):
    doc = example_document()
    mutate(doc)
    assert "is required" in error_at(doc, path)


def test_it_reports_an_empty_english_label():
    doc = example_document()
    doc["fields"][0]["label"]["en"] = "  "
    assert error_at(doc, "$.fields[0].label.en") == "must not be empty"


@pytest.mark.parametrize(("mutate", "path", "message"), [
    (lambda d: d["fields"][0].__setitem__("type", "money"), "$.fields[0].type", "unknown field type 'money'"),
    (lambda d: d["fields"][4].__delitem__("choices"), "$.fields[4].choices", "is required for a choice field"),
    (lambda d: d["fields"][4].__setitem__("choices", []), "$.fields[4].choices", "at least one choice"),
    (lambda d: d["fields"][4]["choices"][1].__setitem__("value", "retail"), "$.fields[4].choices[1].value",
     "duplicate choice value 'retail'"),
    (lambda d: d["fields"][1].__setitem__("choices", []), "$.fields[1].choices", "only applies to choice fields"),
    (lambda d: d["fields"][2].__setitem__("max_length", 10), "$.fields[2].max_length", "only applies to string"),
    (lambda d: d["fields"][0].__setitem__("min", 1), "$.fields[0].min", "only applies to integer and decimal"),
    (lambda d: d["fields"][2].__setitem__("min", 200000), "$.fields[2].min", "must not be greater than max"),
    (lambda d: d["fields"][2].__setitem__("min", 1.5), "$.fields[2].min", "whole number"),
    (lambda d: d["fields"][2].__setitem__("max", float("nan")), "$.fields[2].max", "must be a number"),
    (lambda d: d["fields"][0].__setitem__("max_length", 0), "$.fields[0].max_length", "between 1 and"),
    (lambda d: d["materials"][0].__setitem__("accepted_types", ["pdf", "docx"]), "$.materials[0].accepted_types[1]",
     "unknown file type 'docx'"),
    (lambda d: d["materials"][0].__setitem__("accepted_types", []), "$.materials[0].accepted_types",
     "at least one file type"),
    (lambda d: d["materials"][0].__setitem__("max_size_mb", 101), "$.materials[0].max_size_mb", "between 1 and 100"),
    (lambda d: d["materials"][0].__setitem__("max_size_mb", 0), "$.materials[0].max_size_mb", "between 1 and 100"),
    (lambda d: d["procedures"][0].__setitem__("statutory_days", 0), "$.procedures[0].statutory_days", "between 1"),
    (lambda d: d["procedures"][0].__setitem__("committed_days", True), "$.procedures[0].committed_days",
     "whole number"),
    (lambda d: d["one_things"][0].__setitem__("committed_days", -3), "$.one_things[0].committed_days", "between 1"),
    (lambda d: d["procedures"][0]["outputs"][0].__setitem__("type", "choice"), "$.procedures[0].outputs[0].type",
     "unknown output type 'choice'"),
    (lambda d: d["departments"][0].__setitem__("code", "AMR"), "$.departments[0].code", "not a valid code"),
    (lambda d: d["fields"][0].__setitem__("code", "company name"), "$.fields[0].code", "not a valid code"),
    (lambda d: d["fields"][0].__setitem__("code", "x" * 65), "$.fields[0].code", "at most 64"),
    (lambda d: d["procedures"][1].__setitem__("needs_outputs", ["uscc", "uscc"]), "$.procedures[1].needs_outputs[1]",
     "listed twice"),
    (lambda d: d["procedures"][0].__setitem__("needs_outputs", ["uscc"]), "$.procedures[0].needs_outputs[0]",
     "its own output"),
    (lambda d: d["procedures"][0]["fields"][0].__setitem__("required", "yes"), "$.procedures[0].fields[0].required",
     "true or false"),
    (lambda d: d["one_things"][0].__setitem__("guide", ["has_employees", "has_employees"]),
     "$.one_things[0].guide[1]", "listed twice"),
    (lambda d: d["departments"][0]["name"].__setitem__("en", "A\x00B"), "$.departments[0].name.en", "NUL"),
])
def test_it_checks_types_and_ranges(mutate, path, message):
    doc = example_document()
    mutate(doc)
    assert message in error_at(doc, path)


def test_it_reports_all_errors_of_a_document_together():
    doc = example_document()
    doc["format"] = "other"
    doc["fields"][0]["pattern"] = "("
    doc["procedures"][1]["committed_days"] = 99
    doc["procedures"][2]["department"] = "nobody"
    doc["one_things"][0]["steps"][2]["when"] = "has_employees ||"
    assert paths(doc) == [
        "$.format",
        "$.fields[0].pattern",
        "$.procedures[1].committed_days",
        "$.procedures[2].department",
        "$.one_things[0].steps[2].when",
    ]


@pytest.mark.parametrize("doc", [
    None, [], 1, "catalog", True,
    {"format": CATALOG_FORMAT, "fields": {}},
    {"format": CATALOG_FORMAT, "departments": [1, None, "amr", []]},
    {"format": CATALOG_FORMAT, "departments": [{"code": 1, "name": None}]},
    {"format": CATALOG_FORMAT, "fields": [{"code": None, "label": ["en"], "type": 3, "choices": "x", "min": "0"}]},
    {"format": CATALOG_FORMAT, "procedures": [{"code": "p", "fields": [None, {"field": 1}], "outputs": [1],
                                               "needs_outputs": {}, "department": ["amr"]}]},
    {"format": CATALOG_FORMAT, "one_things": [{"code": "o", "steps": [None, {"procedure": None, "after": "x",
                                                                             "when": 5}], "guide": [None]}]},
    {"format": CATALOG_FORMAT, "one_things": [{"steps": [{"after": [1, None, ["x"]], "when": None}]}]},
])
def test_it_reports_garbage_as_errors_never_as_exceptions(doc):
    errors = validate_document(doc)
    assert errors and all(isinstance(e, CatalogError) for e in errors)


GARBAGE = (None, 0, -1, 1.5, True, "", "x", [], {}, [None], {"en": None})


def _nodes(value, path=()):
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _nodes(item, path + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _nodes(item, path + (index,))


def test_it_never_raises_whatever_node_of_a_document_is_replaced_by_garbage():
    base = example_document()
    checked = 0
    for node in _nodes(base):
        if not node:
            continue
        for garbage in GARBAGE:
            doc = copy.deepcopy(base)
            parent = doc
            for step in node[:-1]:
                parent = parent[step]
            parent[node[-1]] = garbage
            assert isinstance(validate_document(doc), list)
            checked += 1
        doc = copy.deepcopy(base)
        parent = doc
        for step in node[:-1]:
            parent = parent[step]
        del parent[node[-1]]
        assert isinstance(validate_document(doc), list)
    assert checked > 1000


# =============================================================================================
# Import
# =============================================================================================


@pytest.mark.django_db
def test_importing_the_demo_catalog_creates_and_publishes_everything():
    result = import_catalog(demo_document())
    assert result.created["departments"] == 8
    assert result.created["procedures"] == 12
    assert result.created["one_things"] == 3
    assert sorted(v.one_thing.code for v in result.published) == ["business-startup", "enterprise-change", "newborn"]
    startup = m.OneThing.objects.get(code="business-startup")
    assert startup.is_published
    assert startup.current_version.number == 1
    assert validate_document(startup.current_version.definition) == []
    assert startup.current_version.definition == build_snapshot(startup)
    assert [s.procedure.code for s in startup.steps.all()] == [
        "amr-licence", "psb-seal-filing", "tax-registration", "hrss-employer-insurance", "hpf-employer-account"]
    assert m.Procedure.objects.get(code="amr-licence").outputs.get().code == "uscc"
    change = m.OneThing.objects.get(code="enterprise-change")
    assert change.applicant == "organisation" and change.current_version.definition["one_things"][0]["applicant"] == (
        "organisation")
    assert {s.procedure.code: s.after for s in change.steps.all()} == {
        "amr-change-registration": [], "tax-info-change": ["amr-change-registration"],
        "hrss-employer-info-change": ["amr-change-registration"]}


@pytest.mark.django_db
def test_importing_an_invalid_document_writes_nothing():
    import_catalog(example_document())
    before = row_counts()
    doc = demo_document()
    doc["procedures"][0]["committed_days"] = 999
    doc["one_things"][1]["steps"][1]["when"] = "&&"
    with pytest.raises(CatalogValidationError) as caught:
        import_catalog(doc)
    assert len(caught.value.errors) >= 2
    assert row_counts() == before


@pytest.mark.django_db
def test_importing_the_same_document_twice_changes_nothing_the_second_time():
    import_catalog(demo_document())
    before = row_counts()
    with CaptureQueriesContext(connection) as queries:
        result = import_catalog(demo_document())
    assert result.published == []
    assert not result.changed
    assert row_counts() == before
    writes = [q["sql"] for q in queries.captured_queries
              if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]
    assert writes == []


@pytest.mark.django_db
def test_changing_a_procedure_publishes_a_new_version_of_the_one_things_that_use_it():
    import_catalog(demo_document())
    startup = m.OneThing.objects.get(code="business-startup")
    first = startup.current_version
    first_definition = copy.deepcopy(first.definition)
    doc = demo_document()
    seal = next(p for p in doc["procedures"] if p["code"] == "psb-seal-filing")
    seal["committed_days"] = 2  # amr-licence (1) -> seal (2): still within the 3 days promised

    result = import_catalog(doc)

    assert [(v.one_thing.code, v.number) for v in result.published] == [("business-startup", 2)]
    startup.refresh_from_db()
    assert startup.current_version.number == 2
    first.refresh_from_db()
    assert first.definition == first_definition  # the older version is untouched
    assert m.OneThing.objects.get(code="newborn").versions.count() == 1


@pytest.mark.django_db
def test_an_import_that_makes_a_one_thing_promise_less_than_its_critical_path_is_refused_whole():
    import_catalog(demo_document())
    doc = demo_document()
    licence = next(p for p in doc["procedures"] if p["code"] == "amr-licence")
    licence["committed_days"] = 2  # amr-licence (2) -> hpf (2) = 4 > the 3 days business-startup promises

    with pytest.raises(CatalogValidationError) as caught:
        import_catalog(doc)

    assert [e.path for e in caught.value.errors] == ["$.one_things[0].committed_days"]
    assert m.Procedure.objects.get(code="amr-licence").committed_days == 1  # nothing written
    assert m.OneThing.objects.get(code="business-startup").versions.count() == 1


@pytest.mark.django_db
def test_a_changed_procedure_republishes_a_one_thing_the_document_does_not_contain():
    import_catalog(example_document())
    doc = example_document()
    del doc["one_things"]
    doc["fields"][0]["max_length"] = 120  # company_name, used by every procedure

    result = import_catalog(doc)

    assert [(v.one_thing.code, v.number) for v in result.published] == [("business-startup", 2)]
    fields = m.OneThing.objects.get(code="business-startup").current_version.definition["fields"]
    assert next(f for f in fields if f["code"] == "company_name")["max_length"] == 120


@pytest.mark.django_db
def test_a_changed_guide_field_republishes_the_one_thing_asking_it():
    import_catalog(example_document())
    doc = example_document()
    del doc["one_things"]
    doc["fields"][1]["label"]["zh-hans"] = "是否招用员工？"
    result = import_catalog(doc)
    assert [v.one_thing.code for v in result.published] == ["business-startup"]


@pytest.mark.django_db
def test_an_unpublished_one_thing_outside_the_document_stays_an_unpublished_draft():
    import_catalog(example_document())
    startup = m.OneThing.objects.get(code="business-startup")
    unpublish_one_thing(one_thing=startup)
    doc = example_document()
    del doc["one_things"]
    doc["procedures"][0]["committed_days"] = 2
    result = import_catalog(doc)
    assert result.published == []
    startup.refresh_from_db()
    assert not startup.is_published
    assert startup.versions.count() == 1


@pytest.mark.django_db
def test_an_import_that_would_break_a_one_thing_outside_the_document_is_refused():
    import_catalog(example_document())
    before = row_counts()
    doc = example_document()
    del doc["one_things"]
    # The licence no longer issues uscc; tax and social insurance (not in the file) need it.
    doc["procedures"] = doc["procedures"][:1]
    doc["procedures"][0]["outputs"] = []
    with pytest.raises(CatalogValidationError) as caught:
        import_catalog(doc)
    assert any("'business-startup' would become invalid" in e.message for e in caught.value.errors)
    assert row_counts() == before


NEVER = "its condition ('when') is never true, so it never applies"
AFTER_HOUSEHOLD = "it comes after 'psb-household-registration', which never applies, so it can never start"


@pytest.mark.django_db
@pytest.mark.parametrize("first", [False, True], ids=["into-an-empty-catalog", "over-the-published-demo"])
def test_an_import_with_a_step_that_never_applies_is_refused_and_changes_nothing(first):
    if first:
        import_catalog(demo_document())
    before = row_counts()
    doc = demo_document()
    doc["one_things"][0]["steps"][1]["when"] = "1 > 2"  # business-startup: psb-seal-filing

    with pytest.raises(CatalogValidationError) as caught:
        import_catalog(doc)

    assert [(e.path, e.message) for e in caught.value.errors] == [
        ("$.one_things[0].steps[1]", f"unreachable step: {NEVER}")]
    assert row_counts() == before


@pytest.mark.django_db
def test_an_import_with_a_step_whose_prerequisite_never_applies_is_refused_and_changes_nothing():
    import_catalog(demo_document())
    before = row_counts()
    doc = demo_document()
    doc["one_things"][1]["steps"][1]["when"] = "false"  # newborn: the household registration
    doc["procedures"][0]["committed_days"] = 1  # and a change that alone would publish

    with pytest.raises(CatalogValidationError) as caught:
        import_catalog(doc)

    assert [(e.path, e.message) for e in caught.value.errors] == [
        ("$.one_things[1].steps[1]", f"unreachable step: {NEVER}"),
        ("$.one_things[1].steps[2]", f"unreachable step: {AFTER_HOUSEHOLD}"),
        ("$.one_things[1].steps[3]", f"unreachable step: {AFTER_HOUSEHOLD}"),
    ]
    assert row_counts() == before


@pytest.mark.django_db
def test_it_updates_an_existing_department_and_keeps_its_webhook():
    m.Department.objects.create(code="amr", name={"en": "Old name"}, webhook_url="https://amr.example/hook",
                                webhook_secret="s3cret")
    import_catalog(example_document())
    amr = m.Department.objects.get(code="amr")
    assert m.Department.objects.filter(code="amr").count() == 1
    assert amr.name["en"] == "Administration for Market Regulation"
    assert (amr.webhook_url, amr.webhook_secret) == ("https://amr.example/hook", "s3cret")


@pytest.mark.django_db
def test_outputs_removed_from_a_procedure_are_deleted():
    import_catalog(demo_document())
    doc = demo_document()
    seal = next(p for p in doc["procedures"] if p["code"] == "psb-seal-filing")
    seal["outputs"] = []
    result = import_catalog(doc)
    assert result.deleted["outputs"] == 1
    assert not m.Output.objects.filter(code="seal_filing_no").exists()
    assert [v.one_thing.code for v in result.published] == ["business-startup"]


@pytest.mark.django_db
def test_an_output_can_move_between_procedures_of_the_document():
    import_catalog(example_document())
    doc = example_document()
    doc["procedures"][0]["outputs"].append({"code": "tax_no", "label": {"en": "Tax number"}, "type": "string"})
    import_catalog(doc)
    doc["procedures"][0]["outputs"].pop()
    doc["procedures"][1]["outputs"].append({"code": "tax_no", "label": {"en": "Tax number"}, "type": "string"})
    import_catalog(doc)
    assert m.Output.objects.get(code="tax_no").procedure.code == "tax-registration"


@pytest.mark.django_db
def test_it_refuses_to_take_an_output_from_a_procedure_the_document_does_not_define():
    dept = m.Department.objects.create(code="other", name={"en": "Other"})
    other = m.Procedure.objects.create(code="other-proc", department=dept, name={"en": "Other"},
                                       statutory_days=1, committed_days=1)
    m.Output.objects.create(procedure=other, code="uscc", label={"en": "USCC"})
    with pytest.raises(CatalogValidationError) as caught:
        import_catalog(example_document())
    assert [e.path for e in caught.value.errors] == ["$.procedures[0].outputs[0].code"]
    assert "'other-proc'" in caught.value.errors[0].message


@pytest.mark.django_db
def test_steps_and_procedure_fields_follow_the_document_order():
    import_catalog(example_document())
    doc = example_document()
    doc["procedures"][0]["fields"].reverse()
    doc["one_things"][0]["steps"][1:] = reversed(doc["one_things"][0]["steps"][1:])
    result = import_catalog(doc)
    assert len(result.published) == 1
    licence = m.Procedure.objects.get(code="amr-licence")
    assert [pf.field.code for pf in licence.procedure_fields.all()] == ["legal_rep_id", "company_name"]
    startup = m.OneThing.objects.get(code="business-startup")
    assert [s.procedure.code for s in startup.steps.all()] == [
        "amr-licence", "hrss-employer-insurance", "tax-registration"]


# =============================================================================================
# Export
# =============================================================================================


def _normalised(doc: dict) -> dict:
    """The demo as the exporter writes it: definitions by code, empty ``after`` omitted."""
    doc = copy.deepcopy(doc)
    for section in ("departments", "fields", "materials", "procedures", "one_things"):
        doc[section].sort(key=lambda item: item["code"])
    for one_thing in doc["one_things"]:
        for step in one_thing["steps"]:
            if not step.get("after"):
                step.pop("after", None)
    return doc


@pytest.mark.django_db
def test_exporting_the_imported_demo_gives_the_demo_back():
    import_catalog(demo_document())
    assert export_catalog() == _normalised(DEMO)


@pytest.mark.django_db
def test_export_then_import_on_an_empty_database_then_export_is_identical():
    import_catalog(demo_document())
    first = json.dumps(export_catalog(), ensure_ascii=False, indent=2)
    wipe_catalog()
    assert sum(row_counts().values()) == 0
    import_catalog(json.loads(first))
    second = json.dumps(export_catalog(), ensure_ascii=False, indent=2)
    assert second == first


@pytest.mark.django_db
def test_exporting_one_thing_includes_only_what_it_references():
    import_catalog(demo_document())
    doc = export_catalog("newborn")
    assert [o["code"] for o in doc["one_things"]] == ["newborn"]
    assert {d["code"] for d in doc["departments"]} == {"health", "psb", "mi", "hrss"}
    assert {p["code"] for p in doc["procedures"]} == {
        "health-birth-certificate", "psb-household-registration", "mi-newborn-insurance",
        "hrss-social-security-card"}
    assert "company_name" not in {f["code"] for f in doc["fields"]}
    assert validate_document(doc) == []


@pytest.mark.django_db
def test_exporting_one_thing_includes_its_guide_fields():
    import_catalog(example_document())
    doc = export_catalog("business-startup")
    assert "has_employees" in {f["code"] for f in doc["fields"]}
    assert "industry" not in {f["code"] for f in doc["fields"]}


@pytest.mark.django_db
def test_exporting_an_unknown_one_thing_raises_does_not_exist():
    with pytest.raises(m.OneThing.DoesNotExist):
        export_catalog("no-such-thing")


@pytest.mark.django_db
def test_export_runs_a_constant_number_of_queries(django_assert_max_num_queries):
    import_catalog(demo_document())
    with django_assert_max_num_queries(12):  # the ten lists and their prefetches, then divisions and offices
        export_catalog()
    with django_assert_max_num_queries(11):  # a snapshot carries its one thing's divisions, not the offices
        export_catalog("business-startup")


# =============================================================================================
# Publishing
# =============================================================================================


def test_the_digest_ignores_key_order_and_sees_content():
    assert snapshot_digest({"a": 1, "b": [1, "开"]}) == snapshot_digest({"b": [1, "开"], "a": 1})
    assert snapshot_digest({"a": 1}) != snapshot_digest({"a": 2})
    assert len(snapshot_digest({})) == 64


@pytest.mark.django_db
def test_publishing_an_unchanged_draft_creates_no_version_but_keeps_it_published():
    import_catalog(example_document())
    startup = m.OneThing.objects.get(code="business-startup")
    unpublish_one_thing(one_thing=startup)
    startup.refresh_from_db()
    assert not startup.is_published
    assert publish_one_thing(one_thing=startup) is None
    startup.refresh_from_db()
    assert startup.is_published
    assert startup.versions.count() == 1


@pytest.mark.django_db
def test_publishing_a_changed_draft_numbers_versions_consecutively(django_user_model):
    import_catalog(example_document())
    admin = django_user_model.objects.create_user(username="admin-alice", password="x")
    startup = m.OneThing.objects.get(code="business-startup")
    m.OneThing.objects.filter(pk=startup.pk).update(committed_days=2)
    version = publish_one_thing(one_thing=startup, user=admin)
    assert version.number == 2
    assert version.published_by == admin
    assert version.definition["one_things"][0]["committed_days"] == 2
    assert startup.current_version == version
    assert startup.versions.get(number=1).definition["one_things"][0]["committed_days"] == 3


@pytest.mark.django_db
def test_publishing_an_invalid_draft_raises_and_writes_nothing():
    import_catalog(example_document())
    startup = m.OneThing.objects.get(code="business-startup")
    m.Step.objects.filter(one_thing=startup, procedure__code="amr-licence").update(after=["tax-registration"])
    with pytest.raises(CatalogValidationError) as caught:
        publish_one_thing(one_thing=startup)
    assert any("cycle" in e.message for e in caught.value.errors)
    assert startup.versions.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_publishes_of_one_draft_create_exactly_one_version():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (row locks)")
    import_catalog(example_document())
    startup = m.OneThing.objects.get(code="business-startup")
    m.OneThing.objects.filter(pk=startup.pk).update(committed_days=2)
    outcomes = run_together([lambda: publish_one_thing(one_thing=m.OneThing.objects.get(pk=startup.pk))] * 2)
    assert sorted(type(o).__name__ for o in outcomes) == ["NoneType", "OneThingVersion"]
    assert list(startup.versions.values_list("number", flat=True)) == [2, 1]


# =============================================================================================
# File types: jpg is jpeg
# =============================================================================================


def test_jpg_is_accepted_as_jpeg_and_a_second_spelling_is_a_duplicate():
    doc = example_document()
    doc["materials"][0]["accepted_types"] = ["pdf", "jpg"]
    assert validate_document(doc) == []
    doc["materials"][0]["accepted_types"] = ["jpeg", "jpg"]
    assert error_at(doc, "$.materials[0].accepted_types[1]") == "duplicate file type 'jpg' (the same as 'jpeg')"
    doc["materials"][0]["accepted_types"] = ["gif"]
    assert "expected one of pdf, png, jpeg (or jpg for jpeg)" in error_at(doc, "$.materials[0].accepted_types[0]")


@pytest.mark.django_db
def test_an_imported_jpg_is_stored_and_exported_as_jpeg_and_importing_it_again_changes_nothing(citizen_alice):
    from govflow.applications.services.drafting import application_create
    from govflow.applications.services.uploading import document_upload

    doc = example_document()
    doc["materials"][0]["accepted_types"] = ["jpg", "pdf"]
    import_catalog(doc)

    assert m.Material.objects.get(code="articles").accepted_types == ["jpeg", "pdf"]
    assert export_catalog()["materials"][0]["accepted_types"] == ["jpeg", "pdf"]
    startup = m.OneThing.objects.get(code="business-startup")
    assert startup.current_version.definition["materials"][0]["accepted_types"] == ["jpeg", "pdf"]
    again = import_catalog(doc)
    assert not again.changed
    # A .jpg photo is accepted for the material.
    app = application_create(user=citizen_alice, one_thing_code="business-startup")
    photo = io.BytesIO(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64)
    assert document_upload(application=app, user=citizen_alice, material_code="articles", file=photo,
                           filename="scan.jpg").content_type == "image/jpeg"


def test_each_demo_one_thing_keeps_the_demo_contract():
    """docs/demo.md: at least 8 form fields of several types, materials shared between procedures,
    every procedure's committed days shorter than the statutory ones."""
    doc = demo_document()
    field_types = {f["code"]: f["type"] for f in doc["fields"]}
    procedures = {p["code"]: p for p in doc["procedures"]}
    for one_thing in doc["one_things"]:
        used = [procedures[step["procedure"]] for step in one_thing["steps"]]
        fields = {f["field"] for p in used for f in p["fields"]} | set(one_thing.get("guide", []))
        assert len(fields) >= 8 and len({field_types[code] for code in fields}) >= 5, one_thing["code"]
        materials = [m["material"] for p in used for m in p["materials"]]
        assert len(materials) > len(set(materials)), one_thing["code"]
        assert all(p["committed_days"] < p["statutory_days"] for p in used), one_thing["code"]
