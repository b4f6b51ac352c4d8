"""The security log (issue 20): every security-relevant event, one append-only row each.

``record`` is the one writer. Callers pass what they know: the account (``user``) or only the
username someone typed (a failed sign-in), who acted when it is not the person themselves
(``actor``: an administrator resetting a second factor, changing permissions), and the request
when there is one (its client address, as the login lockout sees it, and its browser, cut to 200
characters). The receivers below hook Django's and django-axes' sign-in signals; the other events
are recorded where they happen (``two_factor``, ``services``, ``signals``).
"""
from __future__ import annotations

from typing import Any

from axes.helpers import get_client_ip_address
from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from .models import SecurityEvent, User
from .models import SecurityEventKind as Kind

#: The key a sign-in step puts in the credentials it reports to ``user_login_failed`` (and so to
#: django-axes, which counts it like a wrong password): the second-factor step's failures are
#: recorded as such, not as wrong passwords.
STEP = "govflow_step"
SECOND_FACTOR_STEP = "second-factor"
USER_AGENT_LENGTH = 200


def _address(request: Any) -> str:
    request = getattr(request, "_request", request)  # a DRF request wraps Django's
    address = getattr(request, "axes_ip_address", None) or get_client_ip_address(request)
    return (address or "")[:45]


def _user_agent(request: Any) -> str:
    meta = getattr(getattr(request, "_request", request), "META", {})
    return str(meta.get("HTTP_USER_AGENT", ""))[:USER_AGENT_LENGTH]


def record(kind: str, *, user: User | None = None, username: str = "", actor: Any = None, request: Any = None,
           **detail: Any) -> SecurityEvent:
    """Write one security event; ``detail`` holds JSON-able facts (never a password or a code)."""
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    return SecurityEvent.objects.create(
        kind=kind, user=user, username=(username or (user.get_username() if user else ""))[:150],
        actor=actor, address=_address(request) if request is not None else "",
        user_agent=_user_agent(request) if request is not None else "", detail=detail)


@receiver(user_logged_in, dispatch_uid="govflow.accounts.security.logged_in")
def _logged_in(sender, request=None, user=None, **kwargs) -> None:
    if isinstance(user, User):
        path = getattr(request, "path", "") or ""
        record(Kind.LOGIN_SUCCEEDED, user=user, request=request,
               channel="api" if path.startswith("/api/") else "web")


@receiver(user_logged_out, dispatch_uid="govflow.accounts.security.logged_out")
def _logged_out(sender, request=None, user=None, **kwargs) -> None:
    if isinstance(user, User):
        record(Kind.LOGOUT, user=user, request=request)


@receiver(user_login_failed, dispatch_uid="govflow.accounts.security.login_failed")
def _login_failed(sender, credentials=None, request=None, **kwargs) -> None:
    credentials = credentials or {}
    username = str(credentials.get("username") or "")
    # ``locked``: the lockout refused this attempt or began with it (django-axes sends ``user_locked_out`` too).
    locked = bool(getattr(request, "axes_locked_out", False))
    if credentials.get(STEP) == SECOND_FACTOR_STEP:
        user = User.objects.filter(username=username).first()
        record(Kind.SECOND_FACTOR_FAILED, user=user, username=username, request=request, locked=locked)
    else:
        record(Kind.LOGIN_FAILED, username=username, request=request, locked=locked)


@receiver(user_locked_out, dispatch_uid="govflow.accounts.security.locked_out")
def _locked_out(sender, request=None, username=None, ip_address=None, **kwargs) -> None:
    record(Kind.LOCKED_OUT, username=str(username or ""), request=request)
