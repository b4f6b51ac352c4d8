"""The service-hall counter's whole story in a real browser: counter-xihu identifies a walk-in
person, fills the one form with them, uploads the scans, submits and prints the receipt (number
and one-time code); the person then follows the application online with the number and code,
and claims it into their account. axe-core audits each page.

Screenshots land in ``test-artifacts/screenshots/`` (``counter-*.png``).
"""
from __future__ import annotations

import re

import pytest

from govflow.applications.models import Application, ApplicationStatus, Channel, CounterLookup
from govflow.catalog import questions as qa
from govflow.catalog.definition import get_definition
from tests.counter_story import counter_clerk, counter_office
from tests.stories import BUSINESS_ANSWERS, BUSINESS_MATERIALS

from .test_workbench import PASSWORD, assert_accessible, sign_in, sign_out

pytestmark = pytest.mark.e2e

MIME = {b"%PDF": ("application/pdf", "pdf"), b"\x89PNG": ("image/png", "png"), b"\xff\xd8\xff\xe0": ("image/jpeg", "jpg")}


def fill_the_form(page, definition) -> None:
    """Answer every question on the page from the story's answers (what is pre-filled stays)."""
    for code, value in BUSINESS_ANSWERS.items():
        spec = definition.fields[code]
        question = qa.question(spec, value=value)
        if question.widget in ("radios", "yesno"):
            radio = page.locator(f"input[name='{code}'][value='{question.value}']")
            if radio.count():
                radio.check()
        elif page.locator(f"#{question.id}").count():
            if question.widget == "select":
                page.select_option(f"#{question.id}", question.value)
            elif not page.locator(f"#{question.id}").input_value():
                page.fill(f"#{question.id}", question.value)


@pytest.mark.locale("en")
def test_a_walk_in_is_served_at_the_counter_then_follows_and_claims_the_application_online(
        page, demo_catalog, citizen_alice, run_axe, screenshot):
    office = counter_office()
    clerk = counter_clerk("counter-xihu", office)

    # The counter clerk signs in and lands on the counter (they handle no cases: no queue).
    sign_in(page, clerk.username, "/workbench/counter/")
    assert page.locator("h1").inner_text() == "Service-hall counter"
    assert_accessible(page, run_axe)
    screenshot(page, "counter-01-identify")

    # Identify the walk-in by the ID card; only now does their file open (and the read is recorded).
    page.fill("#id_person-id_number", citizen_alice.id_number)
    page.fill("#id_person-name", citizen_alice.name)
    page.fill("#id_person-phone", citizen_alice.phone)
    page.click("form[data-identify=person] button[type=submit]")
    page.wait_for_url(re.compile(r"/workbench/counter/party/$"))
    assert CounterLookup.objects.filter(clerk=clerk, person=citizen_alice, what="history").count() == 1
    assert_accessible(page, run_axe)
    screenshot(page, "counter-02-party")

    page.select_option("#one-thing", "business-startup")
    page.click("#start-h ~ form button[type=submit]")
    page.wait_for_url(re.compile(r"/workbench/counter/applications/\d+/form/$"))
    app = Application.objects.get()
    assert (app.channel, app.counter_office, app.applicant) == (Channel.COUNTER, office, citizen_alice)
    definition = get_definition(app.version)
    assert page.locator("#f-legal_rep_name").input_value() == citizen_alice.name  # once-only: pre-filled
    assert_accessible(page, run_axe)

    # The one form, filled in with the person (their situation brings more questions once saved).
    for _round in range(3):
        fill_the_form(page, definition)
        page.click("#main-form > button[type=submit]")
        page.wait_for_load_state()
        if page.url.endswith("/materials/"):
            break
    assert page.url.endswith("/materials/"), page.locator(".wb-main").inner_text()[:1000]
    screenshot(page, "counter-03-materials")

    # The scans, one material at a time.
    for code, content in BUSINESS_MATERIALS.items():
        mime, extension = next(v for k, v in MIME.items() if content.startswith(k))
        if not page.locator(f"#m-{code}-file").count():
            continue
        page.set_input_files(f"#m-{code}-file", files=[{"name": f"{code}.{extension}", "mimeType": mime,
                                                         "buffer": content}])
        page.click(f"#m-{code} button[type=submit]")
        page.wait_for_url(re.compile(r"/materials/(#.*)?$"))
    assert_accessible(page, run_axe)

    # Check with the person, then submit: the receipt with the number and the one-time code.
    page.click("text=Continue to check")
    page.wait_for_url(re.compile(r"/check/$"))
    assert not page.locator("[data-error-summary]").count()
    assert_accessible(page, run_axe)
    page.click("#submit button[type=submit]")
    page.wait_for_url(re.compile(r"/receipt/$"))
    app.refresh_from_db()
    assert app.status == ApplicationStatus.SUBMITTED and app.submitted_by == clerk
    assert page.locator("[data-receipt-number]").inner_text() == app.number
    code = page.locator("[data-receipt-code]").inner_text()
    assert re.fullmatch(r"[A-Z2-9]{5}-[A-Z2-9]{5}", code) and code.replace("-", "") not in app.receipt_code_hash
    assert page.locator("[data-print]").is_visible()
    assert_accessible(page, run_axe)
    page.emulate_media(media="print")
    assert not page.locator(".wb-top").is_visible() and page.locator("[data-receipt-code]").is_visible()
    screenshot(page, "counter-04-receipt-print")
    page.emulate_media(media="screen")
    sign_out(page)

    # At home, the person follows the application with the number and the code (no account needed).
    page.goto("/receipts/follow/")
    assert_accessible(page, run_axe)
    page.fill("#id_number", app.number)
    page.fill("#id_code", code.lower())
    page.click("#main-form button[type=submit]")
    assert page.locator("[data-number]").inner_text() == app.number
    assert_accessible(page, run_axe)
    screenshot(page, "counter-05-follow")

    # Signed in, they claim it into their account with the same code (once).
    page.goto("/accounts/login/?next=/receipts/claim/")
    page.fill("#id_username", citizen_alice.username)
    page.fill("#id_password", PASSWORD)
    page.click("#main-form button[type=submit]")
    page.wait_for_url(re.compile(r"/receipts/claim/$"))
    assert_accessible(page, run_axe)
    page.fill("#id_number", app.number)
    page.fill("#id_code", code)
    page.click("#main-form button[type=submit]")
    page.wait_for_url(re.compile(rf"/applications/{app.pk}/$"))
    assert app.number in page.locator("main").inner_text()
    assert_accessible(page, run_axe)
    screenshot(page, "counter-06-claimed")
    app.refresh_from_db()
    assert app.claimed_by == citizen_alice and app.receipt_code_hash == ""
