"""The SLA sweep: warn one working day before a case's due date, escalate once it is overdue.

Run by Celery beat (``govflow.applications.tasks.sweep_sla``) every few minutes; one
dispatcher at a time (``locks.py``). For every open case whose clock runs (``queued`` or
``in_review``; a case in ``correction_requested`` waits for the citizen, its clock is paused
and its due date moves when the citizen answers):

* **warning** — from the working day before the due date (``add_working_days(due, -1)``, so
  across weekends, holidays and make-up working days), once per due date: a notification to
  the clerk holding the case, or, while nobody holds it, to the department's supervisors (or
  its clerks when it has no supervisor). ``Case.sla_warned_at`` records it.
* **escalation** — once the due date has passed (the day after it, in ``Asia/Shanghai``), once
  while the case stays overdue: ``Case.escalated_at`` is set (the supervisor board lists open cases with it), a
  ``case.overdue`` timeline entry is written (which also goes to the department's system, if it
  registered a webhook) and the department's supervisors are notified. A case that is already
  overdue when first seen is escalated without a warning.

Both are written under the application's row lock with a re-check, in one transaction with
their outbox rows, so two sweeps at once (or a sweep racing a clerk's decision) cannot warn or
escalate twice. A pause for the citizen moves the due date by the working days paused, so a
case that was overdue stays overdue (and escalated once). When the due date of an escalated
case is moved past today (a supervisor's extension), the escalation is lifted (``escalated_at``
cleared) and the case can be warned and escalated again for its new due date.
"""
from __future__ import annotations

import logging
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import Q
from django.utils import timezone

from govflow.accounts.models import Membership, Role
from govflow.accounts.services import department_system_username
from govflow.catalog.calendar import add_working_days, local_date, working_days_between

from . import engine
from .models import Application, Case, CaseStatus

logger = logging.getLogger("govflow.sla")

CLOCK_RUNNING = (CaseStatus.QUEUED, CaseStatus.IN_REVIEW)


def sweep(*, now: Any = None) -> dict[str, int]:
    """Warn and escalate every case that needs it now; returns counts (warned, escalated, lifted)."""
    now = now or timezone.now()
    today = local_date(now)
    counts = {"warned": 0, "escalated": 0, "lifted": 0}
    counts["lifted"] = (Case.objects.filter(status__in=CLOCK_RUNNING, escalated_at__isnull=False, due_date__gte=today)
                        .update(escalated_at=None))
    # warn_on(due) <= today  <=>  due <= the next working day after today. Cases already escalated,
    # or warned today, are left out here (check_case would skip them anyway): a sweep costs what
    # is new, not what is long overdue.
    horizon = add_working_days(today, 1)
    start_of_today = datetime.combine(today, time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))
    candidates = list(
        Case.objects.filter(status__in=CLOCK_RUNNING)
        .filter(Q(due_date__lt=today, escalated_at__isnull=True)
                | Q(due_date__gte=today, due_date__lte=horizon)
                & (Q(sla_warned_at__isnull=True) | Q(sla_warned_at__lt=start_of_today)))
        .order_by("due_date", "id").values_list("pk", flat=True))
    for pk in candidates:
        try:
            outcome = check_case(case_id=pk, now=now)
        except DatabaseError:  # a lock timeout or a deadlock victim: the next sweep tries again
            logger.warning("SLA check of case %s failed; the next sweep retries", pk, exc_info=True)
            continue
        if outcome:
            counts[outcome] += 1
    if counts["warned"] or counts["escalated"] or counts["lifted"]:
        logger.info("SLA sweep: %s", counts)
    return counts


def _recipients_for_warning(case: Case) -> list[Any]:
    if case.status == CaseStatus.IN_REVIEW and case.owner is not None and case.owner.is_active:
        return [case.owner]
    supervisors = _members(case, role=Role.SUPERVISOR)
    return supervisors or _members(case, role=Role.CLERK)


def _members(case: Case, *, role: str) -> list[Any]:
    system = department_system_username(case.department)
    return [m.user for m in Membership.objects.filter(office_id=case.office_id, role=role,
                                                      user__is_active=True)
            .exclude(user__username=system).select_related("user").order_by("user__username")]


def _payload(app: Application, case: Case) -> dict[str, Any]:
    return {"number": app.number, "procedure": case.procedure_code, "case": case.pk, "task": case.task_id,
            "due_date": case.due_date.isoformat() if case.due_date else None,
            "holder": (case.owner.name or case.owner.username) if case.owner_id else ""}


@transaction.atomic
def check_case(*, case_id: int, now: Any = None) -> str | None:
    """Warn or escalate one case if it is due; ``"warned"``, ``"escalated"`` or ``None``."""
    now = now or timezone.now()
    application_id = Case.objects.filter(pk=case_id).values_list("application_id", flat=True).first()
    if application_id is None:
        return None
    app = (Application.objects.select_for_update(of=("self",)).select_related("version", "applicant")
           .get(pk=application_id))
    case = Case.objects.select_related("department", "office", "owner").get(pk=case_id)
    if case.status not in CLOCK_RUNNING or case.due_date is None:
        return None
    today = local_date(now)
    if today > case.due_date:
        if case.escalated_at is not None:
            return None  # escalated once while it stays overdue
        _escalate(app, case, now, today)
        return "escalated"
    warn_on = add_working_days(case.due_date, -1)
    if today < warn_on:
        return None
    if case.sla_warned_at is not None and local_date(case.sla_warned_at) >= warn_on:
        return None  # already warned for this due date
    recipients = _recipients_for_warning(case)
    with engine.session(app, [case], actor=None) as s:
        case.sla_warned_at = now
        s.touch_case(case, "sla_warned_at")
        for user in recipients:
            s.notify("sla.warning", recipient=user, payload=_payload(app, case))
    return "warned"


def _escalate(app: Application, case: Case, now: Any, today: Any) -> None:
    supervisors = _members(case, role=Role.SUPERVISOR)
    late = working_days_between(case.due_date, today)
    with engine.session(app, [case], actor=None) as s:
        case.escalated_at = now
        s.touch_case(case, "escalated_at")
        s.log("case.overdue", case=case, actor=None, message=f"due {case.due_date.isoformat()}",
              data={"due_date": case.due_date.isoformat(), "working_days_late": late,
                    "holder": case.owner_id, "escalated_to": [u.pk for u in supervisors]})
        for user in supervisors:
            s.notify("case.overdue", recipient=user, payload={**_payload(app, case), "working_days_late": late})
