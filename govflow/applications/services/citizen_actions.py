"""What a citizen does to a running application: resubmit after a correction, withdraw, rate it."""
from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from viewflow.workflow.status import PROCESS, STATUS

from govflow.catalog.calendar import add_working_days, local_date, working_days_between
from govflow.errors import (
    InvalidInput,
    InvalidState,
)

from .. import engine
from ..models import (
    FINAL_CASE_STATUSES,
    Application,
    ApplicationStatus,
    CaseStatus,
    CorrectionRequest,
    Document,
    Evaluation,
    TimelineEntry,
)
from ..readiness import readiness
from ..rules import (
    stale_materials,
)
from .common import cases_of, check_text, definition_of, engine_step, lock_application, require_actor

# ---------------------------------------------------------------------------------------------
# citizen actions on a running application


@engine_step
@transaction.atomic
def application_resubmit(*, application: Application, user: Any) -> Application:
    """Answer every open correction request at once; each case goes back to its clerk.

    Refused (``InvalidInput``, nothing changed) while the answers are incomplete or invalid,
    a required material is missing, or a material a clerk marked has not been uploaded again
    since the clerk asked; ``errors["materials"]`` names those materials by code.
    """
    app = lock_application(application.pk)
    require_actor(app, user)
    cases = cases_of(app)
    waiting = [c for c in cases if c.status == CaseStatus.CORRECTION_REQUESTED]
    if app.status != ApplicationStatus.CORRECTION_REQUESTED or not waiting:
        raise InvalidState("No correction was requested.")
    uploaded = dict(Document.objects.filter(application=app).values_list("material_code", "uploaded_at"))
    report = readiness(definition_of(app), app.data, uploaded, applicable=[c.procedure_code for c in cases])
    refusal = report.refusal(also_missing=stale_materials(waiting, uploaded))
    if refusal is not None:
        raise refusal

    now = timezone.now()
    today = local_date(now)
    with engine.session(app, cases, actor=user, applicant_side=True) as s:
        s.log("application.resubmitted")
        for case in waiting:
            task = case.task
            if task is None or task.status not in (STATUS.NEW, STATUS.ASSIGNED):
                raise InvalidState("The correction task is not open.")
            # The SLA clock was paused while the citizen held the case.
            paused_from = local_date(case.paused_at) if case.paused_at else today
            added = working_days_between(paused_from, today)
            case.paused_working_days += added
            if case.due_date and added:
                case.due_date = add_working_days(case.due_date, added)
            case.paused_at = None
            case.corrections = {}
            s.touch_case(case, "paused_working_days", "due_date", "paused_at", "corrections")
            activation = task.flow_task.activation_class(task)
            activation.start(None)
            activation.execute()  # -> review, assigned back to the clerk who asked when possible
        CorrectionRequest.objects.filter(case__in=waiting, resolved_at__isnull=True).update(resolved_at=now)
        engine.refresh_application_status(s)
    return app


@engine_step
@transaction.atomic
def application_withdraw(*, application: Application, user: Any) -> Application:
    """Withdraw: every open case is cancelled, the process ends."""
    app = lock_application(application.pk)
    require_actor(app, user)
    if app.status == ApplicationStatus.DRAFT:
        raise InvalidState("A draft is deleted, not withdrawn.")
    if not app.is_open:
        raise InvalidState("The application is already finished.")
    cases = cases_of(app)
    now = timezone.now()
    with engine.session(app, cases, actor=user, applicant_side=True) as s:
        for case in cases:
            if case.status in FINAL_CASE_STATUSES:
                continue
            task = case.task
            if task is not None and task.status in (STATUS.NEW, STATUS.ASSIGNED):
                task.flow_task.activation_class(task).cancel()
            case.status = CaseStatus.CANCELLED
            case.owner = None
            s.touch_case(case, "status", "owner")
            s.log("case.cancelled", case=case, actor=None, message="withdrawn by the applicant")
        process = next((c.task.process for c in cases if c.task is not None), None) or app.process
        process.status = PROCESS.CANCELED
        process.finished = now
        process.save(update_fields=["status", "finished"])
        app.status = ApplicationStatus.WITHDRAWN
        app.completed_at = now
        s.touch_application("status", "completed_at")
        s.log("application.withdrawn")
        s.notify("application.withdrawn", payload={"number": app.number})
    return app


@transaction.atomic
def evaluation_create(*, application: Application, user: Any, score: Any, comment: str = "") -> Evaluation:
    """The citizen rates a completed application once (好差评); 1–2 opens a follow-up."""
    app = lock_application(application.pk)
    require_actor(app, user)
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise InvalidInput("Score must be a whole number from 1 to 5.", errors={"score": ["Must be 1 to 5."]})
    if not isinstance(comment, str):
        raise InvalidInput("Comment must be text.", errors={"comment": ["Must be text."]})
    check_text("comment", comment, multiline=True)
    if app.status != ApplicationStatus.COMPLETED:
        raise InvalidState("Only a completed application can be rated.")
    if Evaluation.objects.filter(application=app).exists():
        raise InvalidState("This application has already been rated.")
    evaluation = Evaluation.objects.create(application=app, score=score, comment=comment[:5000],
                                           needs_follow_up=score <= 2)
    data = {"score": score}
    if user.pk != app.applicant_id:
        data["on_behalf_of"] = app.party_ref()
    TimelineEntry.objects.create(application=app, kind="evaluation.created", actor=user,
                                 message=str(score), data=data)
    return evaluation
