"""Places (issue #15) in the portal: which one things a person sees."""
from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from govflow.applications.models import Application
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


def test_the_home_page_of_a_signed_in_citizen_runs_a_constant_number_of_queries(sc_client, local_one_things,
                                                                              django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        response = sc_client.get(reverse("home"))

    assert len(response.context["one_things"]) == 4
