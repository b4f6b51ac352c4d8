"""Portal glue around the domain services: the few writes that have no domain service yet."""
from __future__ import annotations

from typing import Any

from django.db import transaction

from govflow.accounts.models import User
from govflow.catalog import jurisdictions


@transaction.atomic
def profile_update(*, user: Any, phone: str, email: str, residence: str = "") -> User:
    """A citizen changes their contact details (name and ID number come from the identity check)
    and where they live (a division code; empty: not set, the default division is used).

    Kept here until ``govflow.accounts.services`` offers it; callers pass validated values. An
    unknown division raises ``InvalidInput`` naming ``residence``; nothing is changed then.
    """
    place = jurisdictions.division_by_code(residence, field="residence") if residence else None
    fresh = User.objects.select_for_update().get(pk=user.pk)
    fresh.phone = phone
    fresh.email = email
    fresh.residence = place
    fresh.save(update_fields=["phone", "email", "residence"])
    return fresh
