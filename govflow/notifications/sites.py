"""The site's address for the absolute links of notifications (a reset link, an application's page).

``GOVFLOW_SITE_URL``, when set, is the address people use (``https://gov.example.org``, behind a
proxy too) and wins. Otherwise a notification links to the address the request that caused it
came to: :class:`RequestSiteMiddleware` keeps ``scheme://host`` of the current request (the host
checked against ``ALLOWED_HOSTS``) while it runs, and every outbox row written meanwhile records it
(``OutboxMessage.site_url``), so a worker rendering it later, in another process, links the same
address. A row written outside any request (the SLA sweep, a scheduled job) with no
``GOVFLOW_SITE_URL`` gets site-relative links: set ``GOVFLOW_SITE_URL`` in production.
"""
from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse

_request_site: ContextVar[str] = ContextVar("govflow_request_site", default="")


def request_site_url() -> str:
    """``scheme://host`` of the request being answered in this context, ``""`` outside one."""
    return _request_site.get()


def site_url(recorded: str = "") -> str:
    """The base of absolute links, without a trailing slash: ``GOVFLOW_SITE_URL`` if set, else
    ``recorded`` (the address a row's request came to), else ``""`` (site-relative links)."""
    configured = (getattr(settings, "GOVFLOW_SITE_URL", "") or "").strip()
    return (configured or recorded or "").rstrip("/")


class RequestSiteMiddleware:
    """Keeps the request's own address for the outbox rows written while it is answered."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            base = f"{request.scheme}://{request.get_host()}"
        except DisallowedHost:
            base = ""  # Django answers 400 for the host elsewhere; never link to it
        token = _request_site.set(base)
        try:
            return self.get_response(request)
        finally:
            _request_site.reset(token)
