"""Two districts of one city in a real browser: a Shangcheng citizen applies through the portal, the
licence waits in the Shangcheng office's queue and not in Xihu's, and the city supervisor sees it
on the Shangcheng board, read-only.

Screenshots land in ``test-artifacts/screenshots/`` (``jurisdictions-*.png``).
"""
from __future__ import annotations

import re

import pytest

from govflow.applications.models import Application, ApplicationStatus, Case
from govflow.catalog.models import Division, Office
from tests.factories import CitizenFactory, MembershipFactory, UserFactory

from .test_portal import FORM_CHOICES, FORM_TEXT, MATERIALS, upload_materials

pytestmark = pytest.mark.e2e

PASSWORD = "govflow-test-pw"  # tests.factories.UserFactory's


def sign_in(page, username: str, next_url: str) -> None:
    page.goto(f"/accounts/login/?next={next_url}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("#main-form button[type=submit]")
    page.wait_for_url(re.compile(re.escape(next_url) + r"$"))


def staff(username: str, office_code: str, role: str = "clerk"):
    user = UserFactory(username=username)
    MembershipFactory(user=user, office=Office.objects.get(code=office_code), role=role)
    return user


@pytest.mark.locale("en")
def test_a_shangcheng_application_reaches_the_shangcheng_office_and_the_city_board(page, demo_catalog, screenshot):
    citizen = CitizenFactory(username="citizen-sc", residence=Division.objects.get(code="330102"))
    clerk_xihu = staff("clerk-amr", "amr-330106")
    clerk_sc = staff("clerk-amr-sc", "amr-330102")
    city = staff("super-amr-hz", "amr-330100", role="supervisor")

    # The citizen applies; where they live is where the application is handled.
    sign_in(page, citizen.username, "/applications/")
    page.goto("/one-things/business-startup/")
    page.click("a.button--start")
    page.wait_for_selector("#f-has_employees-0")
    assert page.locator("#place select option:checked").inner_text().strip().startswith("Shangcheng")
    screenshot(page, "jurisdictions-01-place")
    page.check("#f-has_employees-0")
    page.click("#main-form button[value=continue]")
    page.wait_for_url(re.compile(r"/applications/\d+/form/$"))
    for code, value in FORM_TEXT.items():
        page.fill(f"#f-{code}", str(value))
    for code, value in FORM_CHOICES.items():
        page.check(f"input[name={code}][value={value}]")
    page.click("#main-form button[value=continue]")
    page.wait_for_url(re.compile(r"/applications/\d+/materials/$"))
    upload_materials(page, MATERIALS)
    page.click(".actions a.button[href$='/check/']")
    page.wait_for_url(re.compile(r"/applications/\d+/check/$"))
    assert "Shangcheng District" in page.inner_text("main")
    page.click("#submit")
    page.wait_for_url(re.compile(r"/applications/\d+/receipt/$"))
    number = page.inner_text(".confirmation__number")
    application = Application.objects.get(number=number)
    assert application.status == ApplicationStatus.SUBMITTED and application.division.code == "330102"
    licence = application.cases.get(procedure_code="amr-licence")
    assert licence.office.code == "amr-330102"

    # The Shangcheng clerk has it; the Xihu clerk does not, and its task page does not exist for them.
    page.context.clear_cookies()
    sign_in(page, clerk_sc.username, "/workbench/")
    assert number in page.locator("[data-rows]").inner_text()
    screenshot(page, "jurisdictions-02-shangcheng-queue")
    page.context.clear_cookies()
    sign_in(page, clerk_xihu.username, "/workbench/")
    assert number not in page.inner_text("main")
    assert page.goto(f"/workbench/tasks/{licence.task_id}/").status == 404

    # The city supervisor reads the Shangcheng board: the (now overdue) task is there, with no
    # action and no link to a task page they may not open.
    Case.objects.filter(pk=licence.pk).update(due_date="2020-01-02")
    page.context.clear_cookies()
    sign_in(page, city.username, "/workbench/board/")
    page.select_option("#board-office", "amr-330102")
    page.click(".wb-head form button[type=submit]")
    page.wait_for_url(re.compile(r"/workbench/board/\?office=amr-330102$"))
    assert page.locator("[data-read-only]").is_visible()
    assert number in page.locator("#overdue").inner_text()
    assert page.locator("#overdue form").count() == 0 and page.locator("#overdue [data-row-link]").count() == 0
    screenshot(page, "jurisdictions-03-city-board")
