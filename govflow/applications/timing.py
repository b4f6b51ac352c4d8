"""How long a decided case took, stored on the case when it is decided (statistics read it).

A case's clock runs from the moment it is queued (all its prerequisites approved) until it is
approved or rejected, in working days of the calendar (``govflow.catalog.calendar``: weekends,
holidays and make-up working days), minus the working days it waited for the citizen
(``Case.paused_working_days``). It is on time when it is decided on or before its due date (which
already moved by the working days paused). Both are computed once here, at the decision and by the
migration that back-filled older decisions, so no statistic reads a row per case.
"""
from __future__ import annotations

from datetime import date, datetime

from govflow.catalog.calendar import local_date, working_days_between

__all__ = ["decision_timing", "waiting_days"]


def decision_timing(*, queued_at: datetime | None, decided_at: datetime, paused_working_days: int,
                    due_date: date | None) -> tuple[int | None, bool]:
    """``(working_days_used, on_time)`` of a case decided at ``decided_at``.

    - ``working_days_used``: working days d with queued day < d <= decision day (local dates in
      ``settings.TIME_ZONE``), minus ``paused_working_days``, never below 0; ``None`` when the
      case was never queued.
    - ``on_time``: decided on or before ``due_date`` (a case without a due date is on time).
    """
    decided_on = local_date(decided_at)
    used = None
    if queued_at is not None:
        used = max(working_days_between(local_date(queued_at), decided_on) - (paused_working_days or 0), 0)
    return used, due_date is None or decided_on <= due_date


def waiting_days(*, submitted_at: datetime | None, queued_at: datetime | None,
                 claimed_at: datetime | None) -> tuple[int | None, int | None]:
    """``(prerequisite_working_days, queue_working_days)`` of a decided case: working days from the
    application's submission to the case being queued (waiting for the cases it comes after), and
    from queued to the first claim (waiting in the queue; a case never claimed has ``None``). The
    review is the rest of ``working_days_used``."""
    prerequisites = queue = None
    if submitted_at is not None and queued_at is not None:
        prerequisites = working_days_between(local_date(submitted_at), local_date(queued_at))
    if queued_at is not None and claimed_at is not None:
        queue = working_days_between(local_date(queued_at), local_date(claimed_at))
    return prerequisites, queue
