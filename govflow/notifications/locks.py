"""At most one run of a periodic job per period, whatever the number of beat processes.

Several ``celery beat`` processes (or ``worker -B`` on several machines, by mistake or for
availability) each send the same periodic task; every worker that receives one calls
:func:`acquire`, and only the first within the period gets ``True``. The lock is a
conditional UPDATE of one :class:`JobLock` row, so it behaves the same on PostgreSQL and
SQLite, holds no transaction open while the job runs, and frees itself after ``hold`` seconds
if its holder died.
"""
from __future__ import annotations

import logging
import os
import socket
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from .models import JobLock

logger = logging.getLogger("govflow.outbox")

# A beat period's share during which a periodic job's lock is held (the rest absorbs the jitter
# between several beat processes).
_HOLD_SHARE = 0.9


def _holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:200]


def acquire(name: str, *, hold: float) -> bool:
    """Take the lock ``name`` for ``hold`` seconds unless someone holds it; ``True`` if taken."""
    now = timezone.now()
    if not JobLock.objects.filter(name=name).exists():
        try:
            with transaction.atomic():
                JobLock.objects.create(name=name)
        except IntegrityError:  # created by a concurrent caller
            pass
    taken = (JobLock.objects.filter(name=name).filter(Q(locked_until__isnull=True) | Q(locked_until__lte=now))
             .update(locked_until=now + timedelta(seconds=hold), holder=_holder(), last_run_at=now))
    return taken == 1


def release(name: str) -> None:
    """Give the lock back early (only the holder's own)."""
    JobLock.objects.filter(name=name, holder=_holder()).update(locked_until=None)


def periodic_turn(name: str, period: float) -> bool:
    """``True`` when this call is the period's one run of the periodic job ``name``."""
    if acquire(name, hold=max(1.0, period * _HOLD_SHARE)):
        return True
    logger.info("periodic job %s is already being run by another dispatcher; skipped", name)
    return False
