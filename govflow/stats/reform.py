"""The reform's figures (减环节、减材料、减时限、减跑动) from real applications.

Over the applications *completed* (every case decided) in a period, by one thing: how many, and
what they saved against doing their procedures separately, by the published definition of the
version each was made on (:func:`govflow.stats.savings.savings_of`, the figures the API
publishes for a one thing):

- ``applications_saved`` (减环节): one application instead of one per procedure, ``procedures − 1``;
- ``fields_saved``, ``materials_saved`` (减材料): asked separately − asked once;
- ``visits_saved`` (减跑动): one visit per procedure separately, none online;
- ``days_saved`` (减时限): the procedures' statutory days − the one thing's committed days.

Each figure is given in total and per application. Counting happens in the database: one grouped
query (applications per version: the daily rollup's days, ``govflow.stats.rollups``, and the
later ones counted live), one for the versions' definitions (a catalogue's size, never the number
of applications). ``split_by`` adds columns of ``Application`` to the grouping (e.g.
``"channel"``, or the origin of an application once it exists), giving one line per value.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Count, Exists, OuterRef, Sum

from govflow.applications.models import Application, ApplicationStatus, Case
from govflow.catalog.definition import get_definition
from govflow.catalog.models import OneThingVersion, localized

from .heatmap import Scope
from .models import CompletionDay
from .rollups import Freshness, in_office_sets, live_since, rolled_days
from .savings import savings_of
from .selectors import _local_midnight, by_instrument, instrument_aggregates

__all__ = ["FIGURES", "ReformLine", "completed_applications", "instrument_counts", "reform_figures"]

#: The columns ``split_by`` may name that the daily rollup keeps (others are counted live).
ROLLED_SPLITS = {"channel"}
#: The saved figures, in the order pages show them.
FIGURES = ("applications_saved", "fields_saved", "materials_saved", "visits_saved", "days_saved")


@dataclass
class ReformLine:
    """A one thing's applications (one value of ``split_by``, if any) and what they saved."""

    code: str
    name: str
    split: tuple = ()
    applications: int = 0
    totals: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIGURES, 0))

    def add(self, n: int, saved: dict[str, int]) -> None:
        self.applications += n
        for key in FIGURES:
            self.totals[key] += saved[key] * n

    @property
    def figures(self) -> list[tuple[str, int, float | None]]:
        """``(figure, total, per application)`` in :data:`FIGURES` order."""
        per = self.per_application
        return [(key, self.totals[key], per[key]) for key in FIGURES]

    @property
    def per_application(self) -> dict[str, float | None]:
        if not self.applications:
            return dict.fromkeys(FIGURES)
        return {key: round(value / self.applications, 2) for key, value in self.totals.items()}


def saved_by(version: OneThingVersion) -> dict[str, int]:
    """What one application on ``version`` saves (its definition's savings)."""
    s = savings_of(get_definition(version))
    return {
        "applications_saved": max(s.procedures - 1, 0),
        "fields_saved": s.fields_separately - s.fields_once,
        "materials_saved": s.materials_separately - s.materials_once,
        "visits_saved": s.visits_separately - s.visits_once,
        "days_saved": s.days_separately - s.days_committed,
    }


def completed_applications(scope: Scope, date_from: date, date_to: date, *, after_rollup: bool = False,
                           fresh: Freshness | None = None):
    """The applications of ``scope`` completed from ``date_from`` to ``date_to`` (local days, both
    included); with ``after_rollup``, only those of the days the daily rollup does not cover yet."""
    applications = Application.objects.filter(
        status=ApplicationStatus.COMPLETED, completed_at__gte=_local_midnight(date_from),
        completed_at__lt=_local_midnight(date_to + timedelta(days=1)))
    if after_rollup:
        applications = applications.filter(live_since("completed_at", date_from, fresh))
    if scope.one_thing is not None:
        applications = applications.filter(one_thing_id=scope.one_thing.pk)
    if scope.office_ids is not None or scope.office is not None or scope.division is not None:
        applications = applications.filter(
            Exists(scope.filter(Case.objects.filter(application=OuterRef("pk")))))
    return applications


def rolled_completions(scope: Scope, date_from: date, date_to: date, fresh: Freshness | None = None):
    """The daily rollup's completions of ``scope`` on the period's days it covers."""
    return in_office_sets(scope, rolled_days(CompletionDay.objects.all(), date_from, date_to, fresh))


def instrument_counts(scope: Scope, *, date_from: date, date_to: date,
                      fresh: Freshness | None = None) -> dict[str, int]:
    """Of the same completed applications, how many used each of the reform's instruments
    (容缺受理, 告知承诺制, 免申即享 offers and grants): the API's definitions; two queries (the
    daily rollup's days, the later ones)."""
    live = by_instrument(completed_applications(scope, date_from, date_to, after_rollup=True, fresh=fresh)
                         .aggregate(**instrument_aggregates()))
    rolled = rolled_completions(scope, date_from, date_to, fresh).aggregate(
        **{key: Sum(field) for key, field in (("deferred", "deferred"), ("commitment", "commitment"),
                                              ("offer", "offer"), ("grant", "grant"))})
    return {key: live[key] + (rolled[key] or 0) for key in live}


def reform_figures(scope: Scope, *, date_from: date, date_to: date, split_by: Sequence[str] = (),
                   fresh: Freshness | None = None) -> tuple[list[ReformLine], ReformLine]:
    """The lines (by one thing code, then split values) and their total, over the applications of
    ``scope`` completed from ``date_from`` to ``date_to`` (both included, local days). An
    application is in a supervisor's scope when one of its cases is at an office they may see."""
    rollup = set(split_by) <= ROLLED_SPLITS
    live = (completed_applications(scope, date_from, date_to, after_rollup=rollup, fresh=fresh)
            .values("version_id", *split_by).annotate(n=Count("pk")).order_by())
    if rollup:
        rolled = (rolled_completions(scope, date_from, date_to, fresh).values("version_id", *split_by)
                  .annotate(n=Sum("applications")).order_by())
        counts = list(rolled.union(live, all=True))
    else:
        counts = list(live)
    versions = {v.pk: v for v in OneThingVersion.objects.filter(pk__in={row["version_id"] for row in counts})
                .select_related("one_thing")} if counts else {}
    lines: dict[tuple, ReformLine] = {}
    total = ReformLine(code="", name="")
    for row in counts:
        version = versions[row["version_id"]]
        split = tuple(row[key] for key in split_by)
        thing = version.one_thing
        line = lines.setdefault((thing.code, split), ReformLine(code=thing.code, name=localized(thing.name) or thing.code,
                                                                split=split))
        saved = saved_by(version)
        line.add(row["n"], saved)
        total.add(row["n"], saved)
    return [lines[key] for key in sorted(lines, key=lambda k: (k[0], tuple(str(v) for v in k[1])))], total
