"""Writes that only the workbench makes. Everything else goes through
``govflow.applications.services``, the same services the API calls."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import DatabaseError, transaction
from django.utils import timezone

from govflow.accounts.models import Membership, Role
from govflow.applications.models import Case, ContactChannel, Evaluation, TimelineEntry
from govflow.errors import Busy, InvalidInput, InvalidState, NotFound
from govflow.text import has_bad_text, invalid_text_message

FOLLOW_UP_NOTE_MAX = 5000


@transaction.atomic
def evaluation_follow_up(*, evaluation: Evaluation, user: Any, note: Any, contacted: bool | None = None,
                         contacted_at: datetime | None = None, channel: str = "") -> Evaluation:
    """A supervisor answers a low rating (好差评: every bad rating gets an answer).

    Only a supervisor of an office that had a case on the rated application may answer
    (anyone else: not found); each follow-up is answered once. Who, when and the note are
    kept on the evaluation itself, with whether the citizen was contacted (``contacted``:
    ``None`` when left unsaid), when (``contacted_at``, by default now; never in the future
    nor before the rating) and how (``channel``, a :class:`ContactChannel`, required when
    contacted). The application's timeline gets a staff-only ``evaluation.followed_up`` entry
    (the citizen's own timeline never names individual staff).
    """
    try:
        fresh = Evaluation.objects.select_for_update().get(pk=evaluation.pk)
    except Evaluation.DoesNotExist:
        raise NotFound("Evaluation not found.") from None
    except DatabaseError as exc:
        raise Busy() from exc
    supervised = Membership.objects.filter(user=user, role=Role.SUPERVISOR).values("office_id")
    if not fresh.needs_follow_up or not Case.objects.filter(application_id=fresh.application_id,
                                                            office_id__in=supervised).exists():
        raise NotFound("Evaluation not found.")
    if fresh.followed_up_at is not None:
        raise InvalidState("This rating has already been answered.")
    if not isinstance(note, str) or not note.strip():
        raise InvalidInput("Write what was done about this rating.", errors={"note": ["A note is required."]})
    if has_bad_text(note, multiline=True):
        raise InvalidInput(invalid_text_message(), errors={"note": [invalid_text_message()]})
    if len(note.strip()) > FOLLOW_UP_NOTE_MAX:
        raise InvalidInput("The note is too long.",
                           errors={"note": [f"At most {FOLLOW_UP_NOTE_MAX} characters."]})
    now = timezone.now()
    contacted_at, channel = _contact(fresh, contacted, contacted_at, channel, now)
    fresh.follow_up_note = note.strip()
    fresh.followed_up_by = user
    fresh.followed_up_at = now
    fresh.citizen_contacted = contacted
    fresh.contacted_at = contacted_at
    fresh.contact_channel = channel
    fresh.save(update_fields=["follow_up_note", "followed_up_by", "followed_up_at", "citizen_contacted",
                              "contacted_at", "contact_channel"])
    TimelineEntry.objects.create(
        application_id=fresh.application_id, kind="evaluation.followed_up", actor=user, at=now,
        data={"evaluation": fresh.pk, "contacted": contacted,
              "contacted_at": contacted_at.isoformat() if contacted_at else None, "channel": channel})
    return fresh


def _contact(evaluation: Evaluation, contacted: Any, contacted_at: Any, channel: Any,
             now: datetime) -> tuple[datetime | None, str]:
    """The checked ``(contacted_at, channel)`` of a follow-up (``InvalidInput`` for anything else)."""
    if contacted not in (None, True, False):
        raise InvalidInput("Say whether the citizen was contacted.", errors={"contacted": ["Yes or no."]})
    if not contacted:
        if contacted_at is not None or channel:
            raise InvalidInput("A time and a channel are only for a citizen who was contacted.",
                               errors={"contacted": ["The citizen was not contacted."]})
        return None, ""
    if channel not in ContactChannel.values:
        raise InvalidInput("Say how the citizen was contacted.",
                           errors={"channel": [f"One of {', '.join(ContactChannel.values)}."]})
    if contacted_at is None:
        contacted_at = now
    if not isinstance(contacted_at, datetime) or timezone.is_naive(contacted_at):
        raise InvalidInput("Give the time of the contact.", errors={"contacted_at": ["A date and time."]})
    if contacted_at > now or contacted_at < evaluation.created_at:
        raise InvalidInput("The contact must be after the rating and not in the future.",
                           errors={"contacted_at": ["Between the rating and now."]})
    return contacted_at, channel
