"""Proactive services (免申即享): an offer waits for its applicant only so long.

An offer (``Offer.mode = offer``) gets ``expires_at`` when it is made: its trigger's
``expires_days`` (calendar days), else ``settings.GOVFLOW_OFFER_EXPIRES_DAYS``. A grant decided at
once has none. From that moment the offer reads as expired (``Offer.current_state``) and can no
longer be accepted or declined (``proactive.offer_accept``: ``InvalidState``, a 409 in the API);
the hourly beat job (``tasks.expire_offers`` → :func:`sweep`) then marks it ``expired``, deletes
its pre-filled draft (nothing was submitted: a draft is the applicant's to delete, and so is an
unconfirmed offer's), and tells the applicant (``application.offer_expired``). The offer row stays:
the record that the event was handled, so it is never offered again.

Idempotent: each offer is expired under its row lock with a re-check, in one transaction with its
notification; two sweeps at once, or a sweep racing the applicant's acceptance, act once.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import DatabaseError, transaction
from django.utils import timezone

from govflow.notifications.dispatch import dispatch_after_commit
from govflow.notifications.models import OutboxKind, OutboxMessage
from govflow.parties.selectors import holders_of

from .models import Application, ApplicationStatus, Offer, OfferState

logger = logging.getLogger("govflow.proactive")

#: Offers expired per sweep at most (the next sweep goes on).
BATCH = 500


def expiry(expires_days: int | None, *, now: datetime | None = None) -> datetime:
    """When an offer made ``now`` expires: after the trigger's days, else the setting's."""
    days = expires_days or settings.GOVFLOW_OFFER_EXPIRES_DAYS
    return (now or timezone.now()) + timedelta(days=days)


def drop_draft(app: Application | None) -> None:
    """Delete an offer's pre-filled draft and its files (after commit); a submitted application stays."""
    if app is None or app.status != ApplicationStatus.DRAFT:
        return
    names = [d.file.name for d in app.documents.all() if d.file]
    app.documents.all().delete()
    app.delete()
    transaction.on_commit(lambda: [default_storage.delete(n) for n in names])


def told(offer: Offer) -> list[Any]:
    """Who hears about an offer: the person, or everyone holding a role in the organisation."""
    return holders_of(offer.organisation_id) if offer.organisation_id else [offer.applicant]


def notify(offer: Offer, event: str) -> None:
    """Tell the offer's party (a notification about the offer, not its draft)."""
    messages = [OutboxMessage(kind=OutboxKind.NOTIFICATION, event=event, recipient=person,
                              payload={"one_thing": offer.one_thing.code, "one_thing_name": offer.one_thing.name,
                                       "offer": offer.pk})
                for person in told(offer)]
    OutboxMessage.objects.bulk_create(messages)
    dispatch_after_commit(messages)


@transaction.atomic
def expire(pk: int, *, now: datetime | None = None) -> bool:
    """Expire one offer if it is still waiting past its expiry (``False``: nothing to do)."""
    now = now or timezone.now()
    offer = (Offer.objects.select_for_update(of=("self",)).select_related("application", "one_thing")
             .filter(pk=pk, state=OfferState.OFFERED, expires_at__lte=now).first())
    if offer is None:
        return False
    draft = offer.application
    offer.state = OfferState.EXPIRED
    offer.decided_at = now
    offer.application = None
    offer.save(update_fields=["state", "decided_at", "application"])
    drop_draft(draft)
    notify(offer, "application.offer_expired")
    return True


def sweep(*, now: datetime | None = None) -> int:
    """Expire every waiting offer past its expiry (at most :data:`BATCH` a run); how many."""
    now = now or timezone.now()
    due = list(Offer.objects.filter(state=OfferState.OFFERED, expires_at__lte=now)
               .order_by("expires_at", "id").values_list("pk", flat=True)[:BATCH])
    count = 0
    for pk in due:
        try:
            count += expire(pk, now=now)
        except DatabaseError:  # a lock timeout or a deadlock victim: the next sweep tries again
            logger.warning("expiring offer %s failed; the next sweep retries", pk, exc_info=True)
    if count:
        logger.info("offers expired: %s", count)
    return count
