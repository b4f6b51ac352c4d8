"""Places (issue #15) in the portal: which one things a person sees, and the residence on the profile."""
from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from govflow.applications.models import Application
from govflow.catalog import jurisdictions
from govflow.catalog.models import Division
from govflow.catalog.services import import_catalog
from tests.conftest import load_demo_document
from tests.factories import CitizenFactory

pytestmark = pytest.mark.django_db

PROVINCE_WIDE = {"business-startup", "newborn"}  # the demo's one things are offered in 330000
LOCAL = {"newborn-hz": "330100", "newborn-sc": "330102", "newborn-xh": "330106"}


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


# -- a bounded number of queries ------------------------------------------------------------------

def test_the_profile_runs_a_constant_number_of_queries(alice_client, citizen_alice, demo_catalog,
                                                       django_assert_max_num_queries):
    jurisdictions.save_divisions(jurisdictions.read_divisions_file(jurisdictions.BUNDLED_DIVISIONS))
    citizen_alice.residence = division("330105")
    citizen_alice.save()

    with django_assert_max_num_queries(3):  # session, user, divisions: not one per option
        response = alice_client.get(reverse("profile"))

    assert response.context["form"]["residence"].value() == "330105"
    select = re.search(r'<select name="residence".*?</select>', response.content.decode(), re.S).group(0)
    assert select.count("<option") == 26  # 25 divisions and "Not set"


def test_the_home_page_of_a_signed_in_citizen_runs_a_constant_number_of_queries(sc_client, local_one_things,
                                                                              django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        response = sc_client.get(reverse("home"))

    assert len(response.context["one_things"]) == 4
