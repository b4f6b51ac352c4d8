"""容缺受理 in the catalog: deferrable materials and a procedure's deferral policy — format,
validation, import/export, the published version, the admin and the service guide."""
from __future__ import annotations

import copy

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import translation

from govflow.catalog import models as m
from govflow.catalog.definition import Definition, get_definition
from govflow.catalog.io import export_catalog, validate_document
from govflow.catalog.services import import_catalog

from ..catalog.test_io import demo_document, example_document, wipe_catalog


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _deferring(doc: dict, *, days: int = 5, **policy) -> dict:
    proc = doc["procedures"][0]
    proc["materials"][0]["deferrable"] = {"days": days}
    if policy:
        proc["deferral"] = policy
    return doc


def _paths(doc) -> dict[str, str]:
    return {e.path: e.message for e in validate_document(doc)}


def test_a_valid_deferrable_material_and_policy_pass():
    doc = _deferring(example_document(), conditional_approval=True, on_missed="revoke", clock="paused")
    assert validate_document(doc) == []


def test_every_deferral_mistake_is_reported_at_once_with_its_path():
    doc = example_document()
    proc = doc["procedures"][0]
    proc["materials"] = [{"material": "articles", "required": False, "deferrable": {"days": 0}}]
    proc["deferral"] = {"on_missed": "revoke", "clock": "sometimes"}
    doc["procedures"][1]["materials"] = [{"material": "articles", "required": False, "deferrable": {"days": 3}}]
    errors = _paths(doc)

    assert "$.procedures[0].materials[0].deferrable.days" in errors  # below 1
    assert "$.procedures[0].deferral.clock" in errors  # not paused/running
    assert "only a required material" in errors["$.procedures[1].materials[0].deferrable"]
    assert "conditional_approval" in errors["$.procedures[0].deferral.on_missed"]


def test_unknown_deferral_keys_are_refused():
    doc = _deferring(example_document(), conditional_approval=True, grace="3 days")
    assert any("grace" in f"{e.path} {e.message}" for e in validate_document(doc)), validate_document(doc)


@pytest.mark.django_db
def test_import_stores_the_days_and_policy_and_export_gives_them_back():
    doc = _deferring(example_document(), days=7, conditional_approval=True, on_missed="revoke", clock="paused")
    import_catalog(doc)

    pm = m.ProcedureMaterial.objects.get(procedure__code="amr-licence", material__code="articles")
    assert pm.deferrable_days == 7
    proc = m.Procedure.objects.get(code="amr-licence")
    assert (proc.deferral_conditional_approval, proc.deferral_on_missed, proc.deferral_clock) == (
        True, "revoke", "paused")
    out = {p["code"]: p for p in export_catalog()["procedures"]}
    assert out["amr-licence"]["materials"] == [{"material": "articles", "required": True, "deferrable": {"days": 7}}]
    assert out["amr-licence"]["deferral"] == {"conditional_approval": True, "on_missed": "revoke", "clock": "paused"}
    # A procedure that defers nothing and keeps the defaults says nothing (older digests stay the same).
    assert "deferral" not in out["tax-registration"]


@pytest.mark.django_db
def test_a_deferrable_material_exports_the_default_policy_in_full():
    import_catalog(_deferring(example_document()))
    out = {p["code"]: p for p in export_catalog()["procedures"]}
    assert out["amr-licence"]["deferral"] == {"conditional_approval": False, "on_missed": "reject",
                                              "clock": "running"}


@pytest.mark.django_db
def test_reimporting_without_deferrable_clears_it():
    import_catalog(_deferring(example_document(), conditional_approval=True))
    import_catalog(example_document())
    assert m.ProcedureMaterial.objects.get(procedure__code="amr-licence").deferrable_days is None
    assert m.Procedure.objects.get(code="amr-licence").deferral_conditional_approval is False


@pytest.mark.django_db
def test_demo_round_trip_keeps_the_newborn_delivery_record_deferrable():
    import_catalog(demo_document())
    first = export_catalog()
    wipe_catalog()
    import_catalog(copy.deepcopy(first))
    assert export_catalog() == first
    birth = next(p for p in first["procedures"] if p["code"] == "health-birth-certificate")
    assert {"material": "delivery_record", "required": True, "deferrable": {"days": 5}} in birth["materials"]
    assert birth["deferral"]["conditional_approval"] is True


@pytest.mark.django_db
def test_the_published_version_reads_deferrable_materials_and_the_policy(demo_catalog):
    definition = get_definition(m.OneThing.objects.get(code="newborn").current_version)
    assert definition.deferrable_days("health-birth-certificate") == {"delivery_record": 5}
    assert definition.deferrable_materials(["health-birth-certificate"]) == {"delivery_record": 5}
    assert definition.deferral("health-birth-certificate") == {
        "conditional_approval": True, "on_missed": "revoke", "clock": "running"}
    # A procedure without a policy reads the defaults.
    other = next(c for c in definition.procedures if c != "health-birth-certificate")
    assert definition.deferral(other) == {"conditional_approval": False, "on_missed": "reject", "clock": "running"}


def test_a_material_two_procedures_require_follows_only_if_both_let_it_by_the_shorter_deadline():
    doc = example_document()
    doc["procedures"][1]["materials"] = [{"material": "articles", "required": True, "deferrable": {"days": 3}}]
    doc["procedures"][0]["materials"][0]["deferrable"] = {"days": 8}
    assert _definition_of(doc).deferrable_materials(["amr-licence", "tax-registration"]) == {"articles": 3}
    doc["procedures"][1]["materials"][0].pop("deferrable")
    assert _definition_of(doc).deferrable_materials(["amr-licence", "tax-registration"]) == {}
    assert _definition_of(doc).deferrable_materials(["amr-licence"]) == {"articles": 8}


def _definition_of(doc: dict) -> Definition:
    return Definition(doc)


@pytest.mark.django_db
def test_admin_refuses_revoke_without_conditional_approval_and_an_optional_deferrable_material(demo_catalog):
    proc = m.Procedure.objects.get(code="health-birth-certificate")
    proc.deferral_conditional_approval = False
    with pytest.raises(ValidationError) as exc:
        proc.full_clean()
    assert "deferral_on_missed" in exc.value.message_dict
    pm = m.ProcedureMaterial.objects.get(procedure=proc, material__code="father_id_card")
    pm.deferrable_days = 3
    with pytest.raises(ValidationError) as exc:
        pm.full_clean()
    assert "deferrable_days" in exc.value.message_dict


@pytest.mark.django_db
def test_the_admin_procedure_page_shows_the_deferral_policy_and_the_inline_days(demo_catalog, admin_client):
    proc = m.Procedure.objects.get(code="health-birth-certificate")
    body = admin_client.get(reverse("admin:catalog_procedure_change", args=[proc.pk]),
                            HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'name="deferral_on_missed"' in body and 'name="deferral_clock"' in body
    assert 'name="deferral_conditional_approval"' in body
    assert "deferrable_days" in body


@pytest.mark.django_db
def test_the_service_guide_states_the_scope_of_deferral(demo_catalog):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    body = client.get(reverse("one-thing-guide", args=["newborn"])).content.decode()
    assert "Applying with a material to follow" in body
    assert "within 5 working days of submitting" in body
    assert "Meanwhile the department may approve conditionally." in body
    assert "Not available to applicants on the refusal list" in body
    # A one thing with no deferrable material says so: the scope is always stated.
    body = client.get(reverse("one-thing-guide", args=["business-startup"])).content.decode()
    assert "none of them may follow afterwards" in body
