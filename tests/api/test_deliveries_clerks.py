"""A back-office system moves physical results on through the API, as a clerk does in the workbench:
``GET /api/v1/deliveries/`` (the office's results still to hand over), ``GET /api/v1/deliveries/{id}/``
and ``POST /api/v1/deliveries/{id}/advance/``, through the one service (``delivery_advance``), with the
workbench's authorisation: a member of the approved case's office; anyone else's result is a 404."""
from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from govflow.applications.models import Delivery, TimelineEntry
from govflow.catalog.models import Office

from ..delivery_world import PICKUP, POST, change_submitted, register_company
from ..factories import MembershipFactory, UserFactory
from ..stories import approve

pytestmark = pytest.mark.django_db


@pytest.fixture
def company(demo_catalog, citizen_alice):
    return register_company(citizen_alice)


@pytest.fixture
def posted_licence(company, citizen_alice, clerks) -> Delivery:
    app = change_submitted(citizen_alice, company, delivery=POST)
    approve(app, "amr-change-registration", clerks["amr"])
    return Delivery.objects.get(application=app)


def test_a_clerk_lists_reads_and_posts_then_delivers_a_licence(api, posted_licence, clerks):
    clerk = api(clerks["amr"])
    listed = clerk.get("/api/v1/deliveries/")
    assert listed.status_code == 200 and listed.json()["count"] == 1
    (row,) = listed.json()["results"]
    assert (row["id"], row["application"]["number"], row["procedure"], row["result"], row["method"], row["state"],
            row["office"]) == (posted_licence.pk, posted_licence.application.number, "amr-change-registration",
                               "business-licence", "post", "preparing", None)
    assert row["address"]["address"] == POST["address"]
    assert clerk.get(f"/api/v1/deliveries/{posted_licence.pk}/").json() == row

    url = f"/api/v1/deliveries/{posted_licence.pk}/advance/"
    posted = clerk.post(url, {"state": "posted", "tracking_number": "SF1234567890"}, format="json")
    assert posted.status_code == 200, posted.json()
    assert (posted.json()["state"], posted.json()["tracking_number"]) == ("posted", "SF1234567890")
    entry = TimelineEntry.objects.get(application=posted_licence.application, kind="delivery.posted")
    assert entry.actor == clerks["amr"] and entry.message == "SF1234567890"

    delivered = clerk.post(url, {"state": "delivered"}, format="json")
    assert delivered.status_code == 200 and delivered.json()["state"] == "delivered"
    assert clerk.get("/api/v1/deliveries/").json()["count"] == 0  # handed over: off the list
    assert clerk.get(f"/api/v1/deliveries/{posted_licence.pk}/").json()["state"] == "delivered"  # still readable


def test_bad_moves_are_refused_and_change_nothing(api, posted_licence, clerks):
    clerk = api(clerks["amr"])
    url = f"/api/v1/deliveries/{posted_licence.pk}/advance/"
    for body, status, key in (({}, 400, "state"), ({"state": "teleported"}, 400, "state"),
                              ({"state": "preparing"}, 400, "state"), ({"state": ["posted"]}, 400, "state"),
                              ({"state": "posted"}, 400, "tracking_number"),
                              ({"state": "posted", "tracking_number": "SF\u0000123"}, 400, "tracking_number"),
                              ({"state": "ready"}, 409, "detail"),  # ready is pick-up's, this one is posted
                              ({"state": "delivered"}, 409, "detail")):  # not posted yet
        response = clerk.post(url, body, format="json")
        assert response.status_code == status, (body, response.json())
        assert key in response.json(), (body, response.json())
    posted_licence.refresh_from_db()
    assert (posted_licence.state, posted_licence.tracking_number) == ("preparing", "")
    assert not TimelineEntry.objects.filter(application=posted_licence.application,
                                            kind__in=("delivery.posted", "delivery.ready")).exists()


def test_another_office_a_citizen_and_nobody_cannot_reach_it(api, posted_licence, clerks, citizen_alice):
    shangcheng = UserFactory(username="amr-shangcheng")
    MembershipFactory(user=shangcheng, office=Office.objects.get(code="amr-330102"))
    paths = [f"/api/v1/deliveries/{posted_licence.pk}/", f"/api/v1/deliveries/{posted_licence.pk}/advance/",
             "/api/v1/deliveries/999999/", "/api/v1/deliveries/999999/advance/"]
    for user in (clerks["tax"], shangcheng):  # another department; the same department in another district
        client = api(user)
        assert client.get("/api/v1/deliveries/").json()["count"] == 0
        for path in paths:
            method = client.post if path.endswith("advance/") else client.get
            body = {"state": "posted", "tracking_number": "SF1"}
            response = method(path, body, format="json") if method == client.post else method(path)
            assert response.status_code == 404, (user.username, path)
    assert api(citizen_alice).post(paths[1], {"state": "posted", "tracking_number": "SF1"},
                                   format="json").status_code == 403
    assert api(None).get("/api/v1/deliveries/").status_code == 401
    posted_licence.refresh_from_db()
    assert posted_licence.state == "preparing"


def test_the_list_costs_the_same_queries_for_one_result_or_three(api, posted_licence, company, citizen_alice,
                                                                  clerks):
    clerk = api(clerks["amr"])
    with CaptureQueriesContext(connection) as one:
        assert clerk.get("/api/v1/deliveries/").json()["count"] == 1
    for delivery in (PICKUP, POST):
        approve(change_submitted(citizen_alice, company, delivery=delivery), "amr-change-registration", clerks["amr"])
    with CaptureQueriesContext(connection) as three:
        body = clerk.get("/api/v1/deliveries/").json()
    assert body["count"] == 3
    assert [r["office"]["code"] if r["office"] else None for r in body["results"]] == [None, "gsc-330106", None]
    assert len(three.captured_queries) == len(one.captured_queries), [q["sql"] for q in three.captured_queries]

