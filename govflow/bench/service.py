"""Service level: submit, claim and complete for business-startup with all five steps.

Each operation is one service call, in its own transaction, committed, exactly as the API
and the pages call it. Outbox rows are written as always; their hand-over to Celery after
the commit goes to an in-memory broker, so no worker runs inside the measurement.
"""
from __future__ import annotations

from govflow.applications.models import Case
from govflow.applications.services import deciding, submitting

from . import data
from .measure import Samples


def _clerks() -> dict[str, object]:
    return {code.split("-")[0]: data.user(f"clerk-{code.split('-')[0]}") for code in data.BUSINESS_ORDER}


def run(operations: int, *, warmup: int = 5) -> dict:
    citizen = data.user("citizen")
    clerks = _clerks()
    drafts = data.make_drafts(citizen, operations + warmup)
    warm, measured = drafts[:warmup], drafts[warmup:]

    submit = Samples("submit")
    claim = Samples("claim")
    complete = Samples("complete")
    complete_licence = Samples("complete_licence")
    complete_last = Samples("complete_last")

    def story(apps, record: bool) -> None:
        for app in apps:
            (submit.run if record else _plain)(
                lambda app=app: submitting.application_submit(application=app, user=citizen))
        cases = {(c.application_id, c.procedure_code): c
                 for c in Case.objects.filter(application__in=apps)}
        for index, procedure in enumerate(data.BUSINESS_ORDER):
            clerk = clerks[procedure.split("-")[0]]
            last = index == len(data.BUSINESS_ORDER) - 1
            for app in apps:
                case = cases[(app.pk, procedure)]
                (claim.run if record else _plain)(lambda case=case, clerk=clerk: deciding.task_claim(
                    case=case, user=clerk))
                samples = complete_last if last else (complete_licence if index == 0 else complete)
                (samples.run if record else _plain)(lambda case=case, clerk=clerk, procedure=procedure:
                                                    deciding.task_complete(
                                                        case=case, user=clerk, decision="approve",
                                                        outputs=data.BUSINESS_OUTPUTS[procedure], comment="ok"))

    story(warm, record=False)
    story(measured, record=True)
    middle = Samples("complete", ms=complete_licence.ms + complete.ms,
                     queries=complete_licence.queries + complete.queries)
    return {
        "submit": submit.summary(),
        "claim": claim.summary(),
        "complete": middle.summary(),
        "complete_licence": complete_licence.summary(),
        "complete_parallel": complete.summary(),
        "complete_last": complete_last.summary(),
    }


def _plain(operation):
    return operation()
