"""The kinds of timeline entries: one registry of what each kind is called and who sees it.

A timeline entry stores its kind as a string (``TimelineEntry.kind``); those strings are part of
the API contract (docs/api.md) and of the webhooks (docs/webhooks.md) and never change. Here
each kind says:

- ``label``: what the staff read in the workbench (a task's history and the application's timeline);
- ``citizen_text``: what the applicant reads on the portal, which may name ``%(procedure)s``,
  ``%(department)s`` and (a delivery's) ``%(result)s``;
- ``public``: on the applicant's timeline and in the API (departments, never clerks). Staff-only
  audit entries (a support engineer retrying a failed step) are not;
- ``to_departments``: a change of a case, POSTed to the case's department system when the
  department registered a webhook.

The portal, the workbench, the API and the engine read this registry; an unknown kind shows as
its string.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from govflow.catalog.checkers import readable_comment
from govflow.catalog.models import localized


@dataclass(frozen=True)
class TimelineKind:
    code: str
    label: Promise | None
    citizen_text: Promise | None = None
    public: bool = True
    to_departments: bool = False


def _case(code: str, label: Promise, citizen_text: Promise) -> TimelineKind:
    return TimelineKind(code, label, citizen_text, to_departments=True)


KINDS: dict[str, TimelineKind] = {kind.code: kind for kind in (
    TimelineKind("application.submitted", _("Application submitted"), _("Application submitted")),
    TimelineKind("application.resubmitted", _("Corrections submitted"), _("You sent your corrections")),
    TimelineKind("application.withdrawn", _("Application withdrawn"), _("You withdrew the application")),
    TimelineKind("application.completed", _("Application completed"), _("All procedures are finished")),
    # "Apply again" (services.application_apply_again): on the old application when a draft is
    # started from it (``data["application"]``: the draft), on the new one when it is submitted
    # (``message``: the old number).
    TimelineKind("application.applied_again", _("A new application was started from this one"),
                 _("You started a new application from this one")),
    TimelineKind("application.started_again", _("Started again from an earlier application"),
                 _("Started again from your earlier application")),
    # Proactive services (applications/proactive.py): the state prepared the application (a pre-filled
    # draft the applicant confirmed: recorded at confirmation, dated when it was offered) or granted it
    # without an application; ``data`` names the event.
    TimelineKind("application.offered", _("Prepared by the government without an application"),
                 _("Prepared for you without an application")),
    TimelineKind("application.granted", _("Granted without an application"),
                 _("Granted to you without an application")),
    _case("case.queued", _("Queued"), _("%(procedure)s: waiting for %(department)s")),
    _case("case.claimed", _("Claimed"), _("%(procedure)s: a clerk at %(department)s started the review")),
    _case("case.released", _("Released"), _("%(procedure)s: returned to the %(department)s queue")),
    # A supervisor gave the task to a clerk (task_assign): ``data`` says from whom (``null`` when it
    # was unclaimed) to whom, the actor is the supervisor. The applicant reads it once, without names.
    _case("case.reassigned", _("Reassigned"), _("%(procedure)s: passed to another clerk at %(department)s")),
    _case("case.correction_requested", _("Correction requested"),
          _("%(procedure)s: %(department)s asked you for corrections")),
    _case("case.approved", _("Approved"), _("%(procedure)s: approved by %(department)s")),
    _case("case.rejected", _("Rejected"), _("%(procedure)s: refused by %(department)s")),
    _case("case.cancelled", _("Cancelled"), _("%(procedure)s: cancelled")),
    # The approval was withdrawn after the fact (applications/revocation.py): ``message`` is the
    # reason, ``data["cause"]`` why (``commitment_false``, ``material_overdue``), ``data["outputs"]``
    # the outputs no longer valid, ``data["outcome"]`` the application's outcome before and after.
    _case("case.revoked", _("Approval revoked"), _("%(procedure)s: %(department)s revoked its approval")),
    _case("case.overdue", _("Overdue"), _("%(procedure)s: past its due date")),
    # 容缺受理 (applications/deferral.py): materials left out at submission (``data``: their due
    # dates and the accepted terms), one handed in, and the deadline sweep's finding on a case.
    TimelineKind("material.deferred", _("Submitted with materials to follow"),
                 _("You applied with materials to follow and accepted the terms")),
    # Sent to the system of each case whose procedure needs the material (``material`` in the body).
    TimelineKind("material.provided", _("Deferred material handed in"), _("You handed in a material that was to follow"),
                 to_departments=True),
    _case("material.overdue", _("Deferred material overdue"),
          _("%(procedure)s: a material that was to follow was not handed in on time")),
    # A physical result on its way (applications/delivery.py): %(result)s names it.
    TimelineKind("delivery.preparing", _("Physical result being prepared"),
                 _("%(procedure)s: %(result)s is being prepared")),
    TimelineKind("delivery.ready", _("Ready for pick-up"), _("%(procedure)s: %(result)s is ready for pick-up")),
    TimelineKind("delivery.posted", _("Posted"), _("%(procedure)s: %(result)s has been posted")),
    TimelineKind("delivery.collected", _("Collected"), _("%(procedure)s: %(result)s was collected")),
    TimelineKind("delivery.delivered", _("Delivered"), _("%(procedure)s: %(result)s was delivered")),
    # Retention (applications/retention.py): files of materials deleted when the procedures using them
    # had kept them as long as the catalog says (``data["materials"]``: their codes).
    TimelineKind("document.purged", _("Documents deleted after the retention period"),
                 _("Your documents were deleted: the period they had to be kept ended")),
    TimelineKind("evaluation.created", _("Rated by the applicant"), _("You rated the service")),
    # A supervisor answered a bad rating (workbench/services.py): staff only; ``data`` says whether
    # the citizen was contacted, when and how.
    TimelineKind("evaluation.followed_up", _("Bad rating answered"), public=False),
    # 告知承诺制 (commitments.py): the applicant signed a commitment instead of a material (``data``:
    # the material); its verification after approval was opened (staff only), found true or false
    # (the applicant reads the outcome; a false one is followed by ``case.revoked``), or went overdue.
    TimelineKind("commitment.signed", _("Commitment signed instead of a material"),
                 _("You signed a commitment instead of a material")),
    TimelineKind("commitment.verification_opened", _("Commitment drawn for verification"), public=False),
    TimelineKind("commitment.verified", _("Commitment verified: true"),
                 _("%(procedure)s: %(department)s verified your commitment")),
    TimelineKind("commitment.found_false", _("Commitment verified: false"),
                 _("%(procedure)s: %(department)s found your commitment untrue")),
    TimelineKind("commitment.verification_overdue", _("Commitment verification overdue"), public=False),
    # Electronic certificates (applications/papers.py): staff only for now (the application page
    # lists the certificates themselves); the message is the serial number(s).
    TimelineKind("certificate.issued", _("Electronic certificate issued"), public=False),
    TimelineKind("certificate.revoked", _("Electronic certificate revoked"), public=False),
    TimelineKind("certificate.name_shown", _("Holder's name shown on the verification page"), public=False),
    TimelineKind("certificate.name_hidden", _("Holder's name hidden on the verification page"), public=False),
    # A support engineer retried a failed step (applications/recovery.py): staff only, shown as its string.
    TimelineKind("task.retried", None, public=False),
    # The service-hall counter (applications/counter.py): staff only.
    TimelineKind("application.receipt_code_issued", _("Receipt code issued at the counter"), public=False),
    TimelineKind("application.claimed", _("Claimed into an account with the receipt code"), public=False),
)}

#: What the applicant reads when the application ends (``application.completed``), by its outcome
#: (``data["outcome"]``): a refusal never reads as if all went well.
COMPLETED_TEXTS: dict[str, Promise] = {
    "approved": _("All procedures are finished"),
    "partially_approved": _("All procedures are finished; some were refused"),
    "rejected": _("Your application was refused"),
}

#: The kinds the applicant's timeline and the API show: the API contract's list.
PUBLIC_TIMELINE_KINDS = tuple(code for code, kind in KINDS.items() if kind.public)
#: The kinds sent to a case's department system (its webhook).
DEPARTMENT_KINDS = frozenset(code for code, kind in KINDS.items() if kind.to_departments)


def staff_label(code: str) -> str:
    """What the staff read for an entry of this kind."""
    kind = KINDS.get(code)
    return str(kind.label) if kind is not None and kind.label is not None else code


def citizen_text(code: str, *, procedure: str = "", department: str = "", result: str = "",
                 data: dict | None = None) -> str:
    """What the applicant reads for an entry of this kind, naming its procedure and department
    (for a delivery, the physical result; for the end of the application, after its outcome in
    ``data``)."""
    if code == "application.completed" and isinstance(data, dict) and data.get("outcome") in COMPLETED_TEXTS:
        return str(COMPLETED_TEXTS[data["outcome"]])
    if code == "case.reassigned" and isinstance(data, dict) and not data.get("from"):
        code = "case.claimed"  # an unclaimed task given to a clerk: the review starts, once
    kind = KINDS.get(code)
    if kind is None or kind.citizen_text is None:
        return code
    text = str(kind.citizen_text)
    return text % {"procedure": procedure, "department": department, "result": result} if "%(" in text else text


def citizen_note(entry) -> str:
    """The words the applicant reads with an entry: a clerk's reason or request, the application
    number, a delivery's tracking number or pick-up office (the status page, the data export)."""
    if entry.kind in ("case.correction_requested", "case.rejected", "case.approved", "case.revoked"):
        return readable_comment(entry.message)
    if entry.kind in ("application.submitted", "application.started_again"):
        return entry.message  # the application number (of the earlier one, when started again)
    if entry.kind.startswith("delivery."):
        data = entry.data if isinstance(entry.data, dict) else {}
        office = data.get("office") if isinstance(data.get("office"), dict) else None
        if data.get("tracking_number"):
            return gettext("Tracking number: %(number)s") % {"number": data["tracking_number"]}
        if office is not None:
            return gettext("Pick up at: %(office)s") % {
                "office": localized(office.get("name")) or office.get("code", "")}
    return ""
