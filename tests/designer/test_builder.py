"""The designer's steps: a step added in the same form as a prerequisite (checked by the server as
without JavaScript), and the condition builder's address, which writes the CEL by the catalog's
rule (:func:`govflow.catalog.rules.write_condition`) and reads back what it wrote."""
from __future__ import annotations

import json
import re

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from govflow.catalog.models import OneThing, Procedure, Step
from govflow.catalog.rules import compile_rule

from ..admin_forms import form_data
from ..factories import UserFactory

pytestmark = pytest.mark.django_db

CONDITION = reverse("admin:catalog_onething_condition")


def change_url(one_thing: OneThing) -> str:
    return reverse("admin:catalog_onething_change", args=[one_thing.pk])


def with_new_step(client, one_thing: OneThing, code: str, **fields) -> dict:
    """The change form as the browser would post it, with one step added at the end."""
    data = form_data(client.get(change_url(one_thing)).content, "onething_form")
    index = int(data["steps-TOTAL_FORMS"][0])
    data["steps-TOTAL_FORMS"] = [str(index + 1)]
    data[f"steps-{index}-procedure"] = [str(Procedure.objects.get(code=code).pk)]
    data[f"steps-{index}-position"] = [str(index)]
    data[f"steps-{index}-one_thing"] = [str(one_thing.pk)]
    for name, value in fields.items():
        data[f"steps-{index}-{name}"] = value if isinstance(value, list) else [value]
    return data


def test_a_step_added_in_the_same_form_can_be_a_prerequisite(admin_client, demo_catalog):
    one_thing = OneThing.objects.get(code="business-startup")
    data = with_new_step(admin_client, one_thing, "mi-newborn-insurance", after=["amr-licence"])
    data["steps-4-after"] = ["amr-licence", "mi-newborn-insurance"]  # the last saved step waits for the new one

    response = admin_client.post(change_url(one_thing), data)

    assert response.status_code == 302, response.content.decode()[:2000]
    assert Step.objects.get(one_thing=one_thing, procedure__code="hpf-employer-account").after == [
        "amr-licence", "mi-newborn-insurance"]
    assert Step.objects.get(one_thing=one_thing, procedure__code="mi-newborn-insurance").after == ["amr-licence"]


def test_the_server_refuses_an_unknown_prerequisite_and_a_cycle_through_a_new_step(admin_client, demo_catalog):
    one_thing = OneThing.objects.get(code="business-startup")
    before = list(Step.objects.filter(one_thing=one_thing).values_list("procedure__code", "after"))

    data = with_new_step(admin_client, one_thing, "mi-newborn-insurance", after=["hpf-employer-account"])
    data["steps-4-after"] = ["mi-newborn-insurance"]  # hpf after the new step, the new step after hpf
    data["steps-0-after"] = ["no-such-step"]
    response = admin_client.post(change_url(one_thing), data)

    assert response.status_code == 200
    page = response.content.decode()
    assert "no-such-step is not a step of this one thing." in page
    assert "These prerequisites form a cycle" in page
    assert list(Step.objects.filter(one_thing=one_thing).values_list("procedure__code", "after")) == before

    # A step cannot wait for itself, new or not.
    data = with_new_step(admin_client, one_thing, "mi-newborn-insurance", after=["mi-newborn-insurance"])
    response = admin_client.post(change_url(one_thing), data)
    assert response.status_code == 200
    assert "A step cannot come after itself." in response.content.decode()


def test_the_change_form_offers_the_builder_and_the_procedure_codes(admin_client, demo_catalog):
    one_thing = OneThing.objects.get(code="business-startup")
    page = admin_client.get(change_url(one_thing)).content.decode()

    found = re.search(r'<script id="govflow-builder-data" type="application/json">(.*?)</script>', page, re.S)
    data = json.loads(found.group(1))
    assert data["url"] == CONDITION
    assert data["procedures"][str(Procedure.objects.get(code="mi-newborn-insurance").pk)] == "mi-newborn-insurance"
    fields = {f["code"]: f for f in data["fields"]}
    assert fields["has_employees"]["group"] == "guide"
    assert fields["company_type"]["group"] == "form" and fields["baby_name"]["group"] == "other"
    assert [op for op, _label in fields["has_employees"]["operators"]] == ["is_true", "is_false"]
    assert dict(fields["operation_start_date"]["operators"])["lt"] == "is before"
    assert {c["value"] for c in fields["company_type"]["choices"]} == {"llc", "sole_proprietorship", "partnership"}
    assert 'id="govflow-builder"' in page and "designer/steps.js" in page
    # Each step's inputs are labelled; the builder's button waits for the script.
    assert '<label class="govflow-cell-label" for="id_steps-3-when">When (condition)</label>' in page
    assert 'class="button govflow-build" hidden' in page


def test_a_read_only_designer_gets_no_builder(client, demo_catalog):
    viewer = UserFactory(username="viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_onething"))
    client.force_login(viewer)
    one_thing = OneThing.objects.get(code="business-startup")
    page = client.get(change_url(one_thing)).content.decode()
    assert "govflow-builder-data" not in page


def test_the_builder_address_writes_cel_the_engine_compiles(admin_client, demo_catalog, django_assert_max_num_queries):
    query = {"join": "or", "field-0": "has_employees", "op-0": "is_false",
             "field-1": "employee_count", "op-1": "ge", "value-1": "10",
             "field-2": "company_type", "op-2": "not_in", "value-2": ["llc", "partnership"]}
    with django_assert_max_num_queries(6):
        response = admin_client.get(CONDITION, query)
    assert response.status_code == 200
    cel = response.json()["cel"]
    assert cel == '!has_employees || employee_count >= 10 || !(company_type in ["llc", "partnership"])'
    assert compile_rule(cel).evaluate({"has_employees": True, "employee_count": 12, "company_type": "llc"})

    response = admin_client.get(CONDITION, {"cel": cel})
    assert response.json() == {"join": "or", "clauses": [
        {"field": "has_employees", "operator": "is_false", "values": []},
        {"field": "employee_count", "operator": "ge", "values": ["10"]},
        {"field": "company_type", "operator": "not_in", "values": ["llc", "partnership"]}]}


@pytest.mark.parametrize(("query", "message"), [
    ({"field-0": "employee_count", "op-0": "gt", "value-0": "ten"}, "is not a whole number"),
    ({"field-0": "company_type", "op-0": "eq", "value-0": "gmbh"}, "is not one of the field"),
    ({"field-0": "has_employees", "op-0": "gt", "value-0": "1"}, "does not apply"),
    ({"field-0": "no_such_field", "op-0": "eq", "value-0": "1"}, "There is no field"),
    ({"join": "xor", "field-0": "has_employees", "op-0": "is_true"}, "AND or OR"),
    ({}, "at least one clause"),
    ({f"field-{i}": "has_employees" for i in range(21)}, "At most 20 clauses"),
])
def test_the_builder_address_says_what_is_wrong(admin_client, demo_catalog, query, message):
    response = admin_client.get(CONDITION, query)
    assert response.status_code == 400
    assert message in response.json()["error"]


@pytest.mark.parametrize("cel", ["size(company_name) > 3", "has_employees &&", "", "company_type == 'llc'"])
def test_the_builder_leaves_free_cel_alone(admin_client, demo_catalog, cel):
    response = admin_client.get(CONDITION, {"cel": cel})
    assert response.status_code == 200 and response.json() == {"clauses": None}


def test_the_builder_address_is_for_the_catalog_staff_only(client, demo_catalog):
    response = client.get(CONDITION, {"field-0": "has_employees", "op-0": "is_true"})
    assert response.status_code == 302  # to the admin's sign-in
    client.force_login(UserFactory(username="staff-nobody", is_staff=True))
    response = client.get(CONDITION, {"field-0": "has_employees", "op-0": "is_true"})
    assert response.status_code == 403



def test_a_new_one_thing_offers_every_field_to_the_builder(admin_client, demo_catalog):
    page = admin_client.get(reverse("admin:catalog_onething_add")).content.decode()
    found = re.search(r'<script id="govflow-builder-data" type="application/json">(.*?)</script>', page, re.S)
    fields = json.loads(found.group(1))["fields"]
    assert {f["group"] for f in fields} == {"other"} and any(f["code"] == "has_employees" for f in fields)
