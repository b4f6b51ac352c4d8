"""The designer's checks, critical path, diff and diagram (pure functions of snapshot documents)."""
from __future__ import annotations

import copy
import re

import pytest
from django.utils import translation

from govflow.catalog import design, diff, services
from govflow.catalog.io import CatalogValidationError
from govflow.catalog.models import OneThing, OneThingVersion, Step
from govflow.catalog.services import build_snapshot
from govflow.designer.diagram import layout, step_diagram

from ..conftest import load_demo_document


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def snapshot(code: str) -> dict:
    """A one-thing document as a version stores it, straight from the demo file (no database)."""
    doc = load_demo_document()
    one_thing = next(o for o in doc["one_things"] if o["code"] == code)
    procedures = [p for p in doc["procedures"] if p["code"] in {s["procedure"] for s in one_thing["steps"]}]
    fields = {f["field"] for p in procedures for f in p["fields"]} | set(one_thing["guide"])
    return {
        "format": doc["format"],
        "departments": [d for d in doc["departments"] if d["code"] in {p["department"] for p in procedures}],
        "fields": [f for f in doc["fields"] if f["code"] in fields],
        "materials": [m for m in doc["materials"]
                      if m["code"] in {x["material"] for p in procedures for x in p["materials"]}],
        "procedures": procedures,
        "one_things": [one_thing],
    }


def steps_of(doc: dict) -> dict[str, dict]:
    return {s["procedure"]: s for s in doc["one_things"][0]["steps"]}


def test_the_critical_path_is_the_longest_chain_of_committed_days():
    assert design.critical_path(snapshot("business-startup")) == (3, ["amr-licence", "hpf-employer-account"])
    assert design.critical_path(snapshot("newborn")) == (
        5, ["health-birth-certificate", "psb-household-registration", "hrss-social-security-card"])
    assert design.critical_path({"one_things": [{"steps": []}]}) == (0, [])


def test_the_critical_path_survives_a_cycle():
    doc = snapshot("business-startup")
    steps_of(doc)["amr-licence"]["after"] = ["tax-registration"]
    days, chain = design.critical_path(doc)
    assert days > 0 and len(chain) == len(set(chain))


def test_layers_follow_the_dependency_depth():
    assert design.step_layers(snapshot("newborn")) == {
        "health-birth-certificate": 0, "psb-household-registration": 1, "mi-newborn-insurance": 2,
        "hrss-social-security-card": 2}


def test_the_demo_one_things_pass_every_check():
    for code in ("business-startup", "newborn"):
        report = design.check_document(snapshot(code))
        assert report.ok, report.errors


def test_a_step_whose_condition_is_never_true_is_unreachable_and_so_are_the_steps_after_it():
    doc = snapshot("newborn")
    steps_of(doc)["psb-household-registration"]["when"] = "1 > 2"

    report = design.check_document(doc)

    unreachable = [p for p in report.errors if "unreachable step" in p.message]
    assert {p.code for p in unreachable} == {"psb-household-registration", "mi-newborn-insurance",
                                             "hrss-social-security-card"}
    assert all(p.target == "step" for p in unreachable)


def test_a_condition_that_names_an_unknown_field_is_located_at_its_step():
    doc = snapshot("business-startup")
    steps_of(doc)["tax-registration"]["when"] = "turnover > 5"

    report = design.check_document(doc)

    assert len(report.errors) == 1
    problem = report.errors[0]
    assert (problem.target, problem.code, problem.attribute) == ("step", "tax-registration", "when")
    assert problem.path == "$.one_things[0].steps[2].when"


def test_no_step_at_all_is_an_error():
    doc = snapshot("business-startup")
    doc["one_things"][0]["steps"] = []
    assert any("at least one step" in p.message for p in design.check_document(doc).errors)


def test_errors_in_procedures_and_fields_are_located_there():
    doc = snapshot("business-startup")
    doc["procedures"][0]["outputs"][0]["pattern"] = "("
    doc["fields"][1]["label"] = {"zh-hans": "无英文"}

    located = {(p.target, p.code, p.attribute) for p in design.check_document(doc).errors}

    assert ("procedure", doc["procedures"][0]["code"], "outputs") in located
    assert ("field", doc["fields"][1]["code"], "label") in located


def test_a_commitment_below_the_critical_path_is_an_error_located_at_the_commitment():
    doc = snapshot("business-startup")
    doc["one_things"][0]["committed_days"] = 2

    report = design.check_document(doc)

    assert not report.ok
    [problem] = [p for p in report.errors if p.attribute == "committed_days"]
    assert (problem.target, problem.code) == ("one_thing", "business-startup")
    assert "commits to 2 working days" in problem.message and "takes 3 working days" in problem.message
    assert "commits to" not in " ".join(p.message for p in report.warnings)
    assert [str(e) for e in design.publish_errors(doc)] == [str(problem)]
    doc["one_things"][0]["committed_days"] = 3  # equal to the critical path: fine
    assert design.check_document(doc).ok


def test_every_one_thing_of_an_imported_document_is_held_to_its_critical_path():
    doc = snapshot("business-startup")
    second = copy.deepcopy(doc["one_things"][0])
    second["code"] = "business-startup-fast"
    second["committed_days"] = 1
    doc["one_things"].append(second)

    paths = [e.path for e in design.publish_errors(doc)]

    assert paths == ["$.one_things[1].committed_days"]


def test_it_warns_about_guides_that_decide_nothing():
    doc = snapshot("business-startup")
    doc["one_things"][0]["guide"] = ["has_employees", "company_name"]
    steps_of(doc)["tax-registration"]["when"] = "invoice_needed"

    report = design.check_document(doc)

    assert report.ok
    messages = " ".join(p.message for p in report.warnings)
    assert "The guide asks company_name first, but no step's condition uses it." in messages
    assert "uses invoice_needed, which the guide does not ask first" in messages


def test_the_diff_says_what_changed_in_words():
    old = snapshot("business-startup")
    new = copy.deepcopy(old)
    new["one_things"][0]["committed_days"] = 2
    new["one_things"][0]["steps"] = [s for s in new["one_things"][0]["steps"] if s["procedure"] != "psb-seal-filing"]
    steps_of(new)["tax-registration"]["when"] = "invoice_needed"
    procedure = next(p for p in new["procedures"] if p["code"] == "amr-licence")
    procedure["fields"] = [f for f in procedure["fields"] if f["field"] != "contact_email"]
    procedure["materials"][-1]["required"] = True
    procedure["outputs"][0]["pattern"] = "^[0-9A-Z]{18}$"

    changes = {(c.kind, c.subject, c.text) for c in diff.diff_documents(old, new)}

    # Things by their labels and keys by the designer's words, never a bare code or key (issue 17)
    assert ("changed", "One thing", "committed working days: 3 → 2") in changes
    assert ("removed", "Step Official seal engraving and filing", "removed") in changes
    assert ("changed", "Step Tax registration information confirmation", "when: (always) → invoice_needed") in changes
    assert ("removed", "Procedure Business licence registration", "fields: removed Contact email") in changes
    assert ("changed", "Procedure Business licence registration",
            "materials: Power of attorney for an agent is now required") in changes
    assert any(subject == "Output Unified social credit code" and text.startswith("format (pattern):")
               for _k, subject, text in changes)
    assert diff.diff_documents(old, copy.deepcopy(old)) == []
    assert {c.text for c in diff.diff_documents(None, old) if c.subject.startswith("Step")} == {"added"}


def test_the_diff_says_when_what_people_see_of_the_catalog_changed():
    old = snapshot("business-startup")
    new = copy.deepcopy(old)
    new["one_things"][0]["keywords"] = {"en": ["open a company"]}
    licence = next(p for p in new["procedures"] if p["code"] == "amr-licence")
    licence["fees"] = {"en": "CNY 10."}
    licence["outputs"][0]["example"] = "91330102MA2K11110C"
    next(f for f in new["fields"] if f["code"] == "company_name")["hint"] = {"en": "The full name."}

    with translation.override("en"):  # things by their names, as the administrator reads them
        changes = {(c.subject, c.text.split(":")[0]) for c in diff.diff_documents(old, new)}

    assert {("One thing", "keywords"), ("Procedure Business licence registration", "fees"),
            ("Output Unified social credit code", "example"), ("Field Company name", "hint")} <= changes


def test_the_diagram_lays_out_steps_in_columns_by_depth():
    boxes = {b.code: b for b in layout(snapshot("newborn"))}
    assert boxes["health-birth-certificate"].x < boxes["psb-household-registration"].x < boxes["mi-newborn-insurance"].x
    assert boxes["mi-newborn-insurance"].x == boxes["hrss-social-security-card"].x
    assert boxes["mi-newborn-insurance"].y != boxes["hrss-social-security-card"].y
    assert boxes["hrss-social-security-card"].critical and not boxes["mi-newborn-insurance"].critical


def test_the_diagram_is_svg_with_departments_days_and_conditions():
    svg = str(step_diagram(snapshot("business-startup"), applicable=["amr-licence", "tax-registration"]))
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert svg.count('class="govflow-step"') == 5
    assert svg.count("marker-end=") == 4  # one arrow per prerequisite
    assert "1 working day" in svg and "2 working days" in svg
    assert "when has_employees" in svg  # the whole condition, in the step's tooltip
    assert "does not apply to these answers" in svg and 'stroke-dasharray="6 4"' in svg


def test_the_diagram_escapes_what_administrators_type():
    doc = snapshot("business-startup")
    doc["procedures"][0]["name"] = {"en": '<script>alert("x")</script> & co'}
    steps_of(doc)["tax-registration"]["when"] = 'company_name == "<b>"'
    svg = str(step_diagram(doc))
    assert "<script>" not in svg and "<b>" not in svg
    assert "&lt;script&gt;" in svg and "&amp; co" in svg


def test_long_names_are_cut_to_fit_their_box():
    doc = snapshot("business-startup")
    doc["procedures"][0]["name"] = {"en": "A very long procedure name " * 6}
    svg = str(step_diagram(doc))
    first = re.search(r'data-procedure="amr-licence">.*?</g>', svg).group(0)
    assert "…" in first


@pytest.mark.django_db
def test_publish_refuses_an_unreachable_step_and_writes_nothing(demo_catalog):
    one_thing = OneThing.objects.get(code="business-startup")
    Step.objects.filter(one_thing=one_thing, procedure__code="hpf-employer-account").update(when="false")

    with pytest.raises(CatalogValidationError) as caught:
        services.publish_and_check(one_thing=one_thing)

    assert any("unreachable step" in e.message for e in caught.value.errors)
    assert OneThingVersion.objects.filter(one_thing=one_thing).count() == 1


@pytest.mark.django_db
def test_publish_publishes_a_changed_draft_and_reports_it(demo_catalog):
    one_thing = OneThing.objects.get(code="business-startup")
    OneThing.objects.filter(pk=one_thing.pk).update(committed_days=4)
    one_thing.refresh_from_db()

    version, report = services.publish_and_check(one_thing=one_thing)

    assert version.number == 2 and report.ok
    assert version.definition == build_snapshot(one_thing)
    assert services.publish_and_check(one_thing=one_thing)[0] is None  # nothing changed since
