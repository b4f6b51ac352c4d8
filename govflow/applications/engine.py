"""What the generic flow's nodes do to the domain: queueing, routing, delivery.

The services open an ``EngineSession`` around every call into viewflow. The
session holds the application and its cases already loaded (so the nodes run no
per-case queries), collects timeline entries and outbox rows, and writes all
changed rows in a few bulk statements when the service's work is done, inside
the same transaction and under the process lock.
"""
from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from django.utils import timezone

from govflow.catalog.calendar import add_working_days, local_date
from govflow.catalog.definition import get_definition
from govflow.catalog.models import webhook_target
from govflow.notifications.models import OutboxMessage
from govflow.parties.models import Authorisation, live_q
from govflow.parties.selectors import holders_of

from . import events
from .models import (
    FINAL_CASE_STATUSES,
    Application,
    ApplicationStatus,
    Case,
    CaseStatus,
    Outcome,
    TimelineEntry,
)
from .nodes import Branch
from .timeline import DEPARTMENT_KINDS

_local = threading.local()


class EngineSession:
    """Unit of work for one service call: loaded rows in, batched writes out."""

    def __init__(self, application: Application, cases: Iterable[Case], actor: Any = None,
                 applicant_side: bool = False) -> None:
        self.application = application
        self.cases: dict[int, Case] = {c.pk: c for c in cases}
        self.actor = actor
        # The actor acts on the applicant's side: when that is someone other than the person the
        # application is for (an agent, a counter clerk), entries name on whose behalf they acted.
        self.on_behalf_of = (application.party_ref() if applicant_side and actor is not None
                             and getattr(actor, "pk", None) != application.applicant_id else None)
        self._dirty_cases: dict[int, set[str]] = {}
        self._app_fields: set[str] = set()
        self.timeline: list[TimelineEntry] = []
        self.outbox: list[OutboxMessage] = []

    # -- recording changes ------------------------------------------------------------

    def touch_case(self, case: Case, *fields: str) -> None:
        self._dirty_cases.setdefault(case.pk, set()).update(fields)

    def touch_application(self, *fields: str) -> None:
        self._app_fields.update(fields)

    def log(self, kind: str, *, case: Case | None = None, message: str = "", data: dict | None = None,
            actor: Any = "session") -> TimelineEntry:
        """Record a state change on the timeline; a case change is also sent to its office's
        system (the office's own webhook, else its department's) when one is registered."""
        data = dict(data or {})
        if actor == "session" and self.on_behalf_of is not None:
            data["on_behalf_of"] = self.on_behalf_of
        entry = TimelineEntry(
            application=self.application, case=case,
            department_id=case.department_id if case is not None else None,
            at=timezone.now(), kind=kind, message=message, data=data,
            actor=self.actor if actor == "session" else actor,
        )
        self.timeline.append(entry)
        if case is not None:
            self.tell_department(entry, case)
        return entry

    def tell_department(self, entry: TimelineEntry, case: Case, extra: dict | None = None) -> None:
        """Send an entry of a kind sent to departments to ``case``'s system (its office's webhook,
        else its department's) when one is registered; ``extra`` adds keys to the body. An entry of
        the whole application (a deferred material handed in) is sent this way to each case concerned."""
        if entry.kind in DEPARTMENT_KINDS and webhook_target(case.office, case.department)[0]:
            self.outbox.append(OutboxMessage(
                kind="webhook", event=entry.kind, application=self.application,
                payload={**webhook_payload(entry.kind, entry.at, self.application, case), **(extra or {})},
            ))

    def notify(self, event: str, *, recipient: Any = None, payload: dict | None = None) -> None:
        """Tell ``recipient``, by default everyone on the applicant's side (:func:`recipients`)."""
        for person in [recipient] if recipient is not None else recipients(self.application):
            self.outbox.append(OutboxMessage(
                kind="notification", event=event, recipient=person,
                application=self.application, payload=payload or {},
            ))

    # -- writing ----------------------------------------------------------------------

    def flush(self) -> None:
        if self._dirty_cases:
            fields = sorted(set().union(*self._dirty_cases.values()))
            Case.objects.bulk_update([self.cases[pk] for pk in self._dirty_cases], fields)
            self._dirty_cases.clear()
        if self.timeline:
            TimelineEntry.objects.bulk_create(self.timeline)
            self.timeline = []
        if self.outbox:
            from govflow.notifications.dispatch import dispatch_after_commit

            # Written in the same transaction as the change; sent only after it commits.
            OutboxMessage.objects.bulk_create(self.outbox)
            dispatch_after_commit(self.outbox)
            self.outbox = []
        if self._app_fields:
            self.application.save(update_fields=sorted(self._app_fields | {"updated_at"}))
            self._app_fields.clear()


def recipients(application: Application) -> list[Any]:
    """Who hears of an application: the person it is for, and the agent acting under a live
    authorisation; for an organisation, everyone holding a standing role in it (its results and
    notifications are shared by its agents)."""
    if application.organisation_id:
        return holders_of(application.organisation_id)
    found = [application.applicant]
    mandate_id = application.authorisation_id
    if mandate_id and Authorisation.objects.filter(live_q(), pk=mandate_id).exists():
        found.append(application.authorisation.agent)
    return found


def applicant_side_user(application: Application) -> Any:
    """The person who does the applicant's tasks (corrections): the applicant, else the person
    who submitted for the organisation."""
    return application.applicant if application.applicant_id else application.submitted_by


@contextmanager
def session(application: Application, cases: Iterable[Case], actor: Any = None,
            applicant_side: bool = False) -> Iterator[EngineSession]:
    """Open a session for one service call; writes are flushed when the block succeeds.
    ``applicant_side``: the actor acts for the applicant (entries name on whose behalf)."""
    if getattr(_local, "session", None) is not None:
        raise RuntimeError("Engine sessions do not nest.")
    current = EngineSession(application, cases, actor, applicant_side)
    _local.session = current
    try:
        yield current
        current.flush()
    finally:
        _local.session = None


def current() -> EngineSession:
    found = getattr(_local, "session", None)
    if found is None:
        raise RuntimeError("The one-thing flow runs only inside a service call (engine.session).")
    return found


def webhook_payload(kind: str, at: Any, application: Application, case: Case) -> dict:
    """The body a department system receives (``event_id`` is added at sending: the outbox id)."""
    return {
        "type": kind,
        "occurred_at": at.isoformat(),
        "application": {"id": application.pk, "number": application.number},
        "case": {
            "id": case.pk,
            "procedure": case.procedure_code,
            "department": case.department.code,
            "office": case.office.code,
            "status": case.status,
            "due_date": case.due_date.isoformat() if case.due_date else None,
            "outputs": case.outputs or {},
            "corrections": case.corrections or None,
        },
    }


def _session_for(process: Any) -> EngineSession:
    found = current()
    app = found.application
    if process.pk is not None and app.process_id not in (None, process.pk):
        raise RuntimeError("Engine session belongs to another application.")
    return found


# -- flow node handlers -----------------------------------------------------------------

def no_view(*args: Any, **kwargs: Any) -> None:  # pragma: no cover - never rendered
    """Human tasks are worked through govflow's own services and pages, not viewflow's views."""
    raise NotImplementedError


def bind_process(process: Any, application: Application) -> None:
    process.data = {"application": application.pk}
    application.process = process


def route_ready_cases(process: Any, *, review_node: Any) -> list:
    s = _session_for(process)
    return [Branch(review_node, {"case": case.pk}) for case in queue_ready_cases(s)]


def route_after_review(process: Any, *, case_id: int, review_node: Any, correction_node: Any,
                       deliver_node: Any, end_node: Any) -> list:
    s = _session_for(process)
    case = s.cases[case_id]
    if case.status == CaseStatus.CORRECTION_REQUESTED:
        return [Branch(correction_node, {"case": case.pk})]
    branches = [Branch(review_node, {"case": c.pk}) for c in queue_ready_cases(s)]
    if all(c.status in FINAL_CASE_STATUSES for c in s.cases.values()):
        branches.append(Branch(deliver_node, {}))
    if not branches:
        branches.append(Branch(end_node, {}))
    return branches


def reviewer_for(process: Any, *, case_id: int) -> Any:
    """Back to the clerk who asked for corrections, if they can still take the case."""
    from govflow.accounts.models import HANDLING_ROLES, Membership

    s = _session_for(process)
    case = s.cases[case_id]
    reviewer = case.reviewer
    if reviewer is None or not reviewer.is_active or reviewer.pk in (s.application.applicant_id,
                                                                      s.application.submitted_by_id):
        return None
    if not Membership.objects.filter(user=reviewer, office_id=case.office_id, role__in=HANDLING_ROLES).exists():
        return None
    return reviewer


def applicant_for(process: Any) -> Any:
    return applicant_side_user(_session_for(process).application)


def point_case_at_task(process: Any, task: Any) -> None:
    """Keep ``Case.task`` (the queue index) pointing at the case's open task."""
    s = _session_for(process)
    case = s.cases[task.data["case"]]
    case.task = task
    fields = ["task"]
    if task.flow_task.name == "review":
        case.owner = task.owner
        case.status = CaseStatus.IN_REVIEW if task.owner_id else CaseStatus.QUEUED
        fields += ["owner", "status"]
    s.touch_case(case, *fields)


def deliver(process: Any) -> None:
    """Runs once, when every case is final: outcome, results, notification."""
    s = _session_for(process)
    app = s.application
    approved = [c for c in s.cases.values() if c.status == CaseStatus.APPROVED]
    if len(approved) == len(s.cases):
        outcome = Outcome.APPROVED
    elif not approved:
        outcome = Outcome.REJECTED
    else:
        outcome = Outcome.PARTIALLY_APPROVED
    app.status = ApplicationStatus.COMPLETED
    app.outcome = outcome
    app.completed_at = timezone.now()
    s.touch_application("status", "outcome", "completed_at")
    results = {c.procedure_code: c.outputs for c in approved if c.outputs}
    s.log("application.completed", message=outcome, data={"outcome": outcome, "outputs": results})
    s.notify("application.completed", payload={"outcome": outcome, "outputs": results, "number": app.number})
    events.application_completed(s)


# -- domain rules used by the handlers and the services ----------------------------------------

def queue_ready_cases(s: EngineSession) -> list[Case]:
    """Queue every waiting case whose prerequisites are all approved; due dates start now."""
    by_code = {c.procedure_code: c for c in s.cases.values()}
    now = timezone.now()
    today = local_date(now)
    ready = []
    for case in sorted(s.cases.values(), key=lambda c: (c.position, c.pk)):
        if case.status != CaseStatus.WAITING:
            continue
        if all(by_code[code].status == CaseStatus.APPROVED for code in case.after if code in by_code):
            case.status = CaseStatus.QUEUED
            case.queued_at = now
            case.due_date = add_working_days(today, case.committed_days)
            s.touch_case(case, "status", "queued_at", "due_date")
            s.log("case.queued", case=case, actor=None)
            _queue_automatic_check(s, case)
            ready.append(case)
    return ready


def _queue_automatic_check(s: EngineSession, case: Case) -> None:
    """An automatic procedure's checker runs on a worker once the case is queued; it is
    written to the outbox with the change, so it survives a crash and runs at least once."""
    checker = get_definition(s.application.version).procedures.get(case.procedure_code, {}).get("automatic")
    if checker:
        s.outbox.append(OutboxMessage(kind="automatic_check", event="case.queued", application=s.application,
                                      payload={"case": case.pk, "checker": checker}))


def cancel_dependents(s: EngineSession, case: Case) -> list[Case]:
    """A rejected case cancels every case that depends on it, transitively."""
    dependents = get_definition(s.application.version).graph.descendants(case.procedure_code)
    cancelled: list[Case] = []
    for other in s.cases.values():
        if other.procedure_code in dependents and other.status not in FINAL_CASE_STATUSES:
            other.status = CaseStatus.CANCELLED
            s.touch_case(other, "status")
            s.log("case.cancelled", case=other, actor=None,
                  message=f"prerequisite {case.procedure_code} was rejected")
            cancelled.append(other)
    return cancelled


def committed_finish(application: Application) -> date:
    """The date the application is promised by: the working day its one thing's committed working
    days after the submission day (the calendar's ``add_working_days``; a submission on a weekend or
    holiday counts from that day, so its first working day is the next one). Fixed once, at
    submission (``Application.expected_finish``): corrections and the cases' progress never move it,
    so every page, receipt, notification and the API show the same date."""
    committed = int(get_definition(application.version).one_thing["committed_days"])
    return add_working_days(local_date(application.submitted_at), committed)


def refresh_application_status(s: EngineSession) -> None:
    """submitted → in_progress (first claim/decision) ↔ correction_requested."""
    app = s.application
    if app.status in (ApplicationStatus.COMPLETED, ApplicationStatus.WITHDRAWN, ApplicationStatus.DRAFT):
        return
    if any(c.status == CaseStatus.CORRECTION_REQUESTED for c in s.cases.values()):
        new = ApplicationStatus.CORRECTION_REQUESTED
    elif app.status == ApplicationStatus.SUBMITTED and all(
            c.status in (CaseStatus.WAITING, CaseStatus.QUEUED) for c in s.cases.values()):
        new = ApplicationStatus.SUBMITTED
    else:
        new = ApplicationStatus.IN_PROGRESS
    if new != app.status:
        app.status = new
        s.touch_application("status")
