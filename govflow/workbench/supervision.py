"""Supervision pages under ``/workbench/stats/``: the heatmap of decisions and the cases behind
each of its cells, the reform's figures, and 好差评 (ratings and their follow-up). Supervisors see
the offices they supervise and those they oversee (read-only: these pages change nothing); staff
see everything. Every table downloads as CSV. Interface only: the figures come from
``govflow.stats``.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import timedelta
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from govflow.catalog.calendar import local_date
from govflow.catalog.models import OneThing, localized
from govflow.stats import heatmap as reads
from govflow.stats import ratings as rating_reads
from govflow.stats.reform import FIGURES, instrument_counts, reform_figures
from govflow.stats.rollups import freshness
from govflow.stats.stages import STAGES, critical_paths, where_time_goes

from . import selectors
from .forms import StatsFilterForm
from .views import _context

#: Leading characters that make a spreadsheet read a cell as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

#: The default period: the last twelve weeks up to today.
DEFAULT_DAYS = 7 * 12
CASES_PAGE_SIZE = 50
#: Most bad ratings one download holds (a period is at most a year).
MAX_CSV_ROWS = 100_000


def stats_viewer(view):
    """Staff and supervisors; anonymous users go to the login page, anyone else gets 403
    (``PermissionDenied`` from the stats scope)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        request.offices = list(reads.visible_offices(request.user))  # PermissionDenied → 403
        request.staff = selectors.staff_for(request.user)
        return view(request, *args, **kwargs)

    return never_cache(wrapper)


def _stats_context(request: HttpRequest, **extra: Any) -> dict:
    if request.staff is None:  # staff without an office membership
        return {"staff": None, "held_count": 0, "may_use_admin": admin.site.has_permission(request), **extra}
    return _context(request, **extra)


def _filters(request: HttpRequest) -> tuple[StatsFilterForm, reads.Scope | None]:
    """The bound filter form (defaults filled in) and the user's scope, ``None`` if invalid."""
    today = local_date(timezone.now())
    data = {"date_from": (today - timedelta(days=DEFAULT_DAYS - 1)).isoformat(), "date_to": today.isoformat(),
            "by": "week", **{k: v for k, v in request.GET.items() if k != "page"}}
    offices = request.offices
    form = StatsFilterForm(
        data, max_days=reads.MAX_RANGE_DAYS,
        divisions=[(d.code, d.display_name) for d in reads.division_choices(offices)],
        offices=[(o.code, o.display_name) for o in offices],
        one_things=[(code, localized(name) or code)
                    for code, name in OneThing.objects.order_by("code").values_list("code", "name")])
    if not form.is_valid():
        return form, None
    c = form.cleaned_data
    scope = reads.scope_for(request.user, offices, division=c["division"], office=c["office"],
                            one_thing=c["one_thing"])
    return form, scope


def _query(form: StatsFilterForm, **changes: Any) -> str:
    c = form.cleaned_data
    values = {"date_from": c["date_from"].isoformat(), "date_to": c["date_to"].isoformat(), "by": c["by"],
              "division": c["division"], "office": c["office"], "one_thing": c["one_thing"], **changes}
    return urlencode({k: v for k, v in values.items() if v})


HEATMAP_HEADER = ["department", "procedure", "period_start", "period_end", "decided", "on_time", "on_time_rate",
                  "median_working_days", "open_overdue"]


def _heatmap_lines(result: reads.Heatmap) -> Iterable[list[Any]]:
    """One line per row and column, then the row's whole period with its open overdue count."""
    for row in result.rows:
        for cell in row.cells:
            yield [row.department_code, row.procedure_code, cell.column.start.isoformat(), cell.column.end.isoformat(),
                   cell.decided, cell.on_time, cell.on_time_rate, cell.median_days, ""]
        yield [row.department_code, row.procedure_code, result.date_from.isoformat(), result.date_to.isoformat(),
               row.total.decided, row.total.on_time, row.total.on_time_rate, row.total.median_days, row.overdue]


@require_safe
@stats_viewer
def stats_heatmap(request: HttpRequest) -> HttpResponse:
    """Department × procedure by week or month: decided, on time, median working days; open overdue."""
    form, scope = _filters(request)
    if scope is None:
        return render(request, "workbench/stats/heatmap.html",
                      _stats_context(request, title=_("Supervision"), form=form, result=None), status=400)
    c = form.cleaned_data
    result = reads.heatmap(scope, date_from=c["date_from"], date_to=c["date_to"], granularity=c["by"],
                           fresh=freshness())
    if _download(request) == "csv":
        return _table(request, "heatmap", form, HEATMAP_HEADER, _heatmap_lines(result))
    # The cases behind a cell: the filters, the cell's period, its procedure and state. Encoded in
    # parts (a query string is its parameters' encodings joined by "&"), once per column and row,
    # as _query(form, procedure=…, state=…, by="", date_from=…, date_to=…) orders them.
    cases_url = reverse("workbench:stats-cases")
    c = form.cleaned_data
    filters = urlencode({k: v for k in ("division", "office", "one_thing") if (v := c[k])})
    whole = _period_query(c["date_from"], c["date_to"])
    by_column = [_period_query(cell.column.start, cell.column.end) for cell in result.column_totals]

    def link(period: str, procedure: str) -> str:
        return "&".join(part for part in (f"{cases_url}?{period}", filters, procedure) if part)

    for row in result.rows:
        decided = urlencode({"procedure": row.procedure_code, "state": reads.DECIDED})
        row.cell_links = [*((cell, link(period, decided)) for cell, period in zip(row.cells, by_column, strict=True)),
                          (row.total, link(whole, decided))]
        row.overdue_link = link(whole, urlencode({"procedure": row.procedure_code, "state": reads.OVERDUE}))
    return render(request, "workbench/stats/heatmap.html", _stats_context(
        request, title=_("Supervision"), form=form, result=result, rows=result.rows,
        footer_cells=[(result.total, "")], csv_url=f"?{_query(form, download='csv')}"))


def _period_query(date_from: Any, date_to: Any) -> str:
    return urlencode({"date_from": date_from.isoformat(), "date_to": date_to.isoformat()})


@require_safe
@stats_viewer
def stats_cases(request: HttpRequest) -> HttpResponse:
    """The cases behind a heatmap cell: decided in the period, or open and overdue now."""
    form, scope = _filters(request)
    procedure = request.GET.get("procedure", "")
    state = request.GET.get("state", reads.DECIDED)
    if scope is None or state not in (reads.DECIDED, reads.OVERDUE) or not procedure:
        raise Http404("No such cases.")
    c = form.cleaned_data
    cases = reads.cell_cases(scope, procedure=procedure, state=state, date_from=c["date_from"],
                             date_to=c["date_to"]).select_related("application", "office", "department")
    page = Paginator(cases, CASES_PAGE_SIZE).get_page(request.GET.get("page"))
    query = urlencode({k: v for k, v in request.GET.items() if k != "page"})
    return render(request, "workbench/stats/cases.html", _stats_context(
        request, title=_("Cases"), form=form, page=page, state=state, procedure=procedure, query=query,
        overdue=state == reads.OVERDUE, back_url=f"{reverse('workbench:stats')}?{_query(form)}"))


def _cell_text(value: Any) -> Any:
    """A value for a CSV cell: text a spreadsheet would run as a formula is quoted with ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return "" if value is None else value


def _table(request: HttpRequest, name: str, form: StatsFilterForm, header: list[str],
           rows: Iterable[Iterable[Any]]) -> HttpResponse:
    """A table as a download: CSV (UTF-8 with a byte-order mark, so spreadsheets read Chinese), or
    XLSX with ``format=xlsx``. In both, text is only ever text: a CSV cell a spreadsheet would run as
    a formula is quoted with ``'``, and an XLSX cell is written as a string whatever it starts with."""
    c = form.cleaned_data
    stem = f'{name}-{c["date_from"].isoformat()}-{c["date_to"].isoformat()}'
    if request.GET.get("format") == "xlsx":
        return _xlsx(stem, header, rows)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{stem}.csv"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell_text(value) for value in row])
    return response


def _xlsx(stem: str, header: list[str], rows: Iterable[Iterable[Any]]) -> HttpResponse:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(stem[:31])

    def cell(value: Any) -> WriteOnlyCell:
        found = WriteOnlyCell(sheet, value="" if value is None else value)
        if isinstance(value, str):
            found.data_type = "s"  # never a formula
        return found

    sheet.append([cell(value) for value in header])
    for row in rows:
        sheet.append([cell(value) for value in row])
    response = HttpResponse(content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{stem}.xlsx"'
    buffer = io.BytesIO()
    workbook.save(buffer)
    response.write(buffer.getvalue())
    return response


def _yes_no(value: bool | None) -> str:
    """A recorded yes/no for a download: ``yes``, ``no``, or empty when it was not said."""
    return "" if value is None else "yes" if value else "no"


def _download(request: HttpRequest) -> str:
    return request.GET.get("download", "")


def stats_page(template: str, title: str):
    """A statistics page over the filtered period. The view is called with the bound filter form,
    the user's scope and the period (``date_from``, ``date_to``), and returns a download or the
    page's context; an invalid filter is the page showing the form's errors (400)."""

    def decorate(view):
        @wraps(view)
        def wrapper(request: HttpRequest) -> HttpResponse:
            form, scope = _filters(request)
            if scope is None:
                return render(request, template, _stats_context(request, title=title, form=form, invalid=True),
                              status=400)
            c = form.cleaned_data
            answer = view(request, form, scope, {"date_from": c["date_from"], "date_to": c["date_to"]})
            if isinstance(answer, HttpResponse):
                return answer
            return render(request, template, _stats_context(request, title=title, form=form, **answer))

        return wrapper

    return decorate


@require_safe
@stats_viewer
@stats_page("workbench/stats/reform.html", gettext_lazy("The reform's figures"))
def stats_reform(request: HttpRequest, form: StatsFilterForm, scope: reads.Scope, period: dict) -> HttpResponse | dict:
    """减环节、减材料、减时限、减跑动 over the applications completed in the period."""
    fresh = freshness()
    lines, total = reform_figures(scope, fresh=fresh, **period)
    instruments = instrument_counts(scope, fresh=fresh, **period)
    if _download(request) == "csv":
        header = ["one_thing", "applications", *FIGURES, *(f"{key}_per_application" for key in FIGURES)]
        return _table(request, "reform", form, header, (
            [line.code or "all", line.applications, *line.totals.values(), *line.per_application.values()]
            for line in [*lines, total]))
    return {"lines": lines, "total": total, "figures": FIGURES, "instruments": instruments, "freshness": fresh,
            "csv_url": f"?{_query(form, download='csv')}", **period}


@require_safe
@stats_viewer
@stats_page("workbench/stats/ratings.html", gettext_lazy("Ratings"))
def stats_ratings(request: HttpRequest, form: StatsFilterForm, scope: reads.Scope, period: dict) -> HttpResponse | dict:
    """Ratings by office, procedure and clerk, and every bad rating with its follow-up."""
    fresh = freshness()
    download = _download(request)
    if download == "bad":
        rows = rating_reads.bad_ratings(rating_reads.bad_ratings_queryset(scope, **period)[:MAX_CSV_ROWS])
        return _table(request, "bad-ratings", form, ["application", "one_thing", "score", "comment", "rated_at", "follow_up",
                                          "answered_at", "answered_by", "working_days_to_answer",
                                          "citizen_contacted", "contacted_at", "contact_channel"],
                    ([r.number, r.one_thing, r.score, r.comment, r.rated_at.isoformat(), r.follow_up_note,
                      r.answered_at.isoformat() if r.answered_at else "", r.answered_by, r.working_days_to_answer,
                      _yes_no(r.contacted), r.contacted_at.isoformat() if r.contacted_at else "", r.channel]
                     for r in rows))
    if download in rating_reads.BY:
        rows = rating_reads.ratings_by(scope, download, fresh=fresh, **period)
        return _table(request, f"ratings-by-{download}", form,
                    [download, "ratings", *(f"score_{level}" for level in rating_reads.LEVELS), "average", "bad",
                     "answered", "contacted", "contacted_share"],
                    ([r.label, r.ratings, *r.counts.values(), r.average, r.bad, r.answered, r.contacted,
                      r.contacted_share] for r in rows))
    tables = [(by, label, rating_reads.ratings_by(scope, by, fresh=fresh, **period))
              for by, label in (("office", _("By office")), ("procedure", _("By procedure")),
                                ("clerk", _("By clerk")))]
    page = Paginator(rating_reads.bad_ratings_queryset(scope, **period), CASES_PAGE_SIZE).get_page(
        request.GET.get("page"))
    return {"tables": tables, "levels": rating_reads.LEVELS, "page": page,
            "bad": rating_reads.bad_ratings(page.object_list), "query": _query(form, by=""), "freshness": fresh,
            "csv_query": _query(form, by=""), **period}


@require_safe
@stats_viewer
@stats_page("workbench/stats/time.html", gettext_lazy("Where time goes"))
def stats_time(request: HttpRequest, form: StatsFilterForm, scope: reads.Scope, period: dict) -> HttpResponse | dict:
    """Where time goes: per procedure, median and p90 working days per stage of its decided cases."""
    fresh = freshness()
    rows = where_time_goes(scope, fresh=fresh, **period)
    paths = critical_paths(scope, fresh=fresh, **period)
    if _download(request) == "path":
        return _table(request, "critical-path", form, [
            "one_thing", "applications", "committed_days", "critical_path_median", "critical_path_p90",
            "within_commitment", "within_commitment_rate"],
            ([p.code, p.applications, p.committed_text, p.median, p.p90, p.within, p.within_share] for p in paths))
    if _download(request) == "csv":
        header = ["department", "procedure", "decided",
                  *(f"{stage}_{q}" for stage in STAGES for q in ("median", "p90"))]
        return _table(request, "where-time-goes", form, header, (
            [row.department_code, row.procedure_code, row.decided,
             *(value for _stage, median, p90 in row.stages for value in (median, p90))]
            for row in rows))
    return {"rows": rows, "paths": paths, "freshness": fresh, "csv_url": f"?{_query(form, download='csv')}",
            "path_csv_url": f"?{_query(form, download='path')}", **period}
