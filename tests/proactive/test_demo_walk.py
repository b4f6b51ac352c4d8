"""The demo as shipped (seed_demo), walked the normal way: the citizen applies for ``newborn``, the
clerks approve, and the childcare subsidy is offered (the procedure trigger of
``health-childcare-subsidy``, docs/demo.md)."""
from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation

from govflow.accounts.models import User
from govflow.applications.models import Application, CaseStatus, Offer, OfferMode, OfferState, Origin
from govflow.applications.services import deciding

from ..api.conftest import client_for
from ..stories import NEWBORN_ANSWERS, OUTPUTS, approve, case_of, submitted

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("notification_settings")]

BANK = {"subsidy_bank": "中国工商银行杭州西湖支行", "subsidy_account_no": "6222021202001234567"}


@pytest.fixture
def demo(settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=StringIO())
    return {name: User.objects.get(username=name) for name in ("citizen", "clerk-health", "clerk-psb")}


def test_a_normal_newborn_walk_offers_the_childcare_subsidy(demo, django_capture_on_commit_callbacks):
    citizen = demo["citizen"]
    with django_capture_on_commit_callbacks(execute=True):
        app = submitted(citizen, "newborn")
    with django_capture_on_commit_callbacks(execute=True):
        approve(app, "health-birth-certificate", demo["clerk-health"])
    assert not Offer.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        approve(app, "psb-household-registration", demo["clerk-psb"])

    # The baby's citizen id offers the subsidy (the newborn's own enrolment makes no second grant).
    offer = Offer.objects.get()
    assert (offer.one_thing.code, offer.mode, offer.state, offer.applicant) == (
        "childcare-subsidy", OfferMode.OFFER, OfferState.OFFERED, citizen)
    assert offer.expires_at is not None
    draft = offer.application
    assert draft.data["citizen_id"] == OUTPUTS["psb-household-registration"]["citizen_id"]
    assert draft.data["baby_name"] == NEWBORN_ANSWERS["baby_name"] and "subsidy_account_no" not in draft.data
    assert case_of(app, "mi-newborn-insurance").status == CaseStatus.APPROVED  # its automatic step ran

    # The citizen sees it waiting, on the portal and in the API.
    page = Client()
    page.force_login(citizen)
    with translation.override("en"):
        listing = page.get(reverse("applications"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="offers"' in listing and reverse("offer", args=[offer.pk]) in listing
    api = client_for(citizen)
    assert [o["one_thing"]["code"] for o in api.get("/api/v1/offers/?state=offered").json()["results"]] == [
        "childcare-subsidy"]

    # Confirming needs what the state did not know (the bank account): given with the acceptance.
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/api/v1/offers/{offer.pk}/accept/", {"data": BANK}, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["origin"], response.json()["status"]) == ("offer", "submitted")
    granted = Application.objects.get(pk=response.json()["id"])
    assert granted.origin == Origin.OFFER and granted.data["subsidy_account_no"] == BANK["subsidy_account_no"]

    # The health clerk decides it like any other application.
    case = case_of(granted, "health-childcare-subsidy")
    deciding.task_claim(case=case, user=demo["clerk-health"])
    deciding.task_complete(case=case, user=demo["clerk-health"], decision="approve", outputs={}, comment="ok")
    granted.refresh_from_db()
    assert (granted.status, granted.outcome) == ("completed", "approved")
