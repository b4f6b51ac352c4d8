"""What clerks do to a case: claim, release, assign, and decide it (approve with outputs, reject,
request a correction).
"""
from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from viewflow.workflow.status import STATUS

from govflow.accounts.models import HANDLING_ROLES, Membership, Role
from govflow.catalog.calendar import local_date
from govflow.catalog.definition import Definition
from govflow.errors import (
    InvalidInput,
    InvalidState,
    NotAllowed,
    NotFound,
)
from govflow.text import bad_text_in, has_bad_text, invalid_text_message

from .. import commitment_papers, deferral, engine, events, papers
from ..models import (
    ApplicationStatus,
    Case,
    CaseStatus,
    CorrectionRequest,
    Document,
    DocumentStatus,
    IssuedOutput,
)
from ..rules import (
    correction_targets,
    output_matches,
)
from ..timing import decision_timing, waiting_days
from .common import (
    cases_of,
    check_text,
    definition_of,
    engine_step,
    is_party,
    lock_application,
    lock_case,
    require_member,
)
from .delivering import start_deliveries

# ---------------------------------------------------------------------------------------------
# clerks


@engine_step
@transaction.atomic
def task_claim(*, case: Case, user: Any) -> Case:
    """Take an unclaimed task of one's office. Exactly one of simultaneous claims wins."""
    app, case, task = lock_case(case)
    require_member(user, case.office_id)
    if is_party(app, user):
        raise NotAllowed("You cannot handle a case of your own application.")
    if case.status != CaseStatus.QUEUED or task.status != STATUS.NEW or task.owner_id:
        raise InvalidState("Someone else has already claimed this task.")
    activation = task.flow_task.activation_class(task)
    task.assigned = timezone.now()
    activation.assign(user)
    with engine.session(app, [case], actor=user) as s:
        _into_review(s, case, user, task.assigned)
        s.log("case.claimed", case=case)
        _mark_in_progress(s)
    return case


def _into_review(s: engine.EngineSession, case: Case, owner: Any, at: Any) -> None:
    """The case is in review, held by ``owner`` (a claim or an assignment). The first time a clerk
    takes the case ends its wait in the queue (statistics)."""
    case.status = CaseStatus.IN_REVIEW
    case.owner = owner
    s.touch_case(case, "status", "owner")
    if case.claimed_at is None:
        case.claimed_at = at
        s.touch_case(case, "claimed_at")


def _mark_in_progress(s: engine.EngineSession) -> None:
    """An application is 'submitted' until a clerk first claims or decides one of its cases."""
    if s.application.status == ApplicationStatus.SUBMITTED:
        s.application.status = ApplicationStatus.IN_PROGRESS
        s.touch_application("status")


@engine_step
@transaction.atomic
def task_release(*, case: Case, user: Any) -> Case:
    """Give a claimed task back to the office's queue (its holder, or a supervisor)."""
    app, case, task = lock_case(case)
    role = require_member(user, case.office_id)
    if case.status != CaseStatus.IN_REVIEW or task.status != STATUS.ASSIGNED:
        raise InvalidState("This task is not claimed.")
    if task.owner_id != user.pk and role != Role.SUPERVISOR:
        raise NotAllowed("Only the holder or a supervisor can release this task.")
    task.assigned = None
    task.flow_task.activation_class(task).unassign()
    with engine.session(app, [case], actor=user) as s:
        case.status = CaseStatus.QUEUED
        case.owner = None
        s.touch_case(case, "status", "owner")
        s.log("case.released", case=case)
    return case


@engine_step
@transaction.atomic
def task_assign(*, case: Case, user: Any, assignee: Any) -> Case:
    """A supervisor gives a task to a clerk of the office."""
    app, case, task = lock_case(case)
    role = require_member(user, case.office_id)
    if role != Role.SUPERVISOR:
        raise NotAllowed("Only a supervisor of the office can assign tasks.")
    if assignee is None or not assignee.is_active or not Membership.objects.filter(
            user=assignee, office_id=case.office_id, role__in=HANDLING_ROLES).exists():
        raise InvalidInput("The assignee must be an active member of the office.",
                           errors={"user": ["Not a member of this office."]})
    if is_party(app, assignee):
        raise InvalidInput("A clerk cannot handle their own application.",
                           errors={"user": ["This person filed the application."]})
    if case.status not in (CaseStatus.QUEUED, CaseStatus.IN_REVIEW) or task.status not in (STATUS.NEW,
                                                                                            STATUS.ASSIGNED):
        raise InvalidState("This task is not open.")
    previous = case.owner if case.status == CaseStatus.IN_REVIEW else None
    if previous is not None and previous.pk == assignee.pk:
        raise InvalidInput("This clerk already holds the task.", errors={"user": ["Already holds this task."]})
    activation = task.flow_task.activation_class(task)
    task.assigned = timezone.now()
    if task.status == STATUS.NEW:
        activation.assign(assignee)
    else:
        activation.reassign(assignee)
    with engine.session(app, [case], actor=user) as s:
        _into_review(s, case, assignee, task.assigned)
        # Its own kind, by the supervisor, from whom to whom: never a second "claimed".
        s.log("case.reassigned", case=case, data={"from": _clerk_ref(previous), "to": _clerk_ref(assignee)})
        _mark_in_progress(s)
    return case


def _clerk_ref(user: Any) -> dict | None:
    """A clerk as a reassignment entry names them (staff read it; the applicant never does)."""
    if user is None:
        return None
    return {"id": user.pk, "name": user.name or user.username}


DECISIONS = ("approve", "reject", "request_correction")


def _validate_outputs(definition: Definition, procedure: str, outputs: Any) -> dict[str, str]:
    if outputs is None:
        outputs = {}
    if not isinstance(outputs, dict):
        raise InvalidInput("Outputs must be an object.", errors={"outputs": ["Must be an object."]})
    expected = {o["code"]: o for o in definition.outputs_of(procedure)}
    errors: dict[str, list[str]] = {}
    if any(isinstance(code, str) and has_bad_text(code) for code in outputs):  # never echo such a code
        raise InvalidInput("Some outputs are invalid.", errors={"outputs": {"non_field_errors": [invalid_text_message()]}})
    for code in outputs:
        if code not in expected:
            errors[code] = ["This procedure does not issue this output."]
    for code, spec in expected.items():
        value = outputs.get(code)
        if value is None or value == "":
            errors[code] = ["This output is required."]
        elif not isinstance(value, str) or len(value) > 500:
            errors[code] = ["Must be text of at most 500 characters."]
        elif has_bad_text(value):
            errors[code] = [invalid_text_message()]
        elif not output_matches(spec, value):
            errors[code] = ["Does not match the required format."]
    if errors:
        raise InvalidInput("Some outputs are invalid.", errors={"outputs": errors})
    return {code: outputs[code] for code in expected}


def _validate_corrections(definition: Definition, procedure: str, corrections: Any,
                          cases: list[Case]) -> dict:
    if not isinstance(corrections, dict):
        raise InvalidInput("Corrections must be an object.", errors={"corrections": ["Must be an object."]})
    fields = corrections.get("fields") or []
    materials = corrections.get("materials") or []
    message = corrections.get("message")
    errors: dict[str, list[str]] = {}
    if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
        errors["fields"] = ["Must be a list of field codes."]
        fields = []
    if not isinstance(materials, list) or not all(isinstance(m, str) for m in materials):
        errors["materials"] = ["Must be a list of material codes."]
        materials = []
    if not isinstance(message, str) or not message.strip():
        errors["message"] = ["Tell the citizen what to correct."]
    elif has_bad_text(message, multiline=True):
        errors["message"] = [invalid_text_message()]
    if isinstance(fields, list) and isinstance(materials, list) and bad_text_in(fields + materials):
        raise InvalidInput("The correction request is invalid.",
                           errors={"corrections": {"non_field_errors": [invalid_text_message()]}})
    if not fields and not materials and "fields" not in errors and "materials" not in errors:
        errors["non_field_errors"] = ["Mark at least one field or material."]
    targets = correction_targets(definition, procedure, [(c.procedure_code, c.status) for c in cases])
    bad_fields = [f for f in fields if f not in targets.fields]
    bad_materials = [m for m in materials if m not in targets.materials]
    if bad_fields:
        errors.setdefault("fields", []).append(
            "Not correctable here: " + ", ".join(sorted(set(bad_fields))))
    if bad_materials:
        errors.setdefault("materials", []).append(
            "Not correctable here: " + ", ".join(sorted(set(bad_materials))))
    if errors:
        raise InvalidInput("The correction request is invalid.", errors={"corrections": errors})
    return {"fields": list(dict.fromkeys(fields)), "materials": list(dict.fromkeys(materials)),
            "message": message.strip()}


@engine_step
@transaction.atomic
def task_complete(*, case: Case, user: Any, decision: Any, outputs: Any = None, comment: Any = "",
                  corrections: Any = None) -> Case:
    """The holder decides: approve (with every output), reject (with the reason), or
    request corrections (codes of this procedure only)."""
    if decision not in DECISIONS:
        raise InvalidInput("Unknown decision.", errors={"decision": [f"One of: {', '.join(DECISIONS)}."]})
    if comment is None:
        comment = ""
    if not isinstance(comment, str):
        raise InvalidInput("Comment must be text.", errors={"comment": ["Must be text."]})
    check_text("comment", comment, multiline=True)
    app = lock_application(case.application_id)
    cases = cases_of(app)
    case = next((c for c in cases if c.pk == case.pk), None)
    if case is None:
        raise NotFound("Task not found.")
    require_member(user, case.office_id)
    task = case.task
    if case.status != CaseStatus.IN_REVIEW or task is None or task.status != STATUS.ASSIGNED:
        raise InvalidState("This task is not in review.")
    if task.owner_id != user.pk:
        raise NotAllowed("Only the clerk holding this task can decide it.")
    definition = definition_of(app)
    now = timezone.now()

    conditional = False
    if decision == "approve" and definition.deferrable_days(case.procedure_code):
        # 容缺受理: with a required material still deferred, only a conditional approval, where allowed.
        deferred = list(Document.objects.filter(application=app, status=DocumentStatus.DEFERRED)
                        .values_list("material_code", flat=True))
        waiting = deferral.approval_refusal(definition, case, deferred)
        if waiting:
            raise InvalidState(waiting)
        conditional = bool(deferral.missing_for(definition, case, deferred))

    with engine.session(app, cases, actor=user) as s:
        if decision == "approve":
            values = _validate_outputs(definition, case.procedure_code, outputs)
            case.status = CaseStatus.APPROVED
            case.outputs = values
            case.comment = comment
            case.conditional = conditional
            issued = IssuedOutput.objects.bulk_create([
                IssuedOutput(application=app, case=case, holder_id=app.applicant_id,
                             organisation_id=app.organisation_id, code=code, value=value)
                for code, value in values.items()
            ])
            data: dict[str, Any] = {"outputs": values}
            if conditional:
                data.update(conditional=True, deferred=deferral.missing_for(definition, case, deferred))
            s.log("case.approved", case=case, message=comment, data=data)
            papers.issue_certificates(s, case, issued)
            commitment_papers.open_verifications(s, definition, case, now)  # 告知承诺制: the draw
            events.outputs_issued(s, case, issued)
            s.notify("case.approved", payload={"procedure": case.procedure_code, "number": app.number})
            start_deliveries(s, definition, case, now)
        elif decision == "reject":
            if not comment.strip():
                raise InvalidInput("State the reason and its legal basis.",
                                   errors={"comment": ["A reason is required to reject."]})
            case.status = CaseStatus.REJECTED
            case.comment = comment.strip()
            s.log("case.rejected", case=case, message=case.comment)
            s.notify("case.rejected", payload={"procedure": case.procedure_code, "number": app.number,
                                               "reason": case.comment, "decided_on": local_date(now).isoformat()})
            engine.cancel_dependents(s, case)
        else:
            request = _validate_corrections(definition, case.procedure_code, corrections, cases)
            case.status = CaseStatus.CORRECTION_REQUESTED
            case.corrections = request
            case.reviewer = user
            case.paused_at = now
            case.owner = None
            CorrectionRequest.objects.create(case=case, requested_by=user, fields=request["fields"],
                                             materials=request["materials"], message=request["message"],
                                             answers_before={c: app.data.get(c) for c in request["fields"]})
            s.log("case.correction_requested", case=case, message=request["message"],
                  data={"fields": request["fields"], "materials": request["materials"]})
            s.notify("case.correction_requested", payload={"procedure": case.procedure_code, "number": app.number,
                                                           **request})
        if decision != "request_correction":
            case.decided_at = now
            case.decided_by = user
            case.owner = None
            case.working_days_used, case.on_time = decision_timing(
                queued_at=case.queued_at, decided_at=now, paused_working_days=case.paused_working_days,
                due_date=case.due_date)
            case.prerequisite_working_days, case.queue_working_days = waiting_days(
                submitted_at=app.submitted_at, queued_at=case.queued_at, claimed_at=case.claimed_at or now)
        s.touch_case(case, "status", "outputs", "comment", "corrections", "reviewer", "paused_at", "owner",
                     "decided_at", "decided_by", "working_days_used", "on_time", "prerequisite_working_days",
                     "queue_working_days", "conditional")

        activation = task.flow_task.activation_class(task)
        activation.start(None)
        activation.execute()  # -> route: correction, newly ready cases, delivery or branch end
        engine.refresh_application_status(s)
    return case
