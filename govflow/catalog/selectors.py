"""Reads of the published catalog that every interface shares: which one things take applications,
and which of them are offered to a caller (the jurisdictions rule, ``jurisdictions.one_things_visible_in``)."""
from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from . import jurisdictions
from .models import OneThing

__all__ = ["published_one_things", "visible_one_things"]


def published_one_things() -> QuerySet[OneThing]:
    """One things that take applications: published and with a current version, by code (one query per page)."""
    return (OneThing.objects.filter(is_published=True, current_version__isnull=False)
            .select_related("current_version").order_by("code"))


def visible_one_things(user: Any) -> QuerySet[OneThing]:
    """The published one things offered to ``user`` (anonymous: ``None`` or an AnonymousUser):
    those of their division (residence, else the default) and of the divisions above it."""
    return published_one_things().filter(jurisdictions.one_things_visible_in(jurisdictions.home_division(user)))
