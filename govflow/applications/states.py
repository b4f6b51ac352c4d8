"""What state an application is in, as one word a person reads: one rule for the portal, the
workbench and the API.

``status`` says where the work is (``completed`` once every case is final); ``outcome`` how it
ended. A person needs both at once: a withdrawn application is *withdrawn*, a completed one whose
every case was refused is *rejected*, not "finished" as if done well.
"""
from __future__ import annotations

from django.utils.functional import Promise

from .models import ApplicationStatus, Outcome

#: state code -> what people read. The API's ``state`` takes these codes (docs/api.md).
STATES: dict[str, Promise] = {
    ApplicationStatus.DRAFT: ApplicationStatus.DRAFT.label,
    ApplicationStatus.SUBMITTED: ApplicationStatus.SUBMITTED.label,
    ApplicationStatus.IN_PROGRESS: ApplicationStatus.IN_PROGRESS.label,
    ApplicationStatus.CORRECTION_REQUESTED: ApplicationStatus.CORRECTION_REQUESTED.label,
    Outcome.APPROVED: ApplicationStatus.COMPLETED.label,  # every procedure approved: 已办结
    Outcome.PARTIALLY_APPROVED: Outcome.PARTIALLY_APPROVED.label,
    Outcome.REJECTED: Outcome.REJECTED.label,
    ApplicationStatus.WITHDRAWN: ApplicationStatus.WITHDRAWN.label,
}


def state_of(status: str, outcome: str | None) -> str:
    """The state code: the status, or for a completed application its outcome."""
    if status == ApplicationStatus.COMPLETED:
        return outcome or Outcome.APPROVED
    return status


def state_label(status: str, outcome: str | None) -> str:
    code = state_of(status, outcome)
    label = STATES.get(code)
    return str(label) if label is not None else code


def may_apply_again(status: str, outcome: str | None) -> bool:
    """Whether a new draft may be started from this application ("apply again"): it was
    withdrawn, or it ended with something refused."""
    return status == ApplicationStatus.WITHDRAWN or (
        status == ApplicationStatus.COMPLETED and bool(outcome) and outcome != Outcome.APPROVED)
