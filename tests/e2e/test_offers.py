"""Proactive services (免申即享) in a real browser: a citizen confirms an offer on a 360 px phone."""
from __future__ import annotations

import re

import pytest

from govflow.applications import eligibility
from govflow.applications.models import Application, Offer, OfferState, Origin
from tests.factories import CitizenFactory
from tests.proactive.story import load
from tests.stories import NEWBORN_ANSWERS, OUTPUTS

from .test_portal import PASSWORD, assert_accessible, assert_fits_the_screen, sign_in

pytestmark = pytest.mark.e2e


def test_a_citizen_confirms_an_offer_on_a_phone_in_one_step(phone_page, run_axe, screenshot):
    load(triggers=[{"on": "import:newborns", "mode": "offer"}])
    citizen = CitizenFactory(username="chen-li", name="陈丽", password=PASSWORD)
    row = {"event_id": "psb-2026-0001", "id_number": citizen.id_number,
           "citizen_id": OUTPUTS["psb-household-registration"]["citizen_id"],
           **{k: NEWBORN_ANSWERS[k] for k in ("baby_name", "birth_date", "mother_name", "mother_id",
                                              "household_address")}}
    assert eligibility.import_eligibility("newborns", [row]).created == 1
    offer = Offer.objects.get()

    page = phone_page
    sign_in(page, citizen.username)
    # "My applications" says what is waiting.
    link = page.locator(f"#offers a[href='/offers/{offer.pk}/']")
    assert link.is_visible()
    assert_fits_the_screen(page)
    assert_accessible(page, run_axe)
    screenshot(page, "offer-01-list-phone")

    link.click()
    page.wait_for_url(re.compile(rf"/offers/{offer.pk}/$"))
    answers = page.locator("#offer-answers")
    assert NEWBORN_ANSWERS["baby_name"] in answers.inner_text()
    assert page.locator("#offer-accept").is_visible() and page.locator("#offer-decline").is_visible()
    assert_fits_the_screen(page)
    assert_accessible(page, run_axe)
    screenshot(page, "offer-02-offer-phone")

    page.locator("#offer-accept").click()
    page.wait_for_url(re.compile(rf"/applications/{offer.application_id}/receipt/$"))
    assert_fits_the_screen(page)
    app = Application.objects.get(pk=offer.application_id)
    offer.refresh_from_db()
    assert offer.state == OfferState.ACCEPTED and app.origin == Origin.OFFER and app.number
    assert app.number in page.content()

    page.goto(f"/applications/{app.pk}/")
    assert page.locator("[data-origin='offer']").is_visible()
    assert_fits_the_screen(page)
    assert_accessible(page, run_axe)
    screenshot(page, "offer-03-application-phone")
