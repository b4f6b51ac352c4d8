"""Where time goes: for each procedure, the working days its decided cases spent waiting for the
cases they come after (prerequisites), in the queue, in review and paused for the citizen, as
medians and 90th percentiles, against the days committed for it.

Every figure is stored on the case when it is decided (``govflow.applications.timing``):
``prerequisite_working_days``, ``queue_working_days``, ``paused_working_days``, and
``working_days_used`` (queue to decision, pauses excluded), so review = working days used − queue.
One grouped query per stage reads how many cases took each number of days (a histogram), plus one
for the procedures' names: five queries whatever the number of cases.

:func:`critical_paths` puts whole applications against the one thing's commitment: for each
application completed in the period, the working days along the longest chain of its procedures
(prerequisites → decisions), from the same stored figures, against its version's committed days;
one grouped query.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Count, F, IntegerField, Max, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce, Greatest

from govflow.applications.models import Case
from govflow.catalog.definition import get_definition
from govflow.catalog.models import OneThingVersion, Procedure, localized

from .heatmap import Scope, _decided_between, quantile_of
from .reform import completed_applications

__all__ = ["STAGES", "PathRow", "StageRow", "critical_paths", "where_time_goes"]

#: The stages in the order of a case's life; each is a stored column or an expression of them.
STAGES: dict[str, Any] = {
    "prerequisites": F("prerequisite_working_days"),
    "queue": F("queue_working_days"),
    "review": Greatest(F("working_days_used") - F("queue_working_days"), Value(0), output_field=IntegerField()),
    "paused": F("paused_working_days"),
    "committed": F("committed_days"),
}


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


def where_time_goes(scope: Scope, *, date_from: date, date_to: date) -> list[StageRow]:
    """Per procedure of the cases in ``scope`` decided from ``date_from`` to ``date_to``, by
    department and procedure code."""
    decided = scope.filter(Case.objects.filter(_decided_between(date_from, date_to)))
    by_procedure: dict[int, dict[str, dict[int, int]]] = {}
    counts: dict[int, int] = {}
    for stage, expression in STAGES.items():
        rows = (decided.annotate(days=expression).values("procedure_id", "days")
                .annotate(n=Count("pk")).order_by())
        for row in rows:
            histograms = by_procedure.setdefault(row["procedure_id"], {})
            if stage == "committed":
                counts[row["procedure_id"]] = counts.get(row["procedure_id"], 0) + row["n"]
            if row["days"] is not None:
                histograms.setdefault(stage, {})[row["days"]] = row["n"]
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


def critical_paths(scope: Scope, *, date_from: date, date_to: date) -> list[PathRow]:
    """Per one thing, the applications of ``scope`` completed from ``date_from`` to ``date_to``: the
    working days along each one's critical path against its committed days, by one thing code.

    An application's critical path is its longest chain of procedures, prerequisites first, to
    the last decision: for each decided case, the working days from the submission to the case
    being queued (``prerequisite_working_days``: the chain before it) plus those from queued to
    its decision without its own pauses (``working_days_used``); the application takes the
    longest. The chain before a case still holds any pause of its prerequisites. An application
    is within its commitment when that is at most the ``committed_days`` of its version's one
    thing (the commitment printed on its receipt). Two queries: the applications by version and length
    of their critical path, and those versions.
    """
    longest = (Case.objects.filter(application=OuterRef("pk"), decided_at__isnull=False)
               .order_by().values("application")
               .annotate(m=Max(Coalesce("prerequisite_working_days", 0) + F("working_days_used"))).values("m"))
    rows = list(completed_applications(scope, date_from, date_to)
                .annotate(path=Subquery(longest, output_field=IntegerField()))
                .values("version_id", "path").annotate(n=Count("pk")).order_by())
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
