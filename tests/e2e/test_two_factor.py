"""Two-factor sign-in in a real browser (issue 20), where it is required of staff: a clerk with
no authenticator signs in, sets one up from the key the page shows (the code computed here, as
their app would), sees their recovery codes once, lands in the workbench; signs out; signs in
again with the password and a fresh code. The page has no serious accessibility problem.

The rest of the browser tests run in the demo's ``optional`` mode (DEBUG=1), where staff without
an authenticator are signed in straight away, so their sign-in helpers stay as they are.
"""
from __future__ import annotations

import re
import time
from base64 import b32decode

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from govflow.accounts.models import SecurityEvent
from govflow.accounts.models import SecurityEventKind as Kind
from tests.factories import MembershipFactory, UserFactory

from .conftest import describe_violations, serious_violations

pytestmark = pytest.mark.e2e

PASSWORD = "govflow-test-pw"  # tests.factories.UserFactory's


def code_from_key(key_text: str, *, steps_ahead: int = 0) -> str:
    """What an authenticator app shows for the typed key (base32, spaces ignored)."""
    key = b32decode(key_text.replace(" ", "").upper() + "=" * (-len(key_text.replace(" ", "")) % 8))
    totp = TOTP(key)
    totp.time = time.time() + steps_ahead * 30
    return f"{totp.token():06d}"


def password_step(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("#main-form button[type=submit]")


@pytest.mark.locale("en")
def test_clerk_enrols_then_signs_in_with_a_code(page, demo_catalog, settings, run_axe, screenshot):
    settings.GOVFLOW_STAFF_TWO_FACTOR = "required"  # the live server runs in this process
    clerk = UserFactory(username="tf-clerk")
    MembershipFactory(user=clerk, department=demo_catalog["amr"])

    password_step(page, "tf-clerk")
    page.wait_for_url(re.compile(r"/accounts/login/set-up/$"))
    assert page.locator("#two-factor-qr").is_visible()
    secret = page.locator("#two-factor-secret").inner_text().strip()
    violations = serious_violations(run_axe(page))
    assert not violations, describe_violations(violations)
    screenshot(page, "two-factor-enrol-en")
    page.fill("#id_code", code_from_key(secret))
    page.click("#main-form button[type=submit]")

    page.wait_for_url(re.compile(r"/accounts/two-factor/recovery-codes/$"))
    codes = page.locator("#recovery-codes li").all_inner_texts()
    assert len(codes) == 10
    page.click("#recovery-codes-continue")
    page.wait_for_url(re.compile(r"/workbench/$"))

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()
    password_step(page, "tf-clerk")
    page.wait_for_url(re.compile(r"/accounts/login/code/$"))
    # The code of the next period: the one used to enrol cannot be used again.
    page.fill("#id_code", code_from_key(secret, steps_ahead=1))
    page.click("#main-form button[type=submit]")
    page.wait_for_url(re.compile(r"/workbench/$"))

    assert TOTPDevice.objects.filter(user=clerk, confirmed=True).count() == 1
    events = list(SecurityEvent.objects.filter(user=clerk).order_by("id").values_list("kind", flat=True))
    assert [k for k in events if k not in (Kind.PASSWORD_CHANGED, Kind.PERMISSION_CHANGED)] == [
        Kind.FACTOR_ENROLLED, Kind.LOGIN_SUCCEEDED, Kind.LOGOUT, Kind.SECOND_FACTOR_SUCCEEDED, Kind.LOGIN_SUCCEEDED]
