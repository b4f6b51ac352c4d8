"""Staff sessions end after ``GOVFLOW_STAFF_IDLE_MINUTES`` without a request.

At sign-in (``user_logged_in``) the session records whether its user is staff (see
``selectors.is_staff_member``): a staff session keeps the time of its last request under
``LAST_SEEN``, a citizen's session stores ``0`` there and keeps the normal ``SESSION_COOKIE_AGE``.
:class:`StaffIdleTimeoutMiddleware` (after ``AuthenticationMiddleware``) signs a staff session out
when its last request is more than the idle limit ago, then lets the request go on anonymously,
so the admin, the workbench and the portal send the person to their sign-in page as usual. The
time is written back at most once a minute (``TOUCH_EVERY``), so a busy clerk does not cost a
session write per request.
"""
from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from .selectors import is_staff_member

LAST_SEEN = "govflow_staff_last_seen"
TOUCH_EVERY = 60.0  # seconds between writes of LAST_SEEN


def idle_limit_seconds() -> float:
    return float(getattr(settings, "GOVFLOW_STAFF_IDLE_MINUTES", 30)) * 60


@receiver(user_logged_in, dispatch_uid="govflow.accounts.sessions.mark_session")
def mark_session(sender, request, user, **kwargs) -> None:
    session = getattr(request, "session", None)
    # Only a session sign-in (django.contrib.auth.login put the user in this session): an API token
    # sign-in sends the same signal and is not a session of this user.
    if session is not None and session.get(SESSION_KEY) == str(user.pk):
        session[LAST_SEEN] = time.time() if is_staff_member(user) else 0


def is_citizen_session(request: HttpRequest) -> bool:
    """Whether the request's session was marked at sign-in as a citizen's (no admin status, no office
    membership then): answered from the session, without a query."""
    session = getattr(request, "session", None)
    return session is not None and session.get(LAST_SEEN) == 0


class StaffIdleTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        self.check(request)
        return self.get_response(request)

    def check(self, request: HttpRequest) -> None:
        session = getattr(request, "session", None)
        if session is None:
            return
        last_seen = session.get(LAST_SEEN)
        if last_seen == 0:
            return  # a citizen's session
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return
        now = time.time()
        if last_seen is None:
            # A session signed in before this middleware existed: classify it once.
            session[LAST_SEEN] = now if is_staff_member(user) else 0
            return
        if now - float(last_seen) > idle_limit_seconds():
            logout(request)  # flushes the session; the request goes on as anonymous
            if not request.path.startswith("/api/"):
                minutes = int(idle_limit_seconds() // 60)
                messages.info(request, _("You were signed out after %(minutes)d minutes without activity. "
                                         "Sign in again to continue.") % {"minutes": minutes})
            return
        if now - float(last_seen) >= TOUCH_EVERY:
            session[LAST_SEEN] = now
