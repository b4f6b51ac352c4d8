"""How to receive physical results in a real browser: the check page's question on a 360 px
phone without JavaScript (every option shown, nothing sideways, axe-core clean), the submission,
and the state on the status page.

Screenshots land in ``test-artifacts/screenshots/`` (``delivery-*.png``)."""
from __future__ import annotations

import re

import pytest

from govflow.applications.models import Application, Delivery
from govflow.applications.services import delivering
from tests.delivery_world import change_draft, register_company
from tests.factories import CitizenFactory
from tests.stories import approve

from .conftest import PHONE, describe_violations, serious_violations
from .test_portal import PASSWORD, assert_fits_the_screen, sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def no_script_phone(browser, live_server, transactional_db):
    context = browser.new_context(base_url=live_server.url, viewport={"width": PHONE[0], "height": PHONE[1]},
                                  locale="en-GB", timezone_id="Asia/Shanghai", is_mobile=True, has_touch=True,
                                  java_script_enabled=False)
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def test_the_licence_is_posted_as_chosen_on_a_phone_without_javascript(no_script_phone, demo_catalog, clerks,
                                                                      run_axe, screenshot):
    page = no_script_phone
    citizen = CitizenFactory(username="wang", name="王晓明", password=PASSWORD)
    app = change_draft(citizen, register_company(citizen))
    sign_in(page, "wang")
    page.goto(f"/applications/{app.pk}/check/")
    assert page.is_visible("#delivery-post") and page.is_visible("#delivery-office-gsc-330106")
    assert page.is_visible("#delivery-address")  # shown without a script to reveal it
    assert_fits_the_screen(page)
    screenshot(page, "delivery-check-phone")

    page.check("#delivery-post")
    page.fill("#delivery-phone", "12")  # wrong: every error at once, the rest kept
    page.fill("#delivery-recipient", "")
    page.click("#submit")
    page.wait_for_selector(".error-summary")
    assert page.locator("#delivery-phone").get_attribute("aria-invalid") == "true"
    assert page.locator("#delivery-recipient").get_attribute("aria-invalid") == "true"
    assert_fits_the_screen(page)
    screenshot(page, "delivery-check-errors-phone")
    assert Application.objects.get(pk=app.pk).number is None

    page.check("#delivery-post")
    page.fill("#delivery-recipient", "王晓明")
    page.fill("#delivery-phone", "13800138000")
    page.click("#submit")
    page.wait_for_url(re.compile(r"/receipt/$"))
    app = Application.objects.get(pk=app.pk)
    assert app.delivery_method == "post" and app.delivery_address["phone"] == "13800138000"

    approve(app, "amr-change-registration", clerks["amr"])
    delivering.delivery_advance(delivery=Delivery.objects.get(application=app), user=clerks["amr"], state="posted",
                              tracking_number="SF1234567890")
    page.goto(f"/applications/{app.pk}/")
    assert "SF1234567890" in page.inner_text("#delivery")
    assert_fits_the_screen(page)
    screenshot(page, "delivery-status-phone")


def test_the_check_page_with_the_question_is_accessible(page, demo_catalog, run_axe, screenshot):
    citizen = CitizenFactory(username="wang", name="王晓明", password=PASSWORD)
    app = change_draft(citizen, register_company(citizen))
    sign_in(page, "wang")
    page.goto(f"/applications/{app.pk}/check/")
    violations = serious_violations(run_axe(page))
    assert not violations, describe_violations(violations)
    page.click("#submit")
    page.wait_for_selector(".error-summary")
    violations = serious_violations(run_axe(page))
    assert not violations, describe_violations(violations)
    screenshot(page, "delivery-check-desktop-errors")
