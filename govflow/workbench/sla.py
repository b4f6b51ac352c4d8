"""The SLA as clerks see it: a case's state (on time, due soon, overdue), its words and marks, and
the clock every queue and page reads it with (one "today" per request).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Q
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import get_language, gettext, ngettext
from django.utils.translation import gettext_lazy as _

from govflow.catalog.calendar import add_working_days, local_date, working_days_between

# -- SLA ----------------------------------------------------------------------------------------

SLA_ON_TIME = "on_time"
SLA_DUE_SOON = "due_soon"
SLA_OVERDUE = "overdue"
SLA_LABELS = {
    SLA_ON_TIME: _("On time"),
    SLA_DUE_SOON: _("Due within 1 working day"),
    SLA_OVERDUE: _("Overdue"),
}


SLA_MARKS = {SLA_ON_TIME: "●", SLA_DUE_SOON: "▲", SLA_OVERDUE: "■"}


def remaining_text(days: int | None) -> str:
    """Working days left, said plainly: "2 working days left", "due today", "3 working days overdue"."""
    if days is None:
        return "—"
    if days == 0:
        return gettext("due today")
    if days > 0:
        return ngettext("%(n)d working day left", "%(n)d working days left", days) % {"n": days}
    return ngettext("%(n)d working day overdue", "%(n)d working days overdue", -days) % {"n": -days}


_WAITING_CACHE: dict[tuple[str, int, int], str] = {}


def waiting_text(since: datetime | None, now: datetime | None = None) -> str:
    """``timesince(since, depth=1)`` ("3 hours", "2 days"), remembered per language and whole
    unit: under four weeks the text depends only on those, and a page of fifty rows shares a few."""
    if since is None:
        return ""
    now = now or timezone.now()
    seconds = int((now - since).total_seconds())
    if seconds < 0 or seconds >= 28 * 86400:
        return timesince(since, now=now, depth=1)
    unit = 86400 if seconds >= 86400 else 3600 if seconds >= 3600 else 60
    key = (get_language() or "", unit, seconds // unit)
    text = _WAITING_CACHE.get(key)
    if text is None:
        text = _WAITING_CACHE[key] = timesince(since, now=now, depth=1)
    return text


@dataclass(frozen=True)
class Sla:
    """The state of a case's time limit: colour (``state``), shape (``mark``) and words."""

    state: str
    remaining: int | None  # working days left; negative when overdue

    @property
    def label(self) -> str:
        return str(SLA_LABELS[self.state])

    @property
    def mark(self) -> str:
        return SLA_MARKS[self.state]

    @property
    def remaining_text(self) -> str:
        return remaining_text(self.remaining)


@dataclass(frozen=True)
class SlaClock:
    """Today on the working-day calendar, and the last day that still counts as "due soon"."""

    today: date
    soon_limit: date

    @classmethod
    def now(cls, at: datetime | None = None) -> SlaClock:
        today = local_date(at or timezone.now())
        return cls(today=today, soon_limit=add_working_days(today, 1))

    def state(self, due: date | None) -> str:
        if due is None:
            return SLA_ON_TIME
        if due < self.today:
            return SLA_OVERDUE
        if due <= self.soon_limit:
            return SLA_DUE_SOON
        return SLA_ON_TIME

    def remaining(self, due: date | None) -> int | None:
        if due is None:
            return None
        if due >= self.today:
            return working_days_between(self.today, due)
        # Past its due date a case is overdue by at least one working day, even on a weekend or a
        # holiday right after the due date, when no working day has passed since (not "due today").
        return -max(1, working_days_between(due, self.today))

    def sla(self, due: date | None) -> Sla:
        return Sla(state=self.state(due), remaining=self.remaining(due))

    def q(self, state: str) -> Q:
        """The same states as a filter on ``due_date`` (so the database does the filtering)."""
        if state == SLA_OVERDUE:
            return Q(due_date__lt=self.today)
        if state == SLA_DUE_SOON:
            return Q(due_date__gte=self.today, due_date__lte=self.soon_limit)
        return Q(due_date__gt=self.soon_limit) | Q(due_date__isnull=True)
