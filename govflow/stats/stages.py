"""Where time goes: for each procedure, the working days its decided cases spent waiting for the
cases they come after (prerequisites), in the queue, in review and paused for the citizen, as
medians and 90th percentiles, against the days committed for it.

Every figure is stored on the case when it is decided (``govflow.applications.timing``):
``prerequisite_working_days``, ``queue_working_days``, ``paused_working_days``, and
``working_days_used`` (queue to decision, pauses excluded), so review = working days used − queue.
The days the daily rollup covers (``govflow.stats.rollups``) are read from its histograms, the
later ones counted live: four queries at most whatever the number of cases.

:func:`critical_paths` puts whole applications against the one thing's commitment: for each
application completed in the period, the working days along the longest chain of its procedures
(prerequisites → decisions), from the same stored figures, against its version's committed days;
one grouped query.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Count, Sum

from govflow.applications.models import Case
from govflow.catalog.definition import get_definition
from govflow.catalog.models import OneThingVersion, Procedure, localized

from .heatmap import Scope, quantile_of
from .models import DecisionDay, Stage
from .reform import completed_applications, rolled_completions
from .rollups import STAGE_EXPRESSIONS, Freshness, critical_path_of, decided_between, live_since, rolled_days

__all__ = ["STAGES", "PathRow", "StageRow", "critical_paths", "where_time_goes"]

#: The stages in the order of a case's life; each is a stored column or an expression of them.
STAGES: dict[str, Any] = {stage.value: STAGE_EXPRESSIONS[stage] for stage in (
    Stage.PREREQUISITES, Stage.QUEUE, Stage.REVIEW, Stage.PAUSED, Stage.COMMITTED)}


@dataclass
class StageRow:
    """A procedure: how many of its cases were decided, and per stage the median and p90."""

    department_code: str
    procedure_code: str
    procedure_name: str
    decided: int = 0
    histograms: dict[str, dict[int, int]] = field(default_factory=dict)

    def median(self, stage: str) -> float | int | None:
        return quantile_of(self.histograms.get(stage, {}), 0.5)

    def p90(self, stage: str) -> float | int | None:
        return quantile_of(self.histograms.get(stage, {}), 0.9)

    @property
    def stages(self) -> list[tuple[str, Any, Any]]:
        """``(stage, median, p90)`` in :data:`STAGES` order, the committed days last."""
        return [(stage, self.median(stage), self.p90(stage)) for stage in STAGES]


def where_time_goes(scope: Scope, *, date_from: date, date_to: date,
                    fresh: Freshness | None = None) -> list[StageRow]:
    """Per procedure of the cases in ``scope`` decided from ``date_from`` to ``date_to``, by
    department and procedure code.

    Three queries whatever the data: the daily rollup's histograms of every stage for the days it
    covers; the later days' cases counted live, grouped by procedure and their five stored
    figures (the split is made in the database, ``rollups.rolled_days``); the procedures' names.
    """
    by_procedure: dict[int, dict[str, dict[int, int]]] = {}
    counts: dict[int, int] = {}

    def add(procedure_id: int, stage: str, days: int | None, n: int) -> None:
        histograms = by_procedure.setdefault(procedure_id, {})
        if stage == Stage.COMMITTED:
            counts[procedure_id] = counts.get(procedure_id, 0) + n
        if days is not None:
            histogram = histograms.setdefault(stage, {})
            histogram[days] = histogram.get(days, 0) + n

    rows = (scope.filter_rollup(rolled_days(DecisionDay.objects.exclude(stage=Stage.USED), date_from, date_to, fresh))
            .values("procedure_id", "stage", "days").annotate(n=Sum("cases")).order_by())
    for row in rows:
        add(row["procedure_id"], row["stage"], row["days"], row["n"])
    rows = (scope.filter(Case.objects.filter(decided_between(date_from, date_to), live_since("decided_at", date_from, fresh)))
            .annotate(**{f"s_{stage}": expression for stage, expression in STAGES.items()})
            .values("procedure_id", *(f"s_{stage}" for stage in STAGES)).annotate(n=Count("pk")).order_by())
    for row in rows:
        for stage in STAGES:
            add(row["procedure_id"], stage, row[f"s_{stage}"], row["n"])
    procedures = (Procedure.objects.filter(pk__in=by_procedure).select_related("department")
                  .order_by("department__code", "code")) if by_procedure else []
    return [StageRow(department_code=p.department.code, procedure_code=p.code,
                     procedure_name=localized(p.name) or p.code, decided=counts.get(p.pk, 0),
                     histograms=by_procedure[p.pk])
            for p in procedures]


@dataclass
class PathRow:
    """A one thing: its applications completed in the period, the working days along each one's
    critical path as a histogram (``{days: applications}``), and how many stayed within the
    committed days of the version they were made on (``committed``: the distinct values)."""

    code: str
    name: str
    applications: int = 0
    within: int = 0
    committed: set[int] = field(default_factory=set)
    days: dict[int, int] = field(default_factory=dict)

    @property
    def committed_text(self) -> str:
        """The committed working days (``3``; ``3–5`` when versions of the period differ)."""
        if not self.committed:
            return ""
        low, high = min(self.committed), max(self.committed)
        return str(low) if low == high else f"{low}–{high}"

    @property
    def median(self) -> float | int | None:
        return quantile_of(self.days, 0.5)

    @property
    def p90(self) -> float | int | None:
        return quantile_of(self.days, 0.9)

    @property
    def within_share(self) -> float | None:
        measured = sum(self.days.values())
        return round(self.within / measured, 4) if measured else None

    @property
    def within_percent(self) -> int | None:
        share = self.within_share
        return None if share is None else round(share * 100)


def critical_paths(scope: Scope, *, date_from: date, date_to: date,
                   fresh: Freshness | None = None) -> list[PathRow]:
    """Per one thing, the applications of ``scope`` completed from ``date_from`` to ``date_to``: the
    working days along each one's critical path against its committed days, by one thing code.

    An application's critical path is its longest chain of procedures, prerequisites first, to
    the last decision: for each decided case, the working days from the submission to the case
    being queued (``prerequisite_working_days``: the chain before it) plus those from queued to
    its decision without its own pauses (``working_days_used``); the application takes the
    longest. The chain before a case still holds any pause of its prerequisites. An application
    is within its commitment when that is at most the ``committed_days`` of its version's one
    thing (the commitment printed on its receipt). Two queries: the applications by version and length
    of their critical path (the daily rollup's days and the later ones, in one), and those versions.
    """
    live = (completed_applications(scope, date_from, date_to, after_rollup=True, fresh=fresh)
            .annotate(path=critical_path_of()).values("version_id", "path").annotate(n=Count("pk")).order_by())
    rolled = (rolled_completions(scope, date_from, date_to, fresh).values("version_id", "path")
              .annotate(n=Sum("applications")).order_by())
    rows = list(rolled.union(live, all=True))
    versions = {v.pk: v for v in OneThingVersion.objects.filter(pk__in={row["version_id"] for row in rows})
                .select_related("one_thing")} if rows else {}
    lines: dict[str, PathRow] = {}
    for row in rows:
        version = versions[row["version_id"]]
        thing = version.one_thing
        committed = int(get_definition(version).one_thing.get("committed_days", 0))
        line = lines.setdefault(thing.code, PathRow(code=thing.code, name=localized(thing.name) or thing.code))
        line.applications += row["n"]
        line.committed.add(committed)
        if row["path"] is None:
            continue
        line.days[row["path"]] = line.days.get(row["path"], 0) + row["n"]
        if row["path"] <= committed:
            line.within += row["n"]
    return [lines[code] for code in sorted(lines)]
