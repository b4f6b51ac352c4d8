"""The working-day calendar: the exceptions to the Monday–Friday week."""
from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CalendarDay(models.Model):
    """An exception to the Monday–Friday week: a public holiday or a make-up working day (调休)."""

    date = models.DateField(_("date"), unique=True)
    is_working_day = models.BooleanField(_("working day"))
    name = models.CharField(_("name"), max_length=100, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")

    def __str__(self) -> str:
        kind = _("working day") if self.is_working_day else _("holiday")
        return f"{self.date} ({kind}) {self.name}"
