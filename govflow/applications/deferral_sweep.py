"""容缺受理: the deadline sweep — remind before a deferred material's due date, and carry out the
procedure's ``on_missed`` once it has passed.

Run by Celery beat (``govflow.applications.tasks.sweep_deferrals``) with the SLA sweep. Working
days are the calendar's (``govflow.catalog.calendar``: weekends, holidays, make-up days):

* **reminder** — from :data:`deferral.REMIND_WORKING_DAYS` working days before the due date until
  the due date, once per material (``Document.reminded_at``): a ``material.reminder``
  notification to the applicant's side.
* **missed** — the day after the due date (``Asia/Shanghai``), once per case
  (``Case.material_overdue_at``, the "material overdue" flag the workbench shows): a
  ``material.overdue`` timeline entry with the reason (public, and sent to the department's
  system), notifications to the applicant's side and to the office (the escalation). Then the
  procedure's ``on_missed``: a queued case is refused by the department's system account with the
  reason (the same services as a clerk); a case a clerk holds keeps the flag and may only be
  refused; a conditionally approved case is revoked where the procedure says ``revoke``.

Each application is handled under its row lock with a re-check, in one transaction with its
outbox rows: two sweeps at once, or a sweep racing an upload, never act twice.
"""
from __future__ import annotations

import logging
from typing import Any

from django.db import DatabaseError, transaction
from django.utils import timezone

from govflow.catalog.calendar import add_working_days, local_date
from govflow.catalog.definition import get_definition
from govflow.errors import DomainError

from . import deferral, engine, revocation
from .automatic import system_user_for
from .models import Application, Case, CaseStatus, Document, DocumentStatus
from .services import deciding

logger = logging.getLogger("govflow.deferral")


def sweep(*, now: Any = None) -> dict[str, int]:
    """Remind and act on missed deadlines now; returns counts (reminded, overdue, rejected, revoked)."""
    now = now or timezone.now()
    today = local_date(now)
    counts = {"reminded": 0, "overdue": 0, "rejected": 0, "revoked": 0}
    horizon = add_working_days(today, deferral.REMIND_WORKING_DAYS)
    deferred = Document.objects.filter(status=DocumentStatus.DEFERRED)
    to_remind = set(deferred.filter(reminded_at__isnull=True, due_date__gte=today, due_date__lte=horizon)
                    .values_list("application_id", flat=True))
    missed = set(deferred.filter(due_date__lt=today).exclude(application__cases__material_overdue_at__isnull=False)
                 .values_list("application_id", flat=True))
    for pk in sorted(to_remind | missed):
        try:
            outcome = check_application(application_id=pk, now=now)
        except DatabaseError:  # a lock timeout or a deadlock victim: the next sweep tries again
            logger.warning("deferral check of application %s failed; the next sweep retries", pk, exc_info=True)
            continue
        for key, n in outcome.items():
            counts[key] += n
    if any(counts.values()):
        logger.info("deferral sweep: %s", counts)
    return counts


@transaction.atomic
def check_application(*, application_id: int, now: Any = None) -> dict[str, int]:
    """Remind about and act on this application's deferred materials, as due now."""
    now = now or timezone.now()
    today = local_date(now)
    counts = {"reminded": 0, "overdue": 0, "rejected": 0, "revoked": 0}
    app = (Application.objects.select_for_update(of=("self",)).select_related("version", "applicant")
           .get(pk=application_id))
    documents = list(Document.objects.filter(application=app, status=DocumentStatus.DEFERRED))
    if not documents:
        return counts
    definition = get_definition(app.version)
    cases = list(Case.objects.filter(application=app).select_related("department", "office", "owner", "task"))
    horizon = add_working_days(today, deferral.REMIND_WORKING_DAYS)
    late = {d.material_code: d for d in documents if d.due_date < today}
    reminders = [d for d in documents if d.reminded_at is None and today <= d.due_date <= horizon]
    follow: list[tuple[Case, str, str]] = []
    with engine.session(app, cases, actor=None) as s:
        for doc in reminders:
            doc.reminded_at = now
            doc.save(update_fields=["reminded_at"])
            s.notify("material.reminder", payload={"number": app.number, "material": doc.material_code,
                                                   "due_date": doc.due_date.isoformat()})
            counts["reminded"] += 1
        for case in cases:
            missing = deferral.missing_for(definition, case, late)
            concerned = case.status in deferral.UNDECIDED or (case.status == CaseStatus.APPROVED and case.conditional)
            if not missing or not concerned or case.material_overdue_at is not None:
                continue
            action = "flagged"
            if case.status == CaseStatus.QUEUED:
                action = "rejected"
            elif case.status == CaseStatus.APPROVED and definition.deferral(case.procedure_code)["on_missed"] == "revoke":
                action = "revoked"
            reason = deferral.overdue_reason(definition, missing, {c: late[c].due_date for c in missing})
            case.material_overdue_at = now
            s.touch_case(case, "material_overdue_at")
            first = late[missing[0]]
            s.log("material.overdue", case=case, actor=None, message=reason,
                  data={"materials": {c: late[c].due_date.isoformat() for c in missing}, "action": action,
                        "on_missed": definition.deferral(case.procedure_code)["on_missed"]})
            payload = {"number": app.number, "procedure": case.procedure_code, "material": first.material_code,
                       "due_date": first.due_date.isoformat(), "action": action, "case": case.pk,
                       "task": case.task_id}
            s.notify("material.overdue", payload=payload)
            for clerk in deferral.clerks_to_tell(case):
                s.notify("material.overdue", recipient=clerk, payload=payload)
            counts["overdue"] += 1
            if action != "flagged":
                follow.append((case, reason, action))
    for case, reason, action in follow:
        try:
            if action == "revoked":
                revocation.revoke_case(case=case, reason=reason, actor=None, cause="material_overdue")
            else:
                actor = system_user_for(case.department, case.office)
                claimed = deciding.task_claim(case=case, user=actor)
                deciding.task_complete(case=claimed, user=actor, decision="reject", comment=reason)
            counts[action] += 1
        except DomainError as exc:  # someone was quicker: the flag stays, a clerk decides
            logger.warning("deferral sweep could not carry out %s on case %s: %s", action, case.pk, exc)
    return counts
