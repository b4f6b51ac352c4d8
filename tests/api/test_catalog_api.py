"""The catalog over HTTP: published one things, in the request's language, from their snapshot."""
from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from jsonschema import Draft202012Validator

from govflow.catalog.models import OneThing
from govflow.catalog.services import import_catalog, unpublish_one_thing

from ..conftest import load_demo_document

pytestmark = pytest.mark.django_db

SUMMARY_KEYS = {"code", "name", "description", "version", "committed_days", "procedures"}
DETAIL_KEYS = SUMMARY_KEYS | {"form_schema", "guide", "materials", "steps", "savings"}


def get(api, path, language="en", **params):
    return api(None).get(path, params, HTTP_ACCEPT_LANGUAGE=language)


def demo_one_thing(code: str) -> tuple[dict, dict]:
    doc = load_demo_document()
    return doc, next(o for o in doc["one_things"] if o["code"] == code)


def test_anyone_can_list_the_published_one_things(api, demo_catalog):
    response = get(api, "/api/v1/one-things/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 3
    assert [o["code"] for o in body["results"]] == ["business-startup", "enterprise-change", "newborn"]
    startup = body["results"][0]
    assert set(startup) == SUMMARY_KEYS
    assert startup["name"] == "Start a business"
    assert startup["description"].startswith("Register a new enterprise")
    assert startup["version"] == 1 and startup["committed_days"] == 3
    assert startup["procedures"][0] == {
        "code": "amr-licence", "name": "Business licence registration",
        "department": {"code": "amr", "name": "Administration for Market Regulation"},
    }
    assert [p["code"] for p in startup["procedures"]] == [
        "amr-licence", "psb-seal-filing", "tax-registration", "hrss-employer-insurance", "hpf-employer-account"]


def test_names_follow_the_request_language(api, demo_catalog):
    zh = get(api, "/api/v1/one-things/", language="zh-hans").json()["results"][0]
    assert zh["name"] == "开办企业一件事"
    assert zh["description"].startswith("一次填报")
    doc, _ = demo_one_thing("business-startup")
    licence = next(p for p in doc["procedures"] if p["code"] == "amr-licence")
    assert zh["procedures"][0]["name"] == licence["name"]["zh-hans"]
    assert zh["procedures"][0]["department"]["name"] == "市场监督管理局"

    detail_zh = get(api, "/api/v1/one-things/business-startup/", language="zh-hans").json()
    detail_en = get(api, "/api/v1/one-things/business-startup/", language="en").json()
    assert detail_zh["form_schema"]["title"] == "开办企业一件事"
    assert detail_en["form_schema"]["title"] == "Start a business"
    assert detail_zh["form_schema"]["properties"]["company_name"]["title"] == "企业名称"
    assert detail_en["form_schema"]["properties"]["company_name"]["title"] != "企业名称"
    assert detail_zh["materials"][0]["name"] != detail_en["materials"][0]["name"]


def test_the_list_is_paginated(api, demo_catalog):
    body = get(api, "/api/v1/one-things/", page_size=1).json()
    assert body["count"] == 3 and len(body["results"]) == 1 and body["next"] and body["previous"] is None
    body = get(api, "/api/v1/one-things/", page_size=1, page=3).json()
    assert [o["code"] for o in body["results"]] == ["newborn"] and body["next"] is None


def test_unpublished_one_things_are_hidden(api, demo_catalog):
    unpublish_one_thing(one_thing=OneThing.objects.get(code="newborn"))
    body = get(api, "/api/v1/one-things/").json()
    assert [o["code"] for o in body["results"]] == ["business-startup", "enterprise-change"]
    assert get(api, "/api/v1/one-things/newborn/").status_code == 404


def test_a_one_thing_never_published_is_hidden(api, demo_catalog):
    OneThing.objects.filter(code="newborn").update(current_version=None)
    assert [o["code"] for o in get(api, "/api/v1/one-things/").json()["results"]] == [
        "business-startup", "enterprise-change"]
    assert get(api, "/api/v1/one-things/newborn/").status_code == 404


@pytest.mark.parametrize("code", ["no-such", "x" * 65, "%00", "开办企业", "business-startup%20", ".."])
def test_unknown_codes_are_404(api, demo_catalog, code):
    response = get(api, f"/api/v1/one-things/{code}/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")


def test_the_snapshot_is_shown_not_the_draft(api, demo_catalog):
    OneThing.objects.filter(code="newborn").update(name={"en": "Edited, not published"}, committed_days=9)
    newborn = get(api, "/api/v1/one-things/newborn/").json()
    assert newborn["name"] == "Welcome a newborn" and newborn["committed_days"] == 5


def test_the_detail_has_form_guide_materials_and_steps(api, demo_catalog):
    response = get(api, "/api/v1/one-things/business-startup/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == DETAIL_KEYS
    assert body["guide"] == ["has_employees"]
    assert body["steps"] == [
        {"procedure": "amr-licence", "after": [], "when": None},
        {"procedure": "psb-seal-filing", "after": ["amr-licence"], "when": None},
        {"procedure": "tax-registration", "after": ["amr-licence"], "when": None},
        {"procedure": "hrss-employer-insurance", "after": ["amr-licence"], "when": "has_employees"},
        {"procedure": "hpf-employer-account", "after": ["amr-licence"], "when": "has_employees"},
    ]
    materials = {m["code"]: m for m in body["materials"]}
    for material in materials.values():
        assert set(material) == {"code", "name", "required", "accepted_types", "max_size_mb", "procedures",
                                 "commitment"}  # commitment: 告知承诺制 (issue 18), null when none
    assert materials["legal_rep_id_card"]["procedures"] == [
        "amr-licence", "psb-seal-filing", "hrss-employer-insurance", "hpf-employer-account"]
    # Only conditional steps use the roster: not required whatever the answers.
    assert materials["employee_roster"]["required"] is False
    assert isinstance(materials["legal_rep_id_card"]["max_size_mb"], int)
    assert all(isinstance(t, str) for m in materials.values() for t in m["accepted_types"])


def test_the_form_schema_is_valid_json_schema_2020_12(api, demo_catalog):
    for code in ("business-startup", "newborn"):
        schema = get(api, f"/api/v1/one-things/{code}/").json()["form_schema"]
        Draft202012Validator.check_schema(schema)
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert schema["type"] == "object" and schema["properties"]
    startup = get(api, "/api/v1/one-things/business-startup/").json()
    assert list(startup["form_schema"]["properties"])[0] == "has_employees"  # guide first


@pytest.mark.parametrize("code", ["business-startup", "newborn"])
def test_savings_are_computed_over_every_step(api, demo_catalog, code):
    """Worked out from the demo document independently of the implementation.

    business-startup by hand: 5 steps; fields 9+0, 6+1, 9+1, 8+1, 8+1 = 44 separately, 21 once
    (has_employees + 20 distinct); materials 5+2+2+3+2 = 14 separately, 7 once; statutory days
    15+5+5+15+5 = 45; committed 3.
    """
    doc, one_thing = demo_one_thing(code)
    procedures = {p["code"]: p for p in doc["procedures"]}
    steps = [procedures[s["procedure"]] for s in one_thing["steps"]]
    outputs = {o["code"] for p in steps for o in p.get("outputs", [])}
    asked = set(one_thing.get("guide", [])) | {f["field"] for p in steps for f in p["fields"]} - outputs
    expected = {
        "procedures": len(steps),
        "fields_separately": sum(len(p["fields"]) + len(p["needs_outputs"]) for p in steps),
        "fields_once": len(asked),
        "materials_separately": sum(len(p["materials"]) for p in steps),
        "materials_once": len({m["material"] for p in steps for m in p["materials"]} - outputs),
        "visits_separately": len(steps),
        "visits_once": 0,
        "days_separately": sum(p["statutory_days"] for p in steps),
        "days_committed": one_thing["committed_days"],
    }
    savings = get(api, f"/api/v1/one-things/{code}/").json()["savings"]
    assert savings == expected
    if code == "business-startup":
        assert savings == {"procedures": 5, "fields_separately": 44, "fields_once": 21, "materials_separately": 14,
                           "materials_once": 7, "visits_separately": 5, "visits_once": 0, "days_separately": 45,
                           "days_committed": 3}


def _list_queries(api) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as captured:
        response = get(api, "/api/v1/one-things/?page_size=100")
    assert response.status_code == 200
    return len(captured), response.json()


def test_the_list_costs_the_same_for_1_and_for_50(api, demo_catalog):
    unpublish_one_thing(one_thing=OneThing.objects.get(code="newborn"))
    one, body = _list_queries(api)
    assert [o["code"] for o in body["results"]] == ["business-startup", "enterprise-change"]
    doc = load_demo_document()
    newborn = next(o for o in doc["one_things"] if o["code"] == "newborn")
    doc["one_things"] = [{**newborn, "code": f"newborn-{i:02d}"} for i in range(48)]
    import_catalog(doc)  # 48 more, each published with its own version
    many, body = _list_queries(api)
    assert body["count"] == len(body["results"]) == 50 and body["next"] is None
    assert one == many <= 2, (one, many)  # count, page (with the current versions)


def test_the_detail_costs_one_query(api, demo_catalog, django_assert_max_num_queries):
    with django_assert_max_num_queries(1):
        assert get(api, "/api/v1/one-things/newborn/").status_code == 200


def test_a_new_version_is_shown_once_published(api, demo_catalog):
    from govflow.catalog.services import publish_one_thing

    one_thing = OneThing.objects.get(code="newborn")
    one_thing.committed_days = 6
    one_thing.save(update_fields=["committed_days"])
    publish_one_thing(one_thing=one_thing)
    newborn = get(api, "/api/v1/one-things/newborn/").json()
    assert newborn["version"] == 2 and newborn["committed_days"] == 6 and newborn["savings"]["days_committed"] == 6


def test_the_schema_documents_the_catalog(api, demo_catalog):
    response = api(None).get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    text = response.content.decode()
    for name in ("OneThingDetail", "Savings", "OneThingMaterial", "OneThingStep", "/api/v1/one-things/{code}/"):
        assert name in text
