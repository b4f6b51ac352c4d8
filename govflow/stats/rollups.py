"""Daily rollups of the decided cases: kept by a Celery beat job, read by the supervision pages.

The heatmap and "where time goes" read, for every day up to the rollup's ``complete_through``,
the rows of :class:`~govflow.stats.models.DecisionDay` (a histogram per day, office, procedure,
one thing and stage: how many cases took each whole number of working days), and count the later
days (today, and any day the job has not reached yet) live from the cases, with the same
definitions. The two parts add up to exactly what counting every case live gives.

Keeping it (:func:`refresh`, run by the beat task ``govflow.stats.tasks.refresh_rollups`` and by
``manage.py stats_rollup``):

- A day is rebuilt whole: its rows are deleted and inserted again from the cases, in one
  transaction (``INSERT … SELECT``, grouped in the database), so a rebuild can run any number of
  times and readers never see half a day.
- Each run rebuilds every day after ``complete_through`` up to yesterday (catching up after any
  downtime; the first run starts at the first decision), and always the last
  ``GOVFLOW_STATS_ROLLUP_RECENT_DAYS`` days (7 by default) again, for late writes.
- A decision that changes later drops out of its day: an approval revoked since the previous run
  (``Case.revoked_at``) has the day of its decision rebuilt, however old.
- Anything else that rewrites old cases (restoring a backup, an erasure, a data fix) needs
  ``manage.py stats_rollup --since <date>``.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, IntegerField, Min, Q, Value
from django.db.models.functions import Greatest, TruncDate
from django.utils import timezone

from govflow.applications.models import Case
from govflow.catalog.calendar import local_date

from .models import DecisionDay, RollupState, Stage
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
    """Rebuild the rollup's days from ``date_from`` to ``date_to`` (both included), a chunk of days
    per transaction (delete, insert: idempotent); returns the rows written."""
    written = 0
    start = date_from
    while start <= date_to:
        end = min(start + timedelta(days=CHUNK_DAYS - 1), date_to)
        with transaction.atomic():
            DecisionDay.objects.filter(day__gte=start, day__lte=end).delete()
            for stage in Stage.values:
                written += _insert_stage(stage, start, end)
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
    rows = 0
    for day in sorted(late):
        rows += rebuild(day, day)
    if start <= yesterday:
        rows += rebuild(start, yesterday)
    through = max(state.complete_through or yesterday, yesterday)
    RollupState.objects.filter(name=DECISIONS).update(complete_through=through, updated_at=now)
    return Refreshed(date_from=start if start <= yesterday else None, date_to=yesterday if start <= yesterday else None,
                     late_days=tuple(sorted(late)), rows=rows, freshness=Freshness(through=through, updated_at=now))
