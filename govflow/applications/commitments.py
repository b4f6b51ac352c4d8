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

from typing import Any

from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from govflow.catalog.labels import localized
from govflow.errors import InvalidInput, InvalidState

from . import commitment_papers, refusal_list
from .models import (
    ApplicationStatus,
    Case,
    CaseStatus,
    Commitment,
    Document,
    DocumentStatus,
    TimelineEntry,
    VerificationOutcome,
)
from .rules import correction_scope
from .services import (
    _definition,
    _keep_replaced_document,
    _lock_application,
    _require_actor,
)

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
    app = _lock_application(application.pk)
    _require_actor(app, user)
    definition = _definition(app)
    if not isinstance(material_code, str) or material_code not in definition.materials:
        raise InvalidInput("Unknown material.", errors={"material": ["Unknown material for this one thing."]})
    offered = definition.commitment_for(material_code)
    if offered is None:
        raise InvalidInput("A commitment cannot replace this material.",
                           errors={"commitment": ["A commitment cannot replace this material."]})
    if confirmed is not True:
        raise InvalidInput("Confirm that you have read the commitment and that it is true.",
                           errors={"commitment": ["Confirm the commitment to sign it."]})
    if app.status == ApplicationStatus.CORRECTION_REQUESTED:
        scope = correction_scope(definition, Case.objects.filter(application=app,
                                                                 status=CaseStatus.CORRECTION_REQUESTED))
        if material_code not in scope.materials:
            raise InvalidState("This material is not marked for correction.")
    elif app.status != ApplicationStatus.DRAFT:
        raise InvalidState("Materials can no longer be changed.")
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
            kept = app.status == ApplicationStatus.CORRECTION_REQUESTED and _keep_replaced_document(app, old)
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

