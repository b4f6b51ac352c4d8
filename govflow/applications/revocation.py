"""Revoking an approval (撤销): the decision a case made is withdrawn after the fact.

Two of the reform's instruments need it: a commitment (告知承诺制) found false at the
after-the-fact verification, and a deferred material (容缺受理) not handed in after a conditional
approval. The case becomes ``revoked``; what it issued is no longer valid (the outputs leave the
wallet, the electronic certificates say "revoked" on their verification pages); the application's
outcome is worked out again; the applicant is told why, with their right to reconsideration or a
lawsuit (a revocation is an administrative decision like a refusal); the department's system
hears of it through its webhook (``case.revoked``).

The callers decide who may revoke (a clerk of the case's office completing a verification, the
deadline sweep); this module only does it, once, under the application lock.
"""
from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from govflow.catalog.calendar import local_date
from govflow.catalog.definition import get_definition
from govflow.errors import InvalidInput, InvalidState, NotFound

from . import engine
from .models import ApplicationStatus, CaseStatus, Certificate, IssuedOutput, Outcome, TimelineEntry
from .services.common import cases_of, engine_step, lock_application

#: Why a decision may be revoked (``TimelineEntry.data["cause"]``).
CAUSES = ("commitment_false", "material_overdue")


def outcome_of(statuses: list[str]) -> str:
    """An application's outcome from its cases' final statuses: every case approved, none, or some."""
    approved = sum(1 for status in statuses if status == CaseStatus.APPROVED)
    if approved and approved == len(statuses):
        return Outcome.APPROVED
    return Outcome.PARTIALLY_APPROVED if approved else Outcome.REJECTED


@engine_step
@transaction.atomic
def revoke_case(*, case: Any, reason: str, actor: Any = None, cause: str) -> Any:
    """Revoke the approval of ``case`` for ``reason`` (shown to the applicant; required).

    Only an approved case can be revoked (else ``InvalidState``). Its issued outputs and their
    certificates are revoked, a completed application's outcome is worked out again (cases still
    running go on: the decisions that relied on this one are for their departments to review), and
    the change is on the timeline, in the applicant's notifications and in the department's webhook.
    """
    if cause not in CAUSES:
        raise InvalidInput("Unknown cause.", errors={"cause": [f"One of: {', '.join(CAUSES)}."]})
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("State the reason.", errors={"reason": ["A reason is required to revoke."]})
    app = lock_application(case.application_id)
    cases = cases_of(app)
    case = next((c for c in cases if c.pk == case.pk), None)
    if case is None:
        raise NotFound("Case not found.")
    if case.status != CaseStatus.APPROVED:
        raise InvalidState("Only an approved case can be revoked.")
    now = timezone.now()
    outputs = list(IssuedOutput.objects.select_for_update().filter(case=case, revoked_at__isnull=True))
    IssuedOutput.objects.filter(pk__in=[o.pk for o in outputs]).update(revoked_at=now)
    certificates = list(Certificate.objects.select_for_update().filter(output__in=outputs, revoked_at__isnull=True))
    Certificate.objects.filter(pk__in=[c.pk for c in certificates]).update(revoked_at=now,
                                                                            revoked_reason=reason[:500])
    with engine.session(app, cases, actor=actor) as s:
        case.status = CaseStatus.REVOKED
        case.revoked_at = now
        case.revocation_reason = reason
        s.touch_case(case, "status", "revoked_at", "revocation_reason")
        data: dict[str, Any] = {"cause": cause, "outputs": sorted(o.code for o in outputs)}
        if app.status == ApplicationStatus.COMPLETED:
            outcome = outcome_of([c.status for c in s.cases.values()])
            if outcome != app.outcome:
                data["outcome"] = {"from": app.outcome, "to": outcome}
                app.outcome = outcome
                s.touch_application("outcome")
        s.log("case.revoked", case=case, message=reason, data=data)
        _cancel_waiting_dependents(s, case)
        s.timeline.extend(
            TimelineEntry(application=app, case=case, at=now, kind="certificate.revoked", actor=actor,
                          message=certificate.serial, data={"serial": certificate.serial, "reason": reason[:500]})
            for certificate in certificates)
        s.notify("case.revoked", payload={"procedure": case.procedure_code, "number": app.number,
                                          "reason": reason, "decided_on": local_date(now).isoformat()})
    return case


def _cancel_waiting_dependents(s: engine.EngineSession, case: Any) -> None:
    """Cases still waiting for the revoked one would wait for ever: they are cancelled. Cases already
    queued or decided go on (their departments decide whether the revocation touches them)."""
    dependents = get_definition(s.application.version).graph.descendants(case.procedure_code)
    for other in s.cases.values():
        if other.procedure_code in dependents and other.status == CaseStatus.WAITING:
            other.status = CaseStatus.CANCELLED
            s.touch_case(other, "status")
            s.log("case.cancelled", case=other, actor=None,
                  message=f"prerequisite {case.procedure_code} was revoked")
