"""The clerk workbench in a real browser (Debian's Chromium via Playwright): keyboard flow from the
queue to a correction request and an approval, the dependent case reaching the next department,
supervisors' board, axe-core audits, and the phone layout.

Screenshots land in ``test-artifacts/screenshots/`` (``workbench-*.png``).
"""
from __future__ import annotations

import re

import pytest

from govflow.applications.models import Case, CaseStatus
from govflow.applications.services import citizen_actions, deciding, drafting
from tests.factories import MembershipFactory, UserFactory
from tests.stories import BUSINESS_MATERIALS, OUTPUTS, PNG_BYTES, case_of, submitted, upload

from .conftest import describe_violations, serious_violations

pytestmark = pytest.mark.e2e

PASSWORD = "govflow-test-pw"  # tests.factories.UserFactory's
TASK_URL = re.compile(r"/workbench/tasks/\d+/$")


def one_page_pdf(text: str) -> bytes:
    """A small valid PDF (the stories' PDF bytes are only a header), so the preview shows a page."""
    stream = f"BT /F1 24 Tf 30 70 Td ({text}) Tj ET".encode()
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 144] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    return out + b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)


def sign_in(page, username: str, next_url: str = "/workbench/") -> None:
    page.goto(f"/accounts/login/?next={next_url}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("#main-form button[type=submit]")
    page.wait_for_url(re.compile(re.escape(next_url) + r"$"))


def sign_out(page) -> None:
    page.click(".wb-user form[action='/accounts/logout/'] button")
    page.wait_for_url(re.compile(r"/$"))


def assert_accessible(page, run_axe) -> None:
    violations = serious_violations(run_axe(page))
    assert not violations, f"{page.url}:\n{describe_violations(violations)}"


def assert_fits_the_screen(page) -> None:
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"{page.url} scrolls sideways: content {widths[0]} px, viewport {widths[1]} px"


def first_row_number(page) -> str:
    return page.locator("[data-rows] [data-row-link]").first.inner_text()


def test_a_clerk_claims_asks_for_a_correction_then_approves_and_the_next_department_gets_the_case(
        page, demo_catalog, citizen_alice, clerks, run_axe, screenshot):
    app = submitted(citizen_alice, "business-startup",
                    materials={**BUSINESS_MATERIALS, "articles_of_association": one_page_pdf("Articles of association")})
    later = submitted(citizen_alice, "business-startup")  # same due date, filed later: second in line

    # The clerk logs in and lands on the department queue (Chinese: the browser asks for zh-CN).
    sign_in(page, clerks["amr"].username)
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.locator("h1").inner_text() == "部门待办"
    assert first_row_number(page) == app.number
    assert page.locator("[data-rows] [data-row-link]").nth(1).inner_text() == later.number
    assert_accessible(page, run_axe)
    screenshot(page, "workbench-01-queue")

    # Keyboard only: j selects the first row, c claims it; the task page opens.
    page.keyboard.press("j")
    assert page.evaluate("document.activeElement.textContent") == app.number
    page.keyboard.press("c")
    page.wait_for_url(TASK_URL)
    case = case_of(app, "amr-licence")
    assert page.url.endswith(f"/workbench/tasks/{case.task_id}/")
    assert case.status == CaseStatus.IN_REVIEW and case.owner == clerks["amr"]
    assert "您已认领" in page.locator(".wb-messages").inner_text()
    assert_accessible(page, run_axe)
    screenshot(page, "workbench-02-task")

    # The articles of association, previewed inline (Chromium's PDF viewer in the page).
    preview = page.locator("details.wb-preview", has=page.locator("iframe")).first
    preview.locator("summary").click()
    frame_src = preview.locator("iframe").get_attribute("src")
    pdf = page.request.get(frame_src)
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    page.wait_for_timeout(1000)
    screenshot(page, "workbench-02b-preview")

    # Request a correction, everything in one go: e opens the form with the focus in it.
    page.keyboard.press("e")
    assert page.evaluate("document.activeElement.name") == "fields_to_correct"
    page.check("#decide-correction input[value=company_name]")
    page.check("#decide-correction input[value=premises_proof]")
    page.fill("#request_correction-message", "企业名称与公司章程不一致；住所使用证明已过期，请重新上传。")
    page.click("#decide-correction button[type=submit]")
    assert page.locator("h1").inner_text() == "确认办理决定"
    assert "企业名称与公司章程不一致" in page.locator(".wb-confirm").inner_text()
    screenshot(page, "workbench-03-confirm-correction")
    page.keyboard.press("Enter")  # the confirm button has the focus
    page.wait_for_url(re.compile(r"/workbench/next/$"))
    assert "要求补正" in page.locator(".wb-messages").inner_text()
    # The next task of the queue is offered straight away.
    assert later.number in page.locator(".wb-next").inner_text()
    screenshot(page, "workbench-04-next")
    case.refresh_from_db()
    assert case.status == CaseStatus.CORRECTION_REQUESTED
    assert case.corrections["fields"] == ["company_name"] and case.corrections["materials"] == ["premises_proof"]

    # The citizen corrects (through the services the portal uses); the case comes back to this clerk.
    drafting.application_update(application=app, user=citizen_alice, data={"company_name": "杭州一件事网络科技有限公司"})
    upload(app, citizen_alice, "premises_proof", PNG_BYTES, "lease.png")
    citizen_actions.application_resubmit(application=app, user=citizen_alice)
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_REVIEW and case.owner == clerks["amr"]

    page.goto("/workbench/mine/")
    assert first_row_number(page) == app.number
    page.locator("[data-rows] [data-row-link]").first.click()
    page.wait_for_url(TASK_URL)
    assert "杭州一件事网络科技有限公司" in page.locator("#answers-h + table").inner_text()
    assert page.locator(".wb-corrected").count() == 2  # the corrected answer and the replaced material
    # The correction side by side: the name before and now, and both files.
    compare = page.locator("[data-correction-round]")
    assert compare.is_visible()
    assert "杭州一件事网络科技有限公司" in compare.locator("ins").first.inner_text()
    assert compare.locator("[data-before-file]").count() == compare.locator("[data-now-file]").count() == 1
    assert_accessible(page, run_axe)
    screenshot(page, "workbench-04b-correction-side-by-side")

    # Approve with the licence's output: a wrong format is refused, the right one goes through.
    page.keyboard.press("a")
    assert page.evaluate("document.activeElement.name") == "output_uscc"
    page.keyboard.type("91330106MA2K")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("[data-error-summary]").is_visible()
    assert "不符合规定的格式" in page.locator("[data-error-summary]").inner_text()
    assert page.evaluate("document.activeElement.hasAttribute('data-error-summary')")
    assert_accessible(page, run_axe)
    screenshot(page, "workbench-05-invalid-output")
    page.fill("#approve-output_uscc", OUTPUTS["amr-licence"]["uscc"])
    page.click("#decide-approve button[type=submit]")
    assert OUTPUTS["amr-licence"]["uscc"] in page.locator(".wb-confirm").inner_text()
    page.click(".wb-confirm button[name=confirmed]")
    page.wait_for_url(re.compile(r"/workbench/next/$"))
    case.refresh_from_db()
    assert case.status == CaseStatus.APPROVED and case.outputs == OUTPUTS["amr-licence"]

    # The tax registration needed the licence: it is now in the tax office's queue.
    sign_out(page)
    sign_in(page, clerks["tax"].username)
    rows = page.locator("[data-rows] tbody tr")
    assert rows.count() == 1 and app.number in rows.first.inner_text()
    assert "涉税信息确认" in rows.first.inner_text()
    page.locator("[data-rows] [data-row-link]").first.click()
    page.wait_for_url(TASK_URL)
    assert OUTPUTS["amr-licence"]["uscc"] in page.locator("#received-h + table").inner_text()
    screenshot(page, "workbench-06-next-department")


def test_when_someone_else_was_faster_the_clerk_sees_it(page, demo_catalog, citizen_alice, clerks, clerk_dan_amr):
    app = submitted(citizen_alice, "business-startup")
    sign_in(page, clerk_dan_amr.username)
    assert first_row_number(page) == app.number
    deciding.task_claim(case=case_of(app, "amr-licence"), user=clerks["amr"])  # bob, a moment earlier
    page.locator("[data-rows] [data-claim]").first.click()
    page.wait_for_url(re.compile(r"/workbench/$"))
    assert f"{app.number} 已被其他经办人认领" in page.locator(".wb-messages").inner_text()
    assert page.locator("[data-rows]").count() == 0


@pytest.mark.locale("en")
def test_the_supervisors_board_answers_a_low_rating_and_passes_axe(page, demo_catalog, citizen_alice, clerks,
                                                                    supervisor_sue_amr, run_axe, screenshot):
    from tests.stories import approve

    app = submitted(citizen_alice, "business-startup")
    for code in ("amr-licence", "psb-seal-filing", "tax-registration", "hrss-employer-insurance",
                 "hpf-employer-account"):
        approve(app, code, clerks[code.split("-")[0]])
    citizen_actions.evaluation_create(application=app, user=citizen_alice, score=1, comment="Took far too long.")
    waiting = submitted(citizen_alice, "business-startup")
    held = case_of(waiting, "amr-licence")
    deciding.task_claim(case=held, user=clerks["amr"])
    Case.objects.filter(pk=held.pk).update(due_date="2020-01-02")  # long overdue

    sign_in(page, supervisor_sue_amr.username, "/workbench/board/")
    assert "Took far too long." in page.locator("#follow-ups").inner_text()
    assert waiting.number in page.locator("#overdue").inner_text()
    assert_accessible(page, run_axe)
    screenshot(page, "workbench-07-board")

    page.fill(f"#note-{app.evaluation.pk}", "Called the applicant; the licence step now has a second clerk.")
    page.locator("#follow-ups form button[type=submit]").first.click()
    page.wait_for_url(re.compile(r"/workbench/board/\?office=amr-330106"))
    assert "is recorded" in page.locator(".wb-messages").inner_text()

    # Take the overdue task back from its (absent) holder.
    page.locator("#overdue button", has_text="Release").first.click()
    page.wait_for_url(re.compile(r"/workbench/board/"))
    held.refresh_from_db()
    assert held.status == CaseStatus.QUEUED and held.owner is None


def test_the_workbench_is_usable_on_a_phone(phone_page, demo_catalog, citizen_alice, clerks, run_axe, screenshot):
    page = phone_page
    for _ in range(3):
        submitted(citizen_alice, "business-startup")
    sign_in(page, clerks["amr"].username)
    assert_fits_the_screen(page)
    assert_accessible(page, run_axe)
    screenshot(page, "workbench-08-queue-phone")
    claim = page.locator("[data-rows] [data-claim]").first
    box = claim.bounding_box()
    assert box["height"] >= 24 and box["width"] >= 24  # a thumb can hit it
    claim.tap()
    page.wait_for_url(TASK_URL)
    assert_fits_the_screen(page)
    assert_accessible(page, run_axe)
    screenshot(page, "workbench-09-task-phone")


def test_a_clerk_of_another_department_gets_404_in_the_browser(page, demo_catalog, citizen_alice, clerks):
    app = submitted(citizen_alice, "business-startup")
    case = case_of(app, "amr-licence")
    outsider = UserFactory(username="clerk-elsewhere")
    MembershipFactory(user=outsider, department=clerks["tax"].memberships.get().department)
    sign_in(page, outsider.username)
    response = page.goto(f"/workbench/tasks/{case.task_id}/")
    assert response.status == 404
