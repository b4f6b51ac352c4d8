"""The catalog designer in the admin (issue #6), driven through the admin's own forms.

An administrator builds ``business-startup`` from nothing by posting the admin's add forms
(departments with their members, fields, materials, procedures with their inlines, the one thing
with its steps), publishes it, and a citizen's application runs on it through the services.
"""
from __future__ import annotations

import io
import json
import re

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from govflow.applications.models import ApplicationStatus
from govflow.applications.services import drafting
from govflow.catalog.definition import Definition
from govflow.catalog.io import CatalogValidationError, export_catalog
from govflow.catalog.jurisdictions import default_division
from govflow.catalog.models import (
    CalendarDay,
    Department,
    Division,
    Field,
    Material,
    OneThing,
    OneThingVersion,
    Output,
    Procedure,
    Step,
)
from govflow.catalog.services import import_catalog
from govflow.errors import InvalidInput

from ..admin_forms import bilingual, form_data, inline
from ..conftest import load_demo_document
from ..factories import MembershipFactory, UserFactory
from ..stories import BUSINESS_ANSWERS, approve, statuses, submitted

pytestmark = pytest.mark.django_db


def url(name: str, *args) -> str:
    return reverse(f"admin:{name}", args=args)


def saved(response) -> None:
    """The admin form was accepted (it redirects); otherwise show what it complained about."""
    if response.status_code == 302:
        return
    context = response.context or {}
    problems = []
    if "adminform" in context:
        problems.append(dict(context["adminform"].form.errors))
    for formset in context.get("inline_admin_formsets", []):
        problems.append((formset.formset.prefix, formset.formset.errors, formset.formset.non_form_errors()))
    raise AssertionError(f"not saved ({response.status_code}): {problems}")


def business_startup_document() -> dict:
    """The demo's business-startup with exactly what it references, as ``export_catalog`` orders it."""
    doc = load_demo_document()
    one_thing = next(o for o in doc["one_things"] if o["code"] == "business-startup")
    codes = {s["procedure"] for s in one_thing["steps"]}
    procedures = [p for p in doc["procedures"] if p["code"] in codes]
    fields = {f["field"] for p in procedures for f in p["fields"]} | set(one_thing["guide"])
    materials = {m["material"] for p in procedures for m in p["materials"]}
    departments = {p["department"] for p in procedures}

    def by_code(items):
        return sorted(items, key=lambda i: i["code"])

    return {
        "format": doc["format"],
        "divisions": [d for d in doc["divisions"] if d["code"] == one_thing["division"]],  # a province: no parent
        "departments": by_code(d for d in doc["departments"] if d["code"] in departments),
        "fields": by_code(f for f in doc["fields"] if f["code"] in fields),
        "materials": by_code(m for m in doc["materials"] if m["code"] in materials),
        "procedures": by_code(procedures),
        "one_things": [one_thing],
    }


def _labels(name: str, labels: dict | None) -> dict:
    labels = labels or {}
    return bilingual(name, labels.get("en", ""), labels.get("zh-hans", ""))


def _choices_text(choices: list[dict]) -> str:
    return "\n".join(f"{c['value']} | {c['label']['en']} | {c['label'].get('zh-hans', '')}" for c in choices)


def build_through_the_admin(client, doc: dict, members: dict[str, list]) -> OneThing:
    """Post every add form an administrator fills in to compose the document's one thing: the
    departments, each with an office where an application of the default division (Xihu) goes
    (Hangzhou for a city-level department) and its members, then the dictionaries and the rest."""
    xihu = default_division()
    hangzhou = xihu.parent
    city_level = {p["department"] for p in doc["procedures"] if p.get("level") == "city"}
    for item in doc["departments"]:
        users = members.get(item["code"], [])
        saved(client.post(url("catalog_department_add"), {
            "code": item["code"], **_labels("name", item["name"]), "webhook_url": "", "webhook_secret": "",
            **inline("offices", []),
        }))
        division = hangzhou if item["code"] in city_level else xihu
        saved(client.post(url("catalog_office_add"), {
            "code": f"{item['code']}-{division.code}", "department": Department.objects.get(code=item["code"]).pk,
            "division": division.pk, **_labels("name", {}), "webhook_url": "", "webhook_secret": "",
            **inline("memberships", [{"user": u.pk, "role": "clerk"} for u in users]),
        }))
    for item in doc["fields"]:
        saved(client.post(url("catalog_field_add"), {
            "code": item["code"], **_labels("label", item["label"]), "type": item["type"],
            **_labels("help", item.get("help")), **_labels("hint", item.get("hint")), "example": item.get("example", ""),
            "max_length": item.get("max_length", ""), "pattern": item.get("pattern", ""),
            "minimum": item.get("min", ""), "maximum": item.get("max", ""),
            "choices": _choices_text(item.get("choices", [])),
        }))
    for item in doc["materials"]:
        saved(client.post(url("catalog_material_add"), {
            "code": item["code"], **_labels("label", item["label"]), "accepted_types": item["accepted_types"],
            "max_size_mb": item["max_size_mb"], **_labels("sample", item.get("sample")),
        }))
    # A procedure that needs an output comes after the one that issues it.
    issuers = {o["code"]: p["code"] for p in doc["procedures"] for o in p["outputs"]}
    ordered = sorted(doc["procedures"], key=lambda p: any(issuers.get(n) for n in p["needs_outputs"]))
    for item in ordered:
        fields = dict(Field.objects.values_list("code", "pk"))
        materials = dict(Material.objects.values_list("code", "pk"))
        saved(client.post(url("catalog_procedure_add"), {
            "code": item["code"], "department": Department.objects.get(code=item["department"]).pk,
            **_labels("name", item["name"]), **_labels("description", item.get("description")),
            **_labels("legal_basis", item.get("legal_basis")), **_labels("fees", item.get("fees")),
            "statutory_days": item["statutory_days"], "committed_days": item["committed_days"],
            "level": item.get("level", "county"),
            "needs_outputs": item["needs_outputs"], "automatic": item.get("automatic", ""),
            # The remedies a refusal names, entered in the admin like every other part.
            **_labels("reconsideration_body", item.get("remedy", {}).get("reconsideration", {}).get("body")),
            "reconsideration_days": item.get("remedy", {}).get("reconsideration", {}).get("days", ""),
            **_labels("litigation_court", item.get("remedy", {}).get("litigation", {}).get("court")),
            "litigation_months": item.get("remedy", {}).get("litigation", {}).get("months", ""),
            **inline("procedure_fields", [
                {"field": fields[f["field"]], "required": "on" if f["required"] else "", "position": n}
                for n, f in enumerate(item["fields"])]),
            **inline("procedure_materials", [
                {"material": materials[m["material"]], "required": "on" if m["required"] else "", "position": n,
                 # 告知承诺制: the commitment instead of the material, as JSON (empty: none)
                 "commitment": json.dumps(m["commitment"], ensure_ascii=False) if "commitment" in m else ""}
                for n, m in enumerate(item["materials"])]),
            **inline("outputs", [
                {"code": o["code"], **_labels("label", o["label"]), "type": o.get("type", "string"),
                 "pattern": o.get("pattern", ""), **_labels("hint", o.get("hint")), "example": o.get("example", ""),
                 "position": n}
                for n, o in enumerate(item["outputs"])]),
        }))
    one_thing = doc["one_things"][0]
    procedures = dict(Procedure.objects.values_list("code", "pk"))
    # The whole one thing in one go: steps and their prerequisites among steps added in the same form.
    saved(client.post(url("catalog_onething_add"), {
        "code": one_thing["code"], **_labels("name", one_thing["name"]),
        **_labels("description", one_thing.get("description")),
        **bilingual("keywords", *("\n".join(one_thing.get("keywords", {}).get(language, []))
                                  for language in ("en", "zh-hans"))),
        "committed_days": one_thing["committed_days"],
        "division": Division.objects.get(code=one_thing["division"]).pk, "route_by": one_thing.get("route_by", ""),
        "guide": one_thing["guide"],
        **inline("steps", [
            {"procedure": procedures[s["procedure"]], "after": s.get("after", []), "when": s.get("when", ""),
             "position": n}
            for n, s in enumerate(one_thing["steps"])]),
    }))
    return OneThing.objects.get(code=one_thing["code"])


def test_an_administrator_builds_business_startup_from_scratch_publishes_it_and_it_runs(
        admin_client, citizen_alice):
    doc = business_startup_document()
    clerks = {code: UserFactory(username=f"clerk-{code}") for code in (d["code"] for d in doc["departments"])}

    one_thing = build_through_the_admin(admin_client, doc, {code: [user] for code, user in clerks.items()})

    assert export_catalog("business-startup") == doc  # the admin forms can express all of it
    assert not one_thing.is_published
    response = admin_client.get(url("catalog_onething_publish", one_thing.pk))
    assert response.status_code == 200
    assert b"Publish version 1" in response.content
    response = admin_client.post(url("catalog_onething_publish", one_thing.pk))
    assert response.status_code == 302
    one_thing.refresh_from_db()
    assert one_thing.is_published and one_thing.current_version.number == 1
    assert one_thing.current_version.published_by.username == "designer"

    app = submitted(citizen_alice, "business-startup")
    assert app.version_id == one_thing.current_version_id
    for code in ("amr-licence", "psb-seal-filing", "tax-registration", "hrss-employer-insurance",
                 "hpf-employer-account"):
        approve(app, code, clerks[code.split("-")[0]])
    app.refresh_from_db()
    assert app.status == ApplicationStatus.COMPLETED and app.outcome == "approved"


def test_the_change_form_round_trips_without_changing_the_draft(admin_client, demo_catalog):
    one_thing = OneThing.objects.get(code="business-startup")
    before = export_catalog()
    for name, obj in (("catalog_onething_change", one_thing),
                      ("catalog_procedure_change", Procedure.objects.get(code="amr-licence")),
                      ("catalog_field_change", Field.objects.get(code="company_type")),
                      ("catalog_field_change", Field.objects.get(code="birth_weight_kg")),
                      ("catalog_material_change", Material.objects.get(code="legal_rep_id_card")),
                      ("catalog_department_change", Department.objects.get(code="amr"))):
        page = admin_client.get(url(name, obj.pk))
        data = form_data(page.content, f"{obj._meta.model_name}_form")
        saved(admin_client.post(url(name, obj.pk), data))
    assert export_catalog() == before


def _publish_url(code: str = "business-startup") -> str:
    return url("catalog_onething_publish", OneThing.objects.get(code=code).pk)


def _step_row(html: str, index: int) -> str:
    start = html.index(f'id="steps-{index}"')
    end = html.find('id="steps-', start + 10)
    return html[start:end if end != -1 else len(html)]


def test_publishing_an_invalid_definition_shows_the_errors_next_to_the_step_and_creates_no_version(
        admin_client, demo_catalog):
    one_thing = OneThing.objects.get(code="business-startup")
    Step.objects.filter(one_thing=one_thing, procedure__code="tax-registration").update(when="no_such_field > 1")
    Step.objects.filter(one_thing=one_thing, procedure__code="psb-seal-filing").update(when="1 > 2")
    versions = OneThingVersion.objects.count()

    response = admin_client.post(_publish_url())

    assert response.status_code == 400
    html = response.content.decode()
    assert "names &#x27;no_such_field&#x27;, which this one thing never asks" in html
    assert "unreachable step" in html
    assert f'{url("catalog_onething_change", one_thing.pk)}#steps-2' in html  # a link to the step's row
    assert OneThingVersion.objects.count() == versions
    one_thing.refresh_from_db()
    assert one_thing.current_version.number == 1

    page = admin_client.get(url("catalog_onething_change", one_thing.pk)).content.decode()
    assert "no_such_field" in _step_row(page, 2)  # next to the step it concerns
    assert "unreachable step" in _step_row(page, 1)
    assert "no_such_field" not in _step_row(page, 0)


def test_the_admin_publish_and_the_import_refuse_an_unreachable_step_with_the_same_message(
        admin_client, demo_catalog):
    doc = load_demo_document()
    doc["one_things"][1]["steps"][1]["when"] = "1 > 2"  # newborn: the household registration
    with pytest.raises(CatalogValidationError) as caught:
        import_catalog(doc)
    imported = sorted(e.message for e in caught.value.errors)
    assert len(imported) == 3  # the step and the two after it

    one_thing = OneThing.objects.get(code="newborn")
    Step.objects.filter(one_thing=one_thing, procedure__code="psb-household-registration").update(when="1 > 2")
    versions = OneThingVersion.objects.count()
    response = admin_client.post(_publish_url("newborn"))

    assert response.status_code == 400
    assert sorted(p.message for p in response.context["report"].errors) == imported
    html = response.content.decode()
    assert all(escape(message) in html for message in imported)
    assert OneThingVersion.objects.count() == versions


def test_the_steps_form_refuses_cycles_and_duplicates(admin_client, demo_catalog):
    one_thing = OneThing.objects.get(code="business-startup")
    change = url("catalog_onething_change", one_thing.pk)
    data = form_data(admin_client.get(change).content, "onething_form")
    assert data["steps-0-procedure"] == [str(Procedure.objects.get(code="amr-licence").pk)]
    data["steps-0-after"] = ["tax-registration"]  # amr after tax, tax after amr

    response = admin_client.post(change, data)

    assert response.status_code == 200
    assert "These prerequisites form a cycle" in response.content.decode()
    assert Step.objects.get(one_thing=one_thing, procedure__code="amr-licence").after == []


def test_the_step_form_refuses_a_condition_that_does_not_parse(admin_client, demo_catalog):
    one_thing = OneThing.objects.get(code="business-startup")
    change = url("catalog_onething_change", one_thing.pk)
    data = form_data(admin_client.get(change).content, "onething_form")
    data["steps-3-when"] = ["has_employees &&"]

    response = admin_client.post(change, data)

    assert response.status_code == 200
    assert "not a valid CEL expression" in response.content.decode()


def test_publishing_while_an_application_runs_leaves_it_on_its_version_to_completion(
        admin_client, demo_catalog, citizen_alice, citizen_carol, clerks):
    old = submitted(citizen_alice, "business-startup")
    approve(old, "amr-licence", clerks["amr"])
    one_thing = OneThing.objects.get(code="business-startup")
    v1 = one_thing.current_version

    # The administrator drops the seal step and promises 4 days instead of 3, then publishes.
    change = url("catalog_onething_change", one_thing.pk)
    data = form_data(admin_client.get(change).content, "onething_form")
    psb = str(Procedure.objects.get(code="psb-seal-filing").pk)
    index = next(i for i in range(5) if data[f"steps-{i}-procedure"] == [psb])
    data[f"steps-{index}-DELETE"] = ["on"]
    data["committed_days"] = ["4"]
    saved(admin_client.post(change, data))
    publish_page = admin_client.get(_publish_url()).content.decode()
    assert "Step Official seal engraving and filing" in publish_page and "removed" in publish_page
    assert "committed working days: 3 → 4" in publish_page
    assert admin_client.post(_publish_url()).status_code == 302
    one_thing.refresh_from_db()
    assert one_thing.current_version.number == 2

    answers = {k: v for k, v in BUSINESS_ANSWERS.items() if k not in ("seal_count", "seal_material")}
    new = submitted(citizen_carol, "business-startup", answers=answers)
    assert new.version_id == one_thing.current_version_id
    assert "psb-seal-filing" not in statuses(new)

    for code in ("psb-seal-filing", "tax-registration", "hrss-employer-insurance", "hpf-employer-account"):
        approve(old, code, clerks[code.split("-")[0]])
    old.refresh_from_db()
    assert old.version_id == v1.pk
    assert old.status == ApplicationStatus.COMPLETED
    assert set(statuses(old)) == {"amr-licence", "psb-seal-filing", "tax-registration",
                                  "hrss-employer-insurance", "hpf-employer-account"}


def test_publishing_an_unchanged_draft_creates_no_version(admin_client, demo_catalog):
    page = admin_client.get(_publish_url()).content.decode()
    assert "No changes: the draft is the same as the published version." in page
    assert "Publish version" not in page

    response = admin_client.post(_publish_url(), follow=True)

    assert "Nothing changed since version 1" in response.content.decode()
    assert OneThingVersion.objects.filter(one_thing__code="business-startup").count() == 1


def test_the_publish_page_lists_the_changes_against_the_published_version(admin_client, demo_catalog):
    tax = Procedure.objects.get(code="tax-registration")
    tax.committed_days = 2
    tax.save()
    Step.objects.filter(procedure=tax).update(when="invoice_needed")
    Field.objects.filter(code="company_name").update(label={"en": "Company name", "zh-hans": "公司名称"})

    page = admin_client.get(_publish_url()).content.decode()

    assert "Changes since version 1" in page
    assert "Procedure Tax registration information confirmation" in page and "committed working days: 1 → 2" in page
    assert "when: (always) → invoice_needed" in page
    assert "Field Company name" in page and "label: Company name / 企业名称 → Company name / 公司名称" in page
    assert "Publish version 2" in page


def test_unpublishing_stops_new_applications_but_not_running_ones(
        admin_client, demo_catalog, citizen_alice, citizen_carol, clerks):
    running = submitted(citizen_alice, "business-startup")
    one_thing = OneThing.objects.get(code="business-startup")
    assert admin_client.get(url("catalog_onething_unpublish", one_thing.pk)).status_code == 200

    response = admin_client.post(url("catalog_onething_unpublish", one_thing.pk))

    assert response.status_code == 302
    one_thing.refresh_from_db()
    assert not one_thing.is_published
    with pytest.raises(InvalidInput):
        drafting.application_create(user=citizen_carol, one_thing_code="business-startup")
    for code in ("amr-licence", "psb-seal-filing", "tax-registration", "hrss-employer-insurance",
                 "hpf-employer-account"):
        approve(running, code, clerks[code.split("-")[0]])
    running.refresh_from_db()
    assert running.status == ApplicationStatus.COMPLETED


def test_the_preview_shows_the_diagram_the_critical_path_the_form_and_the_savings(admin_client, demo_catalog):
    one_thing = OneThing.objects.get(code="business-startup")

    page = admin_client.get(url("catalog_onething_preview", one_thing.pk)).content.decode()

    assert "<svg" in page and 'data-procedure="hpf-employer-account"' in page
    assert "Critical path: 3 working days (amr-licence → hpf-employer-account)" in page
    assert 'name="has_employees"' in page and 'name="company_name"' in page  # the merged form
    assert re.search(r"Materials to upload</th><td[^>]*>14</td><td[^>]*>7</td>", page)
    assert re.search(r"Visits</th><td[^>]*>5</td><td[^>]*>0</td>", page)


def test_a_dry_run_shows_which_steps_apply_to_sample_answers(admin_client, demo_catalog):
    one_thing = OneThing.objects.get(code="business-startup")

    page = admin_client.post(url("catalog_onething_preview", one_thing.pk),
                             {"has_employees": "no"}).content.decode()

    assert "With these answers 3 of 5 steps apply" in page
    assert "✘ Employer social insurance registration" in page
    assert "✔ Tax registration" in page or "✔ Tax" in page
    assert 'name="employee_roster"' not in page
    page = admin_client.post(url("catalog_onething_preview", one_thing.pk),
                             {"has_employees": "yes", "employee_count": "many"}).content.decode()
    assert "With these answers 5 of 5 steps apply" in page
    assert "Enter a whole number" in page  # sample answers are checked like the citizen's


def test_the_preview_of_an_invalid_draft_shows_the_problems_and_no_form(admin_client, demo_catalog):
    one_thing = OneThing.objects.get(code="business-startup")
    Step.objects.filter(one_thing=one_thing, procedure__code="amr-licence").update(after=["tax-registration"])

    page = admin_client.get(url("catalog_onething_preview", one_thing.pk)).content.decode()

    assert "cycle in &#x27;after&#x27;" in page
    assert "Fix the problems above" in page
    assert "<svg" in page


def test_a_commitment_shorter_than_the_critical_path_blocks_publishing(admin_client, demo_catalog):
    one_thing = OneThing.objects.get(code="business-startup")
    OneThing.objects.filter(pk=one_thing.pk).update(committed_days=2)
    version = one_thing.current_version

    page = admin_client.get(url("catalog_onething_change", one_thing.pk)).content.decode()
    publish_page = admin_client.get(_publish_url()).content.decode()
    response = admin_client.post(_publish_url())

    assert "commits to 2 working days, but its critical path (amr-licence → hpf-employer-account) takes 3" in page
    assert "1 problem to fix before publishing" in publish_page
    assert "Every check passes" not in publish_page and "Publish version 2" not in publish_page
    assert response.status_code == 400  # an error, not a warning
    one_thing.refresh_from_db()
    assert one_thing.current_version == version


def test_the_publish_page_never_says_every_check_passes_while_there_are_warnings(admin_client, demo_catalog):
    one_thing = OneThing.objects.get(code="business-startup")
    OneThing.objects.filter(pk=one_thing.pk).update(committed_days=4)  # a change
    OneThing.objects.filter(pk=one_thing.pk).update(guide=["has_employees", "company_name"])  # asks for nothing
    warned = admin_client.get(_publish_url()).content.decode()
    change = admin_client.get(url("catalog_onething_change", one_thing.pk)).content.decode()

    assert "The guide asks company_name first" in warned and "Publish version 2" in warned
    assert "Every check passes." not in warned
    assert "Nothing stops publishing, but read the warnings above first." in warned
    assert "The draft passes every check." not in change
    assert "Nothing stops publishing, but read the warnings below first." in change


# -- import and export -------------------------------------------------------------------------


def test_import_then_export_through_the_admin_round_trips_the_catalog(admin_client):
    doc = load_demo_document()
    upload = io.BytesIO(json.dumps(doc, ensure_ascii=False).encode())
    upload.name = "catalog.json"

    response = admin_client.post(url("catalog_onething_import"), {"file": upload})

    assert response.status_code == 200
    page = response.content.decode()
    assert "published business-startup version 1" in page and "published newborn version 1" in page
    exported = admin_client.get(url("catalog_onething_export_all"))
    assert exported["Content-Disposition"].startswith('attachment; filename="govflow-catalog-')
    assert json.loads(exported.content) == export_catalog()
    assert json.loads(exported.content) == {  # the same definitions, ordered by code
        key: sorted(value, key=lambda item: item["code"]) if isinstance(value, list) else value
        for key, value in doc.items()}

    again = admin_client.post(url("catalog_onething_import"), {"text": exported.content.decode()})

    assert "No one thing changed" in again.content.decode()
    assert OneThingVersion.objects.count() == len(doc["one_things"]) == 3


def test_exporting_one_thing_gives_its_self_contained_document(admin_client, demo_catalog):
    one_thing = OneThing.objects.get(code="newborn")
    response = admin_client.get(url("catalog_onething_export", one_thing.pk))
    assert json.loads(response.content) == export_catalog("newborn")
    assert response.content.decode() == json.dumps(export_catalog("newborn"), ensure_ascii=False, indent=2) + "\n"


def test_an_invalid_import_lists_every_error_and_changes_nothing(admin_client, demo_catalog):
    doc = load_demo_document()
    doc["procedures"][1]["committed_days"] = 300
    doc["one_things"][0]["steps"][1]["when"] = "nope >"
    before = export_catalog()

    response = admin_client.post(url("catalog_onething_import"), {"text": json.dumps(doc)})

    assert response.status_code == 400
    page = response.content.decode()
    assert "$.procedures[1].committed_days" in page
    assert "$.one_things[0].steps[1].when" in page
    assert "nothing was imported" in page
    assert export_catalog() == before


def test_the_import_can_only_check_a_document(admin_client):
    response = admin_client.post(url("catalog_onething_import"),
                                 {"text": json.dumps(load_demo_document()), "validate_only": "on"})
    assert response.status_code == 200
    assert "The document is valid" in response.content.decode()
    assert not OneThing.objects.exists()


def test_checking_a_document_refuses_a_commitment_below_the_critical_path_as_the_import_does(admin_client):
    doc = load_demo_document()
    next(o for o in doc["one_things"] if o["code"] == "business-startup")["committed_days"] = 2
    checked = admin_client.post(url("catalog_onething_import"), {"text": json.dumps(doc), "validate_only": "on"})
    imported = admin_client.post(url("catalog_onething_import"), {"text": json.dumps(doc)})
    for response in (checked, imported):
        page = response.content.decode()
        assert "The document is valid" not in page and "commits to 2 working days" in page
    assert not OneThing.objects.exists()


def test_the_import_refuses_what_is_not_json(admin_client):
    response = admin_client.post(url("catalog_onething_import"), {"text": "{not json"})
    assert response.status_code == 400
    assert "Not valid JSON" in response.content.decode()
    response = admin_client.post(url("catalog_onething_import"), {"text": "[" * 100_000 + "]" * 100_000})
    assert response.status_code == 400
    assert "nested too deeply" in response.content.decode()


# -- the dictionaries' forms --------------------------------------------------------------------


def test_choices_are_edited_as_lines_and_labels_as_two_inputs(admin_client):
    response = admin_client.post(url("catalog_field_add"), {
        "code": "size", **bilingual("label", "Size", "规模"), "type": "choice", **bilingual("help", ""),
        "choices": "s | Small | 小\nl | Large\n", "minimum": "", "maximum": "", "max_length": "", "pattern": "",
    })
    saved(response)
    field = Field.objects.get(code="size")
    assert field.label == {"en": "Size", "zh-hans": "规模"}
    assert field.help == {}
    assert field.choices == [{"value": "s", "label": {"en": "Small", "zh-hans": "小"}},
                             {"value": "l", "label": {"en": "Large"}}]


@pytest.mark.parametrize(("data", "message"), [
    ({"type": "string", "pattern": "[unclosed"}, "Not a valid regular expression"),
    ({"type": "integer", "minimum": "1.5"}, "Enter a whole number for an integer field."),
    ({"type": "decimal", "minimum": "5", "maximum": "1"}, "must not be greater than the maximum"),
    ({"type": "string", "minimum": "1"}, "Does not apply to a field of type"),
    ({"type": "choice"}, "A choice field needs at least one option."),
    ({"type": "choice", "choices": "a | A\na | Again"}, "is already on line 1"),
    ({"type": "choice", "choices": "a |"}, "the English text is missing"),
    ({"type": "string", "label_en": "", "label_zh_hans": "名称"}, "Give the English text too"),
    ({"type": "string", "code": "BadCode"}, "Use lower-case letters"),
    ({"type": "uscc", "example": "91330106MA2K11110A"}, "This example is not a value the entry accepts"),
    ({"type": "string", "pattern": "^[0-9]{3}$", "example": "12"}, "This example is not a value the entry accepts"),
    ({"type": "integer", "maximum": "10", "example": "11"}, "This example is not a value the entry accepts"),
])
def test_the_field_form_explains_what_is_wrong(admin_client, data, message):
    post = {"code": "x", **bilingual("label", "X"), **bilingual("help", ""), "max_length": "", "pattern": "",
            "minimum": "", "maximum": "", "choices": "", **data}
    response = admin_client.post(url("catalog_field_add"), post)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Field.objects.filter(code="x").exists()


def test_the_procedure_form_refuses_more_committed_than_statutory_days_and_bad_output_patterns(
        admin_client, demo_catalog):
    response = admin_client.post(url("catalog_procedure_add"), {
        "code": "p", "department": Department.objects.get(code="amr").pk, **bilingual("name", "P"),
        **bilingual("description", ""), "statutory_days": "2", "committed_days": "5", "automatic": "",
        **inline("procedure_fields", []), **inline("procedure_materials", []),
        **inline("outputs", [{"code": "o", **bilingual("label", "O"), "type": "string", "pattern": "(", "position": 0}]),
    })
    assert response.status_code == 200
    page = response.content.decode()
    assert "Committed days cannot exceed statutory days." in page
    assert "Not a valid regular expression" in page
    assert not Procedure.objects.filter(code="p").exists()


@pytest.mark.parametrize(("value", "saved"), [
    ("", []),
    ('[{"code": "seal", "label": {"en": "Company seals", "zh-hans": "公司印章"}, "methods": ["pickup"]}]',
     [{"code": "seal", "label": {"en": "Company seals", "zh-hans": "公司印章"}, "methods": ["pickup"]}]),
    ('[{"code": "seal", "label": {"en": "Seals"}, "methods": ["drone"]}]', None),
    ('[{"code": "seal", "label": {"en": "A"}, "methods": ["post"]}, {"code": "seal", "label": {"en": "B"}, '
     '"methods": ["post"]}]', None),
    ('{"code": "seal"}', None),
])
def test_the_procedure_form_takes_physical_results_in_the_catalog_format(admin_client, demo_catalog, value, saved):
    response = admin_client.post(url("catalog_procedure_add"), {
        "code": "p", "department": Department.objects.get(code="amr").pk, **bilingual("name", "P"),
        **bilingual("description", ""), "statutory_days": "5", "committed_days": "2", "automatic": "",
        "level": "county", "physical_results": value,
        **inline("procedure_fields", []), **inline("procedure_materials", []), **inline("outputs", []),
    })
    found = Procedure.objects.filter(code="p").first()
    if saved is None:
        assert response.status_code == 200 and found is None
        assert "physical_results" in response.content.decode()
    else:
        assert response.status_code == 302, response.content.decode()[:3000]
        assert found.physical_results == saved


def test_needs_outputs_are_chosen_among_other_procedures_outputs(admin_client, demo_catalog):
    tax = Procedure.objects.get(code="tax-registration")
    page = admin_client.get(url("catalog_procedure_change", tax.pk)).content.decode()
    assert 'value="uscc" selected' in page
    assert '<option value="tax_office_code"' not in page  # its own output is not offered


# -- the calendar -----------------------------------------------------------------------------


def test_the_year_view_marks_holidays_and_make_up_days_and_links_to_their_edit(admin_client):
    CalendarDay.objects.filter(date__year=2030).delete()
    holiday = CalendarDay.objects.create(date="2030-10-01", is_working_day=False, name="国庆节")

    page = admin_client.get(url("catalog_calendarday_year", 2030)).content.decode()

    assert url("catalog_calendarday_change", holiday.pk) in page
    assert 'class="govflow-day--holiday" title="国庆节"' in page
    assert f'{url("catalog_calendarday_add")}?date=2030-10-05&amp;is_working_day=1' in page  # a Saturday
    add = admin_client.get(f'{url("catalog_calendarday_add")}?date=2030-10-05&is_working_day=1')
    assert add.context["adminform"].form.initial["is_working_day"] is True


def test_the_year_view_can_add_the_official_holidays(admin_client):
    CalendarDay.objects.filter(date__year=2026).delete()
    response = admin_client.post(url("catalog_calendarday_year", 2026))
    assert response.status_code == 302
    assert CalendarDay.objects.filter(date="2026-10-01", is_working_day=False).exists()


# -- permissions --------------------------------------------------------------------------------


def _staff(username: str, *perms: str):
    user = UserFactory(username=username, is_staff=True)
    for perm in perms:
        app_label, codename = perm.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return user


def test_staff_without_the_catalog_permissions_cannot_see_or_change_definitions(client, demo_catalog):
    client.force_login(_staff("support"))
    one_thing = OneThing.objects.get(code="business-startup")
    assert client.get(url("catalog_onething_changelist")).status_code == 403
    assert client.get(url("catalog_onething_preview", one_thing.pk)).status_code == 403
    assert client.post(url("catalog_onething_publish", one_thing.pk)).status_code == 403
    assert client.get(url("catalog_onething_import")).status_code == 403


def test_viewers_can_preview_but_not_publish(client, demo_catalog):
    client.force_login(_staff("auditor", "catalog.view_onething"))
    one_thing = OneThing.objects.get(code="business-startup")
    assert client.get(url("catalog_onething_preview", one_thing.pk)).status_code == 200
    page = client.get(url("catalog_onething_publish", one_thing.pk)).content.decode()
    assert "Publish version" not in page
    assert client.post(url("catalog_onething_publish", one_thing.pk)).status_code == 403
    assert client.post(url("catalog_onething_unpublish", one_thing.pk)).status_code == 403


def test_a_department_administrator_changes_only_their_departments_procedures(client, demo_catalog):
    analyst = _staff("analyst-amr", "catalog.view_procedure", "catalog.change_procedure", "catalog.add_procedure",
                     "catalog.view_field", "catalog.view_material", "catalog.view_department")
    MembershipFactory(user=analyst, department=Department.objects.get(code="amr"))
    client.force_login(analyst)
    own = Procedure.objects.get(code="amr-licence")
    other = Procedure.objects.get(code="tax-registration")

    own_page = client.get(url("catalog_procedure_change", own.pk))
    assert own_page.context["has_change_permission"] is True
    data = form_data(own_page.content, "procedure_form")
    data["committed_days"] = ["2"]
    saved(client.post(url("catalog_procedure_change", own.pk), data))
    own.refresh_from_db()
    assert own.committed_days == 2

    other_page = client.get(url("catalog_procedure_change", other.pk))
    assert other_page.status_code == 200 and other_page.context["has_change_permission"] is False
    assert client.post(url("catalog_procedure_change", other.pk), form_data(other_page.content)).status_code == 403

    add_form = client.get(url("catalog_procedure_add")).context["adminform"].form
    assert list(add_form.fields["department"].queryset.values_list("code", flat=True)) == ["amr"]
    assert client.get(url("catalog_onething_import")).status_code == 403


# -- query counts ---------------------------------------------------------------------------------


def _queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("name", ["catalog_procedure_changelist", "catalog_onething_changelist",
                                  "catalog_field_changelist", "catalog_material_changelist",
                                  "catalog_department_changelist", "catalog_onethingversion_changelist"])
def test_lists_cost_the_same_number_of_queries_whatever_their_length(admin_client, demo_catalog, name):
    few = _queries(admin_client, url(name))
    amr = Department.objects.get(code="amr")
    for n in range(15):
        department = Department.objects.create(code=f"d{n}", name={"en": f"D{n}"})
        procedure = Procedure.objects.create(code=f"p{n}", department=department if n % 2 else amr,
                                             name={"en": f"P{n}"}, statutory_days=2, committed_days=1)
        Output.objects.create(procedure=procedure, code=f"o{n}", label={"en": "O"})
        Field.objects.create(code=f"f{n}", label={"en": "F"}, type="string")
        Material.objects.create(code=f"m{n}", label={"en": "M"}, accepted_types=["pdf"])
        one_thing = OneThing.objects.create(code=f"ot{n}", name={"en": "OT"}, committed_days=1,
                                            division=default_division())
        Step.objects.create(one_thing=one_thing, procedure=procedure)
        from govflow.catalog.services import publish_one_thing

        publish_one_thing(one_thing=one_thing)
    assert _queries(admin_client, url(name)) == few


def test_the_one_thing_change_form_costs_a_bounded_number_of_queries(admin_client, demo_catalog):
    one_thing = OneThing.objects.get(code="business-startup")
    assert _queries(admin_client, url("catalog_onething_change", one_thing.pk)) <= 40
    assert _queries(admin_client, url("catalog_onething_preview", one_thing.pk)) <= 25



def test_the_material_form_takes_jpg_as_jpeg(admin_client, demo_catalog):
    response = admin_client.post(url("catalog_material_add"), {
        "code": "photo", **bilingual("label", "Photo", "照片"), "accepted_types": ["jpg", "png"],
        "max_size_mb": 5})

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    assert Material.objects.get(code="photo").accepted_types == ["jpeg", "png"]
    response = admin_client.post(url("catalog_material_change", Material.objects.get(code="photo").pk), {
        "code": "photo", **bilingual("label", "Photo", "照片"), "accepted_types": ["jpg", "jpeg"],
        "max_size_mb": 5})
    assert response.status_code == 302
    assert Material.objects.get(code="photo").accepted_types == ["jpeg"]


# -- the department's webhook URL: https:// only, unless plain http is allowed -------------------

def _department_form(webhook_url: str) -> dict:
    return {"code": "hook", **_labels("name", {"en": "Hook", "zh-hans": "钩子"}), "webhook_url": webhook_url,
            "webhook_secret": "s" * 32, **inline("offices", [])}


@pytest.mark.parametrize("webhook_url", ["http://dept.example.org/hook", "HTTP://dept.example.org/hook",
                                         "ftp://dept.example.org/hook"])
def test_the_admin_refuses_a_webhook_url_that_is_not_https(admin_client, settings, webhook_url):
    settings.DEBUG = False
    settings.GOVFLOW_ALLOW_HTTP_WEBHOOKS = False

    response = admin_client.post(url("catalog_department_add"), _department_form(webhook_url))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["webhook_url"] == ["A webhook URL must start with https://."]
    assert not Department.objects.filter(code="hook").exists()


def test_the_admin_accepts_an_https_webhook_url_and_http_only_when_allowed(admin_client, settings):
    settings.DEBUG = False
    settings.GOVFLOW_ALLOW_HTTP_WEBHOOKS = False
    saved(admin_client.post(url("catalog_department_add"), _department_form("https://dept.example.org/hook")))
    settings.GOVFLOW_ALLOW_HTTP_WEBHOOKS = True
    hook = Department.objects.get(code="hook")
    saved(admin_client.post(url("catalog_department_change", hook.pk), _department_form("http://dept.internal/hook")))
    hook.refresh_from_db()
    assert hook.webhook_url == "http://dept.internal/hook"


def test_the_admin_refuses_a_short_webhook_secret(admin_client):
    form = {**_department_form("https://dept.example.org/hook"), "webhook_secret": "x" * 15}

    response = admin_client.post(url("catalog_department_add"), form)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["webhook_secret"] == [
        "A webhook secret needs at least 16 characters."]
    assert not Department.objects.filter(code="hook").exists()
    saved(admin_client.post(url("catalog_department_add"), {**form, "webhook_secret": "x" * 16}))


@pytest.mark.parametrize("text", ["Hook\u202e", "Ho\x1bok", "Ho\x00ok"])
def test_the_admin_refuses_control_and_direction_characters_in_labels(admin_client, text):
    form = {**_department_form(""), **_labels("name", {"en": text, "zh-hans": "钩子"}), "webhook_secret": ""}

    response = admin_client.post(url("catalog_department_add"), form)

    assert response.status_code == 200 and "name" in response.context["adminform"].form.errors
    assert not Department.objects.filter(code="hook").exists()


def test_who_may_apply_is_edited_previewed_and_published_with_the_version(admin_client, demo_catalog):
    one_thing = OneThing.objects.get(code="enterprise-change")
    change = url("catalog_onething_change", one_thing.pk)
    page = admin_client.get(change).content.decode()
    assert re.search(r'<input type="radio" name="applicant" value="organisation"[^>]*checked', page)
    preview = admin_client.get(url("catalog_onething_preview", one_thing.pk)).content.decode()
    assert "Who may apply" in preview and "An organisation: its legal representative or an agent" in preview

    data = dict(form_data(page.encode(), "onething_form"))
    saved(admin_client.post(change, {**data, "applicant": "either"}))

    one_thing.refresh_from_db()
    assert one_thing.applicant == "either"
    preview = admin_client.get(url("catalog_onething_preview", one_thing.pk)).content.decode()
    assert "A person or an organisation: a person for themselves" in preview
    publish = admin_client.get(_publish_url("enterprise-change")).content.decode()
    assert "who may apply: An organisation → A person or an organisation" in publish and "Publish version 2" in publish
    admin_client.post(_publish_url("enterprise-change"))
    one_thing.refresh_from_db()
    version = one_thing.current_version
    assert version.number == 2 and version.definition["one_things"][0]["applicant"] == "either"
    assert Definition(version.definition).applicant == "either"


def test_an_unknown_kind_of_applicant_is_refused_and_changes_nothing(admin_client, demo_catalog):
    one_thing = OneThing.objects.get(code="enterprise-change")
    change = url("catalog_onething_change", one_thing.pk)
    data = dict(form_data(admin_client.get(change).content, "onething_form"))

    response = admin_client.post(change, {**data, "applicant": "company"})

    assert response.status_code == 200
    assert "Select a valid choice. company is not one of the available choices." in response.content.decode()
    one_thing.refresh_from_db()
    assert one_thing.applicant == "organisation"


def test_a_post_without_who_may_apply_keeps_it(admin_client, demo_catalog):
    one_thing = OneThing.objects.get(code="enterprise-change")
    change = url("catalog_onething_change", one_thing.pk)
    data = dict(form_data(admin_client.get(change).content, "onething_form"))
    del data["applicant"]

    saved(admin_client.post(change, data))

    one_thing.refresh_from_db()
    assert one_thing.applicant == "organisation"


def test_a_field_keeps_its_hint_and_a_valid_example(admin_client):
    saved(admin_client.post(url("catalog_field_add"), {
        "code": "licence_no", **bilingual("label", "Licence number"), "type": "uscc", **bilingual("help", ""),
        **bilingual("hint", "18 characters", "18 位"), "example": " 91330106MA2K111106 ", "max_length": "",
        "pattern": "", "minimum": "", "maximum": "", "choices": "",
    }))
    field = Field.objects.get(code="licence_no")
    assert field.hint == {"en": "18 characters", "zh-hans": "18 位"} and field.example == "91330106MA2K111106"


def test_keywords_are_typed_one_per_line_or_separated_by_commas_each_kept_once():
    from govflow.designer.forms.inputs import KeywordsField

    value = KeywordsField().clean(["start a company\nOpen a company, open a company", "开公司、注册公司\n开公司"])

    assert value == {"en": ["start a company", "Open a company"], "zh-hans": ["开公司", "注册公司"]}
    assert KeywordsField().clean(["", ""]) == {}


@pytest.mark.parametrize(("value", "saved", "problems"), [
    ("", {}, 0),
    ('{"text": {"en": "I undertake.", "zh-hans": "本人承诺。"}, "verify_rate": 0.2, "verify_days": 20}',
     {"text": {"en": "I undertake.", "zh-hans": "本人承诺。"}, "verify_rate": 0.2, "verify_days": 20}, 0),
    ('{"text": {"zh-hans": "只有中文"}, "verify_rate": 1.5, "verify_days": 0}', None, 3),
])
def test_the_materials_table_takes_a_commitment_in_the_catalog_format(admin_client, demo_catalog, value, saved,
                                                                       problems):
    """告知承诺制: the procedure's materials table has the commitment column; every problem at once."""
    from govflow.catalog.models import Material, ProcedureMaterial

    premises = Material.objects.get(code="premises_proof").pk
    response = admin_client.post(url("catalog_procedure_add"), {
        "code": "p", "department": Department.objects.get(code="amr").pk, **bilingual("name", "P"),
        **bilingual("description", ""), "statutory_days": "5", "committed_days": "2", "automatic": "",
        "level": "county", "physical_results": "",
        **inline("procedure_fields", []),
        **inline("procedure_materials", [{"material": premises, "required": "on", "position": 0,
                                          "commitment": value}]),
        **inline("outputs", []),
    })
    if saved is None:
        assert response.status_code == 200 and not Procedure.objects.filter(code="p").exists()
        page = response.content.decode()
        assert page.count("commitment.") >= problems  # commitment.text, .verify_rate, .verify_days
        for key in ("commitment.text", "commitment.verify_rate", "commitment.verify_days"):
            assert key in page, key
    else:
        assert response.status_code == 302, response.content.decode()[:3000]
        assert ProcedureMaterial.objects.get(procedure__code="p").commitment == saved
