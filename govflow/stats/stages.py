"""Where time goes: for each procedure, the working days its decided cases spent waiting for the
cases they come after (prerequisites), in the queue, in review and paused for the citizen, as
medians and 90th percentiles, against the days committed for it.

Every figure is stored on the case when it is decided (``govflow.applications.timing``):
``prerequisite_working_days``, ``queue_working_days``, ``paused_working_days``, and
``working_days_used`` (queue to decision, pauses excluded), so review = working days used − queue.
One grouped query per stage reads how many cases took each number of days (a histogram), plus one
for the procedures' names: five queries whatever the number of cases.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Count, F, IntegerField, Value
from django.db.models.functions import Greatest

from govflow.applications.models import Case
from govflow.catalog.models import Procedure, localized

from .heatmap import Scope, _decided_between, quantile_of

__all__ = ["STAGES", "StageRow", "where_time_goes"]

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
