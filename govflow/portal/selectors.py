"""Reads for the citizen portal."""
from __future__ import annotations

from django.db.models import QuerySet

from govflow.catalog.models import OneThing


def published_one_things() -> QuerySet[OneThing]:
    """One things that take applications: published and with a current version, by code."""
    return (
        OneThing.objects.filter(is_published=True, current_version__isnull=False)
        .select_related("current_version")
        .order_by("code")
    )
