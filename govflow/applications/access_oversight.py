"""Who read whose data, for supervisors and auditors (issue 20): the search of access records and
the alerts on unusual reading.

**Who may search.** A supervisor sees the reads made through the offices they oversee (the
offices they supervise and those of the same department below their division:
:func:`govflow.catalog.jurisdictions.overseen_offices`, as the supervision pages). An *auditor*
is anyone holding the model permission ``applications.view_accessrecord`` (a superuser, or a
member of a group given it in the admin): they see every read, the administrators' support reads
(no office) included. Anyone else: ``PermissionDenied``.

**The search is itself a read.** Searching the reads of one person or organisation (the
``citizen`` filter) writes an access record for them: purpose ``audit``, the searcher as reader.
A search without it writes none (it shows masked id numbers, nobody in particular).

**Alerts** (:func:`scan`, a beat job): per reader and local day, more distinct people and
organisations read than ``GOVFLOW_ACCESS_ALERT_DISTINCT_CITIZENS`` (``many_citizens``), or any read
outside a case they hold (``outside_cases``): purpose ``office_case`` (a colleague's case or a
decided one) of a case whose holder is someone else, by a reader who is not a supervisor of the
office read through. Queue reads (before claiming), the counter's reads and a supervisor's
oversight are their work; an administrator's support read carries a ticket and a reason the
person sees, and no office whose supervisors could be told: auditors search those by purpose.
One :class:`AccessAlert` per reader, day and kind; the supervisors of the office the reader read
through most that day are notified once, through the outbox, when it is first written.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from govflow.accounts.models import Membership, Role, User
from govflow.catalog.calendar import local_date
from govflow.catalog.jurisdictions import overseen_offices
from govflow.catalog.models import Office
from govflow.notifications.dispatch import dispatch_after_commit
from govflow.notifications.models import OutboxKind, OutboxMessage
from govflow.parties.models import Organisation

from . import access
from .models import AccessAlert, AccessAlertKind, AccessRecord

AUDIT_PERMISSION = "applications.view_accessrecord"
ALERT_EVENT = "access.alert"
#: The period searched when none is given: the last 30 days (a count over the whole log is costly).
DEFAULT_DAYS = 30


# -- who may search what --------------------------------------------------------------------------


def is_auditor(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active and user.has_perm(AUDIT_PERMISSION))


def office_scope(user: Any) -> Any:
    """The offices whose reads ``user`` may search: ``None`` for an auditor (every read), else the
    overseen offices as a subquery; ``PermissionDenied`` for anyone else."""
    if user is None or not user.is_authenticated or not user.is_active:
        raise PermissionDenied("Sign in to search access records.")
    if is_auditor(user):
        return None
    supervised = Membership.objects.filter(user=user, role=Role.SUPERVISOR).values("office_id")
    if not supervised.exists():
        raise PermissionDenied("Only supervisors and auditors can search access records.")
    return overseen_offices(supervised).values("pk")


def visible_offices(scope: Any) -> QuerySet[Office]:
    """The offices to choose from in the office filter (by department and place)."""
    offices = Office.objects.select_related("department", "division").order_by("department__code", "division__path",
                                                                                 "code")
    return offices if scope is None else offices.filter(pk__in=scope)


# -- the search -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """What the search asks for; every text is matched exactly (no ``LIKE`` on personal data)."""

    reader: str = ""  # a username or a staff number
    office: str = ""  # an office code
    citizen: str = ""  # a resident id number, a USCC or a username
    date_from: date | None = None
    date_to: date | None = None
    interface: str = ""
    purpose: str = ""
    alert: int | None = None  # the reads behind one alert (its reader, day and kind)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))


def default_period(now: Any = None) -> tuple[date, date]:
    today = local_date(now or timezone.now())
    return today - timedelta(days=DEFAULT_DAYS - 1), today


def _people(citizen: str) -> QuerySet[User]:
    return User.objects.filter(Q(id_number=citizen.upper()) | Q(username=citizen))


def search(user: Any, filters: Filters, scope: Any = ...) -> QuerySet[AccessRecord]:
    """The reads ``user`` may see that match ``filters``, newest first, with what a row shows
    joined: one query a page (and one count), whatever the size of the log. Every filter is a
    subquery on an indexed column: reader, office, person, organisation, purpose, time.
    ``scope``: the user's :func:`office_scope`, when the caller has it already."""
    scope = office_scope(user) if scope is ... else scope
    rows = AccessRecord.objects.all()
    if scope is not None:
        rows = rows.filter(office_id__in=scope)
    if filters.alert is not None:
        alert = alerts_for(user, scope).filter(pk=filters.alert).first()
        if alert is None:
            return AccessRecord.objects.none()
        rows = rows.filter(reader_id=alert.reader_id, at__gte=_midnight(alert.day),
                           at__lt=_midnight(alert.day + timedelta(days=1)))
        if alert.kind == AccessAlertKind.OUTSIDE_CASES:
            rows = rows.filter(outside_cases_q())
    if filters.reader:
        rows = rows.filter(reader__in=User.objects.filter(Q(username=filters.reader)
                                                          | Q(staff_number=filters.reader)).values("pk"))
    if filters.office:
        rows = rows.filter(office__code=filters.office)
    if filters.citizen:
        rows = rows.filter(Q(person__in=_people(filters.citizen).values("pk"))
                           | Q(organisation__in=Organisation.objects.filter(uscc=filters.citizen.upper())
                               .values("pk")))
    if filters.date_from is not None:
        rows = rows.filter(at__gte=_midnight(filters.date_from))
    if filters.date_to is not None:
        rows = rows.filter(at__lt=_midnight(filters.date_to + timedelta(days=1)))
    if filters.interface:
        rows = rows.filter(interface=filters.interface)
    if filters.purpose:
        rows = rows.filter(purpose=filters.purpose)
    return (rows.select_related("reader", "office__department", "office__division", "person", "organisation",
                                "application")
            .only("at", "interface", "purpose", "reason", "what", "application_id", "case_id", "office_id",
                  "person_id", "organisation_id", "reader__username", "reader__name", "reader__staff_number",
                  "office__code", "office__name", "office__division__name", "office__department__name",
                  "office__department__code", "person__name", "person__id_number", "organisation__name",
                  "organisation__uscc", "application__number")
            .order_by("-at", "-id"))


def record_search(user: Any, filters: Filters) -> int:
    """A search of one person's or organisation's reads is a read of their data: one access record
    each (purpose ``audit``, through the workbench); one query to find them. Returns how many."""
    if not filters.citizen:
        return 0
    people = list(_people(filters.citizen).values_list("pk", flat=True)[:2])
    organisations = list(Organisation.objects.filter(uscc=filters.citizen.upper()).values_list("pk", flat=True)[:2])
    what = {"page": "access-records"}
    for pk in people:
        access.record(reader=user, interface=access.Interface.WORKBENCH, purpose=access.Purpose.AUDIT,
                      person_id=pk, what=what)
    for pk in organisations:
        access.record(reader=user, interface=access.Interface.WORKBENCH, purpose=access.Purpose.AUDIT,
                      organisation_id=pk, what=what)
    return len(people) + len(organisations)


def subject_label(row: AccessRecord) -> str:
    """Whose data, as the search shows it: a person's name and masked id number, an organisation's
    name and USCC (public by law)."""
    if row.organisation_id:
        return f"{row.organisation.name} ({row.organisation.uscc})"
    person = row.person
    return " ".join(part for part in (person.name, person.masked_id_number) if part) or f"#{person.pk}"


# -- alerts ---------------------------------------------------------------------------------------


def outside_cases_q() -> Q:
    """Reads outside any case the reader holds: a case of their office (purpose ``office_case``)
    that someone else holds or nobody does, by a reader who does not supervise the office."""
    supervises = Membership.objects.filter(user_id=OuterRef("reader_id"), office_id=OuterRef("office_id"),
                                           role=Role.SUPERVISOR)
    return Q(purpose=access.Purpose.OFFICE_CASE) & ~Q(case__owner_id=F("reader_id")) & Q(~Exists(supervises))


def threshold() -> int:
    return settings.GOVFLOW_ACCESS_ALERT_DISTINCT_CITIZENS


def findings(day: date) -> list[tuple[int, str, int]]:
    """(reader, kind, count) of every alert the reads of ``day`` (a local day) call for: two
    grouped queries over that day's rows (the ``at`` index)."""
    day_rows = AccessRecord.objects.filter(at__gte=_midnight(day), at__lt=_midnight(day + timedelta(days=1)))
    found: list[tuple[int, str, int]] = []
    limit = threshold()
    if limit > 0:
        people = (day_rows.values("reader_id").annotate(n=Count("person_id", distinct=True)
                                                        + Count("organisation_id", distinct=True))
                  .filter(n__gt=limit).order_by("reader_id"))
        found += [(r["reader_id"], AccessAlertKind.MANY_CITIZENS, r["n"]) for r in people]
    outside = day_rows.filter(outside_cases_q()).values("reader_id").annotate(n=Count("id")).order_by("reader_id")
    found += [(r["reader_id"], AccessAlertKind.OUTSIDE_CASES, r["n"]) for r in outside]
    return found


def _main_office(reader_id: int, day: date) -> int | None:
    return (AccessRecord.objects.filter(reader_id=reader_id, office__isnull=False, at__gte=_midnight(day),
                                        at__lt=_midnight(day + timedelta(days=1)))
            .values("office_id").annotate(n=Count("id")).order_by("-n", "office_id")
            .values_list("office_id", flat=True).first())


def supervisors_of(office_id: int | None, *, besides: int) -> list[Any]:
    if office_id is None:
        return []
    return [m.user for m in Membership.objects.filter(office_id=office_id, role=Role.SUPERVISOR, user__is_active=True)
            .exclude(user_id=besides).select_related("user").order_by("user__username")]


def scan(*, now: Any = None) -> int:
    """Write the alerts today's and yesterday's reads call for (local days; yesterday for the rows
    of its last minutes) and notify; returns how many were new. Idempotent: an alert already
    written for a reader, day and kind is left alone and nobody is told again."""
    today = local_date(now or timezone.now())
    new = 0
    for day in (today - timedelta(days=1), today):
        existing = set(AccessAlert.objects.filter(day=day).values_list("reader_id", "kind"))
        for reader_id, kind, count in findings(day):
            if (reader_id, kind) not in existing and _raise(reader_id, day, kind, count):
                new += 1
    return new


def _raise(reader_id: int, day: date, kind: str, count: int) -> bool:
    office_id = _main_office(reader_id, day)
    reader = User.objects.only("pk", "username", "name", "staff_number").get(pk=reader_id)
    try:
        with transaction.atomic():
            alert = AccessAlert.objects.create(reader_id=reader_id, day=day, kind=kind, count=count,
                                               office_id=office_id)
            messages = OutboxMessage.objects.bulk_create([
                OutboxMessage(kind=OutboxKind.NOTIFICATION, event=ALERT_EVENT, recipient=user,
                              payload={"alert": alert.pk, "kind": kind, "day": day.isoformat(), "count": count,
                                       "reader": reader.name or reader.username,
                                       "staff_number": reader.staff_number, "threshold": threshold()})
                for user in supervisors_of(office_id, besides=reader_id)])
            dispatch_after_commit(messages)
    except IntegrityError:  # another scan wrote it first
        return False
    return True


def alerts_for(user: Any, scope: Any = ...) -> QuerySet[AccessAlert]:
    """The alerts ``user`` may see (as :func:`office_scope`), newest first."""
    scope = office_scope(user) if scope is ... else scope
    alerts = AccessAlert.objects.select_related("reader", "office__division")
    if scope is not None:
        alerts = alerts.filter(office_id__in=scope)
    return alerts.order_by("-day", "-id")
