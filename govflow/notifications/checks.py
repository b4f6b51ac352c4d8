"""``manage.py check``: a production server (DEBUG off) names the address its notifications link to.

Without ``GOVFLOW_SITE_URL`` a notification written inside a request links to that request's
address, but one written outside any request (the SLA sweep, an automatic step run by a worker)
gets site-relative links a mail reader cannot open (:mod:`govflow.notifications.sites`).
"""
from __future__ import annotations

from django.conf import settings
from django.core import checks


@checks.register("govflow")
def site_url_is_set(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Warn when DEBUG is off and GOVFLOW_SITE_URL is unset (or blank)."""
    if settings.DEBUG or (getattr(settings, "GOVFLOW_SITE_URL", "") or "").strip():
        return []
    return [checks.Warning(
        "GOVFLOW_SITE_URL is not set: notifications sent outside a request (deadline warnings, automatic "
        "steps) carry site-relative links that do not open from a mail or a text message.",
        hint="Set GOVFLOW_SITE_URL to the public address of the site, e.g. https://gov.example.org",
        id="govflow.W002")]
