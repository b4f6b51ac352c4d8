"""Daily rollups of the decided cases, kept by :mod:`govflow.stats.rollups` (a Celery beat job).

A rollup row counts the cases decided on one local day (``settings.TIME_ZONE``) at one office, of
one procedure and one one thing, that took ``days`` working days in one ``stage``: a histogram,
so medians and 90th percentiles stay exact (the stored figures are whole working days). The
supervision pages read these rows for the days the rollup covers and count later days live.
"""
from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Stage(models.TextChoices):
    #: ``working_days_used`` (queue to decision, pauses excluded): the heatmap's figure.
    USED = "used", _("working days used")
    PREREQUISITES = "prerequisites", _("waiting for prerequisites")
    QUEUE = "queue", _("in the queue")
    REVIEW = "review", _("in review")
    PAUSED = "paused", _("paused for the citizen")
    COMMITTED = "committed", _("committed days")


class DecisionDay(models.Model):
    """Decided (approved or rejected) cases of one day, office, procedure and one thing that took
    ``days`` working days in ``stage`` (``None``: the figure was not stored)."""

    day = models.DateField(verbose_name=_("day"))
    office = models.ForeignKey("catalog.Office", on_delete=models.CASCADE, related_name="+",
                               verbose_name=_("office"))
    procedure = models.ForeignKey("catalog.Procedure", on_delete=models.CASCADE, related_name="+",
                                  verbose_name=_("procedure"))
    one_thing = models.ForeignKey("catalog.OneThing", on_delete=models.CASCADE, related_name="+",
                                  verbose_name=_("one thing"))
    stage = models.CharField(max_length=16, choices=Stage.choices, verbose_name=_("stage"))
    days = models.IntegerField(null=True, blank=True, verbose_name=_("working days"))
    cases = models.PositiveIntegerField(verbose_name=_("cases"))
    on_time = models.PositiveIntegerField(verbose_name=_("decided on time"))

    class Meta:
        indexes = [models.Index(fields=["stage", "day"], name="stats_decisionday_stage_day",
                                include=["office", "procedure", "one_thing", "days", "cases", "on_time"])]
        verbose_name = _("decisions of a day")
        verbose_name_plural = _("decisions of a day")

    def __str__(self) -> str:
        return f"{self.day} {self.stage}={self.days}: {self.cases}"


class RollupState(models.Model):
    """How far a rollup goes: every day up to ``complete_through`` is stored; ``updated_at`` is
    when it last ran (the page shows both; the next run looks for decisions revoked since)."""

    name = models.CharField(max_length=32, primary_key=True, verbose_name=_("name"))
    complete_through = models.DateField(null=True, blank=True, verbose_name=_("complete through"))
    updated_at = models.DateTimeField(null=True, blank=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("rollup state")
        verbose_name_plural = _("rollup states")

    def __str__(self) -> str:
        return f"{self.name} through {self.complete_through}"
