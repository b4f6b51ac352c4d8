"""Celery tasks of the outbox, and the purge of expired ``Idempotency-Key`` records: thin wrappers that take ids, call the delivery code, and retry.

Every task is ``acks_late`` (settings: ``CELERY_TASK_ACKS_LATE``, ``CELERY_TASK_REJECT_ON_WORKER_LOST``):
a message is removed from Redis only after its task finished, so a worker killed mid-task
leaves it to be delivered again (after the broker's ``visibility_timeout``); the handlers are
idempotent (``delivery.py``). Periodic tasks take a :mod:`~govflow.notifications.locks` lock,
so several beat processes cause one run per period.
"""
from __future__ import annotations

from celery import shared_task
from django.db import DatabaseError, InterfaceError

from govflow import idempotency

from . import delivery, locks


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, ignore_result=True, max_retries=None)
def deliver_outbox_message(self, pk: int) -> str:
    """Carry out one outbox row (a notification, a webhook or an automatic check).

    A failure is written on the row (attempts, error, ``next_attempt_at``) and retried here with
    exponential back-off until ``GOVFLOW_OUTBOX_MAX_ATTEMPTS``, then the row is a dead letter.
    Eager mode (no broker) never retries inline, so a request never waits for back-off: the row
    stays pending for the sweep (``python manage.py outbox_sweep``, or beat).
    """
    try:
        attempt = delivery.deliver(int(pk))
    except (DatabaseError, InterfaceError) as exc:  # the database is away: try again, the row is intact
        if self.request.is_eager:
            raise
        raise self.retry(exc=exc, countdown=min(600, 5 * 2 ** min(self.request.retries, 7))) from exc
    if attempt.retry_in is not None and not self.request.is_eager:
        raise self.retry(countdown=attempt.retry_in)
    return attempt.status


@shared_task(acks_late=True, ignore_result=True)
def sweep_outbox(period: float = 60) -> int | None:
    """Hand over again the pending outbox rows whose message was lost."""
    if not locks.periodic_turn("outbox-sweep", period):
        return None
    return delivery.sweep_outbox()


@shared_task(acks_late=True, ignore_result=True)
def purge_idempotency_keys(period: float = 3600) -> dict | None:
    """Delete the expired ``Idempotency-Key`` records of every interface (``/api/v1/``, GovStack)."""
    if not locks.periodic_turn("idempotency-purge", period):
        return None
    return idempotency.purge_all_expired()
