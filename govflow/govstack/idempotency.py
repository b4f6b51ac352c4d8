"""``Idempotency-Key`` on the GovStack API's creating POSTs (docs/govstack.md): govflow's mechanism
(``govflow.idempotency``, the same contract as ``/api/v1/``), with keys scoped to the calling
client as well and kept ``GOVFLOW_GOVSTACK_IDEMPOTENCY_HOURS``."""
from __future__ import annotations

from datetime import timedelta

from django.conf import settings

from govflow.idempotency import Keys, register

from .models import IdempotencyKey


def retention() -> timedelta:
    return timedelta(hours=settings.GOVFLOW_GOVSTACK_IDEMPOTENCY_HOURS)


KEYS = register(Keys(IdempotencyKey, retention=retention, scope=lambda request: {"client": request.govstack_client}))
idempotent = KEYS.idempotent


def purge_expired_keys(*, now=None) -> int:
    """Delete the keys older than the retention; returns how many."""
    return KEYS.purge_expired(now=now)
