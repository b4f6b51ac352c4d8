"""Find: the home page with savings and search, and a one thing's page."""
from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_home_page_shows_what_each_one_thing_replaces_and_saves(en_client, demo_catalog):
    response = en_client.get(reverse("home"))

    assert response.status_code == 200
    cards = {c.code: c for c in response.context["one_things"]}
    business = cards["business-startup"]
    assert business.procedure_count == 5
    assert len(business.departments) == 5
    assert "Business licence registration" in business.procedures
    savings = business.savings
    assert savings.procedures == 5 and savings.visits_separately == 5 and savings.visits_once == 0
    assert savings.fields_once < savings.fields_separately
    assert savings.materials_once < savings.materials_separately
    assert savings.days_committed == 3 and savings.days_separately > savings.days_committed
    body = response.content.decode()
    assert 'href="/one-things/business-startup/"' in body
    assert "Housing Provident Fund" not in body or "Replaces" in body


def test_savings_follow_the_api_contract(demo_catalog):
    from govflow.catalog.definition import get_definition
    from govflow.catalog.models import OneThing
    from govflow.portal.selectors import savings

    definition = get_definition(OneThing.objects.get(code="business-startup").current_version)
    steps = [definition.procedures[s["procedure"]] for s in definition.steps]

    result = savings(definition)

    assert result.fields_separately == sum(len(p["fields"]) + len(p.get("needs_outputs", [])) for p in steps)
    assert result.fields_once == len(definition.asked_fields)
    assert result.materials_separately == sum(len(p["materials"]) for p in steps)
    assert result.days_separately == sum(p["statutory_days"] for p in steps)


def test_search_finds_one_things_by_name_procedure_or_department(en_client, demo_catalog):
    by_department = en_client.get(reverse("home"), {"q": "Health Commission"})
    by_chinese = en_client.get(reverse("home"), {"q": "出生"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    nothing = en_client.get(reverse("home"), {"q": "passport renewal"})

    assert [c.code for c in by_department.context["one_things"]] == ["newborn"]
    assert [c.code for c in by_chinese.context["one_things"]] == ["newborn"]
    assert nothing.context["one_things"] == []
    assert "0 services match" in nothing.content.decode()


def test_the_one_thing_page_lists_procedures_and_materials_once(en_client, demo_catalog):
    response = en_client.get(reverse("one-thing", args=["business-startup"]))

    assert response.status_code == 200
    procedures = response.context["procedures"]
    assert [p.code for p in procedures][:1] == ["amr-licence"]
    assert [p.conditional for p in procedures].count(True) == 2  # only with employees
    materials = response.context["materials"]
    labels = [m["label"] for m in materials]
    assert len(labels) == len(set(labels))
    id_card = next(m for m in materials if m["label"].startswith("Legal representative"))
    assert len(id_card["procedures"]) >= 3  # shared: uploaded once
    assert id_card["types"] == "PDF, PNG or JPEG"
    body = response.content.decode()
    assert 'href="/apply/business-startup/"' in body
    assert "You will be asked to sign in or register first." in body


def test_an_unknown_or_unpublished_one_thing_is_404(en_client, demo_catalog):
    from govflow.catalog.models import OneThing

    OneThing.objects.filter(code="newborn").update(is_published=False)

    assert en_client.get(reverse("one-thing", args=["no-such-thing"])).status_code == 404
    assert en_client.get(reverse("one-thing", args=["newborn"])).status_code == 404


def test_the_one_thing_page_offers_to_resume_a_draft(alice_client, citizen_alice):
    from tests.stories import draft

    draft(citizen_alice, "business-startup", answers={"has_employees": False}, materials={})

    response = alice_client.get(reverse("one-thing", args=["business-startup"]))

    assert response.context["draft"] is not None
    assert "Continue your application" in response.content.decode()


def test_the_pages_run_a_constant_number_of_queries(en_client, demo_catalog, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        en_client.get(reverse("home"))
    with django_assert_max_num_queries(3):
        en_client.get(reverse("one-thing", args=["newborn"]))


@pytest.mark.parametrize(("query", "expected"), [
    ("开公司", {"business-startup"}),
    ("我想开公司", {"business-startup"}),  # the query holds a keyword
    ("生孩子", {"newborn"}),
    ("open a company", {"business-startup"}),
    ("OPEN A COMPANY", {"business-startup"}),  # case does not matter
    ("ｂａｂｙ", {"newborn"}),  # nor full-width letters typed with a Chinese input method
    ("baby", {"newborn"}),
])
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_search_finds_one_things_by_everyday_words_in_either_language(client, demo_catalog, query, expected,
                                                                      language, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        response = client.get(reverse("home"), {"q": query}, HTTP_ACCEPT_LANGUAGE=language)

    assert {c.code for c in response.context["one_things"]} == expected


def test_search_for_social_insurance_finds_the_one_things_that_deal_with_it(client, demo_catalog):
    response = client.get(reverse("home"), {"q": "社保"}, HTTP_ACCEPT_LANGUAGE="en")

    found = {c.code for c in response.context["one_things"]}
    assert {"business-startup", "newborn"} <= found


def test_search_looks_in_keywords_of_the_published_version_not_the_draft(client, demo_catalog):
    from govflow.catalog.models import OneThing

    OneThing.objects.filter(code="newborn").update(keywords={"en": ["stork"]})  # a draft, not published

    assert client.get(reverse("home"), {"q": "stork"}).context["one_things"] == []
    assert [c.code for c in client.get(reverse("home"), {"q": "生孩子"}).context["one_things"]] == ["newborn"]


def test_a_search_is_one_query_for_a_visitor_however_many_one_things_it_looks_through(client, demo_catalog,
                                                                                      django_assert_num_queries):
    client.get(reverse("home"), {"q": "baby"})  # the published versions are compiled once per process
    with django_assert_num_queries(1):
        response = client.get(reverse("home"), {"q": "baby"})
    assert [c.code for c in response.context["one_things"]] == ["newborn"]
