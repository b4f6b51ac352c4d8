"""The admin of the working-day calendar, with its year view."""
from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.urls import path
from django.utils.translation import gettext_lazy as _

from govflow.catalog.models import (
    CalendarDay,
)

from ..views import calendar_year

# ---------------------------------------------------------------------------------------------
# The working-day calendar


class CalendarYearFilter(admin.SimpleListFilter):
    title = _("year")
    parameter_name = "year"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin):
        years = CalendarDay.objects.dates("date", "year", order="DESC")
        return [(str(d.year), str(d.year)) for d in years]

    def queryset(self, request: HttpRequest, queryset):
        if self.value() and self.value().isdigit():
            return queryset.filter(date__year=int(self.value()))
        return queryset


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    """Exceptions to the Monday–Friday week: public holidays and make-up working days (调休)."""

    change_list_template = "admin/catalog/calendarday/change_list.html"
    list_display = ("date", "weekday", "is_working_day", "name")
    list_filter = (CalendarYearFilter, "is_working_day")
    date_hierarchy = "date"
    search_fields = ("name",)

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        wrap = self.admin_site.admin_view

        def year(request: HttpRequest, year: int | None = None):
            return calendar_year.calendar_year_view(self, request, year)

        return [
            path("year/", wrap(year), name=f"{prefix}_year"),
            path("year/<int:year>/", wrap(year), name=f"{prefix}_year"),
            *super().get_urls(),
        ]

    def get_changeform_initial_data(self, request: HttpRequest) -> dict:
        initial = super().get_changeform_initial_data(request)
        if "is_working_day" in request.GET:
            initial["is_working_day"] = request.GET["is_working_day"] in ("1", "true", "True")
        return initial

    @admin.display(description=_("weekday"))
    def weekday(self, obj: CalendarDay) -> str:
        from django.utils.dates import WEEKDAYS

        return str(WEEKDAYS[obj.date.weekday()])
