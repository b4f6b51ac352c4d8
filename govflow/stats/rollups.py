"""Daily rollups of the decided cases: kept by a Celery beat job, read by the supervision pages.

The supervision pages read, for every day up to the rollups' ``complete_through``, the rows of

- :class:`~govflow.stats.models.DecisionDay` (the heatmap, where time goes): a histogram per day,
  office, procedure, one thing and stage of how many cases took each whole number of working days;
- :class:`~govflow.stats.models.CompletionDay` (the reform's figures, the critical paths): the
  applications completed per day, version, channel, critical path and set of offices;
- :class:`~govflow.stats.models.RatingDay` (好差评): the ratings given per day, office, procedure
  or clerk, counted once per key as the live query does, with the offices of those cases;

and count the later days (today, and any day the job has not reached yet) live, with the same
definitions. The two parts add up to exactly what counting every row live gives.

Keeping it (:func:`refresh`, run by the beat task ``govflow.stats.tasks.refresh_rollups`` and by
``manage.py stats_rollup``):

- A day is rebuilt whole: its rows are deleted and inserted again from the cases, in one
  transaction (``INSERT … SELECT``, grouped in the database), so a rebuild can run any number of
  times and readers never see half a day.
- Each run rebuilds every day after ``complete_through`` up to yesterday (catching up after any
  downtime; the first run starts at the first decision), and always the last
  ``GOVFLOW_STATS_ROLLUP_RECENT_DAYS`` days (7 by default) again, for late writes.
- A decision that changes later drops out of its day: an approval revoked since the previous run
  (``Case.revoked_at``) has the day of its decision rebuilt, however old; so has the day of a
  rating followed up, or whose citizen was contacted, since the previous run.
- Anything else that rewrites old cases (restoring a backup, an erasure, a data fix) needs
  ``manage.py stats_rollup --since <date>``.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Exists, F, IntegerField, Max, Min, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Greatest, TruncDate
from django.utils import timezone

from govflow.applications.models import (
    Application,
    ApplicationStatus,
    Case,
    Document,
    DocumentStatus,
    Evaluation,
    Origin,
)
from govflow.catalog.calendar import local_date

from .models import CompletionDay, DecisionDay, OfficeSet, OfficeSetMember, RatingDay, RollupState, Stage
from .selectors import DECIDED_CASE_STATUSES, _local_midnight

__all__ = ["DECISIONS", "STAGE_EXPRESSIONS", "Freshness", "Refreshed", "freshness", "rebuild", "refresh"]

#: The name of the decisions' rollup in :class:`RollupState`.
DECISIONS = "decisions"
#: Days rebuilt in one transaction.
CHUNK_DAYS = 31

#: The stored figure behind each stage (a case's whole working days).
STAGE_EXPRESSIONS = {
    Stage.USED: F("working_days_used"),
    Stage.PREREQUISITES: F("prerequisite_working_days"),
    Stage.QUEUE: F("queue_working_days"),
    Stage.REVIEW: Greatest(F("working_days_used") - F("queue_working_days"), Value(0), output_field=IntegerField()),
    Stage.PAUSED: F("paused_working_days"),
    Stage.COMMITTED: F("committed_days"),
}


def recent_days() -> int:
    return max(1, int(getattr(settings, "GOVFLOW_STATS_ROLLUP_RECENT_DAYS", 7)))


def decided_between(date_from: date, date_to: date) -> Q:
    """Approved or rejected cases decided from ``date_from`` to ``date_to`` (local days, both included)."""
    return Q(status__in=DECIDED_CASE_STATUSES, decided_at__gte=_local_midnight(date_from),
             decided_at__lt=_local_midnight(date_to + timedelta(days=1)))


@dataclass(frozen=True)
class Freshness:
    """Days up to ``through`` come from the rollup, rebuilt last at ``updated_at``; ``None``: none yet."""

    through: date | None = None
    updated_at: datetime | None = None

    def split(self, date_from: date, date_to: date) -> tuple[tuple[date, date] | None, tuple[date, date] | None]:
        """``(rolled up, live)``: the parts of the period read from the rollup and counted live
        (either ``None`` when empty)."""
        if self.through is None or self.through < date_from:
            return None, ((date_from, date_to) if date_from <= date_to else None)
        rolled_to = min(self.through, date_to)
        rolled = (date_from, rolled_to) if date_from <= rolled_to else None
        live_from = self.through + timedelta(days=1)
        live = (max(live_from, date_from), date_to) if max(live_from, date_from) <= date_to else None
        return rolled, live


def freshness() -> Freshness:
    """How far the decisions' rollup goes (one query)."""
    state = RollupState.objects.filter(name=DECISIONS).first()
    if state is None:
        return Freshness()
    return Freshness(through=state.complete_through, updated_at=state.updated_at)


def _insert_stage(stage: str, date_from: date, date_to: date) -> int:
    """Insert the grouped rows of ``stage`` for the cases decided in the days given (one statement)."""
    tz = ZoneInfo(settings.TIME_ZONE)
    grouped = (Case.objects.filter(decided_between(date_from, date_to))
               .annotate(r_day=TruncDate("decided_at", tzinfo=tz), r_office=F("office_id"),
                         r_procedure=F("procedure_id"), r_thing=F("application__one_thing_id"),
                         r_days=STAGE_EXPRESSIONS[stage])
               .values("r_day", "r_office", "r_procedure", "r_thing", "r_days")
               .annotate(r_cases=Count("pk"), r_on_time=Count("pk", filter=Q(on_time=True)))
               .order_by())
    sql, params = grouped.query.sql_with_params()
    table = connection.ops.quote_name(DecisionDay._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (day, office_id, procedure_id, one_thing_id, stage, days, cases, on_time) "
            f"SELECT g.r_day, g.r_office, g.r_procedure, g.r_thing, %s, g.r_days, g.r_cases, g.r_on_time "
            f"FROM ({sql}) g", (stage, *params))
        return max(cursor.rowcount, 0)


def rebuild(date_from: date, date_to: date) -> int:
    """Rebuild the rollups' days from ``date_from`` to ``date_to`` (both included): decisions,
    completions and ratings, a chunk of days per transaction (delete, insert: idempotent); returns
    the rows written."""
    written = 0
    start = date_from
    while start <= date_to:
        end = min(start + timedelta(days=CHUNK_DAYS - 1), date_to)
        with transaction.atomic():
            # One rebuild at a time (the command beside the beat job): the second waits here.
            RollupState.objects.get_or_create(name=DECISIONS)
            RollupState.objects.select_for_update().filter(name=DECISIONS).first()
            for model in (DecisionDay, CompletionDay, RatingDay):
                model.objects.filter(day__gte=start, day__lte=end).delete()
            for stage in Stage.values:
                written += _insert_stage(stage, start, end)
            written += _build_completions(start, end)
            written += _build_ratings(start, end)
        start = end + timedelta(days=1)
    return written


@dataclass(frozen=True)
class Refreshed:
    """What :func:`refresh` rebuilt: the days from ``date_from`` to ``date_to`` (none when ``None``),
    ``late_days`` older days with revoked decisions, ``rows`` written, and the new freshness."""

    date_from: date | None
    date_to: date | None
    late_days: tuple[date, ...]
    rows: int
    freshness: Freshness


def refresh(*, since: date | None = None, now: datetime | None = None) -> Refreshed:
    """Bring the rollup up to yesterday (see the module's text for which days are rebuilt);
    ``since`` rebuilds every day from that one as well."""
    now = now or timezone.now()
    yesterday = local_date(now) - timedelta(days=1)
    state, _created = RollupState.objects.get_or_create(name=DECISIONS)
    start = yesterday - timedelta(days=recent_days() - 1)
    if state.complete_through is None:
        first = Case.objects.filter(decided_at__isnull=False).aggregate(first=Min("decided_at"))["first"]
        start = min(start, local_date(first)) if first is not None else start
    else:
        start = min(start, state.complete_through + timedelta(days=1))
    if since is not None:
        start = min(start, since)
    late: set[date] = set()
    if state.updated_at is not None:
        tz = ZoneInfo(settings.TIME_ZONE)
        late = {day for day in Case.objects.filter(revoked_at__gte=state.updated_at, decided_at__isnull=False,
                                                   decided_at__lt=_local_midnight(start))
                .annotate(day=TruncDate("decided_at", tzinfo=tz)).values_list("day", flat=True).distinct()}
        late |= {day for day in Evaluation.objects.filter(
            Q(followed_up_at__gte=state.updated_at) | Q(contacted_at__gte=state.updated_at),
            created_at__lt=_local_midnight(start))
            .annotate(day=TruncDate("created_at", tzinfo=tz)).values_list("day", flat=True).distinct()}
    rows = 0
    for day in sorted(late):
        rows += rebuild(day, day)
    if start <= yesterday:
        rows += rebuild(start, yesterday)
    through = max(state.complete_through or yesterday, yesterday)
    RollupState.objects.filter(name=DECISIONS).update(
        complete_through=through, live_from=_local_midnight(through + timedelta(days=1)), updated_at=now)
    return Refreshed(date_from=start if start <= yesterday else None, date_to=yesterday if start <= yesterday else None,
                     late_days=tuple(sorted(late)), rows=rows, freshness=Freshness(through=through, updated_at=now))


# -- completions and ratings (grouped in Python: one row read per application or rated case) ------


def _office_sets(keys: set[str]) -> dict[str, int]:
    """The ids of the office sets named by ``keys`` (created when new)."""
    found = dict(OfficeSet.objects.filter(key__in=keys).values_list("key", "pk"))
    missing = sorted(keys - set(found))
    if missing:
        OfficeSet.objects.bulk_create([OfficeSet(key=key) for key in missing], ignore_conflicts=True)
        created = dict(OfficeSet.objects.filter(key__in=missing).values_list("key", "pk"))
        OfficeSetMember.objects.bulk_create(
            [OfficeSetMember(office_set_id=created[key], office_id=int(office)) for key in missing
             for office in key.split(",")], ignore_conflicts=True)
        found.update(created)
    return found


def _key(offices: set[int]) -> str:
    return ",".join(str(pk) for pk in sorted(offices))


def critical_path_of() -> Subquery:
    """An application's critical path: the longest of its decided cases' prerequisite working days
    plus working days used (``govflow.stats.stages.critical_paths``)."""
    longest = (Case.objects.filter(application=OuterRef("pk"), decided_at__isnull=False)
               .order_by().values("application")
               .annotate(m=Max(Coalesce("prerequisite_working_days", 0) + F("working_days_used"))).values("m"))
    return Subquery(longest, output_field=IntegerField())


def completed_between(date_from: date, date_to: date, prefix: str = "") -> Q:
    """Applications completed from ``date_from`` to ``date_to`` (local days, both included)."""
    return Q(**{f"{prefix}status": ApplicationStatus.COMPLETED,
                f"{prefix}completed_at__gte": _local_midnight(date_from),
                f"{prefix}completed_at__lt": _local_midnight(date_to + timedelta(days=1))})


def _build_completions(date_from: date, date_to: date) -> int:
    tz = ZoneInfo(settings.TIME_ZONE)
    applications = (Application.objects.filter(completed_between(date_from, date_to))
                    .annotate(day=TruncDate("completed_at", tzinfo=tz), path=critical_path_of(),
                              deferred=Exists(Document.objects.filter(application=OuterRef("pk"),
                                                                      due_date__isnull=False)),
                              committed=Exists(Document.objects.filter(application=OuterRef("pk"),
                                                                       status=DocumentStatus.COMMITMENT)))
                    .values_list("pk", "day", "one_thing_id", "version_id", "channel", "path", "deferred",
                                 "committed", "origin"))
    offices: dict[int, set[int]] = {}
    for application_id, office_id in (Case.objects.filter(completed_between(date_from, date_to, "application__"))
                                      .values_list("application_id", "office_id").iterator(chunk_size=5000)):
        offices.setdefault(application_id, set()).add(office_id)
    groups: dict[tuple, list[int]] = {}
    for pk, day, thing, version, channel, path, deferred, committed, origin in applications.iterator(chunk_size=5000):
        key = (day, thing, version, channel, path, _key(offices.get(pk, set())))
        counts = groups.setdefault(key, [0, 0, 0, 0, 0])
        counts[0] += 1
        counts[1] += bool(deferred)
        counts[2] += bool(committed)
        counts[3] += origin == Origin.OFFER
        counts[4] += origin == Origin.GRANT
    sets = _office_sets({key[5] for key in groups})
    CompletionDay.objects.bulk_create(
        [CompletionDay(day=day, one_thing_id=thing, version_id=version, channel=channel, path=path,
                       office_set_id=sets[office_key], applications=n, deferred=deferred, commitment=committed,
                       offer=offer, grant=grant)
         for (day, thing, version, channel, path, office_key), (n, deferred, committed, offer, grant) in groups.items()],
        batch_size=2000)
    return len(groups)


#: The columns of a case ratings are counted by (``govflow.stats.ratings.BY``).
RATING_BY = {"office": "office_id", "procedure": "procedure_id", "clerk": "decided_by_id"}


def _build_ratings(date_from: date, date_to: date) -> int:
    tz = ZoneInfo(settings.TIME_ZONE)
    prefix = "application__evaluation__"
    cases = (Case.objects.filter(**{f"{prefix}created_at__gte": _local_midnight(date_from),
                                    f"{prefix}created_at__lt": _local_midnight(date_to + timedelta(days=1))})
             .annotate(day=TruncDate(f"{prefix}created_at", tzinfo=tz))
             .values_list(f"{prefix}pk", "day", f"{prefix}score", f"{prefix}needs_follow_up",
                          f"{prefix}followed_up_at", f"{prefix}citizen_contacted", "application__one_thing_id",
                          *RATING_BY.values()))
    ratings: dict[int, tuple] = {}
    keyed: dict[tuple, set[int]] = {}  # (rating, by, key) → offices of those cases
    for row in cases.iterator(chunk_size=5000):
        pk, day, score, bad, answered_at, contacted, thing, office, procedure, clerk = row
        ratings[pk] = (day, thing, score, bool(bad), bool(bad) and answered_at is not None, bool(bad) and bool(contacted))
        for by, key in (("office", office), ("procedure", procedure), ("clerk", clerk)):
            keyed.setdefault((pk, by, key), set()).add(office)
    groups: dict[tuple, list[int]] = {}
    for (pk, by, key), offices in keyed.items():
        day, thing, score, bad, answered, contacted = ratings[pk]
        counts = groups.setdefault((day, by, key, thing, _key(offices)), [0] * 9)
        if score in (1, 2, 3, 4, 5):
            counts[score - 1] += 1
        counts[5] += 1
        counts[6] += bad
        counts[7] += answered
        counts[8] += contacted
    sets = _office_sets({key[4] for key in groups})
    RatingDay.objects.bulk_create(
        [RatingDay(day=day, by=by, key=key, one_thing_id=thing, office_set_id=sets[office_key],
                   s1=c[0], s2=c[1], s3=c[2], s4=c[3], s5=c[4], ratings=c[5], bad=c[6], answered=c[7], contacted=c[8])
         for (day, by, key, thing, office_key), c in groups.items()], batch_size=2000)
    return len(groups)


# -- reading: the rolled-up days and the live ones, split in the database ---------------------------


def _state() -> QuerySet[RollupState]:
    return RollupState.objects.filter(name=DECISIONS)


def rolled_days(rows: QuerySet, date_from: date, date_to: date, fresh: Freshness | None = None) -> QuerySet:
    """Rollup rows of the period's days the rollup covers (none without a rollup). With ``fresh``
    (read by the caller, for the page) the split is a plain date range; without, a subquery of the
    rollup's state."""
    if fresh is not None:
        rolled, _live = fresh.split(date_from, date_to)
        return rows.none() if rolled is None else rows.filter(day__gte=rolled[0], day__lte=rolled[1])
    return (rows.filter(day__gte=date_from, day__lte=date_to)
            .filter(day__lte=Subquery(_state().values("complete_through")[:1])))


def live_since(field: str, date_from: date, fresh: Freshness | None = None) -> Q:
    """Rows at or after the local midnight after the rollup's last day (every row without one);
    with ``fresh``, from that moment as a constant (nothing when the rollup covers the period)."""
    if fresh is not None:
        start = fresh.through + timedelta(days=1) if fresh.through is not None else date_from
        return Q(**{f"{field}__gte": _local_midnight(max(start, date_from))})
    return Q(**{f"{field}__gte": Coalesce(Subquery(_state().values("live_from")[:1]), Value(_local_midnight(date_from)))})


def in_office_sets(scope, rows: QuerySet) -> QuerySet:
    """Rollup rows with an ``office_set`` narrowed to ``scope`` (a :class:`govflow.stats.heatmap.Scope`)."""
    if scope.one_thing is not None:
        rows = rows.filter(one_thing_id=scope.one_thing.pk)
    if not scope.narrows_offices:
        return rows
    return rows.filter(Exists(OfficeSetMember.objects.filter(scope.offices(), office_set_id=OuterRef("office_set_id"))))
