"""Carrying out outbox rows: at least once, never twice at the same time, dead after N tries.

:func:`deliver` is what the Celery task runs for one row id. It is safe to run any number of
times for the same row, concurrently too (a message redelivered after a worker crash, the
sweep handing a row over again, an admin's retry):

* A row that is no longer ``pending`` is left alone.
* A row whose ``next_attempt_at`` lies ahead (it is backing off) is left to the retry that is
  already scheduled, or to the sweep.
* Notifications and webhooks: on PostgreSQL the row is locked (``SELECT … FOR UPDATE SKIP
  LOCKED``) for the duration of the attempt, so a second delivery of the same row skips it and
  the lock vanishes with a dead worker's connection; on SQLite, which has no row locks, a
  conditional UPDATE claims the row for ``GOVFLOW_OUTBOX_LEASE`` seconds. The result (sent,
  or the error and the next attempt's time) is written before the lock is released.
* Automatic checks are pure database work: the decision and the row's ``sent`` commit in one
  transaction, so a check takes effect exactly once even when the worker dies mid-way.

A send can still happen twice when a worker dies after the receiver got it and before
``sent`` was committed: that is the at-least-once half of the bargain, which is why the row id
travels as the receivers' ``event_id``.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from . import channels, dispatch, rendering, webhooks
from .channels import PermanentChannelError
from .models import OutboxKind, OutboxMessage, OutboxStatus

logger = logging.getLogger("govflow.outbox")

# A message may arrive a little before the row's next_attempt_at (clocks of two hosts).
EARLY_TOLERANCE = timedelta(seconds=5)
_ERROR_MAX = 2000


def max_attempts() -> int:
    return int(getattr(settings, "GOVFLOW_OUTBOX_MAX_ATTEMPTS", 10))


def backoff_seconds(attempts: int) -> float:
    """Exponential back-off after the ``attempts``-th failure: base, 2×base, 4×base … capped."""
    base = float(getattr(settings, "GOVFLOW_OUTBOX_RETRY_BASE", 30))
    cap = float(getattr(settings, "GOVFLOW_OUTBOX_RETRY_MAX", 3600))
    return min(cap, base * 2 ** max(0, attempts - 1))


def lease_seconds() -> float:
    return float(getattr(settings, "GOVFLOW_OUTBOX_LEASE", 60))


@dataclass(frozen=True)
class Attempt:
    """What one call of :func:`deliver` did; ``retry_in`` asks the task to come back later."""

    status: str  # sent | retry | dead | skipped | busy | not_due
    retry_in: float | None = None
    detail: str = ""


def _row_locks() -> bool:
    return bool(connection.features.has_select_for_update_skip_locked)


def deliver(pk: int) -> Attempt:
    """Carry out one outbox row if it is pending and due (see the module docstring)."""
    row = OutboxMessage.objects.filter(pk=pk).only("kind", "status", "next_attempt_at").first()
    if row is None or row.status != OutboxStatus.PENDING:
        return Attempt("skipped", detail="not pending")
    now = timezone.now()
    if row.next_attempt_at is not None and row.next_attempt_at > now + EARLY_TOLERANCE:
        return Attempt("not_due", detail=f"next attempt at {row.next_attempt_at.isoformat()}")
    if row.kind in (OutboxKind.AUTOMATIC_CHECK, OutboxKind.PROACTIVE_EVENT):
        return _deliver_automatic(pk)
    if _row_locks():
        with transaction.atomic():
            message = (OutboxMessage.objects.select_for_update(skip_locked=True, of=("self",))
                       .select_related("recipient", "application__version").filter(pk=pk, status=OutboxStatus.PENDING)
                       .first())
            if message is None:
                if OutboxMessage.objects.filter(pk=pk, status=OutboxStatus.PENDING).exists():
                    return Attempt("busy", retry_in=lease_seconds(), detail="another worker is delivering it")
                return Attempt("skipped", detail="not pending")
            return _attempt(message)
    # SQLite: claim a lease with a conditional UPDATE (atomic on every database).
    until = now + timedelta(seconds=lease_seconds())
    claimed = (OutboxMessage.objects.filter(pk=pk, status=OutboxStatus.PENDING)
               .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=now))
               .update(claimed_until=until))
    if not claimed:
        held = OutboxMessage.objects.filter(pk=pk, status=OutboxStatus.PENDING).values_list(
            "claimed_until", flat=True).first()
        if held is None:
            return Attempt("skipped", detail="not pending")
        return Attempt("busy", retry_in=max(1.0, (held - now).total_seconds() + 1),
                       detail="another worker is delivering it")
    message = OutboxMessage.objects.select_related("recipient", "application__version").get(pk=pk)
    return _attempt(message, release_claim=True)


def _attempt(message: OutboxMessage, *, release_claim: bool = False) -> Attempt:
    """Send, then record the outcome on the row (the caller holds the row)."""
    now = timezone.now()
    message.attempts += 1
    fields = ["attempts", "status", "last_error", "result", "sent_at", "next_attempt_at", "delivered"]
    if release_claim:
        message.claimed_until = None
        fields.append("claimed_until")
    try:
        if message.kind == OutboxKind.WEBHOOK:
            result = webhooks.send(message)
        elif message.kind == OutboxKind.NOTIFICATION:
            result = _notify(message)
        else:
            raise PermanentChannelError(f"unknown outbox kind {message.kind!r}")
    except PermanentChannelError as exc:
        return _fail(message, exc, now, fields, permanent=True)
    except Exception as exc:  # ChannelError and anything unexpected: back off and try again
        return _fail(message, exc, now, fields, permanent=False)
    _mark_sent(message, result, now, fields)
    logger.info("outbox %s %s #%s delivered on attempt %d: %s", message.kind, message.event, message.pk,
                message.attempts, message.result)
    return Attempt("sent", detail=message.result)


#: The payload key of a one-time secret (a reset link's token, an SMS code): removed once the row is
#: sent or dead, and never shown (the admin masks it).
SECRET_KEY_IN_PAYLOAD = "secret"


def payload_for_display(payload: Any) -> Any:
    """The payload as staff may see it: a one-time secret masked."""
    if isinstance(payload, dict) and SECRET_KEY_IN_PAYLOAD in payload:
        return {**payload, SECRET_KEY_IN_PAYLOAD: "********"}
    return payload


def _drop_secret(message: OutboxMessage, fields: list[str]) -> None:
    """A row's ``payload["secret"]`` (a reset link's token, an SMS code) is kept only while it may
    still be sent: once the row is sent or dead it is removed from the database."""
    if isinstance(message.payload, dict) and SECRET_KEY_IN_PAYLOAD in message.payload:
        message.payload = {k: v for k, v in message.payload.items() if k != SECRET_KEY_IN_PAYLOAD}
        fields.append("payload")


def _mark_sent(message: OutboxMessage, result: str, now: Any, fields: list[str]) -> None:
    _drop_secret(message, fields)
    message.status = OutboxStatus.SENT
    message.sent_at = now
    message.next_attempt_at = None
    message.result = result[:200]
    message.save(update_fields=fields)


def _fail(message: OutboxMessage, exc: BaseException, now: Any, fields: list[str], *, permanent: bool) -> Attempt:
    message.last_error = f"attempt {message.attempts}: {type(exc).__name__}: {exc}"[:_ERROR_MAX]
    if permanent or message.attempts >= max_attempts():
        _drop_secret(message, fields)
        message.status = OutboxStatus.DEAD
        message.next_attempt_at = None
        message.result = "dead letter"
        message.save(update_fields=fields)
        logger.error("outbox %s %s #%s is a dead letter after %d attempt(s): %s", message.kind, message.event,
                     message.pk, message.attempts, message.last_error)
        return Attempt("dead", detail=message.last_error)
    delay = backoff_seconds(message.attempts)
    message.next_attempt_at = now + timedelta(seconds=delay)
    message.result = f"retry in {delay:g} s"
    message.save(update_fields=fields)
    logger.warning("outbox %s %s #%s attempt %d of %d failed (%s); retrying in %g s", message.kind, message.event,
                   message.pk, message.attempts, max_attempts(), exc, delay)
    return Attempt("retry", retry_in=delay, detail=message.last_error)


def _notify(message: OutboxMessage) -> str:
    """Email and/or SMS, as the recipient chose; channels already delivered are not repeated."""
    user = message.recipient
    if user is None or not user.is_active:
        return "skipped: no active recipient"
    addresses = {"email": user.email, "sms": user.phone}
    forced = (message.payload or {}).get("channels")
    if forced:
        # An account message (a password reset) goes on the channel the person asked for,
        # whatever their notification preferences; once its secret is gone it is never sent again.
        if SECRET_KEY_IN_PAYLOAD not in (message.payload or {}):
            return "skipped: the secret of this account message was already removed"
        wanted = [channel for channel in forced if addresses.get(channel)]
    else:
        wanted = []
        if getattr(user, "notify_by_email", True) and user.email:
            wanted.append("email")
        if getattr(user, "notify_by_sms", False) and user.phone:
            wanted.append("sms")
    if not wanted:
        return "skipped: no channel (the recipient chose none, or has no address for it)"
    rendered = rendering.render(message, user)
    event_id = str(message.pk)
    done = list(message.delivered or [])
    for channel in wanted:
        if channel in done:
            continue
        if channel == "email":
            channels.send_email(to=user.email, subject=rendered.subject, body=rendered.body, event_id=event_id)
        else:
            channels.send_sms(to=user.phone, text=rendered.sms, event_id=event_id)
        done.append(channel)
        message.delivered = done  # kept even if a later channel fails (saved with the failure)
    return ", ".join(done)


# -- automatic checks -------------------------------------------------------------------------------
#
# The check itself is the domain's (``automatic.py`` registers it when the app is ready): delivery
# only claims the row, runs the registered check in a savepoint and records the outcome.

class PermanentFailure(Exception):
    """A check that can never succeed (e.g. an unknown checker): the row is a dead letter at once."""


_automatic_check: Callable[[dict], str] | None = None


def register_automatic_check(check: Callable[[dict], str]) -> None:
    """``check(payload) -> result`` carries out an ``automatic_check`` row's decision."""
    global _automatic_check
    _automatic_check = check


_proactive_event: Callable[[dict], str] | None = None


def register_proactive_event(handler: Callable[[dict], str]) -> None:
    """``handler(payload) -> result`` carries out a ``proactive_event`` row (its triggers)."""
    global _proactive_event
    _proactive_event = handler


def _deliver_automatic(pk: int) -> Attempt:
    now = timezone.now()
    with transaction.atomic():
        # Not SKIP LOCKED: a duplicate waits for the first one's commit, then finds it sent.
        message = OutboxMessage.objects.select_for_update().filter(pk=pk, status=OutboxStatus.PENDING).first()
        if message is None:
            return Attempt("skipped", detail="not pending")
        fields = ["attempts", "status", "last_error", "result", "sent_at", "next_attempt_at", "delivered"]
        message.attempts += 1
        try:
            handler = _proactive_event if message.kind == OutboxKind.PROACTIVE_EVENT else _automatic_check
            if handler is None:
                raise PermanentFailure(f"no handler is registered for {message.kind}")
            with transaction.atomic():  # a failed check rolls back its own writes, not the row's
                result = handler(message.payload or {})
        except PermanentFailure as exc:
            return _fail(message, exc, now, fields, permanent=True)
        except Exception as exc:
            return _fail(message, exc, now, fields, permanent=False)
        _mark_sent(message, result, now, fields)
    logger.info("outbox automatic check #%s done on attempt %d: %s", pk, message.attempts, message.result)
    return Attempt("sent", detail=message.result)


# -- handing rows over (again) --------------------------------------------------------------------

def sweep_outbox(*, now: Any = None, limit: int = 500, grace: float | None = None) -> int:
    """Hand over again every pending row that is due and has waited ``GOVFLOW_OUTBOX_SWEEP_AFTER``
    seconds (its message was lost: a broker outage at commit time, a crashed worker).

    Marks each row handed over (``next_attempt_at = now``) so that the next sweep leaves it alone
    for another grace period. Returns how many rows were enqueued.
    """
    now = now or timezone.now()
    if grace is None:
        grace = float(getattr(settings, "GOVFLOW_OUTBOX_SWEEP_AFTER", 120))
    cutoff = now - timedelta(seconds=grace)
    due = (OutboxMessage.objects.filter(status=OutboxStatus.PENDING)
           .filter(Q(next_attempt_at__isnull=True, created_at__lte=cutoff) | Q(next_attempt_at__lte=cutoff))
           .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=now))
           .order_by("created_at", "id").values_list("pk", flat=True)[:limit])
    pks = list(due)
    if not pks:
        return 0
    OutboxMessage.objects.filter(pk__in=pks, status=OutboxStatus.PENDING).update(next_attempt_at=now)
    sent = dispatch.enqueue(pks)
    if sent < len(pks):
        # Not handed over: due again at once for the next sweep.
        OutboxMessage.objects.filter(pk__in=pks[sent:], status=OutboxStatus.PENDING).update(
            next_attempt_at=cutoff)
    if sent:
        logger.info("outbox sweep handed over %d pending message(s)", sent)
    return sent


@transaction.atomic
def retry_messages(*, pks: list[int]) -> int:
    """Send pending or dead rows again now, with a fresh budget of attempts (the admin's action)."""
    rows = list(OutboxMessage.objects.select_for_update().filter(pk__in=pks).exclude(status=OutboxStatus.SENT))
    if not rows:
        return 0
    OutboxMessage.objects.filter(pk__in=[r.pk for r in rows]).update(
        status=OutboxStatus.PENDING, attempts=0, next_attempt_at=None, claimed_until=None,
        result="retry requested")
    dispatch.dispatch_after_commit(rows)
    return len(rows)
