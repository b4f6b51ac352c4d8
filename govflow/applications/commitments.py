"""告知承诺制 — a signed commitment instead of a certificate (docs/commitments.md).

The services a person calls: the applicant signs a commitment in place of a material
(:func:`commitment_sign`); after approval the office verifies the commitments drawn
(:func:`verification_complete`): a false one revokes the decision it supported
(:func:`govflow.applications.revocation.revoke_case`) and puts the applicant on the refusal list;
open verifications past their due date are flagged by :func:`sweep_overdue` (beat).

The PDF, the checks at submission and the draw at approval are in
:mod:`govflow.applications.commitment_papers`, which the core services call.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from govflow.accounts.models import HANDLING_ROLES, Membership
from govflow.catalog.calendar import local_date
from govflow.catalog.labels import localized
from govflow.errors import InvalidInput, InvalidState, NotFound

from . import commitment_papers, engine, refusal_list
from .models import (
    ApplicationStatus,
    CaseStatus,
    Commitment,
    Document,
    DocumentStatus,
    RefusalSource,
    TimelineEntry,
    Verification,
    VerificationOutcome,
)
from .revocation import revoke_case
from .rules import require_material_changeable
from .selectors import int_or_404
from .services.common import (
    cases_of,
    check_text,
    definition_of,
    engine_step,
    lock_application,
    require_actor,
    require_member,
)
from .services.uploading import keep_replaced_document

#: What the refusal list says of an applicant whose commitment was false, and the revocation's reason
#: (both stored in each language of the site).
LISTED_FOR = gettext_noop("The commitment in place of “%(material)s” for application %(number)s was found untrue.")
REVOKED_FOR = gettext_noop("Your commitment in place of “%(material)s” was found untrue at verification: %(note)s. "
                           "Until %(until)s you cannot sign commitments nor submit with materials to follow.")

#: What a verification finds: the commitment was true, or false.
OUTCOMES = (VerificationOutcome.TRUE, VerificationOutcome.FALSE)


@transaction.atomic
def commitment_sign(*, application: Any, user: Any, material_code: Any, confirmed: Any) -> Document:
    """The applicant signs the procedure's commitment in place of ``material_code``: the PDF of the
    signed commitment becomes the material's document (``status="commitment"``, replacing an
    upload of it). Allowed when the material could be uploaded (a draft, or the material marked
    for correction), when a procedure of the one thing lets a commitment replace it, when the
    applicant confirmed having read the text (``confirmed`` is ``True``) and is not on the refusal
    list (``InvalidState`` with the list's reason)."""
    app = lock_application(application.pk)
    require_actor(app, user)
    definition = definition_of(app)
    if not isinstance(material_code, str) or material_code not in definition.materials:
        raise InvalidInput("Unknown material.", errors={"material": ["Unknown material for this one thing."]})
    offered = definition.commitment_for(material_code)
    if offered is None:
        raise InvalidInput("A commitment cannot replace this material.",
                           errors={"commitment": ["A commitment cannot replace this material."]})
    if confirmed is not True:
        raise InvalidInput("Confirm that you have read the commitment and that it is true.",
                           errors={"commitment": ["Confirm the commitment to sign it."]})
    require_material_changeable(app, definition, material_code)
    reason = refusal_list.reason_for(app)
    if reason:
        raise InvalidState(reason, errors={"commitment": [reason]})

    now = timezone.now()
    old = Document.objects.filter(application=app, material_code=material_code).first()
    if old is not None and old.status == DocumentStatus.COMMITMENT and app.status == ApplicationStatus.DRAFT:
        return old  # signed already: signing again changes nothing
    document = Document(application=app, material_code=material_code, status=DocumentStatus.COMMITMENT,
                        filename=commitment_papers.filename(material_code), uploaded_at=now, uploaded_by=user,
                        size=0, sha256="", content_type="application/pdf")
    commitment = Commitment(application=app, material_code=material_code, text=dict(offered["text"]),
                            signed_by=user, signer_name=user.name or user.username,
                            signer_id_number=user.id_number or "", signed_at=now)
    stored = commitment_papers.store(document, commitment_papers.draw(app, definition, commitment))
    try:
        if old is not None:
            old_name = old.file.name
            # As an upload does: the file a correction round replaces is kept for the clerk.
            kept = app.status == ApplicationStatus.CORRECTION_REQUESTED and keep_replaced_document(app, old)
            old.delete()
            if old_name and not kept:
                transaction.on_commit(lambda: default_storage.delete(old_name))
        document.save()
        commitment.document = document
        commitment.save()
    except Exception:
        default_storage.delete(stored)
        raise
    TimelineEntry.objects.create(application=app, kind="commitment.signed", actor=user, at=now,
                                 message=material_code,
                                 data={"material": material_code,
                                       "label": localized(definition.materials[material_code].get("label"), "en")})
    return document


# -- verification after approval (事后核查) -----------------------------------------------------------

def _offices_of(user: Any) -> QuerySet:
    return Membership.objects.filter(user=user, role__in=HANDLING_ROLES).values("office_id")


def verifications_for_clerk(user: Any, *, done: bool = False) -> QuerySet:
    """The verifications of the clerk's offices: open ones soonest due first (the partial index
    ``verification_open_queue``), or done ones latest first. One query per page, rows with their
    application, case, office and commitment."""
    rows = Verification.objects.filter(office_id__in=_offices_of(user))
    rows = (rows.exclude(outcome=VerificationOutcome.PENDING).order_by("-checked_at", "-id") if done
            else rows.filter(outcome=VerificationOutcome.PENDING).order_by("due_date", "id"))
    return rows.select_related("case__application", "case__office", "commitment__document", "checked_by")


def verification_for_clerk(user: Any, pk: Any) -> Verification:
    """One verification of the clerk's offices; anyone else's is not found."""
    try:
        return Verification.objects.select_related(
            "case__application", "case__office", "case__department", "commitment__document", "checked_by",
        ).get(pk=int_or_404(pk), office_id__in=_offices_of(user))
    except Verification.DoesNotExist:
        raise Http404("Verification not found.") from None


def _both_languages(message: str, values: dict) -> dict:
    """``message`` (a gettext id) in each language of the site, formatted with ``values``."""
    out = {}
    for language in ("zh-hans", "en"):
        with translation.override(language):
            out[language] = _(message) % {k: (localized(v, language) if isinstance(v, dict) else v)
                                          for k, v in values.items()}
    return out


@engine_step
@transaction.atomic
def verification_complete(*, verification: Verification, user: Any, outcome: Any, note: Any = "") -> Verification:
    """A clerk of the verification's office records what the check found: ``true`` or ``false``,
    with a ``note`` (required for ``false``: what was found). A false commitment revokes the decision
    it supported (:func:`~govflow.applications.revocation.revoke_case`: the timeline, the outputs and
    certificates, the department's webhook, the applicant's notification) and puts the applicant on
    the refusal list for the commitment's ``refusal_days`` (source ``commitment``). Once only
    (``InvalidState`` after)."""
    if outcome not in OUTCOMES:
        raise InvalidInput("Unknown outcome.", errors={"outcome": [f"One of: {', '.join(OUTCOMES)}."]})
    if note is None:
        note = ""
    if not isinstance(note, str):
        raise InvalidInput("The note must be text.", errors={"note": ["Must be text."]})
    check_text("note", note, multiline=True)
    note = note.strip()
    if outcome == VerificationOutcome.FALSE and not note:
        raise InvalidInput("Say what the verification found.",
                           errors={"note": ["Say what was found: the applicant reads it with the revocation."]})
    app = lock_application(verification.case.application_id)
    try:
        row = Verification.objects.select_for_update(of=("self",)).get(pk=verification.pk)
    except Verification.DoesNotExist:
        raise NotFound("Verification not found.") from None
    require_member(user, row.office_id)
    if row.outcome != VerificationOutcome.PENDING:
        raise InvalidState("This commitment has already been verified.")
    now = timezone.now()
    row.outcome, row.note, row.checked_by, row.checked_at = outcome, note, user, now
    row.save(update_fields=["outcome", "note", "checked_by", "checked_at"])
    cases = cases_of(app)
    case = next(c for c in cases if c.pk == row.case_id)
    definition = definition_of(app)
    material = definition.materials.get(row.material_code, {}).get("label") or {"en": row.material_code}
    with engine.session(app, cases, actor=user) as s:
        s.log("commitment.verified" if outcome == VerificationOutcome.TRUE else "commitment.found_false",
              case=case, message=note, data={"material": row.material_code, "verification": row.pk})
    if outcome == VerificationOutcome.TRUE:
        return row
    rules = definition.commitment_of(case.procedure_code, row.material_code) or {}
    days = int(rules.get("refusal_days") or 365)
    until = local_date(now) + timedelta(days=days - 1)
    refusal_list.refusal_add(
        application=app, days=days, source=RefusalSource.COMMITMENT, actor=user,
        reason=_both_languages(LISTED_FOR, {"material": material, "number": app.number}))
    if case.status == CaseStatus.APPROVED:
        reason = _both_languages(REVOKED_FOR, {"material": material, "note": note.rstrip("。. "),
                                                "until": until.isoformat()})
        revoke_case(case=case, reason=f"{reason['zh-hans']}\n{reason['en']}", actor=user, cause="commitment_false")
    return row


def sweep_overdue(*, now: Any = None) -> int:
    """Flag the open verifications whose due date has passed (once each): a staff-only timeline entry
    on the case, and ``overdue_at`` for the queue's badge. Two queries plus the writes; returns how
    many were flagged."""
    now = now or timezone.now()
    today = local_date(now)
    rows = list(Verification.objects.filter(outcome=VerificationOutcome.PENDING, overdue_at__isnull=True,
                                            due_date__lt=today).select_related("case"))
    if not rows:
        return 0
    Verification.objects.filter(pk__in=[r.pk for r in rows]).update(overdue_at=now)
    TimelineEntry.objects.bulk_create(
        TimelineEntry(application_id=r.case.application_id, case=r.case, department_id=r.case.department_id, at=now,
                      kind="commitment.verification_overdue", message=r.material_code,
                      data={"material": r.material_code, "due_date": r.due_date.isoformat(), "verification": r.pk})
        for r in rows)
    return len(rows)
