"""Hand outbox rows to the workers once the transaction that wrote them has committed.

If the broker is down at that moment nothing is lost: the rows stay pending and the
periodic sweep sends them later. Without a broker (eager mode) the rows are carried out
here, in this process, right after the commit.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import transaction

logger = logging.getLogger(__name__)


def dispatch_after_commit(messages: Iterable) -> None:
    ids = [m.pk for m in messages if m.pk is not None]
    if not ids:
        return

    def send() -> None:
        from .delivery import enqueue

        enqueue(ids)  # stops at the first broker error: the sweep takes the rest

    transaction.on_commit(send)
