"""A procedure's ``physical_results`` in the catalog format: shape, semantic checks, export and
import, and what a compiled definition says about delivery methods."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from django.utils import translation

from govflow.catalog import models as m
from govflow.catalog.definition import Definition
from govflow.catalog.io import export_catalog, validate_document
from govflow.catalog.services import import_catalog

DEMO = json.loads((Path(__file__).resolve().parents[2] / "govflow" / "catalog" / "demo_catalog.json")
                  .read_text(encoding="utf-8"))
SEAL = {"code": "company-seals", "label": {"en": "Company seals", "zh-hans": "公司印章"}, "methods": ["pickup"]}


def with_results(procedure: str, results) -> dict:
    doc = copy.deepcopy(DEMO)
    next(p for p in doc["procedures"] if p["code"] == procedure)["physical_results"] = results
    return doc


def paths(doc: dict) -> dict[str, str]:
    return {e.path: e.message for e in validate_document(doc)}


def test_the_demo_licence_is_valid_and_the_shape_is_checked():
    assert validate_document(DEMO) == []
    index = next(i for i, p in enumerate(DEMO["procedures"]) if p["code"] == "psb-seal-filing")
    where = f"$.procedures[{index}].physical_results"
    assert paths(with_results("psb-seal-filing", [SEAL])) == {}
    for bad in ([{**SEAL, "methods": ["drone"]}], [{**SEAL, "methods": []}], [{"code": "x", "methods": ["post"]}],
                [{**SEAL, "colour": "red"}], "seal", [{**SEAL, "code": "Seal!"}]):
        found = paths(with_results("psb-seal-filing", bad))
        assert found and all(path.startswith(where) for path in found), (bad, found)


@pytest.fixture
def english():
    """The catalog's messages asserted in English (the site's default language is Chinese)."""
    with translation.override("en"):
        yield


@pytest.mark.usefixtures("english")
def test_a_code_twice_and_no_method_in_common_are_refused():
    found = paths(with_results("psb-seal-filing", [SEAL, {**SEAL, "methods": ["post"]}]))
    assert any("duplicate physical result 'company-seals'" in message for message in found.values())
    # business-startup: the seals only by pick-up, the licence only by post: one choice cannot serve both.
    doc = with_results("psb-seal-filing", [SEAL])
    next(p for p in doc["procedures"] if p["code"] == "amr-licence")["physical_results"] = [
        {"code": "licence", "label": {"en": "Business licence"}, "methods": ["post"]}]
    found = paths(doc)
    startup = next(i for i, o in enumerate(doc["one_things"]) if o["code"] == "business-startup")
    assert "no delivery method in common" in found[f"$.one_things[{startup}].steps"]


@pytest.mark.django_db
def test_import_and_export_keep_them_and_leave_other_procedures_as_they_were():
    import_catalog(with_results("psb-seal-filing", [SEAL]))
    assert m.Procedure.objects.get(code="psb-seal-filing").physical_results == [SEAL]
    assert m.Procedure.objects.get(code="tax-registration").physical_results == []
    exported = {p["code"]: p for p in export_catalog()["procedures"]}
    assert exported["psb-seal-filing"]["physical_results"] == [SEAL]
    assert "physical_results" not in exported["tax-registration"]  # absent when none: old digests unchanged
    snapshot = m.OneThing.objects.get(code="business-startup").current_version.definition
    definition = Definition(snapshot)
    assert definition.physical_procedures(["amr-licence", "psb-seal-filing"]) == ["psb-seal-filing"]
    assert definition.delivery_methods(["amr-licence", "psb-seal-filing"]) == ("pickup",)
    assert definition.delivery_methods(["amr-licence"]) == ()
