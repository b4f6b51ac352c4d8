"""The working-day calendar's year view."""
from __future__ import annotations

import calendar as pycalendar
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS, WEEKDAYS_ABBR
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from govflow.catalog.calendar import seed_calendar
from govflow.catalog.models import (
    CalendarDay,
)

from .common import (
    page_context,
)

# ---------------------------------------------------------------------------------------------
# The calendar's year view


@dataclass
class Day:
    date: date
    in_month: bool
    kind: str  # workday | weekend | holiday | makeup
    name: str
    url: str

    @property
    def working(self) -> bool:
        return self.kind in ("workday", "makeup")


def calendar_year_view(model_admin: Any, request: HttpRequest, year: int | None = None) -> HttpResponse:
    """Twelve months of working days, holidays and make-up working days; each day links to its edit."""
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    year = year or timezone.localdate().year
    if not 1900 <= year <= 2200:
        raise Http404
    if request.method == "POST":
        if not model_admin.has_add_permission(request):
            raise PermissionDenied
        created = seed_calendar([year])
        messages.success(request, ngettext(
            "%(count)d day added from the official holiday arrangement of %(year)d; existing days were kept.",
            "%(count)d days added from the official holiday arrangement of %(year)d; existing days were kept.",
            created) % {"count": created, "year": year})
        return HttpResponseRedirect(reverse("admin:catalog_calendarday_year", args=[year]))

    exceptions = {d.date: d for d in CalendarDay.objects.filter(date__year=year)}
    can_add = model_admin.has_add_permission(request)
    add_url = reverse("admin:catalog_calendarday_add")
    months = []
    totals = {"working": 0, "holiday": 0, "makeup": 0}
    weeks_of = pycalendar.Calendar(firstweekday=0)
    for month in range(1, 13):
        weeks = []
        working = 0
        for week in weeks_of.monthdatescalendar(year, month):
            row = []
            for day in week:
                exception = exceptions.get(day) if day.year == year else None
                weekend = day.weekday() >= 5
                if exception is not None:
                    kind = "makeup" if exception.is_working_day else "holiday"
                    url = reverse("admin:catalog_calendarday_change", args=[exception.pk])
                else:
                    kind = "weekend" if weekend else "workday"
                    url = f"{add_url}?date={day.isoformat()}&is_working_day={1 if weekend else 0}" if can_add else ""
                if day.month == month:
                    if kind in ("workday", "makeup"):
                        working += 1
                    if kind == "holiday":
                        totals["holiday"] += 1
                    if kind == "makeup":
                        totals["makeup"] += 1
                row.append(Day(day, day.month == month, kind, exception.name if exception else "", url))
            weeks.append(row)
        totals["working"] += working
        months.append({"name": MONTHS[month], "weeks": weeks, "working": working})
    context = page_context(
        model_admin, request, title=_("Working-day calendar %(year)d") % {"year": year}, year=year,
        months=months, totals=totals, weekdays=[WEEKDAYS_ABBR[i] for i in range(7)],
        previous_year=year - 1, next_year=year + 1, can_add=can_add,
        changelist_url=reverse("admin:catalog_calendarday_changelist") + f"?year={year}",
    )
    return TemplateResponse(request, "admin/catalog/calendarday/year.html", context)
