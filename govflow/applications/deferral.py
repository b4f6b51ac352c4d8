"""容缺受理: accepting an application while a non-key material is still missing — the rules.

A procedure marks some of its required materials ``deferrable`` with a deadline in working days
and states its ``deferral`` policy (docs/catalog.md). At submission the applicant may leave such a
material out after accepting :data:`TERMS` (shown in full; the acceptance is recorded with its
time, :data:`TERMS_VERSION` and :func:`terms_digest` on the timeline and on the ``Document``
row); a person on the refusal list (``refusal_list.py``) may not. The deferred material becomes
a ``Document`` with ``status="deferred"`` and ``due_date`` = :func:`due_date` of the submission
day, which the applicant hands in from the application's page (``services.document_upload``).

This module holds the rules the services apply; ``deferral_sweep.py`` reminds, escalates and
carries out the procedure's ``on_missed`` when a deadline passes.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import date
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from govflow.accounts.models import Membership, Role
from govflow.accounts.services import department_system_username
from govflow.catalog.calendar import add_working_days, local_date, working_days_between
from govflow.catalog.definition import Definition
from govflow.catalog.labels import localized
from govflow.errors import InvalidInput

from . import refusal_list
from .models import Application, Case, CaseStatus, Channel, Document, DocumentStatus

#: The version of :data:`TERMS`; change it whenever their text changes (the digest changes with it).
TERMS_VERSION = "1"
#: What the applicant accepts to submit with a material to follow (shown in full, in their language).
TERMS = gettext_lazy(
    "I apply without the materials marked to follow, and I undertake to hand each of them in, in full "
    "and truthful, by its due date (counted in working days from the day I submit). I understand that "
    "the department may decide only once they are in, or approve conditionally where the procedure "
    "allows it; that if a material is not handed in on time, my application for the procedure that "
    "needs it is refused, or a conditional approval is revoked, as the service guide states; and that "
    "this acceptance is recorded with its time and the version of these terms.")

#: Working days before the due date when the applicant is reminded (once).
REMIND_WORKING_DAYS = 2

#: Cases a missed deadline still concerns: not decided yet, or approved conditionally.
UNDECIDED = (CaseStatus.WAITING, CaseStatus.QUEUED, CaseStatus.IN_REVIEW, CaseStatus.CORRECTION_REQUESTED)


def terms_digest() -> str:
    """SHA-256 of the terms' English source text: which words the applicant accepted."""
    with translation.override("en"):
        return hashlib.sha256(str(TERMS).encode("utf-8")).hexdigest()


def terms_record(now: Any, *, application: Application | None = None, user: Any = None) -> dict:
    """What the acceptance records: the terms' version and digest, and when. At a service-hall
    counter the applicant accepts them there, in person, and the counter clerk records it: the
    record says so (``given: "counter"``), with the counter and the clerk."""
    record = {"version": TERMS_VERSION, "digest": terms_digest(), "accepted_at": now.isoformat()}
    if application is not None and application.channel == Channel.COUNTER:
        record.update({"given": "counter", "recorded_by": getattr(user, "username", ""),
                       "counter_office": application.counter_office.code if application.counter_office_id else ""})
    return record


def due_date(submitted_on: date, days: int) -> date:
    """The working day a material deferred on ``submitted_on`` is due by."""
    return add_working_days(submitted_on, days)


def deferrable(definition: Definition, applicable: Iterable[str]) -> dict[str, int]:
    """Material code → working days, for the materials the applicable procedures let follow."""
    return definition.deferrable_materials(applicable)


def requested(defer: Any) -> list[str]:
    """The material codes a submission asks to defer (raises on a wrong shape)."""
    if defer in (None, "", [], ()):
        return []
    if not isinstance(defer, list | tuple) or not all(isinstance(c, str) for c in defer):
        raise InvalidInput(_("List the materials to defer by their codes."),
                           errors={"defer": [_("A list of material codes.")]})
    return list(dict.fromkeys(defer))


def refusal(application: Application, definition: Definition, applicable: Iterable[str], codes: list[str],
            uploaded: Iterable[str], accepted: Any) -> InvalidInput | None:
    """Why the submission may not defer ``codes`` (``None``: it may). Every reason at once,
    the refusal list's own reason shown to the applicant."""
    if not codes:
        return None
    allowed = deferrable(definition, applicable)
    uploaded = set(uploaded)
    errors: dict[str, list[str]] = {}
    wrong = [c for c in codes if c not in allowed]
    if wrong:
        errors["defer"] = [_("These materials cannot follow after submission: %(codes)s.") % {
            "codes": ", ".join(wrong)}]
    present = [c for c in codes if c in uploaded and c in allowed]
    if present:
        errors.setdefault("defer", []).append(_("Already uploaded, nothing to defer: %(codes)s.") % {
            "codes": ", ".join(present)})
    if accepted is not True:
        errors["accept_deferral_terms"] = [_("Accept the terms to submit with a material to follow.")]
    reason = refusal_list.reason_for(application)
    if reason:
        errors.setdefault("defer", []).append(
            _("Submitting with a material to follow is not available to you: %(reason)s") % {"reason": reason})
    if errors:
        return InvalidInput(_("The materials cannot follow after submission."), errors=errors)
    return None


def deferred_documents(application: Application, *, submitted_on: date, days: dict[str, int], codes: list[str],
                       terms: dict, user: Any) -> list[Document]:
    """The rows of the deferred materials (unsaved): no file, due by their working-day deadline."""
    return [Document(application=application, material_code=code, status=DocumentStatus.DEFERRED,
                     due_date=due_date(submitted_on, days[code]), filename="", size=0, sha256="",
                     content_type="", uploaded_by=user, deferral_terms=dict(terms)) for code in codes]


def missing_for(definition: Definition, case: Case, deferred: Iterable[str]) -> list[str]:
    """The deferred materials ``case``'s procedure requires (still missing)."""
    needed = definition.required_materials([case.procedure_code])
    return sorted(c for c in deferred if c in needed)


def departments_to_tell(definition: Definition, cases: Iterable[Case], material: str) -> list[Case]:
    """The cases whose systems hear that a deferred ``material`` was handed in (``material.provided``
    to department webhooks): every case whose procedure requires it, decided or not (a conditional
    approval waits for it too), except a cancelled one."""
    return [c for c in cases if c.status != CaseStatus.CANCELLED and missing_for(definition, c, [material])]


def approval_refusal(definition: Definition, case: Case, deferred: Iterable[str]) -> str | None:
    """Why the clerk may not approve ``case`` outright while a material it needs is deferred
    (``None``: approve as usual). Raises nothing; the caller decides between the message and a
    conditional approval (:func:`approves_conditionally`)."""
    missing = missing_for(definition, case, deferred)
    if not missing:
        return None
    if case.material_overdue_at is not None:
        return _("A deferred material is overdue (%(codes)s): the case can only be refused.") % {
            "codes": ", ".join(missing)}
    if not definition.deferral(case.procedure_code)["conditional_approval"]:
        return _("The decision waits for the deferred material (%(codes)s): this procedure does not allow "
                 "a conditional approval.") % {"codes": ", ".join(missing)}
    return None


def paused_days(case: Case, *, deferred_on: date, today: date) -> int:
    """Working days the case's clock stood still for a material handed in ``today`` (a procedure
    whose deferral ``clock`` is ``paused``): from its queueing or the deferral, whichever is later."""
    if case.queued_at is None or case.due_date is None:
        return 0
    start = max(deferred_on, local_date(case.queued_at))
    return working_days_between(start, today)


def clerks_to_tell(case: Case) -> list[Any]:
    """Who at the office hears about a case's deferred material: the clerk holding it, else the
    office's clerks and supervisors (never the department's system account)."""
    if case.status == CaseStatus.IN_REVIEW and case.owner_id is not None:
        return [case.owner]
    system = department_system_username(case.department)
    return [m.user for m in Membership.objects.filter(
        office_id=case.office_id, role__in=(Role.CLERK, Role.SUPERVISOR), user__is_active=True)
        .exclude(user__username=system).select_related("user").order_by("user__username")]


def overdue_reason(definition: Definition, codes: list[str], due: dict[str, date]) -> str:
    """The reason a missed deadline gives (the timeline, and the refusal's comment), in the site's
    language: which materials were due by when."""
    with translation.override(settings.LANGUAGE_CODE):
        names = "; ".join(
            _("%(material)s (due by %(date)s)") % {
                "material": localized(definition.materials.get(c, {}).get("label")) or c,
                "date": due[c].isoformat()} for c in codes)
        return _("Accepted with materials to follow, which were not handed in on time: %(materials)s.") % {
            "materials": names}
