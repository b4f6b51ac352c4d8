"""Small helpers the server-rendered interfaces (portal, workbench) share."""
from __future__ import annotations

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme

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
