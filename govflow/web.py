"""Small helpers the server-rendered interfaces (portal, workbench) share."""
from __future__ import annotations

import segno
from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from govflow.applications import papers
from govflow.text import has_bad_text


def safe_next(request: HttpRequest, default: str) -> str:
    """The ``next`` the request names (POST, else GET) if it stays on this site, else ``default``:
    never an open redirect. Only a path counts (``redirect()`` would take ``"0"`` for a view name
    and fail), and never one with control characters (a header may not hold them)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/") and not has_bad_text(target) and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return default


def client_address(request: HttpRequest) -> str:
    """The client address every limit and the login lockout use: REMOTE_ADDR as axes reads it,
    which the WSGI entry point sets from X-Forwarded-For only for ``GOVFLOW_TRUSTED_PROXY_COUNT``
    trusted proxies (govflow/wsgi.py)."""
    from axes.helpers import get_client_ip_address

    request = getattr(request, "_request", request)  # a DRF request wraps Django's
    return get_client_ip_address(request) or "unknown"


# -- papers (docs/papers.md): what the portal's and the counter's receipts show ---------------------

def qr_data_uri(url: str) -> str:
    """The QR code of ``url`` as an SVG data URI, for an ``<img>`` (the CSP allows ``data:`` images)."""
    return segno.make(url, error="m").svg_data_uri(scale=4, border=2)


def receipt_verify_url(request: HttpRequest, token: str) -> str:
    """The public verification address of a receipt, on the host the request came to."""
    return request.build_absolute_uri(reverse("verify-receipt", args=[token]))


def receipt_context(request: HttpRequest, application) -> dict:
    """An application's acceptance receipt (``applications.papers.receipt``) with its verification
    address and QR code, for the receipt templates."""
    receipt = papers.receipt(application)
    url = receipt_verify_url(request, receipt.token)
    return {"receipt": receipt, "verify_url": url, "verify_qr": qr_data_uri(url)}
