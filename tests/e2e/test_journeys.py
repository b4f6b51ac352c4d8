"""The four journeys of issue 17, end to end in a real browser (Debian's Chromium via Playwright):

1. a citizen finds "start a business" by an everyday word, reads the service guide, applies (three
   mistakes shown at once, then fixed), submits, gets the acceptance receipt with the committed
   date and a QR code, and checks the receipt signed out on the public verification page;
2. a clerk claims the case from the queue, sees what the output looks like (a plain hint and an
   example, not a regular expression) and approves with a valid USCC;
3. a supervisor reads the board;
4. an administrator opens the admin (govflow's, not Django's), a changelist and the one-thing
   designer.

Every journey runs at 360 px and 1280 px in Chinese and English (all four roles, the admin and its
designer included), and every page on the way: nothing scrolls sideways,
axe-core finds nothing serious, and the page speaks one language (the checker of
``tests/test_every_page_language.py`` run on the DOM the browser shows, people's data exempt the
same way). Screenshots: ``test-artifacts/screenshots/journey-<who>-<step>-<width>-<lang>.png``.

The other browser tests cover the pieces in depth (keyboard use, corrections, the designer's
condition builder, certificates, delivery); these walk the whole way once per screen and language.
"""
from __future__ import annotations

import re

import pytest

from govflow.applications.models import Application, ApplicationStatus, CaseStatus, TimelineEntry
from govflow.applications.services import citizen_actions, deciding, drafting
from govflow.catalog.calendar import local_date
from govflow.catalog.definition import get_definition
from govflow.catalog.remedies import remedies_for
from tests.factories import CitizenFactory, MembershipFactory, UserFactory, id_number_for
from tests.stories import BUSINESS_ANSWERS, OUTPUTS, PNG_BYTES, approve, case_of, submitted, upload
from tests.test_every_page_language import _data_pattern, _data_strings, _problems, _Text

from .test_portal import (
    FORM_CHOICES,
    FORM_TEXT,
    MATERIALS,
    PASSWORD,
    assert_accessible,
    assert_fits_the_screen,
    sign_in,
    upload_materials,
)

pytestmark = pytest.mark.e2e

STAFF_PASSWORD = "govflow-test-pw"  # tests.factories.UserFactory's
PHONE, DESKTOP = (360, 740), (1280, 800)
TASK_URL = re.compile(r"/workbench/tasks/\d+/$")
NEW_NAME = "杭州一件事网络科技有限公司"  # the company's name after a correction


def journey(width: int, language: str):
    """A parameter: the ``page`` fixture's viewport and browser language."""
    height = PHONE[1] if width == PHONE[0] else DESKTOP[1]
    return pytest.param(width, language, id=f"{width}-{language}",
                        marks=[pytest.mark.viewport(width, height),
                               pytest.mark.locale("en" if language == "en" else "zh-CN")])


ALL_FOUR = [journey(360, "zh-hans"), journey(360, "en"), journey(1280, "zh-hans"), journey(1280, "en")]
DESKTOP_BOTH = [journey(1280, "zh-hans"), journey(1280, "en")]


def assert_one_language(page, language: str, also_data: tuple[str, ...] = ()) -> None:
    """The page's visible text (and its aria-labels, titles, placeholders, alts) is in ``language``:
    in English no Chinese character or punctuation, in Chinese no English word; people's data (as
    the crawl of every page exempts it) and ``also_data`` (what the person typed) may be either."""
    assert page.locator("html").get_attribute("lang") == language
    parser = _Text(language)
    parser.feed(page.content())
    text = "\n".join(parser.texts)
    for pattern in (_data_pattern(_data_strings(), language), _data_pattern(list(also_data), language)):
        if pattern is not None:
            text = pattern.sub(" ", text)
    lines = [line.strip() for line in text.splitlines() if _problems(line, language)]
    assert not lines, f"{page.url} mixes languages in {language}: {lines[:8]}"


def check(page, run_axe, screenshot, name: str, width: int, language: str, also_data: tuple[str, ...] = ()) -> None:
    """What every page of a journey must be: fits, accessible, one language; then its screenshot."""
    screenshot(page, f"journey-{name}-{width}-{language}")
    assert page.evaluate("() => window.innerWidth") == width
    assert_fits_the_screen(page)
    assert_accessible(page, run_axe)
    assert_one_language(page, language, also_data)


def wrong_check_digit(id_number: str) -> str:
    return id_number[:17] + ("0" if id_number[17] != "0" else "1")


# -- 1. the citizen --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("width", "language"), ALL_FOUR)
def test_a_citizen_finds_applies_submits_and_checks_the_receipt(page, demo_catalog, clerks, run_axe, screenshot,
                                                                 width, language):
    def looks(name, *also):
        check(page, run_axe, screenshot, f"citizen-{name}", width, language, also)

    citizen = CitizenFactory(username="journey-citizen", name="王小明", password=PASSWORD,
                             id_number=id_number_for(601, birth="19880512"), phone="13800138000",
                             email="wang@example.org")
    sign_in(page, citizen.username)
    looks("01-applications")

    # Search with the words people use, not the catalog's title.
    everyday = "开公司" if language == "zh-hans" else "open a company"
    page.goto("/")
    page.fill("#q", everyday)
    page.press("#q", "Enter")
    page.wait_for_url(re.compile(r"\?q="))
    assert page.locator("#one-thing-business-startup").count() == 1
    assert page.locator("#one-thing-newborn").count() == 0
    looks("02-search", everyday)

    page.click("#one-thing-business-startup .card__title a")
    page.wait_for_url(re.compile(r"/one-things/business-startup/$"))
    looks("03-one-thing")

    # The service guide (办事指南), then back to start applying.
    page.click("a[href='/one-things/business-startup/guide/']")
    page.wait_for_url(re.compile(r"/one-things/business-startup/guide/$"))
    assert page.locator(".guide__section").count() == 6  # with the scope of 容缺受理
    assert page.locator("#guide-deferral").count() == 1
    looks("04-service-guide")
    page.goto("/one-things/business-startup/")
    page.click("a.button--start")
    page.wait_for_selector("#f-has_employees-0")
    looks("05-questions")
    page.check("#f-has_employees-0")
    page.click("#main-form button[value=continue]")
    page.wait_for_url(re.compile(r"/applications/\d+/form/$"))
    application = Application.objects.get(applicant=citizen)

    # The form: three mistakes at once, all three reported at once, on top and at each field.
    for code, value in FORM_TEXT.items():
        if code not in ("legal_rep_name", "legal_rep_phone", "contact_email"):
            page.fill(f"#f-{code}", str(value))
    for code, value in FORM_CHOICES.items():
        page.check(f"input[name={code}][value={value}]")
    page.fill("#f-legal_rep_id", wrong_check_digit(FORM_TEXT["legal_rep_id"]))
    page.fill("#f-registered_capital", "abc")
    page.fill("#f-legal_rep_phone", "12345")
    page.click("#main-form button[value=continue]")
    page.wait_for_selector(".error-summary")
    assert re.search(r"/applications/\d+/form/$", page.url)
    links = page.locator(".error-summary a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert links == ["#f-registered_capital", "#f-legal_rep_id", "#f-legal_rep_phone"]
    for anchor in links:
        assert page.locator(f"{anchor}-error").is_visible()
        assert page.locator(anchor).get_attribute("aria-invalid") == "true"
    looks("06-form-three-errors", "abc")

    page.fill("#f-registered_capital", FORM_TEXT["registered_capital"])
    page.fill("#f-legal_rep_id", FORM_TEXT["legal_rep_id"])
    page.fill("#f-legal_rep_phone", "13800138000")
    page.click("#main-form button[value=continue]")
    page.wait_for_url(re.compile(r"/applications/\d+/materials/$"))
    upload_materials(page, MATERIALS)
    looks("07-materials")

    page.click(".actions a.button[href$='/check/']")
    page.wait_for_url(re.compile(r"/applications/\d+/check/$"))
    assert page.locator(".error-summary").count() == 0
    looks("08-check-your-answers")
    page.click("#submit")

    # The acceptance receipt: the date promised, fixed at submission, and the QR code to check it.
    page.wait_for_url(re.compile(r"/applications/\d+/receipt/$"))
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED
    assert application.expected_finish is not None
    assert page.inner_text("[data-committed]") == application.expected_finish.isoformat()
    assert page.inner_text("[data-number]") == application.number
    assert page.locator("[data-receipt] img.official__qr[src^='data:image/svg+xml']").count() == 1
    # The receipt is a paper: nothing in it scrolls sideways either; on a phone the procedures stack.
    scrolled = page.locator("[data-receipt] *").evaluate_all(
        "nodes => nodes.filter(n => n.clientWidth > 1 && n.scrollWidth > n.clientWidth + 1"
        " && getComputedStyle(n).overflowX !== 'visible')"
        ".map(n => n.tagName + '.' + n.className)")
    assert not scrolled, f"scrolls sideways inside the receipt: {scrolled}"
    cells = page.locator("[data-receipt-procedures] tbody tr").first.locator("td")
    lefts = cells.evaluate_all("cells => cells.map(c => Math.round(c.getBoundingClientRect().left))")
    assert len(lefts) == 3 and (len(set(lefts)) == 1) == (width == PHONE[0]), lefts
    looks("09-receipt")
    verify_url = page.get_attribute(".official__url", "href")

    # One status page for every department involved.
    page.click(f".actions a.button[href$='/applications/{application.pk}/']")
    page.wait_for_url(re.compile(rf"/applications/{application.pk}/$"))
    assert page.locator(".case").count() == 5
    looks("10-status")

    # Notification settings on the profile: the channels and the language of messages, saved.
    other = "en" if language == "zh-hans" else "zh-hans"
    page.goto("/accounts/profile/")
    assert page.is_checked("#id_notify_by_email") and page.is_checked("#id_notify_by_sms")
    page.uncheck("#id_notify_by_sms")
    page.check(f"input[name=language][value={other}]")
    page.click("#main-form button[type=submit]")
    page.wait_for_selector(".notice--success")
    assert page.url.endswith("/accounts/profile/")
    citizen.refresh_from_db()
    assert (citizen.notify_by_email, citizen.notify_by_sms, citizen.language) == (True, False, other)
    assert not page.is_checked("#id_notify_by_sms") and page.is_checked(f"input[name=language][value={other}]")
    assert page.locator("html").get_attribute("lang") == language  # the messages' language, not the page's
    looks("11-profile-notification-settings")

    # Refused: the reason, where and until when to ask for reconsideration or go to court; then apply again.
    refused = submitted(citizen, "business-startup")
    refused_case = case_of(refused, "amr-licence")
    reason = "住所证明已过期。" if language == "zh-hans" else "The proof of premises has expired."
    deciding.task_claim(case=refused_case, user=clerks["amr"])
    deciding.task_complete(case=refused_case, user=clerks["amr"], decision="reject", comment=reason)
    refused_case.refresh_from_db()
    remedies = remedies_for(get_definition(refused.version), "amr-licence", local_date(refused_case.decided_at))
    page.goto(f"/applications/{refused.pk}/")
    notice = page.locator("[data-rejection-notice]").inner_text()
    assert reason in notice
    for words in (("行政复议", "行政诉讼") if language == "zh-hans" else ("reconsideration", "lawsuit")):
        assert words in notice, notice
    assert remedies.reconsideration_until.isoformat() in notice
    assert remedies.litigation_until.isoformat() in notice
    looks("12-refused-with-remedies")

    page.click("[data-apply-again] button[type=submit]")
    page.wait_for_url(re.compile(r"/applications/\d+/$"))
    again = Application.objects.get(previous=refused)
    assert page.url.endswith(f"/applications/{again.pk}/")
    assert again.status == ApplicationStatus.DRAFT and again.applicant == citizen
    assert again.data["company_name"] == refused.data["company_name"]
    looks("13-applied-again")

    # Signed out, the address in the QR code says the receipt is genuine and shows nobody's data.
    page.context.clear_cookies()
    page.goto(verify_url)
    assert page.locator("[data-genuine]").is_visible()
    text = page.inner_text("main")
    assert application.number in text
    for personal in (citizen.name, citizen.id_number, citizen.phone, citizen.email, "杭州一件事科技有限公司"):
        assert personal not in text
    assert page.locator("a[href='/accounts/login/'], a[href^='/accounts/login/?']").count() >= 1  # signed out
    looks("11-verify-signed-out")


# -- 2. the clerk ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("width", "language"), ALL_FOUR)
def test_a_clerk_claims_reads_the_output_format_in_words_and_approves(page, demo_catalog, clerks, run_axe,
                                                                     screenshot, width, language):
    def looks(name, *also):
        check(page, run_axe, screenshot, f"clerk-{name}", width, language, also)

    application = submitted(CitizenFactory(username="journey-applicant"), "business-startup")
    case = case_of(application, "amr-licence")
    page.goto("/accounts/login/?next=/workbench/")
    page.fill("#id_username", clerks["amr"].username)  # clerk-amr
    page.fill("#id_password", STAFF_PASSWORD)
    page.click("#main-form button[type=submit]")
    page.wait_for_url(re.compile(r"/workbench/$"))
    assert application.number in page.locator("[data-rows]").inner_text()
    looks("01-queue")

    page.locator("[data-rows] [data-claim]").first.click()
    page.wait_for_url(TASK_URL)
    decided_task = int(re.search(r"/tasks/(\d+)/$", page.url).group(1))
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_REVIEW and case.owner == clerks["amr"]

    # What the licence's USCC looks like: in words and by example, not as a regular expression.
    approve_form = page.locator("#decide-approve")
    approve_form.locator("summary").evaluate("summary => summary.parentElement.open = true")
    notes = approve_form.inner_text()
    assert ("例如" if language == "zh-hans" else "For example") in notes
    assert re.search(r"\b9\d{7}[0-9A-Z]{10}\b", notes), notes  # an example code
    assert not re.search(r"\^|\\d|\[0-9|\{\d+\}|\$", notes), notes  # no regular expression
    looks("02-task")

    page.fill("#approve-output_uscc", OUTPUTS["amr-licence"]["uscc"])  # 91330106MA2K111106
    page.click("#decide-approve button[type=submit]")
    page.wait_for_selector(".wb-confirm")
    assert OUTPUTS["amr-licence"]["uscc"] in page.inner_text(".wb-confirm")
    looks("03-confirm")
    page.click(".wb-confirm button[name=confirmed]")
    page.wait_for_url(re.compile(r"/workbench/next/$"))
    case.refresh_from_db()
    assert case.status == CaseStatus.APPROVED and case.outputs == OUTPUTS["amr-licence"]
    looks("04-next")

    # The decided task's link still leads somewhere: its case's history, read-only.
    page.goto(f"/workbench/tasks/{decided_task}/")
    assert page.locator("[data-read-only]").is_visible()
    assert page.locator("form[action*='/decide/'], [data-claim]").count() == 0
    assert application.number in page.inner_text("h1")
    looks("05-decided-task-read-only")

    # After a correction round the task the clerk had open is replaced: its old link leads to the new
    # one, where the answer and the file are shown before and after, side by side.
    applicant = application.applicant
    corrected = submitted(applicant, "business-startup")
    corrected_case = case_of(corrected, "amr-licence")
    deciding.task_claim(case=corrected_case, user=clerks["amr"])
    old_task = corrected_case.task_id
    deciding.task_complete(case=corrected_case, user=clerks["amr"], decision="request_correction", corrections={
        "fields": ["company_name"], "materials": ["premises_proof"], "message": "名称与章程不一致；住所证明已过期。"})
    drafting.application_update(application=corrected, user=applicant, data={"company_name": NEW_NAME})
    upload(corrected, applicant, "premises_proof", PNG_BYTES, "lease-2026.png")
    citizen_actions.application_resubmit(application=corrected, user=applicant)
    corrected_case.refresh_from_db()
    assert corrected_case.status == CaseStatus.IN_REVIEW and corrected_case.task_id != old_task
    page.goto(f"/workbench/tasks/{old_task}/")
    page.wait_for_url(re.compile(rf"/workbench/tasks/{corrected_case.task_id}/$"))
    compare = page.locator("[data-correction-round]")
    name_row = compare.locator("[data-corrected-field=company_name]")
    assert name_row.locator("del").inner_text() == BUSINESS_ANSWERS["company_name"]
    assert name_row.locator("ins").inner_text() == NEW_NAME
    file_row = compare.locator("[data-corrected-material=premises_proof]")
    assert file_row.locator("[data-before-file]").get_attribute("href") != file_row.locator(
        "[data-now-file]").get_attribute("href")
    assert "lease-2026.png" in file_row.locator("[data-now-file]").inner_text()
    looks("06-correction-side-by-side")


# -- 3. the supervisor -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("width", "language"), ALL_FOUR)
def test_a_supervisor_reads_the_board(page, demo_catalog, clerks, run_axe, screenshot, width, language):
    from govflow.catalog.models import Department

    citizen = CitizenFactory(username="journey-rater")
    done = submitted(citizen, "business-startup")
    for code in ("amr-licence", "psb-seal-filing", "tax-registration", "hrss-employer-insurance",
                 "hpf-employer-account"):
        approve(done, code, clerks[code.split("-")[0]])
    citizen_actions.evaluation_create(application=done, user=citizen, score=1, comment="太慢了")
    waiting = submitted(citizen, "business-startup")
    deciding.task_claim(case=case_of(waiting, "amr-licence"), user=clerks["amr"])
    supervisor = UserFactory(username="super-amr")
    MembershipFactory(user=supervisor, department=Department.objects.get(code="amr"), role="supervisor")

    page.goto("/accounts/login/?next=/workbench/board/")
    page.fill("#id_username", supervisor.username)
    page.fill("#id_password", STAFF_PASSWORD)
    page.click("#main-form button[type=submit]")
    page.wait_for_url(re.compile(r"/workbench/board/"))
    assert "太慢了" in page.locator("#follow-ups").inner_text()
    check(page, run_axe, screenshot, "supervisor-01-board", width, language)

    page.goto("/workbench/board/overdue/")
    check(page, run_axe, screenshot, "supervisor-02-overdue", width, language)

    # The supervisor gives the held case to a colleague: its own timeline entry, from whom to whom,
    # never a second "claimed".
    amr = Department.objects.get(code="amr")
    colleague = UserFactory(username="clerk-amr-2")
    MembershipFactory(user=colleague, department=amr, role="clerk")
    held = case_of(waiting, "amr-licence")
    page.goto(f"/workbench/tasks/{held.task_id}/")
    page.select_option("#task-assignee", str(colleague.pk))
    page.click(".wb-assign button[type=submit]")
    page.wait_for_selector(".wb-messages")
    held.refresh_from_db()
    assert held.owner == colleague and held.status == CaseStatus.IN_REVIEW
    entry = TimelineEntry.objects.get(case=held, kind="case.reassigned")
    assert entry.actor == supervisor
    assert (entry.data["from"]["id"], entry.data["to"]["id"]) == (clerks["amr"].pk, colleague.pk)
    assert TimelineEntry.objects.filter(case=held, kind="case.claimed").count() == 1
    history = page.locator(".wb-history li").last.inner_text()
    assert clerks["amr"].name in history and colleague.name in history and supervisor.name in history
    check(page, run_axe, screenshot, "supervisor-03-reassigned", width, language)


# -- 4. the administrator --------------------------------------------------------------------------------

@pytest.mark.parametrize(("width", "language"), ALL_FOUR)
def test_an_administrator_opens_the_admin_and_the_designer(page, demo_catalog, run_axe, screenshot, width,
                                                           language):
    from govflow.catalog.models import OneThing

    def looks(name):
        check(page, run_axe, screenshot, f"admin-{name}", width, language)

    UserFactory(username="admin", is_staff=True, is_superuser=True)
    page.goto("/accounts/login/?next=/admin/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", STAFF_PASSWORD)
    page.click("#main-form button[type=submit]")
    page.wait_for_url(re.compile(r"/admin/$"))
    # govflow's admin, not Django's.
    assert "govflow" in page.inner_text("#header").lower()
    assert "django" not in page.inner_text("body").lower()
    assert "django" not in page.title().lower()
    looks("01-index")

    page.goto("/admin/catalog/onething/")
    assert page.locator("#result_list tbody tr").count() >= 2
    assert "django" not in page.title().lower()
    looks("02-changelist")

    one_thing = OneThing.objects.get(code="business-startup")
    page.goto(f"/admin/catalog/onething/{one_thing.pk}/change/")
    page.wait_for_load_state("networkidle")
    assert page.locator("#steps-group tr.form-row:not(.empty-form)").count() == 5
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1] == width, f"the designer is {widths[0]} px wide at {widths[1]} px"
    looks("03-designer")
