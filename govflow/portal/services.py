"""Portal glue around the domain services: the few writes that have no domain service yet."""
from __future__ import annotations

from typing import Any

from django.db import transaction

from govflow.accounts.models import User


@transaction.atomic
def profile_update(*, user: Any, phone: str, email: str) -> User:
    """A citizen changes their contact details (name and ID number come from the identity check).

    Kept here until ``govflow.accounts.services`` offers it; callers pass validated values.
    """
    fresh = User.objects.select_for_update().get(pk=user.pk)
    fresh.phone = phone
    fresh.email = email
    fresh.save(update_fields=["phone", "email"])
    return fresh
