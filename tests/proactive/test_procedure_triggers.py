"""Triggers on a procedure (docs/proactive.md, "A procedure's triggers"): they act through each
published one thing made of that procedure alone; the catalog format, its validation, the round
trip and the admin."""
from __future__ import annotations

import copy

import pytest
from django.test import Client
from django.utils import translation

from govflow.applications import eligibility, proactive
from govflow.applications.models import CaseStatus, Offer, OfferMode, OfferState, Origin
from govflow.catalog import models as m
from govflow.catalog.io import CatalogValidationError, export_catalog, validate_document
from govflow.catalog.services import build_snapshot, import_catalog
from govflow.catalog.triggers import stored_trigger_errors

from ..catalog.test_io import example_document, wipe_catalog
from ..factories import CitizenFactory, UserFactory
from ..stories import case_of
from .story import GRANT_ON_CITIZEN_ID, load_document, proactive_document, registered

pytestmark = pytest.mark.django_db

GRANTED = "mi-newborn-insurance-granted"


def _procedure(doc: dict, code: str) -> dict:
    return next(p for p in doc["procedures"] if p["code"] == code)


def _on_the_procedure(triggers: list, **kwargs) -> dict:
    """The proactive demo with its trigger moved from the one thing to its only procedure."""
    doc = proactive_document(triggers=[], **kwargs)
    _procedure(doc, GRANTED)["triggers"] = triggers
    return doc


def test_every_problem_of_a_procedures_triggers_is_reported_at_once():
    doc = example_document()
    _procedure(doc, "amr-licence")["triggers"] = [
        {"on": "output:nope", "mode": "offer"},                        # unknown output
        {"on": "import:startups", "mode": "grant"},                    # no automatic checker
        {"on": "import:startups", "mode": "offer"},                    # the same event twice
        {"on": "import:other", "mode": "offer", "expires_days": 0},    # not a number of days
        {"on": "import:x", "when": "company_name == ''", "mode": "offer"},  # a name it may not use
    ]
    with translation.override("en"):
        errors = {e.path: e.message for e in validate_document(doc)}
    at = "$.procedures[0].triggers"
    assert set(errors) == {f"{at}[0].on", f"{at}[1].mode", f"{at}[2].on", f"{at}[3].expires_days", f"{at}[4].when"}
    assert "unknown output 'nope'" in errors[f"{at}[0].on"]
    assert "automatic checker" in errors[f"{at}[1].mode"]
    with pytest.raises(CatalogValidationError):
        import_catalog(doc)
    assert not m.Procedure.objects.exists()


def test_a_procedures_triggers_round_trip_in_a_whole_export_and_stay_out_of_versions():
    doc = example_document()
    triggers = [{"on": "import:startups", "when": "event.data.county == '330106'", "mode": "offer",
                 "expires_days": 14}]
    _procedure(doc, "amr-licence")["triggers"] = triggers
    import_catalog(doc)
    assert m.Procedure.objects.get(code="amr-licence").triggers == triggers
    first = export_catalog()
    assert _procedure(first, "amr-licence")["triggers"] == triggers
    one_thing = m.OneThing.objects.get(code="business-startup")
    assert "triggers" not in _procedure(one_thing.current_version.definition, "amr-licence")
    assert "triggers" not in _procedure(build_snapshot(one_thing), "amr-licence")
    wipe_catalog()
    import_catalog(first)
    assert export_catalog() == first
    # Changing only a trigger publishes no new version.
    changed = copy.deepcopy(first)
    _procedure(changed, "amr-licence")["triggers"] = []
    import_catalog(changed)
    assert m.OneThingVersion.objects.filter(one_thing__code="business-startup").count() == 1


def test_a_procedures_trigger_grants_the_one_thing_made_of_it_alone(citizen_alice, django_capture_on_commit_callbacks):
    clerks = load_document(_on_the_procedure([GRANT_ON_CITIZEN_ID], newborn_without_insurance=True))
    registered(citizen_alice, clerks, django_capture_on_commit_callbacks)

    offer = Offer.objects.get()
    assert (offer.one_thing.code, offer.mode, offer.state, offer.event_source) == (
        "newborn-insurance", OfferMode.GRANT, OfferState.ACCEPTED, "output:citizen_id")
    assert offer.application.origin == Origin.GRANT
    assert case_of(offer.application, GRANTED).status == CaseStatus.APPROVED


def test_a_one_thing_with_more_steps_is_not_triggered_by_one_of_its_procedures():
    doc = proactive_document(triggers=[])
    _procedure(doc, "health-birth-certificate")["triggers"] = [{"on": "import:births", "mode": "offer"}]
    load_document(doc)
    assert proactive.listening("import", "births") == []  # newborn has four steps
    _procedure(doc, GRANTED)["triggers"] = [{"on": "import:births", "mode": "offer"}]
    import_catalog(doc)
    assert [(o.code, t.on) for o, t in proactive.listening("import", "births")] == [
        ("newborn-insurance", "import:births")]
    # The one thing's own trigger on the same event comes first: one offer per event, not two.
    m.OneThing.objects.filter(code="newborn-insurance").update(
        triggers=[{"on": "import:births", "mode": "offer", "expires_days": 3}])
    found = proactive.listening("import", "births")
    assert len(found) == 1 and found[0][1].expires_days == 3
    person = CitizenFactory()
    report = eligibility.import_eligibility("births", [{"event_id": "b1", "id_number": person.id_number}])
    assert report.created == 1 and Offer.objects.get().one_thing.code == "newborn-insurance"


def test_the_admin_checks_a_procedures_triggers_against_its_checker():
    load_document(proactive_document(triggers=[]))
    with translation.override("en"):
        assert stored_trigger_errors([{"on": "output:citizen_id", "mode": "grant"}], procedure_automatic="") == [
            "1: 'grant' needs the procedure's automatic checker; it has none"]
        assert stored_trigger_errors([{"on": "output:citizen_id", "mode": "grant"}],
                                     procedure_automatic="x.y") == []
        assert "unknown members: extra" in stored_trigger_errors(
            [{"on": "import:x", "mode": "offer", "extra": 1}], procedure_automatic="")[0]
    admin = UserFactory(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin)
    procedure = m.Procedure.objects.get(code="health-birth-certificate")
    page = client.get(f"/admin/catalog/procedure/{procedure.pk}/change/")
    assert page.status_code == 200 and 'name="triggers"' in page.content.decode()
