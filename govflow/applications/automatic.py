"""Automatic steps: a procedure whose cases a registered checker decides on a worker.

When a case of a procedure that names a checker (``govflow.catalog.checkers``) is queued, the
engine writes an ``automatic_check`` outbox row in the same transaction; the outbox delivery then
calls :func:`outbox_check` (registered when the app is ready), which runs the checker and applies
its answer:

* ``Approve(outputs, comment)`` — the department's system account claims the case and approves it
  through the same services as a clerk (outputs checked against the procedure's patterns, audit
  trail, webhooks, notifications);
* ``Reject(comment)`` — the same, rejecting with the reason and its legal basis;
* ``HandToClerk(reason)`` — nothing changes: the case stays in its department's queue for a human
  clerk (the reason goes to the log and to the outbox row's result).

Checking is idempotent: a case that is no longer queued (a clerk took it, it was withdrawn) is left
alone. ``GOVFLOW_AUTOMATIC_STEPS=0`` turns every checker off (a misbehaving checker in production):
the cases go to the clerks.
"""
from __future__ import annotations

import logging
import re
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy

from govflow.accounts.services import department_system_user
from govflow.catalog.checkers import (
    Approve,
    Decision,
    HandToClerk,
    Reject,
    UnknownChecker,
    automatic_comment,
    checker,
    get_checker,
)
from govflow.catalog.definition import get_definition
from govflow.errors import DomainError
from govflow.notifications.delivery import PermanentFailure

from .models import Case, CaseStatus, IssuedOutput
from .services import deciding

logger = logging.getLogger(__name__)


def system_user_for(department: Any, office: Any = None) -> Any:
    """The department's system account ``dept-<code>-system`` (a clerk of the department's
    offices it acts in, with no usable password); the same account signed inbound callbacks act as."""
    return department_system_user(department=department, office=office)


def run_check(*, case_id: int, checker_name: str) -> str:
    """Run the checker on one case and apply its decision; return what happened (for the log).

    Call inside a transaction: the decision commits together with the outbox row's ``sent``.
    Raises :class:`UnknownChecker` for a name no checker answers to; any other exception is the
    checker's or the services' and is worth a retry.
    """
    if not getattr(settings, "GOVFLOW_AUTOMATIC_STEPS", True):
        return "handed to a clerk: automatic steps are turned off (GOVFLOW_AUTOMATIC_STEPS)"
    fn = get_checker(checker_name)
    case = Case.objects.select_related("application__version", "application__applicant", "department",
                                       "office").filter(
        pk=case_id).first()
    if case is None:
        return "skipped: the case no longer exists"
    if case.status != CaseStatus.QUEUED:
        return f"skipped: the case is {case.status}"
    decision = fn(case, case.application)
    if isinstance(decision, HandToClerk):
        logger.info("automatic check %s left case %s for a clerk: %s", checker_name, case.pk, decision.reason)
        return f"handed to a clerk: {decision.reason}"[:200]
    if not isinstance(decision, Approve | Reject):
        raise TypeError(f"checker {checker_name} returned {decision!r}, not Approve, Reject or HandToClerk")
    actor = system_user_for(case.department, case.office)
    try:
        claimed = deciding.task_claim(case=case, user=actor)
        if isinstance(decision, Approve):
            deciding.task_complete(case=claimed, user=actor, decision="approve",
                                   outputs=decision.outputs, comment=decision.comment)
            return "approved"
        deciding.task_complete(case=claimed, user=actor, decision="reject", comment=decision.comment)
        return "rejected"
    except DomainError as exc:
        # Someone was quicker (claimed, withdrew) or the decision breaks a rule: a clerk decides.
        logger.warning("automatic check %s could not decide case %s: %s", checker_name, case.pk, exc)
        raise DecisionRefused(str(exc)) from exc


class DecisionRefused(Exception):
    """The services refused the checker's decision; the case is left to a clerk."""


def outbox_check(payload: dict) -> str:
    """Carry out an ``automatic_check`` outbox row (registered with the delivery when the app is
    ready); returns what happened. A refused decision leaves the case to a clerk and rolls back the
    check's own writes; an unknown checker can never succeed."""
    try:
        with transaction.atomic():
            return run_check(case_id=int(payload.get("case", 0)), checker_name=str(payload.get("checker", "")))
    except DecisionRefused as exc:
        return f"handed to a clerk: {exc}"
    except UnknownChecker as exc:
        raise PermanentFailure(str(exc)) from exc


# -- the demo's checker ----------------------------------------------------------------------

#: Stored in English, shown in the reader's language (``readable_comment``); migration 0010 of
#: this app rewrote the comments older versions stored half in Chinese, half in English.
ENROLLED_AUTOMATICALLY = automatic_comment(gettext_lazy(
    "Checked automatically: the baby's citizen ID number has been issued, so the enrolment is complete."))

@checker
def newborn_medical_insurance(case: Any, application: Any) -> Decision:
    """新生儿医保参保登记: enrol automatically once the household registration issued the baby's
    citizen id; the enrolment number is derived from it and the application number, so that
    running the check again gives the same number.

    The citizen id is the one this application issued (the ``newborn`` one thing) or, for an
    enrolment granted without applying (``newborn-insurance``, docs/proactive.md), the answer
    ``citizen_id`` its trigger filled in from the household registration's output. The number is
    issued as the procedure's one output, whatever its code."""
    citizen_id = (IssuedOutput.objects.filter(application=application, code="citizen_id")
                  .values_list("value", flat=True).first()) or (application.data or {}).get("citizen_id")
    if not citizen_id:
        return HandToClerk("no citizen id has been issued for the baby yet")
    if not isinstance(citizen_id, str) or not re.fullmatch(r"[0-9]{17}[0-9X]", citizen_id):
        return HandToClerk("the issued citizen id is not a valid resident id number")
    outputs = get_definition(application.version).procedures.get(case.procedure_code, {}).get("outputs") or []
    if len(outputs) != 1:
        return HandToClerk("the procedure does not issue exactly one output")
    digits = re.sub(r"[^0-9]", "", application.number or "") or f"{application.pk:012d}"
    # Region of registration (first 6 digits of the id) + the application's number: unique and stable.
    number = f"{citizen_id[:6]}{digits}"[:30]
    return Approve(outputs={outputs[0]["code"]: number},
                   comment=ENROLLED_AUTOMATICALLY)
