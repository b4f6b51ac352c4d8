"""The refusal list: applicants the reform's facilities are refused to.

Someone on the list may not submit with a material deferred (容缺受理) nor replace a material by a
signed commitment (告知承诺制); they apply the ordinary way, with every material. An administrator
keeps the list (the admin), and a commitment found false puts the applicant on it for a period.
Entries are keyed by the resident ID number or the unified social credit code."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone

from govflow.catalog.labels import localized

from .models import Application, RefusalEntry, RefusalKind, RefusalSource


def _key(application: Application) -> tuple[str, str] | None:
    """The kind and identifier the list knows the application's applicant by (``None``: no identifier)."""
    if application.organisation_id:
        return RefusalKind.ORGANISATION, application.organisation.uscc
    number = application.applicant.id_number if application.applicant_id else None
    return (RefusalKind.PERSON, number) if number else None


def _in_force(today: date) -> Q:
    return Q(lifted_at__isnull=True, starts_on__lte=today) & (Q(ends_on__isnull=True) | Q(ends_on__gte=today))


def entry_for(application: Application, *, today: date | None = None) -> RefusalEntry | None:
    """The entry in force today that refuses the facilities to this application's applicant, if any
    (one query)."""
    key = _key(application)
    if key is None:
        return None
    today = today or timezone.localdate()
    kind, identifier = key
    return (RefusalEntry.objects.filter(_in_force(today), kind=kind, identifier=identifier)
            .order_by("-created_at", "-id").first())


def reason_for(application: Application, *, today: date | None = None) -> str:
    """Why the facilities are refused, in the request's language; ``""`` when they are not."""
    entry = entry_for(application, today=today)
    return localized(entry.reason) if entry is not None else ""


def refusal_add(*, application: Application, reason: dict, days: int | None, source: str = RefusalSource.MANUAL,
                actor: Any = None, today: date | None = None) -> RefusalEntry | None:
    """Put the application's applicant on the list from today for ``days`` days (``None``: until lifted).
    Returns ``None`` when the applicant has no identifier the list can hold."""
    key = _key(application)
    if key is None:
        return None
    today = today or timezone.localdate()
    kind, identifier = key
    party = application.applicant_party
    return RefusalEntry.objects.create(
        kind=kind, identifier=identifier, name=party.name or "", reason=dict(reason), source=source,
        application=application, starts_on=today,
        ends_on=today + timedelta(days=days - 1) if days else None, created_by=actor)
