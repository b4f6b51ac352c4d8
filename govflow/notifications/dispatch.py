"""Hand outbox rows to the workers once the transaction that wrote them has committed.

If the broker is down at that moment nothing is lost: the rows stay pending and the
periodic sweep sends them later. Without a broker (eager mode) the rows are carried out
here, in this process, right after the commit.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable

from celery import current_app
from django.db import transaction

logger = logging.getLogger(__name__)

#: The Celery task that carries out one row (``tasks.py``), by its registered name: dispatching
#: needs no import of the delivery code, which sits above it.
DELIVER_TASK = "govflow.notifications.tasks.deliver_outbox_message"


def enqueue(pks: list[int]) -> int:
    """Hand rows to the workers now; returns how many were enqueued (stops at a broker error)."""
    task = current_app.tasks[DELIVER_TASK]
    sent = 0
    for pk in pks:
        try:
            task.delay(pk)
        except Exception:  # broker unreachable: the rows stay due, the next sweep tries again
            logger.warning("could not enqueue outbox message %s; the sweep will retry it", pk, exc_info=True)
            break
        sent += 1
    return sent


def dispatch_after_commit(messages: Iterable) -> None:
    ids = [m.pk for m in messages if m.pk is not None]
    if not ids:
        return

    def send() -> None:
        enqueue(ids)  # stops at the first broker error: the sweep takes the rest

    transaction.on_commit(send)
