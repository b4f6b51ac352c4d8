"""``Idempotency-Key`` on ``/api/v1/``'s POSTs that create or submit (the mechanism and its contract:
``govflow.idempotency``); keys in :class:`~govflow.api.models.IdempotencyRecord`, kept 24 hours."""
from __future__ import annotations

from datetime import timedelta

from govflow.idempotency import HEADER, REPLAYED_HEADER, Keys, raw_body, register, request_hash

from .models import IdempotencyRecord

__all__ = ["HEADER", "REPLAYED_HEADER", "RETENTION", "idempotent", "purge_expired_idempotency_records",
           "raw_body", "request_hash"]

RETENTION = timedelta(hours=24)

KEYS = register(Keys(IdempotencyRecord, retention=lambda: RETENTION))
idempotent = KEYS.idempotent


def purge_expired_idempotency_records(*, now=None) -> int:
    """Delete records older than the 24-hour retention; returns how many (for a Celery beat task)."""
    return KEYS.purge_expired(now=now)
