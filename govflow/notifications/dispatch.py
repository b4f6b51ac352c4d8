"""Hand outbox rows to the workers once the transaction that wrote them has committed.

If the broker is down at that moment nothing is lost: the rows stay pending and the
periodic sweep sends them later.
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
        try:
            from .tasks import deliver_outbox_message
        except ImportError:  # the delivery tasks are not installed yet
            return
        for pk in ids:
            try:
                deliver_outbox_message.delay(pk)
            except Exception:  # broker unreachable: the sweep will pick the row up
                logger.warning("could not enqueue outbox message %s; the sweep will retry", pk, exc_info=True)

    transaction.on_commit(send)
