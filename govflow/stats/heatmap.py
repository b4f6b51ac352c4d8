"""The supervision heatmap: department × procedure (rows) by week or month (columns).

Each cell covers the cases *decided* in its week or month (days in ``settings.TIME_ZONE``):
how many, the share decided on time, and the median working days from queue to decision
(time waiting for the citizen excluded), as stored on each case at its decision
(``govflow.applications.timing``). Each row also counts its cases open and overdue now.

Everything is aggregated in the database: one grouped query reads, per cell, how many cases took
each number of working days (a histogram: rows = cells × distinct day counts, never one per
case); the median comes from that histogram. A heatmap costs a fixed number of queries whatever
the number of cases (see :func:`heatmap`).

Scope: staff see every office; a supervisor sees the offices they supervise and those they oversee
(``stats_office_ids``). Filters narrow it to a division (and everything below it), one office, one
one thing. The same :class:`Scope` selects the cases behind a cell (:func:`cell_cases`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, DateField, F, Q, QuerySet, Sum
from django.db.models.functions import Cast, Trunc
from django.utils import timezone

from govflow.applications.models import Case, CaseStatus
from govflow.catalog.calendar import local_date
from govflow.catalog.models import Division, Office, OneThing, Procedure, localized

from .models import DecisionDay, Stage
from .rollups import Freshness, decided_between, live_since, rolled_days
from .selectors import DECIDED_CASE_STATUSES, WORKING_CASE_STATUSES, stats_office_ids

__all__ = [
    "GRANULARITIES",
    "MAX_RANGE_DAYS",
    "Cell",
    "Heatmap",
    "Row",
    "Scope",
    "cell_cases",
    "heatmap",
    "median_of",
    "scope_for",
]

WEEK, MONTH = "week", "month"
GRANULARITIES = (WEEK, MONTH)
#: Longest period one heatmap covers, both ends included (53 weekly columns at most).
MAX_RANGE_DAYS = 366
#: On-time shares from which a cell is coloured "good" and "fair" (below: "poor").
GOOD_RATE = 0.9
FAIR_RATE = 0.7
DECIDED, OVERDUE = "decided", "overdue"


@dataclass(frozen=True)
class Scope:
    """Whose cases a supervision page reads: ``office_ids`` ``None`` for every office (staff), else
    a subquery of the offices the user may see; narrowed by the filters that are set."""

    office_ids: Any
    division: Division | None = None
    office: Office | None = None
    one_thing: OneThing | None = None

    @property
    def narrows_offices(self) -> bool:
        return self.office_ids is not None or self.division is not None or self.office is not None

    def offices(self) -> Q:
        """The offices in scope, as a condition on a row's ``office`` (a case, a rollup's office set member)."""
        condition = Q()
        if self.office_ids is not None:
            condition &= Q(office_id__in=self.office_ids)
        if self.division is not None:
            condition &= Q(office__division__path__startswith=self.division.path)
        if self.office is not None:
            condition &= Q(office_id=self.office.pk)
        return condition

    def filter(self, cases: QuerySet[Case]) -> QuerySet[Case]:
        cases = cases.filter(self.offices())
        if self.one_thing is not None:
            cases = cases.filter(application__one_thing_id=self.one_thing.pk)
        return cases

    def filter_rollup(self, rows: QuerySet[DecisionDay]) -> QuerySet[DecisionDay]:
        """The same narrowing of the daily rollup's rows (``govflow.stats.rollups``)."""
        if self.office_ids is not None:
            rows = rows.filter(office_id__in=self.office_ids)
        if self.division is not None:
            rows = rows.filter(office__division__path__startswith=self.division.path)
        if self.office is not None:
            rows = rows.filter(office_id=self.office.pk)
        if self.one_thing is not None:
            rows = rows.filter(one_thing_id=self.one_thing.pk)
        return rows


def visible_offices(user: Any) -> QuerySet[Office]:
    """The offices ``user`` may see figures of (``PermissionDenied`` for anyone but staff and
    supervisors), by department and place."""
    office_ids = stats_office_ids(user)
    offices = Office.objects.select_related("department", "division").order_by("department__code",
                                                                                "division__path", "code")
    return offices if office_ids is None else offices.filter(pk__in=office_ids)


def scope_for(user: Any, offices: list[Office], *, division: str = "", office: str = "",
              one_thing: str = "") -> Scope | None:
    """The user's :class:`Scope` with the filters given by code; ``offices`` are the user's
    :func:`visible_offices`. ``None`` when a code names nothing the user may choose (one query
    at most, for the one thing)."""
    office_ids = stats_office_ids(user)
    chosen_division = chosen_office = chosen_one_thing = None
    if division:
        chosen_division = next((o.division for o in offices if o.division.code == division), None)
        if chosen_division is None:
            return None
    if office:
        chosen_office = next((o for o in offices if o.code == office), None)
        if chosen_office is None:
            return None
    if one_thing:
        chosen_one_thing = OneThing.objects.filter(code=one_thing).first()
        if chosen_one_thing is None:
            return None
    return Scope(office_ids=office_ids, division=chosen_division, office=chosen_office,
                 one_thing=chosen_one_thing)


def division_choices(offices: list[Office]) -> list[Division]:
    """The divisions of the visible offices, by place (no query)."""
    seen: dict[int, Division] = {}
    for o in offices:
        seen.setdefault(o.division_id, o.division)
    return sorted(seen.values(), key=lambda d: d.path)


# -- periods ---------------------------------------------------------------------------------------


def column_start(day: date, granularity: str) -> date:
    """The first day of the week (Monday) or month holding ``day``."""
    if granularity == WEEK:
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def _next_start(start: date, granularity: str) -> date:
    if granularity == WEEK:
        return start + timedelta(days=7)
    return (start.replace(day=28) + timedelta(days=4)).replace(day=1)


@dataclass(frozen=True)
class Column:
    """A week or a month: ``start`` … ``end`` (both included), clipped to the period."""

    start: date
    end: date
    granularity: str

    @property
    def key(self) -> date:
        return column_start(self.start, self.granularity)


def columns_of(date_from: date, date_to: date, granularity: str) -> list[Column]:
    columns = []
    start = column_start(date_from, granularity)
    while start <= date_to:
        following = _next_start(start, granularity)
        columns.append(Column(max(start, date_from), min(following - timedelta(days=1), date_to), granularity))
        start = following
    return columns


# -- the figures -----------------------------------------------------------------------------------


def median_of(histogram: dict[int, int]) -> float | None:
    """The median of values given as ``{value: how many}`` (the mean of the two middle ones for
    an even count); ``None`` when empty."""
    return quantile_of(histogram, 0.5)


def quantile_of(histogram: dict[int, int], q: float) -> float | int | None:
    """The ``q`` quantile (0 ≤ q ≤ 1) of ``{value: how many}``, interpolated linearly between
    the closest ranks (as PostgreSQL's ``percentile_cont``), rounded to 2 decimals (a whole
    number as an ``int``); ``None`` when empty."""
    total = sum(histogram.values())
    if not total:
        return None
    position = q * (total - 1)
    low = int(position)
    high = min(low + 1, total - 1)
    low_value = high_value = None
    seen = 0
    for value in sorted(histogram):  # one pass: the values at ranks ``low`` and ``high``
        seen += histogram[value]
        if low_value is None and seen > low:
            low_value = value
        if seen > high:
            high_value = value
            break
    if low_value is None or high_value is None:
        raise AssertionError("rank beyond the histogram")
    result = round(low_value + (high_value - low_value) * (position - low), 2)
    return int(result) if result == int(result) else result


@dataclass
class Cell:
    """Decisions of one row in one column."""

    column: Column | None
    decided: int = 0
    on_time: int = 0
    days: dict[int, int] = field(default_factory=dict)

    def add(self, working_days: int | None, decided: int, on_time: int) -> None:
        self.decided += decided
        self.on_time += on_time
        if working_days is not None:
            self.days[working_days] = self.days.get(working_days, 0) + decided

    def merge(self, other: Cell) -> None:
        """Add ``other``'s decisions (its histogram included) to this cell."""
        self.decided += other.decided
        self.on_time += other.on_time
        days = self.days
        for value, n in other.days.items():
            days[value] = days.get(value, 0) + n

    @property
    def on_time_rate(self) -> float | None:
        return round(self.on_time / self.decided, 4) if self.decided else None

    @property
    def on_time_percent(self) -> int | None:
        rate = self.on_time_rate
        return None if rate is None else round(rate * 100)

    @property
    def median_days(self) -> float | None:
        return median_of(self.days)

    @property
    def bar_top(self) -> int:
        """Where a 100-pixel bar of the on-time share starts in a chart whose baseline is at 120."""
        return 120 - (self.on_time_percent or 0)

    @property
    def label_y(self) -> int:
        return self.bar_top - 3

    @property
    def level(self) -> str:
        """``good``, ``fair`` or ``poor`` by the on-time share; ``none`` without decisions."""
        rate = self.on_time_rate
        if rate is None:
            return "none"
        return "good" if rate >= GOOD_RATE else "fair" if rate >= FAIR_RATE else "poor"


@dataclass
class Row:
    """A procedure of a department: its cells by column, the whole period, and open overdue now."""

    department_code: str
    department_name: str
    procedure_code: str
    procedure_name: str
    cells: list[Cell]
    total: Cell
    overdue: int = 0


@dataclass
class Heatmap:
    date_from: date
    date_to: date
    granularity: str
    today: date
    columns: list[Column]
    rows: list[Row]
    total: Cell
    #: Every procedure's decisions per column (the chart above the table).
    column_totals: list[Cell] = field(default_factory=list)
    #: How far the daily rollup went (the page says so).
    freshness: Freshness = field(default_factory=Freshness)


_decided_between = decided_between


def _histogram(scope: Scope, date_from: date, date_to: date, granularity: str,
               fresh: Freshness | None) -> list[tuple]:
    """``(procedure_id, column, working_days_used, n, met)`` rows, in one query (the column's first
    day cast to a date in the database, read as tuples: no conversion per row in Python): the daily
    rollup's days and the later ones counted live (split in the database, ``rollups.rolled_days``)."""
    rolled = (scope.filter_rollup(rolled_days(DecisionDay.objects.filter(stage=Stage.USED), date_from, date_to, fresh))
              .annotate(column=Cast(Trunc("day", granularity, output_field=DateField()), DateField()),
                        working_days_used=F("days"))
              .values("procedure_id", "column", "working_days_used")
              .annotate(n=Sum("cases"), met=Sum("on_time"))
              .values_list("procedure_id", "column", "working_days_used", "n", "met")
              .order_by())
    tz = ZoneInfo(settings.TIME_ZONE)
    live = (scope.filter(Case.objects.filter(decided_between(date_from, date_to), live_since("decided_at", date_from, fresh)))
            .annotate(column=Cast(Trunc("decided_at", granularity, output_field=DateField(), tzinfo=tz), DateField()))
            .values("procedure_id", "column", "working_days_used")
            .annotate(n=Count("pk"), met=Count("pk", filter=Q(on_time=True)))
            .values_list("procedure_id", "column", "working_days_used", "n", "met")
            .order_by())
    return list(rolled.union(live, all=True))


def heatmap(scope: Scope, *, date_from: date, date_to: date, granularity: str,
            fresh: Freshness | None = None) -> Heatmap:
    """The heatmap of the cases in ``scope`` decided from ``date_from`` to ``date_to`` (both
    included), by ``"week"`` or ``"month"``, and the open overdue cases of each row today.

    Three queries whatever the data: the histogram of decisions (from the daily rollup for the
    days it covers, counted live for the later ones), the open overdue counts, and the names of
    the procedures in them. Rows are the procedures with a decision in the period or an open
    overdue case, by department code and procedure code. ``fresh`` (the rollup's
    :func:`~govflow.stats.rollups.freshness`, read by the page to show it) splits the period with
    constant dates; without it, the split is a subquery.
    """
    if granularity not in GRANULARITIES:
        raise ValueError(f"granularity must be one of {GRANULARITIES}")
    today = local_date(timezone.now())
    columns = columns_of(date_from, date_to, granularity)
    index = {column.key: i for i, column in enumerate(columns)}

    histogram = _histogram(scope, date_from, date_to, granularity, fresh)
    overdue = dict(scope.filter(Case.objects.filter(status__in=WORKING_CASE_STATUSES, due_date__lt=today))
                   .values("procedure_id").annotate(n=Count("pk")).order_by().values_list("procedure_id", "n"))

    cells: dict[int, list[Cell]] = {}
    for procedure_id, column, working_days, n, met in histogram:
        i = index.get(column)
        if i is None:  # cannot happen: the period's days are inside its columns
            continue
        if procedure_id not in cells:
            cells[procedure_id] = [Cell(c) for c in columns]
        cells[procedure_id][i].add(working_days, n, met)
    # The row, column and grand totals add up the cells (each cell's histogram is small).
    totals: dict[int, Cell] = {}
    grand = Cell(None)
    by_column = [Cell(c) for c in columns]
    for procedure_id, row_cells in cells.items():
        total = totals[procedure_id] = Cell(None)
        for cell, column_total in zip(row_cells, by_column, strict=True):
            if cell.decided:
                for target in (total, column_total):
                    target.merge(cell)
        grand.merge(total)

    procedure_ids = set(cells) | set(overdue)
    procedures = (Procedure.objects.filter(pk__in=procedure_ids).select_related("department")
                  .order_by("department__code", "code")) if procedure_ids else []
    rows = [Row(department_code=p.department.code, department_name=p.department.display_name,
                procedure_code=p.code, procedure_name=localized(p.name) or p.code,
                cells=cells.get(p.pk) or [Cell(c) for c in columns], total=totals.get(p.pk) or Cell(None),
                overdue=overdue.get(p.pk, 0))
            for p in procedures]
    return Heatmap(date_from=date_from, date_to=date_to, granularity=granularity, today=today,
                   columns=columns, rows=rows, total=grand, column_totals=by_column,
                   freshness=fresh or Freshness())


def cell_cases(scope: Scope, *, procedure: str, state: str, date_from: date | None = None,
               date_to: date | None = None) -> QuerySet[Case]:
    """The cases behind a heatmap cell: of ``procedure`` in ``scope``, either decided from
    ``date_from`` to ``date_to`` (``state="decided"``) or open and overdue today
    (``state="overdue"``); most recent decision (or most overdue) first."""
    cases = scope.filter(Case.objects.filter(procedure_code=procedure))
    if state == OVERDUE:
        today = local_date(timezone.now())
        return cases.filter(status__in=WORKING_CASE_STATUSES, due_date__lt=today).order_by("due_date", "pk")
    if date_from is None or date_to is None:
        raise ValueError("decided cases need a period")
    return cases.filter(_decided_between(date_from, date_to)).order_by("-decided_at", "-pk")


#: The statuses a decided case may have, for the interfaces' labels.
DECIDED_STATUSES = tuple(CaseStatus(s) for s in DECIDED_CASE_STATUSES)
