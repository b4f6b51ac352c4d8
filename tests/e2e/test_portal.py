"""The citizen portal in a real browser: Debian's Chromium on a 360 px phone, keyboard, axe-core.

Screenshots land in ``test-artifacts/screenshots/`` (``portal-*.png``).
"""
from __future__ import annotations

import re

import pytest

from govflow.applications.models import Application, ApplicationStatus, CaseStatus, Document
from govflow.applications.services import deciding
from tests.factories import CitizenFactory, id_number_for
from tests.stories import BUSINESS_ANSWERS, JPEG_BYTES, PDF_BYTES, PNG_BYTES, case_of, submitted

from .conftest import describe_violations, serious_violations

pytestmark = pytest.mark.e2e

PASSWORD = "Qiye-kaiban-2026"
FORM_TEXT = {k: v for k, v in BUSINESS_ANSWERS.items() if not isinstance(v, bool) and k not in (
    "company_type", "seal_material", "taxpayer_category")}
FORM_CHOICES = {"company_type": "llc", "seal_material": "rubber", "taxpayer_category": "small_scale",
                "invoice_needed": "yes"}
MATERIALS = {
    "legal_rep_id_card": ("id-card.png", "image/png", PNG_BYTES),
    "articles_of_association": ("articles.pdf", "application/pdf", PDF_BYTES),
    "premises_proof": ("lease.pdf", "application/pdf", PDF_BYTES),
    "investor_id_docs": ("investors.jpg", "image/jpeg", JPEG_BYTES),
    "employee_roster": ("roster.pdf", "application/pdf", PDF_BYTES),
}


def assert_fits_the_screen(page) -> None:
    """No horizontal scrolling: nothing is wider than the viewport."""
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"{page.url} scrolls sideways: content {widths[0]} px, viewport {widths[1]} px"


def assert_accessible(page, run_axe) -> None:
    violations = serious_violations(run_axe(page))
    assert not violations, f"{page.url}:\n{describe_violations(violations)}"


def sign_in(page, username: str, password: str = PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("#main-form button[type=submit]")
    page.wait_for_url(re.compile(r"/applications/$"))


def upload_materials(page, materials: dict) -> None:
    for code, (name, mime, content) in materials.items():
        page.set_input_files(f"#m-{code}-file", files=[{"name": name, "mimeType": mime, "buffer": content}])
        page.click(f"#m-{code} form button[type=submit]")
        page.wait_for_selector(f"#m-{code} .uploaded")


def test_a_citizen_starts_a_business_on_a_phone_from_registration_to_receipt(phone_page, demo_catalog, run_axe,
                                                                               screenshot):
    page = phone_page
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert_fits_the_screen(page)
    screenshot(page, "portal-01-home-phone")

    # Account: register (real name, id number with check digit, phone, email).
    page.click("nav.site__nav a[href='/accounts/register/']")
    page.fill("#id_name", "王小明")
    page.fill("#id_id_number", id_number_for(501, birth="19880512"))
    page.fill("#id_phone", "13800138000")
    page.fill("#id_email", "wang@example.org")
    page.fill("#id_username", "wangxm")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    assert_fits_the_screen(page)
    screenshot(page, "portal-02-register-phone")
    page.click("#main-form button[type=submit]")
    # The answer never tells whether the ID number had an account: sign in next.
    page.wait_for_url(re.compile(r"/accounts/login/$"))
    assert page.locator(".notice--success").is_visible()
    page.fill("#id_username", "wangxm")
    page.fill("#id_password", PASSWORD)
    page.click("#main-form button[type=submit]")
    page.wait_for_url(re.compile(r"/applications/$"))
    page.goto("/")

    # Find: the one thing's page, then start.
    page.click("#one-thing-business-startup .card__actions a")
    page.wait_for_url(re.compile(r"/one-things/business-startup/$"))
    assert_fits_the_screen(page)
    screenshot(page, "portal-03-one-thing-phone")
    page.click("a.button--start")

    # Guide: the answer decides which procedures apply.
    page.wait_for_selector("#f-has_employees-0")
    assert_fits_the_screen(page)
    screenshot(page, "portal-04-guide-phone")
    page.check("#f-has_employees-0")  # yes
    page.click("#main-form button[value=continue]")
    page.wait_for_url(re.compile(r"/applications/\d+/form/$"))
    application_id = int(re.search(r"/applications/(\d+)/", page.url).group(1))
    assert page.locator("#decision-title").is_visible()
    assert page.locator(".panel--info li").count() == 5  # employees: social insurance and housing fund too

    # Form: once-only — the profile filled in the legal representative; nothing about anyone else.
    assert page.input_value("#f-legal_rep_name") == "王小明"
    assert page.input_value("#f-legal_rep_phone") == "13800138000"
    assert page.input_value("#f-contact_email") == "wang@example.org"
    for code, value in FORM_TEXT.items():
        if code in ("legal_rep_name", "legal_rep_id", "legal_rep_phone", "contact_email"):
            continue
        page.fill(f"#f-{code}", str(value))
    for code, value in FORM_CHOICES.items():
        page.check(f"input[name={code}][value={value}]")
    assert_fits_the_screen(page)
    screenshot(page, "portal-05-form-phone")
    page.click("#main-form button[value=continue]")
    page.wait_for_url(re.compile(r"/applications/\d+/materials/$"))

    # Materials: each once, with the procedures that use it.
    assert page.locator("#m-legal_rep_id_card .muted").inner_text().count("、") >= 2  # shared by several
    upload_materials(page, MATERIALS)
    assert_fits_the_screen(page)
    screenshot(page, "portal-06-materials-phone")
    page.click(".actions a.button[href$='/check/']")

    # Check your answers, then submit.
    page.wait_for_url(re.compile(r"/applications/\d+/check/$"))
    assert page.locator(".error-summary").count() == 0
    assert "杭州一件事科技有限公司" in page.inner_text("main")
    assert_fits_the_screen(page)
    screenshot(page, "portal-07-check-phone")
    page.click("#submit")

    # Receipt with the application number.
    page.wait_for_url(re.compile(r"/applications/\d+/receipt/$"))
    number = page.inner_text(".confirmation__number")
    assert re.fullmatch(r"GF-\d{4}-\d{6,}", number)
    assert_fits_the_screen(page)
    screenshot(page, "portal-08-receipt-phone")

    application = Application.objects.get(pk=application_id)
    assert application.status == ApplicationStatus.SUBMITTED
    assert application.number == number
    assert application.data["legal_rep_name"] == "王小明"
    assert Document.objects.filter(application=application).count() == 5

    # Follow: one status page across all departments.
    page.click(f".actions a.button[href$='/{application_id}/']")
    page.wait_for_url(re.compile(r"/applications/\d+/$"))
    assert page.locator(".case").count() == 5
    assert_fits_the_screen(page)
    screenshot(page, "portal-09-application-phone")


@pytest.fixture
def citizen_with_correction(demo_catalog, clerks):
    """A submitted business application on which Market Regulation asked for corrections."""
    citizen = CitizenFactory(username="li-correct", name="李四", password=PASSWORD)
    application = submitted(citizen, "business-startup")
    case = case_of(application, "amr-licence")
    clerk = clerks["amr"]
    deciding.task_claim(case=case, user=clerk)
    deciding.task_complete(case=case, user=clerk, decision="request_correction", corrections={
        "fields": ["company_name"], "materials": ["articles_of_association"],
        "message": "企业名称与章程不一致，请修改名称并上传签字盖章的章程。"})
    return citizen, application


def test_a_citizen_answers_a_correction_request(page, citizen_with_correction, run_axe, screenshot):
    citizen, application = citizen_with_correction
    sign_in(page, citizen.username)
    page.goto(f"/applications/{application.pk}/")

    panel = page.locator("#correction")
    assert "企业名称与章程不一致" in panel.inner_text()
    # Exactly the marked field and material are highlighted and editable; nothing else is.
    form = page.locator("#correction-form")
    assert form.locator("input:not([type=hidden]):not([type=file]), textarea, select").count() == 1
    assert form.locator("#f-company_name").count() == 1
    assert form.locator("input[type=file]").count() == 1
    assert page.locator(".summary__row--marked").count() == 2
    assert_accessible(page, run_axe)
    screenshot(page, "portal-10-correction")

    # Sent empty: the browser's own checks are off (one bubble at a time); the server reports both
    # mistakes at once, on top and at each item, and keeps the answer unchanged.
    assert form.get_attribute("novalidate") is not None
    page.fill("#f-company_name", "")
    page.click("#correction-form button[value=resubmit]")
    page.wait_for_selector(".error-summary")
    links = page.locator(".error-summary a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert links == ["#f-company_name", "#m-articles_of_association-file"]
    assert page.locator("#f-company_name").get_attribute("aria-invalid") == "true"
    assert page.locator("#m-articles_of_association-file").get_attribute("aria-invalid") == "true"
    application.refresh_from_db()
    assert application.status == ApplicationStatus.CORRECTION_REQUESTED
    assert application.data["company_name"] == BUSINESS_ANSWERS["company_name"]
    assert_accessible(page, run_axe)
    screenshot(page, "portal-10b-correction-two-errors")

    page.fill("#f-company_name", "杭州一件事信息科技有限公司")
    page.set_input_files("#m-articles_of_association-file",
                         files=[{"name": "articles-signed.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES}])
    page.click("#correction-form button[value=resubmit]")
    page.wait_for_selector(".notice--success")
    assert page.locator("#correction").count() == 0

    application.refresh_from_db()
    assert application.data["company_name"] == "杭州一件事信息科技有限公司"
    assert application.status == ApplicationStatus.IN_PROGRESS
    assert case_of(application, "amr-licence").status == CaseStatus.IN_REVIEW
    assert application.documents.get(material_code="articles_of_association").filename == "articles-signed.pdf"
    screenshot(page, "portal-11-after-correction")


@pytest.mark.locale("en")
def test_the_main_pages_have_no_serious_accessibility_violations(page, demo_catalog, run_axe, screenshot):
    citizen = CitizenFactory(username="axe-citizen", password=PASSWORD)
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert_accessible(page, run_axe)
    screenshot(page, "portal-axe-home")

    sign_in(page, citizen.username)
    page.goto("/apply/business-startup/")
    page.check("#f-has_employees-0")
    page.click("#main-form button[value=continue]")
    page.wait_for_url(re.compile(r"/form/$"))
    assert_accessible(page, run_axe)

    # A server-side error (a check digit the browser cannot know): the summary is announced and
    # focused, and its link moves focus to the field.
    # Every error of the page in one round: an unreadable number hides none of the others.
    wrong = id_number_for(7)[:17] + ("0" if id_number_for(7)[17] != "0" else "1")
    page.fill("#f-legal_rep_id", wrong)
    page.fill("#f-registered_capital", "abc")
    page.fill("#f-legal_rep_phone", "12345")
    page.click("#main-form button[value=save]")
    page.wait_for_selector(".error-summary")
    links = page.locator(".error-summary a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert links == ["#f-registered_capital", "#f-legal_rep_id", "#f-legal_rep_phone"]
    for anchor in links:
        assert page.locator(f"{anchor}-error").is_visible()
    assert page.evaluate("() => document.activeElement.classList.contains('error-summary')")
    assert page.locator("#f-legal_rep_id").get_attribute("aria-invalid") == "true"
    assert_accessible(page, run_axe)
    screenshot(page, "portal-axe-form-errors")
    page.click(".error-summary a[href='#f-legal_rep_id']")
    assert page.evaluate("() => document.activeElement.id") == "f-legal_rep_id"

    application = Application.objects.get(applicant=citizen)
    page.goto(f"/applications/{application.pk}/check/")
    assert_accessible(page, run_axe)
    screenshot(page, "portal-axe-check")

    done = submitted(citizen, "business-startup")
    page.goto(f"/applications/{done.pk}/")
    assert_accessible(page, run_axe)
    page.goto("/applications/")
    assert_accessible(page, run_axe)
    page.goto("/accounts/register/")
    assert_accessible(page, run_axe)


def test_the_portal_works_with_the_keyboard_alone(page, demo_catalog):
    page.goto("/")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.className") == "skip-link"
    focus_ring = page.evaluate("() => getComputedStyle(document.activeElement).left")
    assert focus_ring == "0px"  # the skip link shows itself when focused
    page.keyboard.press("Enter")
    assert page.evaluate("() => location.hash") == "#main"

    # Every focusable control shows a visible focus indicator.
    page.focus("#q")
    styles = page.evaluate("() => { const s = getComputedStyle(document.activeElement);"
                           " return [s.outlineStyle, s.outlineWidth, s.boxShadow]; }")
    assert styles[0] != "none" or styles[2] != "none"
    page.keyboard.type("开办")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"\?q="))
    assert page.locator("#one-thing-business-startup").count() == 1
    assert page.locator("#one-thing-newborn").count() == 0


def test_the_language_switcher_changes_the_page_language(page, demo_catalog, screenshot):
    page.goto("/one-things/newborn/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert "出生一件事" in page.inner_text("h1")
    page.select_option("#language", "en")
    page.click("form.lang button")
    page.wait_for_function("() => document.documentElement.lang === 'en'")
    assert page.url.endswith("/one-things/newborn/")
    assert "Sign in" in page.inner_text("nav.site__nav")
    screenshot(page, "portal-one-thing-en-desktop")


def test_an_agent_switches_to_the_company_on_a_phone(phone_page, demo_catalog, run_axe, screenshot):
    """The "acting as" switcher: visible on a 360 px phone, works by keyboard without scripts' help."""
    from datetime import timedelta

    from django.utils import timezone

    from govflow.parties import services as parties

    legal = CitizenFactory(username="wang-legal", name="王晓明", password=PASSWORD)
    agent = CitizenFactory(username="li-agent", name="李娜", password=PASSWORD)
    company = parties.organisation_register(actor=legal, name="杭州示例科技有限公司", uscc="91330106MA2B7K5L1F",
                                            legal_representative_name=legal.name, division="330106",
                                            legal_representative=legal, verified=True)
    parties.agent_grant(organisation=company, actor=legal, agent_id_number=agent.id_number,
                        expires_at=timezone.now() + timedelta(days=30))
    page = phone_page
    sign_in(page, agent.username)

    switcher = page.locator("#acting-as")
    assert switcher.is_visible()
    assert_fits_the_screen(page)
    assert_accessible(page, run_axe)
    switcher.focus()
    switcher.select_option(f"org:{company.pk}")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # the Switch button
    page.wait_for_selector("#acting-note")
    assert page.locator("#acting-as option:checked").inner_text() == "杭州示例科技有限公司"
    assert_fits_the_screen(page)
    screenshot(page, "portal-12-acting-as-company-phone")

    page.click(".acting__links a[href='/organisations/']")
    page.click(f"a[href='/organisations/{company.pk}/']")
    page.wait_for_url(re.compile(rf"/organisations/{company.pk}/$"))
    assert "91330106MA2B7K5L1F" in page.inner_text("main")
    assert_fits_the_screen(page)
    assert_accessible(page, run_axe)
    screenshot(page, "portal-13-organisation-phone")


@pytest.mark.parametrize("locale", ["zh-CN", "en-GB"])
def test_the_service_guide_fits_a_phone_is_accessible_and_prints_without_the_site_around_it(
        browser, live_server, transactional_db, demo_catalog, run_axe, screenshot, locale):
    from .conftest import PHONE, _new_page

    context, page = _new_page(browser, live_server, viewport=PHONE, locale=locale, mobile=True)
    try:
        page.goto("/one-things/business-startup/")
        page.click("a[href='/one-things/business-startup/guide/']")
        page.wait_for_url(re.compile(r"/one-things/business-startup/guide/$"))
        assert page.locator("h1").inner_text() in ("开办企业一件事", "Start a business")
        assert page.locator(".guide__section").count() == 6  # with the scope of 容缺受理
        assert page.locator("#guide-deferral").count() == 1
        assert_fits_the_screen(page)
        assert_accessible(page, run_axe)
        screenshot(page, f"portal-service-guide-360-{locale}")

        page.emulate_media(media="print")
        assert not page.locator("header.site").is_visible()
        assert not page.locator("footer.site").is_visible()
        assert not page.locator(".no-print").first.is_visible()
        assert page.locator(".guide__section").first.is_visible()
        screenshot(page, f"portal-service-guide-print-{locale}")
    finally:
        context.close()
