"""Proactive services in the admin: the one thing's triggers are checked against the live catalog;
offers are listed, look only."""
from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation

from govflow.catalog.models import OneThing
from govflow.catalog.triggers import stored_trigger_errors

from ..factories import CitizenFactory, UserFactory
from .story import load

pytestmark = pytest.mark.django_db


def test_the_admins_trigger_check_reports_every_problem_against_the_live_catalog():
    load()
    newborn = OneThing.objects.get(code="newborn")
    granted = OneThing.objects.get(code="newborn-insurance")
    with translation.override("en"):
        problems = stored_trigger_errors([
            {"on": "output:no-such-output", "mode": "offer"},
            {"on": "import:y", "mode": "grant"},  # newborn's steps are mostly decided by clerks
            {"on": "completed:newborn", "mode": "offer"},
            {"on": "import:x", "when": "nope ==", "mode": "offer"},
            {"on": "import:y", "mode": "offer"},
        ], one_thing=newborn)
        assert [p.split(":", 1)[0] for p in problems] == ["1", "2", "3", "4", "5"]
        assert "unknown output 'no-such-output'" in problems[0]
        assert "health-birth-certificate" in problems[1]
        assert "cannot be triggered by its own completion" in problems[2]
        assert "not a valid CEL expression" in problems[3]
        assert "listed twice" in problems[4]
        assert stored_trigger_errors([{"on": "output:citizen_id", "mode": "grant"}], one_thing=granted) == []
        assert stored_trigger_errors("nope", one_thing=granted)
        assert stored_trigger_errors([], one_thing=granted) == []


def test_the_offers_admin_lists_offers_and_changes_nothing():
    from govflow.applications import eligibility, proactive

    load(triggers=[{"on": "import:newborns", "mode": "offer"}])
    person = CitizenFactory()
    eligibility.import_eligibility("newborns", [{"event_id": "r1", "id_number": person.id_number}])
    admin = UserFactory(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin)
    listing = client.get("/admin/applications/offer/")
    assert listing.status_code == 200 and "r1" in listing.content.decode()
    offer_pk = proactive.offers_for(person).get().pk
    assert client.get(f"/admin/applications/offer/{offer_pk}/change/").status_code == 200
    assert client.post(f"/admin/applications/offer/{offer_pk}/delete/", {"post": "yes"}).status_code == 403
