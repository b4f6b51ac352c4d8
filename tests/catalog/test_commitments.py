"""告知承诺制 in the catalog: a procedure's material entry may carry a ``commitment``; its shape
(every problem at once), import and export, the version snapshot the Definition reads, the admin's
validator, the deterministic verification draw and the service guide."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from govflow.catalog import models as m
from govflow.catalog.commitments import DEFAULT_REFUSAL_DAYS, commitment_errors, sampled
from govflow.catalog.definition import Definition
from govflow.catalog.io import export_catalog, validate_document
from govflow.catalog.models import validate_commitment
from govflow.catalog.services import import_catalog

DEMO = json.loads((Path(__file__).resolve().parents[2] / "govflow" / "catalog" / "demo_catalog.json")
                  .read_text(encoding="utf-8"))
GOOD = {"text": {"en": "I undertake that the premises are mine.", "zh-hans": "本人承诺住所真实。"},
        "verify_rate": 0.5, "verify_days": 10}


def _entry(doc: dict, procedure: str, material: str) -> tuple[int, int, dict]:
    i = next(i for i, p in enumerate(doc["procedures"]) if p["code"] == procedure)
    j = next(j for j, e in enumerate(doc["procedures"][i]["materials"]) if e["material"] == material)
    return i, j, doc["procedures"][i]["materials"][j]


def with_commitment(procedure: str, material: str, commitment) -> dict:
    doc = copy.deepcopy(DEMO)
    _entry(doc, procedure, material)[2]["commitment"] = commitment
    return doc


def test_the_demo_lets_a_commitment_replace_the_premises_proof():
    assert validate_document(DEMO) == []
    commitment = _entry(DEMO, "amr-licence", "premises_proof")[2]["commitment"]
    assert commitment["verify_rate"] == 0.2
    assert commitment["text"]["en"].strip() and commitment["text"]["zh-hans"].strip()


def test_every_problem_of_a_commitment_is_reported_at_once():
    bad = {"text": {"zh-hans": "只有中文"}, "verify_rate": 1.5, "verify_days": 0, "refusal_days": -3}
    i, j, _ = _entry(DEMO, "amr-licence", "premises_proof")
    found = {e.path for e in validate_document(with_commitment("amr-licence", "premises_proof", bad))}
    where = f"$.procedures[{i}].materials[{j}].commitment"
    assert {f"{where}.text.en", f"{where}.verify_rate", f"{where}.verify_days", f"{where}.refusal_days"} <= found
    assert all(path.startswith(where) for path in found), found
    # The same rule for the admin: every problem in one error.
    problems = commitment_errors(bad)
    assert len(problems) == 4
    with pytest.raises(ValidationError) as raised:
        validate_commitment(bad)
    assert len(raised.value.messages) == 4
    assert commitment_errors(GOOD) == [] and commitment_errors({}) == []
    assert commitment_errors({**GOOD, "verify_rate": True}) and commitment_errors({**GOOD, "colour": 1})
    assert commitment_errors({**GOOD, "verify_rate": 0}) == [] and commitment_errors({**GOOD, "verify_rate": 1}) == []
    missing = {e.path for e in validate_document(with_commitment("amr-licence", "premises_proof", {"text": GOOD["text"]}))}
    assert {f"{where}.verify_rate", f"{where}.verify_days"} <= missing


@pytest.mark.django_db
def test_import_export_round_trip_and_the_snapshot_the_definition_reads():
    doc = with_commitment("tax-registration", "premises_proof", GOOD)
    import_catalog(doc)
    row = m.ProcedureMaterial.objects.get(procedure__code="tax-registration", material__code="premises_proof")
    assert row.commitment == GOOD
    assert m.ProcedureMaterial.objects.get(procedure__code="amr-licence", material__code="premises_proof"
                                           ).commitment["verify_rate"] == 0.2
    exported = export_catalog()
    assert _entry(exported, "tax-registration", "premises_proof")[2]["commitment"] == GOOD
    others = [e for p in exported["procedures"] for e in p["materials"] if "commitment" in e]
    assert len(others) == 2  # absent where there is none: older snapshots keep their digest
    # export -> import -> export is the same document; importing it again changes nothing.
    again = import_catalog(exported)
    assert export_catalog() == exported
    assert not again.published
    # Removing the commitment is a change that publishes a new version.
    plain = copy.deepcopy(exported)
    del _entry(plain, "tax-registration", "premises_proof")[2]["commitment"]
    assert import_catalog(plain).published
    assert m.ProcedureMaterial.objects.get(procedure__code="tax-registration",
                                           material__code="premises_proof").commitment == {}
    definition = Definition(m.OneThing.objects.get(code="business-startup").current_version.definition)
    commitment = definition.commitment_of("amr-licence", "premises_proof")
    assert commitment["verify_rate"] == 0.2 and commitment["refusal_days"] == 365
    assert definition.commitment_of("tax-registration", "premises_proof") is None
    assert definition.commitment_of("amr-licence", "no-such-material") is None
    assert definition.committable_materials == {"premises_proof": ["amr-licence"]}
    assert definition.commitment_for("premises_proof")["verify_days"] == 20
    assert definition.commitment_for("premises_proof", ["tax-registration"]) is None


def test_a_missing_refusal_days_reads_as_the_default():
    doc = with_commitment("amr-licence", "premises_proof", GOOD)
    doc["one_things"] = [o for o in doc["one_things"] if o["code"] == "business-startup"]
    definition = Definition(doc)
    assert definition.commitment_of("amr-licence", "premises_proof") == {**GOOD, "verify_rate": 0.5,
                                                                         "refusal_days": DEFAULT_REFUSAL_DAYS}


def test_the_draw_is_deterministic_and_follows_the_rate():
    seeds = [f"case:{n}:premises_proof" for n in range(2000)]
    assert all(sampled(seed=s, rate=1) for s in seeds)
    assert not any(sampled(seed=s, rate=0) for s in seeds)
    drawn = [s for s in seeds if sampled(seed=s, rate=0.2)]
    assert 330 <= len(drawn) <= 470  # about one in five
    assert drawn == [s for s in seeds if sampled(seed=s, rate=0.2)]  # the same every time
    # A higher rate draws a superset: raising the rate never un-draws a case.
    assert set(drawn) <= {s for s in seeds if sampled(seed=s, rate=0.5)}


@pytest.mark.django_db
def test_the_service_guide_says_which_materials_a_commitment_may_replace(client):
    import_catalog(DEMO)
    with translation.override("en"):
        page = client.get("/one-things/business-startup/guide/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    html = page.content.decode()
    commitment = _entry(DEMO, "amr-licence", "premises_proof")[2]["commitment"]
    assert html.count("data-commitment") == 1
    assert commitment["text"]["en"][:60] in html
    assert "A signed commitment may replace this material." in html
    newborn = client.get("/one-things/newborn/guide/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "data-commitment" not in newborn
