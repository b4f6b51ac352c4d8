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
    #: The local midnight after ``complete_through``: later rows are counted live.
    live_from = models.DateTimeField(null=True, blank=True, verbose_name=_("counted live from"))
    updated_at = models.DateTimeField(null=True, blank=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("rollup state")
        verbose_name_plural = _("rollup states")

    def __str__(self) -> str:
        return f"{self.name} through {self.complete_through}"


class OfficeSet(models.Model):
    """The offices an application's cases are at (``key``: their ids, sorted, comma-separated): a
    rollup row of applications or ratings is in a supervisor's scope when one of them is."""

    key = models.CharField(max_length=1000, unique=True, verbose_name=_("offices"))

    class Meta:
        verbose_name = _("office set")
        verbose_name_plural = _("office sets")

    def __str__(self) -> str:
        return self.key


class OfficeSetMember(models.Model):
    office_set = models.ForeignKey(OfficeSet, on_delete=models.CASCADE, related_name="members",
                                   verbose_name=_("office set"))
    office = models.ForeignKey("catalog.Office", on_delete=models.CASCADE, related_name="+", verbose_name=_("office"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["office_set", "office"], name="uniq_office_set_member")]
        verbose_name = _("office of a set")
        verbose_name_plural = _("offices of a set")

    def __str__(self) -> str:
        return f"{self.office_set_id}: {self.office_id}"


class CompletionDay(models.Model):
    """Applications completed on one local day, of one version (and one thing), through one
    channel, at one set of offices, whose critical path took ``path`` working days; with how many
    of them used each of the reform's instruments."""

    day = models.DateField(verbose_name=_("day"))
    one_thing = models.ForeignKey("catalog.OneThing", on_delete=models.CASCADE, related_name="+",
                                  verbose_name=_("one thing"))
    version = models.ForeignKey("catalog.OneThingVersion", on_delete=models.CASCADE, related_name="+",
                                verbose_name=_("version"))
    channel = models.CharField(max_length=16, verbose_name=_("channel"))
    path = models.IntegerField(null=True, blank=True, verbose_name=_("critical path in working days"))
    office_set = models.ForeignKey(OfficeSet, on_delete=models.PROTECT, related_name="+", verbose_name=_("offices"))
    applications = models.PositiveIntegerField(verbose_name=_("applications"))
    deferred = models.PositiveIntegerField(default=0, verbose_name=_("with a material deferred"))
    commitment = models.PositiveIntegerField(default=0, verbose_name=_("with a commitment"))
    offer = models.PositiveIntegerField(default=0, verbose_name=_("from an offer"))
    grant = models.PositiveIntegerField(default=0, verbose_name=_("granted"))

    class Meta:
        indexes = [models.Index(fields=["day"], name="stats_completionday_day")]
        verbose_name = _("completions of a day")
        verbose_name_plural = _("completions of a day")

    def __str__(self) -> str:
        return f"{self.day} {self.version_id}: {self.applications}"


class RatingDay(models.Model):
    """Ratings given on one local day, counted by office, procedure or clerk (``by``, ``key`` the
    id; ``None``: no clerk) as :func:`govflow.stats.ratings.ratings_by` does: each rating once
    per key, over the cases of the application with that key (``office_set``: their offices)."""

    day = models.DateField(verbose_name=_("day"))
    by = models.CharField(max_length=16, verbose_name=_("by"))
    key = models.BigIntegerField(null=True, blank=True, verbose_name=_("key"))
    one_thing = models.ForeignKey("catalog.OneThing", on_delete=models.CASCADE, related_name="+",
                                  verbose_name=_("one thing"))
    office_set = models.ForeignKey(OfficeSet, on_delete=models.PROTECT, related_name="+", verbose_name=_("offices"))
    s1 = models.PositiveIntegerField(default=0)
    s2 = models.PositiveIntegerField(default=0)
    s3 = models.PositiveIntegerField(default=0)
    s4 = models.PositiveIntegerField(default=0)
    s5 = models.PositiveIntegerField(default=0)
    ratings = models.PositiveIntegerField(default=0, verbose_name=_("ratings"))
    bad = models.PositiveIntegerField(default=0, verbose_name=_("bad ratings"))
    answered = models.PositiveIntegerField(default=0, verbose_name=_("answered"))
    contacted = models.PositiveIntegerField(default=0, verbose_name=_("citizen contacted"))

    class Meta:
        indexes = [models.Index(fields=["by", "day"], name="stats_ratingday_by_day")]
        verbose_name = _("ratings of a day")
        verbose_name_plural = _("ratings of a day")

    def __str__(self) -> str:
        return f"{self.day} {self.by}={self.key}: {self.ratings}"
