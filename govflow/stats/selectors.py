"""Statistics for supervisors and staff: what came in, what is done, what is late.

Everything is counted over the applications *submitted* in a date range (dates in
``settings.TIME_ZONE``, Asia/Shanghai), as they stand now. Counting happens in the database
(``aggregate`` / ``annotate``), the working days of each decision and whether it was on time
included: they are stored on the case when it is decided (``govflow.applications.timing``).
The number of queries is fixed (at most 4) whatever the data size.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any, TypedDict
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Avg, Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from govflow.accounts.models import Membership, Role
from govflow.applications.models import (
    Application,
    ApplicationStatus,
    Case,
    CaseStatus,
    Channel,
    CorrectionRequest,
    Document,
    DocumentStatus,
    Origin,
    Outcome,
)
from govflow.catalog import jurisdictions
from govflow.catalog.calendar import local_date
from govflow.catalog.models import Department, localized

__all__ = ["DepartmentStats", "Stats", "channel_counts", "stats_for", "stats_office_ids"]

OPEN_APPLICATION_STATUSES = (ApplicationStatus.SUBMITTED, ApplicationStatus.IN_PROGRESS,
                             ApplicationStatus.CORRECTION_REQUESTED)
#: Cases a clerk is (or should be) working on; a case waiting for the citizen is paused, not late.
WORKING_CASE_STATUSES = (CaseStatus.QUEUED, CaseStatus.IN_REVIEW)
DECIDED_CASE_STATUSES = (CaseStatus.APPROVED, CaseStatus.REJECTED)

#: The reform's instruments counted apart (``Stats.by_instrument``).
INSTRUMENTS = ("deferred", "commitment", "offer", "grant")
RATIO_DIGITS = 4
AVERAGE_DIGITS = 2


class DepartmentStats(TypedDict):
    department: dict
    queued: int
    in_review: int
    overdue: int
    approved: int
    rejected: int
    sla_met_ratio: float | None
    avg_working_days: float | None


class Stats(TypedDict):
    submitted: int
    completed: int
    in_progress: int
    overdue: int
    sla_met_ratio: float | None
    avg_working_days: float | None
    satisfaction_avg: float | None
    by_department: list[DepartmentStats]
    by_channel: dict[str, int]
    by_instrument: dict[str, int]


def stats_office_ids(user: Any) -> Any:
    """The offices whose figures ``user`` may see: ``None`` for staff (all of them); for a
    supervisor, the offices they supervise and those they oversee (the same department below
    their division), as a subquery. Anyone else (citizens, clerks) → ``PermissionDenied``."""
    if user is None or not user.is_authenticated:
        raise PermissionDenied("Sign in to see statistics.")
    if user.is_staff:
        return None
    supervised = Membership.objects.filter(user=user, role=Role.SUPERVISOR).values("office_id")
    if not supervised.exists():
        raise PermissionDenied("Only supervisors and staff can see statistics.")
    return jurisdictions.overseen_offices(supervised).values("pk")


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))


def _submitted_between(date_from: date, date_to: date, prefix: str = "") -> Q:
    """``submitted_at`` within [date_from, date_to], both whole local days."""
    q = Q(**{f"{prefix}submitted_at__gte": _local_midnight(date_from)})
    if date_to < date.max:
        q &= Q(**{f"{prefix}submitted_at__lt": _local_midnight(date_to + timedelta(days=1))})
    else:
        q &= Q(**{f"{prefix}submitted_at__isnull": False})
    return q


def _channel_aggregates() -> dict[str, Count]:
    return {f"channel_{channel}": Count("pk", filter=Q(channel=channel)) for channel in Channel.values}


def _by_channel(totals: dict) -> dict[str, int]:
    """``{"online": n, "counter": n, "api": n}`` from an aggregate of :func:`_channel_aggregates`."""
    return {channel: totals[f"channel_{channel}"] for channel in Channel.values}


def channel_counts(*, office_id: int, date_from: date, date_to: date) -> dict[str, int]:
    """Applications submitted from ``date_from`` to ``date_to`` with at least one case at the
    office, by the door they came through (the board's figure; one query). Callers check that
    the user may see the office."""
    applications = Application.objects.filter(
        _submitted_between(date_from, date_to), Exists(Case.objects.filter(application=OuterRef("pk"),
                                                                           office_id=office_id)))
    return _by_channel(applications.aggregate(**_channel_aggregates()))


#: A document that was ever deferred (容缺受理: it keeps its due date) and one replaced by a signed
#: commitment (告知承诺制).
DEFERRED_DOCUMENT = Q(due_date__isnull=False)
COMMITMENT_DOCUMENT = Q(status=DocumentStatus.COMMITMENT)


def instrument_aggregates(*, documents: bool = True) -> dict[str, Count]:
    """The reform's instruments, counted apart (国发〔2024〕3号): applications submitted with a
    material to follow (容缺受理: a document that was ever deferred keeps its due date), with a
    signed commitment in place of a material (告知承诺制), and those the state started (免申即享:
    an accepted offer, or a grant).

    ``documents=False`` leaves out the first two, for :func:`instrument_document_aggregates` (the
    documents looked up per application are cheap for a few applications, not for many)."""
    aggregates = {}
    if documents:
        ever_deferred = Document.objects.filter(DEFERRED_DOCUMENT, application=OuterRef("pk"))
        committed = Document.objects.filter(COMMITMENT_DOCUMENT, application=OuterRef("pk"))
        aggregates["instrument_deferred"] = Count("pk", filter=Q(Exists(ever_deferred)))
        aggregates["instrument_commitment"] = Count("pk", filter=Q(Exists(committed)))
    aggregates["instrument_offer"] = Count("pk", filter=Q(origin=Origin.OFFER))
    aggregates["instrument_grant"] = Count("pk", filter=Q(origin=Origin.GRANT))
    return aggregates


def instrument_document_aggregates(applications: QuerySet[Application]) -> dict[str, Any]:
    """``instrument_deferred`` and ``instrument_commitment`` of :func:`instrument_aggregates` over
    many ``applications``, for the same ``aggregate()``: their documents are read once (a join,
    each application counted once) instead of looked up per application.

    Each count is an uncorrelated subquery, which the database runs once; ``aggregate()`` takes
    only aggregates, hence the zero times the applications' count added to it."""

    def applications_with(condition: Q) -> Any:
        counted = (Document.objects.filter(condition, application__in=applications.values("pk"))
                   .order_by().annotate(all_rows=Value(1)).values("all_rows")
                   .annotate(n=Count("application_id", distinct=True)).values("n"))
        return Coalesce(Subquery(counted, output_field=IntegerField()), 0) + Count("pk") * 0

    return {"instrument_deferred": applications_with(DEFERRED_DOCUMENT),
            "instrument_commitment": applications_with(COMMITMENT_DOCUMENT)}


def by_instrument(totals: dict) -> dict[str, int]:
    """``{"deferred": n, "commitment": n, "offer": n, "grant": n}`` from :func:`instrument_aggregates`."""
    return {key: totals[f"instrument_{key}"] for key in INSTRUMENTS}


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, RATIO_DIGITS) if whole else None


def _decided_aggregates() -> dict[str, Any]:
    """The decided cases' figures stored at the decision (``Case.on_time``, ``working_days_used``)."""
    decided = Q(status__in=DECIDED_CASE_STATUSES, decided_at__isnull=False)
    return {
        "decided": Count("pk", filter=decided),
        "met": Count("pk", filter=decided & Q(on_time=True)),
        "days_sum": Sum("working_days_used", filter=decided),
        "days_count": Count("working_days_used", filter=decided),
    }


def _mean_of(days_sum: int | None, days_count: int) -> float | None:
    return round(days_sum / days_count, AVERAGE_DIGITS) if days_count else None


def stats_for(*, user: Any, date_from: date, date_to: date) -> Stats:
    """Figures over the applications submitted from ``date_from`` to ``date_to`` (inclusive).

    - ``submitted``: applications submitted in the range; ``completed``: those now completed;
      ``in_progress``: those now submitted, in progress or waiting for a correction.
    - ``overdue``: their cases queued or in review whose ``due_date`` is before today.
    - ``sla_met_ratio``: decided (approved/rejected) cases decided on or before their
      ``due_date`` ÷ decided cases; ``None`` when none was decided.
    - ``avg_working_days``: mean working days from queued to decided, minus the working days
      spent waiting for the citizen (never below 0); ``None`` when none was decided.
    - ``satisfaction_avg``: mean evaluation score of those applications; ``None`` without any.
    - ``by_department``: the case figures per department, ordered by department code.
    - ``by_channel``: the submitted applications by the door they came through:
      ``{"online": n, "counter": n, "api": n}`` (same count, no extra query).
    - ``by_instrument``: of the submitted applications, those with a material deferred, with a
      signed commitment, from an accepted offer and granted (:func:`instrument_aggregates`; same query).

    Staff see every department; a supervisor sees only the offices they supervise or oversee:
    cases of those offices, and the applications that have at least one such case. Anyone else
    gets ``PermissionDenied``. ``date_from`` after ``date_to`` counts nothing.
    """
    office_ids = stats_office_ids(user)
    today = local_date(timezone.now())

    applications = Application.objects.filter(_submitted_between(date_from, date_to))
    cases = Case.objects.filter(_submitted_between(date_from, date_to, prefix="application__"))
    departments = Department.objects.order_by("code").only("id", "code", "name")
    if office_ids is not None:
        applications = applications.filter(
            Exists(Case.objects.filter(application=OuterRef("pk"), office_id__in=office_ids)))
        cases = cases.filter(office_id__in=office_ids)
        departments = departments.filter(offices__in=office_ids).distinct()

    totals = applications.aggregate(
        submitted=Count("pk"),
        completed=Count("pk", filter=Q(status=ApplicationStatus.COMPLETED)),
        in_progress=Count("pk", filter=Q(status__in=OPEN_APPLICATION_STATUSES)),
        satisfaction_avg=Avg("evaluation__score"),
        **_channel_aggregates(),
        **instrument_aggregates(documents=False),
        **instrument_document_aggregates(applications),
    )
    counts = {
        row["department_id"]: row
        for row in cases.order_by().values("department_id").annotate(
            queued=Count("pk", filter=Q(status=CaseStatus.QUEUED)),
            in_review=Count("pk", filter=Q(status=CaseStatus.IN_REVIEW)),
            overdue=Count("pk", filter=Q(status__in=WORKING_CASE_STATUSES, due_date__lt=today)),
            approved=Count("pk", filter=Q(status=CaseStatus.APPROVED)),
            rejected=Count("pk", filter=Q(status=CaseStatus.REJECTED)),
            **_decided_aggregates(),
        )
    }

    by_department: list[DepartmentStats] = []
    for department in departments:
        row = counts.get(department.pk, {})
        by_department.append(DepartmentStats(
            department={"code": department.code, "name": localized(department.name)},
            queued=row.get("queued", 0),
            in_review=row.get("in_review", 0),
            overdue=row.get("overdue", 0),
            approved=row.get("approved", 0),
            rejected=row.get("rejected", 0),
            sla_met_ratio=_ratio(row.get("met", 0), row.get("decided", 0)),
            avg_working_days=_mean_of(row.get("days_sum"), row.get("days_count", 0)),
        ))

    satisfaction = totals["satisfaction_avg"]
    return Stats(
        submitted=totals["submitted"],
        completed=totals["completed"],
        in_progress=totals["in_progress"],
        overdue=sum(row["overdue"] for row in counts.values()),
        sla_met_ratio=_ratio(sum(r["met"] for r in counts.values()), sum(r["decided"] for r in counts.values())),
        avg_working_days=_mean_of(sum(r["days_sum"] or 0 for r in counts.values()),
                                  sum(r["days_count"] for r in counts.values())),
        satisfaction_avg=round(float(satisfaction), AVERAGE_DIGITS) if satisfaction is not None else None,
        by_department=by_department,
        by_channel=_by_channel(totals),
        by_instrument=by_instrument(totals),
    )


class DecisionCounts(TypedDict):
    start: date
    end: date
    processed: int
    approved: int
    sent_back: int
    rejected: int


#: Periods :func:`decision_counts` may split a range into.
TIMEFRAMES = ("day", "week", "month", "year")


def period_start(day: date, timeframe: str) -> date:
    """The first day of the day, week (Monday), month or year holding ``day``."""
    if timeframe == "week":
        return day - timedelta(days=day.weekday())
    if timeframe == "month":
        return day.replace(day=1)
    if timeframe == "year":
        return day.replace(month=1, day=1)
    return day


def _periods(date_from: date, date_to: date, timeframe: str | None) -> list[tuple[date, date]]:
    """The range cut into whole periods, the first and last clipped to it; one period without a timeframe."""
    if not timeframe:
        return [(date_from, date_to)]
    periods, start = [], period_start(date_from, timeframe)
    while start <= date_to:
        following = (start + timedelta(days=1) if timeframe == "day" else start + timedelta(days=7)
                     if timeframe == "week" else (start.replace(day=28) + timedelta(days=4)).replace(day=1)
                     if timeframe == "month" else start.replace(year=start.year + 1))
        periods.append((max(start, date_from), min(following - timedelta(days=1), date_to)))
        start = following
    return periods


def decision_counts(*, user: Any, date_from: date, date_to: date, one_thing_code: str | None = None,
                    timeframe: str | None = None, operator: str | None = None,
                    role: str | None = None) -> list[DecisionCounts]:
    """How the applications submitted from ``date_from`` to ``date_to`` (inclusive) stand, in the
    scope :func:`stats_for` gives ``user``, for the whole range or per ``timeframe`` (one of
    :data:`TIMEFRAMES`, by the local day of submission; every period listed, empty ones as zeros):
    ``processed`` those completed, of which ``approved`` (every case approved, or some:
    ``partially_approved``) and ``rejected`` (none); ``sent_back`` those asked for corrections at
    least once. ``operator`` (a username) and ``role`` (an office's or a department's code) keep the
    applications with a case handled by that operator (holding or having decided it) in that office
    or department; both: one case matching both. One query."""
    office_ids = stats_office_ids(user)
    applications = Application.objects.filter(_submitted_between(date_from, date_to))
    if one_thing_code is not None:
        applications = applications.filter(one_thing__code=one_thing_code)
    if operator or role:
        cases = Case.objects.filter(application=OuterRef("pk"))
        if operator:
            cases = cases.filter(Q(owner__username=operator) | Q(decided_by__username=operator))
        if role:
            cases = cases.filter(Q(office__code=role) | Q(department__code=role))
        applications = applications.filter(Exists(cases))
    if office_ids is not None:
        applications = applications.filter(
            Exists(Case.objects.filter(application=OuterRef("pk"), office_id__in=office_ids)))
    aggregates = {
        "processed": Count("pk", filter=Q(status=ApplicationStatus.COMPLETED)),
        "approved": Count("pk", filter=Q(status=ApplicationStatus.COMPLETED,
                                         outcome__in=(Outcome.APPROVED, Outcome.PARTIALLY_APPROVED))),
        "rejected": Count("pk", filter=Q(status=ApplicationStatus.COMPLETED, outcome=Outcome.REJECTED)),
        "sent_back": Count("pk", filter=Exists(CorrectionRequest.objects.filter(case__application=OuterRef("pk")))),
    }
    periods = _periods(date_from, date_to, timeframe)
    if timeframe:
        day = TruncDate("submitted_at", tzinfo=ZoneInfo(settings.TIME_ZONE))
        rows = applications.annotate(day=day).values("day").annotate(**aggregates).order_by()
    else:
        rows = [{"day": date_from, **applications.aggregate(**aggregates)}]
    totals: dict[date, dict] = {start: dict.fromkeys(aggregates, 0) for start, _end in periods}
    for row in rows:
        key = max(period_start(row["day"], timeframe), date_from) if timeframe else date_from
        for name in aggregates:
            totals[key][name] += row[name]
    return [DecisionCounts(start=start, end=end, **totals[start]) for start, end in periods]
