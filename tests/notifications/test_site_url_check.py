"""The system check govflow.W002: with DEBUG off, GOVFLOW_SITE_URL must name the site's public address
(notifications written outside a request have nothing else to link to)."""
from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from govflow.notifications.checks import site_url_is_set


def test_production_without_the_site_address_is_warned(settings):
    settings.DEBUG = False
    settings.GOVFLOW_SITE_URL = ""

    [warning] = site_url_is_set()

    assert warning.id == "govflow.W002" and "GOVFLOW_SITE_URL" in warning.msg
    with pytest.raises(SystemCheckError, match="govflow.W002"):  # registered: manage.py check reports it
        call_command("check", "--tag", "govflow", "--fail-level", "WARNING")


@pytest.mark.parametrize(("debug", "site_url"), [(False, "https://gov.example.org"), (True, ""), (False, "  ")])
def test_a_set_address_or_debug_is_quiet_and_blank_is_unset(settings, debug, site_url):
    settings.DEBUG = debug
    settings.GOVFLOW_SITE_URL = site_url

    ids = [m.id for m in site_url_is_set()]

    assert ids == ([] if debug or site_url.strip() else ["govflow.W002"])
    if not ids:
        call_command("check", "--tag", "govflow", "--fail-level", "WARNING")
