"""Forgotten and changed passwords in a real browser: a 360 px phone, the keyboard, axe-core, no JavaScript needed."""
from __future__ import annotations

import logging
import re

import pytest

from govflow.accounts.models import User
from tests.factories import CitizenFactory

from .conftest import describe_violations, serious_violations

pytestmark = pytest.mark.e2e

NEW = "Xin-mima-2026-anquan"


def assert_fits_and_accessible(page, run_axe) -> None:
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"{page.url} scrolls sideways: {widths}"
    violations = serious_violations(run_axe(page))
    assert not violations, f"{page.url}:\n{describe_violations(violations)}"


@pytest.mark.locale("zh-hans")
def test_a_citizen_resets_a_forgotten_password_by_sms_on_a_phone(phone_page, run_axe, screenshot, caplog):
    caplog.set_level(logging.INFO, logger="govflow.sms")
    citizen = CitizenFactory(username="meimei")
    page = phone_page
    page.goto("/accounts/login/")
    page.click("a[href='/accounts/password/forgot/']")
    page.wait_for_url(re.compile(r"/accounts/password/forgot/$"))
    assert "忘记密码" in page.inner_text("h1")
    assert_fits_and_accessible(page, run_axe)
    screenshot(page, "portal-password-forgot-phone")

    # Keyboard only: type the phone number, pick SMS, send.
    page.focus("#id_identifier")
    page.keyboard.type(citizen.phone)
    page.focus("#id_channel_1")
    page.keyboard.press("Space")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/accounts/password/reset/code/$"))
    assert page.input_value("#id_identifier") == citizen.phone
    code = re.search(r"(\d{6})", "\n".join(r.getMessage() for r in caplog.records)).group(1)
    assert_fits_and_accessible(page, run_axe)

    page.fill("#id_code", code)
    page.fill("#id_new_password1", NEW)
    page.fill("#id_new_password2", NEW)
    screenshot(page, "portal-password-code-phone")
    page.click("#main-form button[type=submit]")
    page.wait_for_url(re.compile(r"/accounts/login/$"))
    assert "密码已修改" in page.inner_text("main")
    assert User.objects.get(pk=citizen.pk).check_password(NEW)


@pytest.mark.locale("en")
def test_the_change_password_page_shows_its_errors_accessibly(phone_page, run_axe, screenshot):
    citizen = CitizenFactory(username="lei")
    page = phone_page
    page.goto("/accounts/login/")
    page.fill("#id_username", citizen.username)
    page.fill("#id_password", "govflow-test-pw")
    page.click("#main-form button[type=submit]")
    page.wait_for_url(re.compile(r"/applications/$"))
    page.goto("/accounts/profile/")
    page.click("a[href='/accounts/password/change/']")
    page.fill("#id_old_password", "wrong-one")
    page.fill("#id_new_password1", "12345678")
    page.fill("#id_new_password2", "12345678")
    page.click("#main-form button[type=submit]")
    assert page.locator(".error-summary").count() == 1
    assert_fits_and_accessible(page, run_axe)
    screenshot(page, "portal-password-change-errors-phone")
