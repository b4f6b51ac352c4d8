"""Writes that only the workbench makes. Everything else goes through
``govflow.applications.services``, the same services the API calls."""
from __future__ import annotations

from typing import Any

from django.db import DatabaseError, transaction
from django.utils import timezone

from govflow.accounts.models import Membership, Role
from govflow.applications.models import Case, Evaluation
from govflow.errors import Busy, InvalidInput, InvalidState, NotFound
from govflow.text import has_bad_text, invalid_text_message

FOLLOW_UP_NOTE_MAX = 5000


@transaction.atomic
def evaluation_follow_up(*, evaluation: Evaluation, user: Any, note: Any) -> Evaluation:
    """A supervisor answers a low rating (好差评: every bad rating gets an answer).

    Only a supervisor of an office that had a case on the rated application may answer
    (anyone else: not found); each follow-up is answered once. Who, when and the note are
    kept on the evaluation itself: the citizen's timeline has a fixed set of kinds and names
    departments, never individual staff.
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
    fresh.follow_up_note = note.strip()
    fresh.followed_up_by = user
    fresh.followed_up_at = timezone.now()
    fresh.save(update_fields=["follow_up_note", "followed_up_by", "followed_up_at"])
    return fresh
