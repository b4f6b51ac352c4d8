"""The login lockout: django-axes' database handler plus a limit per client address.

Axes refuses a (username, address) pair after ``AXES_FAILURE_LIMIT`` failures, so nobody can
lock a citizen out from elsewhere. That alone lets one address try a couple of passwords on
every username (password spraying), so failures are also counted per address across usernames
(``limits.py``): after ``GOVFLOW_LOGIN_ADDRESS_FAILURE_LIMIT`` failures in a clock hour the
address is refused until the hour ends, even with a right password. Both refusals reach
``AXES_LOCKOUT_CALLABLE`` (429 with ``Retry-After``) on every login: admin, portal and API.
"""
from __future__ import annotations

from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_ip_address
from django.conf import settings

from . import limits

ADDRESS_SCOPE = "login-failures"
ADDRESS_WINDOW = 60 * 60


def _address(request: Any) -> str:
    return getattr(request, "axes_ip_address", None) or get_client_ip_address(request) or "unknown"


def address_wait(request: Any) -> int | None:
    """Seconds until the client's address may log in again, or ``None`` if it may now."""
    return limits.peek(ADDRESS_SCOPE, _address(request), limit=settings.GOVFLOW_LOGIN_ADDRESS_FAILURE_LIMIT,
                       window=ADDRESS_WINDOW)


class AddressLimitedAxesHandler(AxesDatabaseHandler):
    def is_locked(self, request, credentials: dict | None = None) -> bool:
        if super().is_locked(request, credentials):
            return True
        wait = address_wait(request)
        if wait is not None:
            request.govflow_address_wait = wait  # for the lockout response's message and Retry-After
            return True
        return False

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        if request is not None and getattr(request, "govflow_address_wait", None) is not None:
            # Refused for the address before any password was checked: not a new failure, and the
            # lockout response must follow (axes flags only its own lockout here).
            request.axes_locked_out = True
            request.axes_credentials = credentials
            return None
        # A refused attempt (already locked out) is not a new failure; a whitelisted client is not counted.
        if request is not None and not getattr(request, "axes_locked_out", False) \
                and not self.is_whitelisted(request, credentials):
            limits.hit(ADDRESS_SCOPE, _address(request), limit=settings.GOVFLOW_LOGIN_ADDRESS_FAILURE_LIMIT,
                       window=ADDRESS_WINDOW)
        return super().user_login_failed(sender, credentials, request, **kwargs)
