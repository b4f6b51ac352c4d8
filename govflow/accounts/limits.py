"""Rate limits per client address: the one place every interface counts attempts.

A fixed window of ``window`` seconds per (scope, client). The counter is a database row
(``RateCounter``) incremented with ``UPDATE … SET count = count + 1`` in its own transaction,
so the limit holds across every process and machine sharing the database, whatever Django's
cache is, and two simultaneous attempts never read the same count.

Callers pass the client address as the request shows it (``REMOTE_ADDR``, which the WSGI
entry point sets from ``X-Forwarded-For`` only for ``GOVFLOW_TRUSTED_PROXY_COUNT`` hops).
"""
from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime

from django.db import IntegrityError, transaction
from django.db.models import F

from .models import RateCounter


class RateLimited(Exception):
    """Over the limit; ``wait`` is the number of seconds until the window ends."""

    def __init__(self, wait: int, message: str = "Too many attempts.") -> None:
        self.wait = wait
        super().__init__(message)


def _key(scope: str, ident: str, start: int) -> str:
    digest = hashlib.sha256(ident.encode("utf-8", "replace")).hexdigest()[:40]
    return f"{scope[:40]}:{digest}:{start}"


def _window(window: int) -> tuple[int, int]:
    now = int(time.time())
    return now, now - now % window


def hit(scope: str, ident: str, *, limit: int, window: int) -> int | None:
    """Count one attempt of ``ident`` in the current window.

    Returns ``None`` while the count is within ``limit``, else the seconds until the window
    ends. Runs in a transaction of its own (call it outside the work it guards, so that a
    refused or failed attempt still counts).
    """
    now, start = _window(window)
    key = _key(scope, ident, start)
    with transaction.atomic():
        if not RateCounter.objects.filter(key=key).update(count=F("count") + 1):
            try:
                with transaction.atomic():
                    RateCounter.objects.create(key=key, count=1,
                                               expires_at=datetime.fromtimestamp(start + window, tz=UTC))
            except IntegrityError:  # created by a simultaneous attempt: count on it
                RateCounter.objects.filter(key=key).update(count=F("count") + 1)
            else:  # a new window: forget the windows that ended
                RateCounter.objects.filter(expires_at__lt=datetime.fromtimestamp(now, tz=UTC)).delete()
        # The row is locked by our UPDATE until commit: this is our own count.
        count = RateCounter.objects.filter(key=key).values_list("count", flat=True).get()
    return max(1, start + window - now) if count > limit else None


def peek(scope: str, ident: str, *, limit: int, window: int) -> int | None:
    """Without counting: the seconds until the window ends once ``limit`` attempts were
    counted in it, else ``None``."""
    now, start = _window(window)
    count = RateCounter.objects.filter(key=_key(scope, ident, start)).values_list("count", flat=True).first() or 0
    return max(1, start + window - now) if count >= limit else None
