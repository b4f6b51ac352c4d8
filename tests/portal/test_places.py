"""Places (issue #15) in the portal: which one things a person sees, where an application is
handled, a refusal when no office is competent, and the residence on the profile."""
from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from govflow.applications.models import Application, ApplicationStatus, Case, TimelineEntry
from govflow.catalog import jurisdictions
from govflow.catalog.models import Division, Office
from govflow.catalog.services import import_catalog
from tests.conftest import load_demo_document
from tests.factories import CitizenFactory
from tests.stories import draft

pytestmark = pytest.mark.django_db

PROVINCE_WIDE = {"business-startup", "newborn", "enterprise-change"}  # the demo's are offered in 330000
LOCAL = {"newborn-hz": "330100", "newborn-sc": "330102", "newborn-xh": "330106"}
PLACE = "place-division"  # the name of the first step's select


@pytest.fixture
def local_one_things(demo_catalog):
    """The demo's newborn one thing offered again in Hangzhou only, Shangcheng only and Xihu only."""
    doc = load_demo_document()
    newborn = next(o for o in doc["one_things"] if o["code"] == "newborn")
    for code, division in LOCAL.items():
        doc["one_things"].append({**newborn, "code": code, "division": division,
                                  "name": {"en": f"Newborn ({code})", "zh-hans": f"出生一件事（{code}）"}})
    import_catalog(doc)
    return LOCAL


def division(code: str) -> Division:
    return Division.objects.get(code=code)


def client_for(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


@pytest.fixture
def shangcheng(demo_catalog):
    """A citizen who lives in Shangcheng District (like the demo's citizen-sc)."""
    return CitizenFactory(username="sc", residence=division("330102"))


@pytest.fixture
def sc_client(shangcheng) -> Client:
    return client_for(shangcheng)


def listed(response) -> set[str]:
    return {card.code for card in response.context["one_things"]}


def newborn_form(answers: dict, **extra) -> dict:
    post = {"step": "form", "action": "save", **extra}
    post.update({code: str(value) for code, value in answers.items()})
    return post


# -- which one things a person sees --------------------------------------------------------------

def test_a_citizen_sees_the_one_things_of_their_district_and_above(sc_client, local_one_things):
    response = sc_client.get(reverse("home"))

    assert listed(response) == PROVINCE_WIDE | {"newborn-hz", "newborn-sc"}
    assert "Showing the services for people who live in Shangcheng District." in response.content.decode()
    assert sc_client.get(reverse("one-thing", args=["newborn-sc"])).status_code == 200
    assert sc_client.get(reverse("one-thing", args=["newborn-hz"])).status_code == 200
    # Xihu's own one thing is not offered to them: not on the list, and not found, as an unpublished one.
    assert sc_client.get(reverse("one-thing", args=["newborn-xh"])).status_code == 404
    assert sc_client.get(reverse("apply", args=["newborn-xh"])).status_code == 404
    assert sc_client.post(reverse("apply", args=["newborn-xh"]), {"step": "form"}).status_code == 404
    assert not Application.objects.exists()


def test_a_visitor_sees_the_province_wide_one_things_only(en_client, local_one_things):
    response = en_client.get(reverse("home"))

    assert listed(response) == PROVINCE_WIDE
    assert "Showing the services offered across the province." in response.content.decode()
    assert en_client.get(reverse("one-thing", args=["newborn"])).status_code == 200
    for code in LOCAL:
        assert en_client.get(reverse("one-thing", args=[code])).status_code == 404


def test_without_a_residence_a_citizen_sees_those_of_the_default_division(alice_client, local_one_things,
                                                                          settings):
    assert settings.GOVFLOW_DEFAULT_DIVISION == "330106"

    response = alice_client.get(reverse("home"))

    assert listed(response) == PROVINCE_WIDE | {"newborn-hz", "newborn-xh"}
    body = response.content.decode()
    assert "Showing the services offered in Xihu District." in body and "Tell us where you live" in body


def test_search_keeps_to_the_one_things_offered(sc_client, local_one_things):
    response = sc_client.get(reverse("home"), {"q": "newborn"})

    assert listed(response) == {"newborn", "newborn-hz", "newborn-sc"}


# -- where an application is handled -------------------------------------------------------------

def test_the_first_step_offers_the_divisions_where_the_one_thing_is_offered(sc_client):
    response = sc_client.get(reverse("apply", args=["business-startup"]))  # its first step is the guide

    field = response.context["place"].form["division"]
    assert field.value() == "330102"  # where the applicant lives
    body = response.content.decode()
    assert '<label class="label" for="id_place-division">Where your application is handled</label>' in body
    assert 'aria-describedby="id_place-division-hint"' in body
    options = [code for code, _name in field.field.widget.choices if isinstance(_name, str)]
    grouped = {label: [code for code, _n in group] for label, group in field.field.widget.choices
               if isinstance(group, list)}
    assert options == ["330000"] and grouped == {"Zhejiang Province": ["330100"],
                                                 "Hangzhou": ["330102", "330106"]}
    assert not Application.objects.exists()


def test_the_division_chosen_on_the_first_step_is_the_drafts(sc_client, shangcheng):
    response = sc_client.post(reverse("apply", args=["business-startup"]),
                              {"step": "guide", "has_employees": "no", PLACE: "330106"})

    assert response.status_code == 302
    application = Application.objects.get(applicant=shangcheng)
    assert application.division.code == "330106"


def test_without_a_choice_the_draft_starts_where_the_applicant_lives(sc_client, shangcheng):
    sc_client.post(reverse("apply", args=["business-startup"]), {"step": "guide", "has_employees": "no"})

    assert Application.objects.get(applicant=shangcheng).division.code == "330102"


def test_a_draft_moves_to_another_division_and_the_pages_show_it(sc_client, shangcheng):
    application = draft(shangcheng, "business-startup")
    guide = sc_client.get(reverse("apply-guide", args=[application.pk]))
    assert guide.context["place"].form["division"].value() == "330102"

    response = sc_client.post(reverse("apply-guide", args=[application.pk]),
                              {"step": "guide", "has_employees": "yes", PLACE: "330100"})

    assert response.status_code == 302
    application.refresh_from_db()
    assert application.division.code == "330100"
    check = sc_client.get(reverse("apply-check", args=[application.pk]))
    assert check.context["place"]["division"].code == "330100"
    body = check.content.decode()
    assert f'href="/applications/{application.pk}/guide/#id_place-division"' in body
    status = sc_client.get(reverse("application", args=[application.pk])).content.decode()
    assert "Handled in" in status and "Hangzhou" in status


def test_a_one_thing_without_a_guide_chooses_on_its_form(sc_client, shangcheng):
    response = sc_client.post(reverse("apply", args=["newborn"]),
                              newborn_form({"baby_name": "张小宝"}, **{PLACE: "330106"}))

    assert response.status_code == 302
    application = Application.objects.get(applicant=shangcheng)
    assert application.division.code == "330106"
    form = sc_client.get(reverse("apply-form", args=[application.pk]))
    assert form.context["place"].form["division"].value() == "330106"


def test_a_division_outside_the_area_is_refused_on_the_select(sc_client, shangcheng, local_one_things):
    application = draft(shangcheng, "newborn-hz", answers={"baby_name": "张小宝"}, materials={})
    assert application.division.code == "330102"

    response = sc_client.post(reverse("apply-form", args=[application.pk]),
                              newborn_form({"baby_name": "张小宝二"}, **{PLACE: "330000"}))

    assert response.status_code == 400  # refused: nothing saved
    body = response.content.decode()
    assert "This one thing is offered in Hangzhou only; Zhejiang Province is outside it." in body
    assert response.context["error_items"][0]["href"] == "#id_place-division"
    assert 'aria-invalid="true" aria-describedby="id_place-division-hint id_place-division-error"' in body
    application.refresh_from_db()
    assert application.division.code == "330102"
    assert application.data["baby_name"] == "张小宝"  # nothing of the post is saved


@pytest.mark.parametrize(("code", "message"), [("999999", "Unknown division: 999999."),
                                               ("33010x", "Select a place from the list."),
                                               ("", "Select a place.")])
def test_a_bad_division_is_a_form_error_never_a_500(sc_client, shangcheng, code, message):
    response = sc_client.post(reverse("apply", args=["business-startup"]),
                              {"step": "guide", "has_employees": "no", PLACE: code})

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Application.objects.filter(applicant=shangcheng).exists()


def test_a_one_thing_of_one_division_shows_it_without_a_select(sc_client, shangcheng, local_one_things):
    response = sc_client.get(reverse("apply", args=["newborn-sc"]))

    assert response.context["place"].form is None
    assert 'name="place-division"' not in response.content.decode()
    assert "Shangcheng District" in response.content.decode()


# -- no competent office: refused, nothing written -------------------------------------------------

def test_a_submission_without_a_competent_office_is_refused_next_to_the_division(sc_client, shangcheng):
    Office.objects.filter(code="tax-330102").delete()  # no case uses it yet
    application = draft(shangcheng, "business-startup")
    assert application.division.code == "330102"

    response = sc_client.post(reverse("apply-submit", args=[application.pk]), {"submit_key": "k1"})

    assert response.status_code == 400
    expected = ("No office of Taxation Bureau in Shangcheng District handles “Tax registration information "
                "confirmation” yet.")
    assert response.context["place"]["errors"] == [expected]
    assert response.context["error_items"][0] == {
        "href": f"/applications/{application.pk}/guide/#id_place-division",
        "text": f"Where your application is handled: {expected}"}
    assert expected in response.content.decode()
    application.refresh_from_db()
    assert application.status == ApplicationStatus.DRAFT
    assert not application.number and application.submitted_at is None
    assert not Case.objects.exists() and not TimelineEntry.objects.exists()
    assert application.documents.count() == 5  # not even the unused documents are dropped

    # Handled in Xihu instead, it goes through.
    sc_client.post(reverse("apply-guide", args=[application.pk]),
                   {"step": "guide", "has_employees": "yes", PLACE: "330106"})
    response = sc_client.post(reverse("apply-submit", args=[application.pk]), {"submit_key": "k2"})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED
    assert set(Case.objects.values_list("office__division__code", flat=True)) == {"330106", "330100"}
    receipt = sc_client.get(reverse("receipt", args=[application.pk])).content.decode()
    assert "Handled in" in receipt and "Xihu District" in receipt


# -- the residence on the profile ------------------------------------------------------------------

def test_the_profile_sets_the_residence_and_new_applications_start_there(alice_client, citizen_alice):
    page = alice_client.get(reverse("profile"))
    assert page.context["form"]["residence"].value() == ""
    assert '<label class="label" for="id_residence">' in page.content.decode()

    response = alice_client.post(reverse("profile"), {"phone": citizen_alice.phone, "email": citizen_alice.email,
                                                      "residence": "330102"})

    assert response.status_code == 302
    citizen_alice.refresh_from_db()
    assert citizen_alice.residence.code == "330102"
    start = alice_client.get(reverse("apply", args=["business-startup"]))
    assert start.context["place"].form["division"].value() == "330102"
    alice_client.post(reverse("apply", args=["business-startup"]), {"step": "guide", "has_employees": "no"})
    assert Application.objects.get(applicant=citizen_alice).division.code == "330102"

    alice_client.post(reverse("profile"), {"phone": citizen_alice.phone, "email": citizen_alice.email,
                                           "residence": ""})
    citizen_alice.refresh_from_db()
    assert citizen_alice.residence is None


@pytest.mark.parametrize(("code", "message"), [("999999", "Unknown division."),
                                               ("<script>", "Select a place from the list.")])
def test_the_profile_refuses_an_unknown_residence(alice_client, citizen_alice, demo_catalog, code, message):
    response = alice_client.post(reverse("profile"), {"phone": "13900139000", "email": "new@example.org",
                                                      "residence": code})

    assert response.status_code == 200
    body = response.content.decode()
    assert message in body and 'href="#id_residence"' in body
    citizen_alice.refresh_from_db()
    assert citizen_alice.residence is None and citizen_alice.email != "new@example.org"


def test_registration_leaves_the_residence_empty(en_client, demo_catalog):
    from govflow.accounts.models import User

    response = en_client.post(reverse("register"), {
        "name": "王小明", "id_number": "110101199003074514", "phone": "13800138000",
        "email": "wang@example.org", "username": "wangxm", "password1": "Qiye-kaiban-2026",
        "password2": "Qiye-kaiban-2026"})

    assert response.status_code == 302
    assert User.objects.get(username="wangxm").residence is None


# -- a bounded number of queries whatever the number of divisions and one things -------------------

def _count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.status_code
    return len(queries)


def _more_places() -> None:
    """Every division of the bundled file: 25 instead of the demo's 4."""
    jurisdictions.save_divisions(jurisdictions.read_divisions_file(jurisdictions.BUNDLED_DIVISIONS))
    assert Division.objects.count() == 25


def test_the_profile_runs_a_constant_number_of_queries(alice_client, citizen_alice, demo_catalog,
                                                       django_assert_max_num_queries):
    _more_places()
    citizen_alice.residence = division("330105")
    citizen_alice.save()

    with django_assert_max_num_queries(5):  # session, user, divisions: not one per option; the switcher's 2
        response = alice_client.get(reverse("profile"))

    assert response.context["form"]["residence"].value() == "330105"
    select = re.search(r'<select name="residence".*?</select>', response.content.decode(), re.S).group(0)
    assert select.count("<option") == 26  # 25 divisions and "Not set"


def test_the_pages_with_a_division_select_run_a_constant_number_of_queries(sc_client, shangcheng):
    application = draft(shangcheng, "business-startup")
    pages = [reverse("home"), reverse("one-thing", args=["newborn"]), reverse("apply", args=["newborn"]),
             reverse("apply-guide", args=[application.pk]), reverse("apply-check", args=[application.pk]),
             reverse("application", args=[application.pk]), reverse("profile")]
    before = [_count(sc_client, url) for url in pages]

    _more_places()
    after = [_count(sc_client, url) for url in pages]

    assert after == before
    budgets = [6, 7, 9, 6, 7, 9, 5]  # session and user included, and the "acting as" switcher's 2
    assert all(count <= budget for count, budget in zip(before, budgets, strict=True)), before
    first_step = sc_client.get(reverse("apply", args=["newborn"])).content.decode()
    select = re.search(r'<select name="place-division".*?</select>', first_step, re.S).group(0)
    assert select.count("<option") == 25  # newborn is offered province-wide


def test_choosing_a_division_runs_a_bounded_number_of_queries(sc_client, shangcheng, django_assert_max_num_queries):
    application = draft(shangcheng, "business-startup")
    _more_places()

    with django_assert_max_num_queries(16):  # the "acting as" switcher's 2 included
        response = sc_client.post(reverse("apply-guide", args=[application.pk]),
                                  {"step": "guide", "has_employees": "yes", PLACE: "330105"})

    assert response.status_code == 302
    application.refresh_from_db()
    assert application.division.code == "330105"  # Gongshu, from the bundled file


def test_the_home_page_of_a_signed_in_citizen_runs_a_constant_number_of_queries(sc_client, local_one_things,
                                                                              django_assert_max_num_queries):
    with django_assert_max_num_queries(6):  # the "acting as" switcher's 2 included
        response = sc_client.get(reverse("home"))

    assert len(response.context["one_things"]) == len(PROVINCE_WIDE | {"newborn-hz", "newborn-sc"}) == 5
