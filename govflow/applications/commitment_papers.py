"""告知承诺制, the parts the core services call (docs/commitments.md): the signed commitment's PDF,
what a submission checks of its commitments and the number it prints on them, and the draw of
the commitments to verify when a case is approved.

The services a person calls (sign, verify) are in :mod:`govflow.applications.commitments`, above
the core services and the revocation they use; this module sits below them and imports neither.

**The number.** A draft has no application number: it gets one at submission. A commitment is
signed (and its PDF drawn) while the application is a draft, naming the draft's reference, so that
the applicant can read what they signed at once; at submission, in the same transaction that
assigns the number, the PDF is drawn again with the number (same signatory, text and time of
signing). What the office verifies and a court would read names the application it supported.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from govflow.catalog.calendar import add_working_days, local_date
from govflow.catalog.commitments import sampled
from govflow.catalog.definition import Definition
from govflow.catalog.labels import localized
from govflow.errors import InvalidInput

from . import refusal_list
from .models import Application, Case, Commitment, Document, DocumentStatus, Verification
from .pdf import commitment_pdf


def reference(application: Application) -> str:
    """What the PDF calls the application: its number, or the draft's reference before submission."""
    return application.number or f"草稿 Draft #{application.pk}"


def applicant_line(application: Application) -> str:
    """The applicant as the PDF names it: an organisation with its credit code, else the person."""
    if application.organisation_id:
        org = application.organisation
        return f"{org.name} ({org.uscc})"
    person = application.applicant
    return (person.name or person.username) if person is not None else ""


def draw(application: Application, definition: Definition, commitment: Commitment) -> bytes:
    """The PDF of ``commitment`` as it stands now (with the number once there is one)."""
    material = definition.materials.get(commitment.material_code, {})
    return commitment_pdf(
        number=reference(application), one_thing=localized(definition.one_thing.get("name"), "zh-hans") + " / "
        + localized(definition.one_thing.get("name"), "en"),
        material=localized(material.get("label"), "zh-hans") + " / " + localized(material.get("label"), "en"),
        applicant=applicant_line(application), signer=commitment.signer_name,
        signer_id=commitment.signer_id_number, text=commitment.text, signed_at=commitment.signed_at)


def store(document: Document, content: bytes) -> str:
    """Put ``content`` in ``document``'s file (not saved yet) with its size and digest; returns the
    stored name (the caller deletes it if the row is not saved)."""
    document.size = len(content)
    document.sha256 = hashlib.sha256(content).hexdigest()
    document.content_type = "application/pdf"
    document.file.save("commitment", ContentFile(content), save=False)
    return document.file.name


def filename(material_code: str) -> str:
    return f"commitment-{material_code}.pdf"


# -- submission ------------------------------------------------------------------------------------

def check_submission(application: Application, definition: Definition, applicable: Iterable[str],
                     documents: Iterable[Document]) -> None:
    """Refuse (``InvalidInput``, nothing written) a submission whose commitments no longer stand:
    a material that none of the applicable procedures lets a commitment replace, or an applicant
    put on the refusal list since signing. No query when no material is replaced by a commitment."""
    committed = [d.material_code for d in documents if d.status == DocumentStatus.COMMITMENT]
    if not committed:
        return
    applicable = list(applicable)
    used = definition.materials_for(applicable)
    invalid = [code for code in committed if code in used and definition.commitment_for(code, applicable) is None]
    if invalid:
        raise InvalidInput("A commitment cannot replace these materials for the procedures that apply.",
                           errors={"data": {}, "materials": invalid,
                                   "commitment": ["Upload the material itself: for the procedures that apply, "
                                                  "a commitment cannot replace it."]})
    reason = refusal_list.reason_for(application)
    if reason and any(code in used for code in committed):
        raise InvalidInput(reason, errors={"data": {}, "materials": [c for c in committed if c in used],
                                           "commitment": [reason]})


def finalise(application: Application, definition: Definition, documents: Iterable[Document]) -> None:
    """At submission, once the application has its number: draw each commitment's PDF again with
    it. One query to read the commitments (none without any), one update per commitment."""
    committed = {d.pk: d for d in documents if d.status == DocumentStatus.COMMITMENT}
    if not committed:
        return
    for commitment in Commitment.objects.filter(document_id__in=list(committed)):
        document = committed[commitment.document_id]
        old = document.file.name
        stored = store(document, draw(application, definition, commitment))
        try:
            document.save(update_fields=["file", "size", "sha256", "content_type"])
        except Exception:
            default_storage.delete(stored)
            raise
        transaction.on_commit(lambda name=old: default_storage.delete(name))


# -- approval: the draw ----------------------------------------------------------------------------

def seed(case: Case, material_code: str) -> str:
    """What decides whether a case's commitment is drawn: the case and the material, nothing else."""
    return f"case:{case.pk}:{material_code}"


def open_verifications(s: Any, definition: Definition, case: Case, now: Any) -> list[Verification]:
    """When ``case`` is approved: each material its procedure lets a commitment replace, and that the
    applicant did replace, is drawn at the commitment's ``verify_rate``; a drawn one becomes a
    verification for the case's office, due ``verify_days`` working days after today. No query
    when the procedure offers no commitment; one (the commitments) when it does, plus the inserts."""
    offered = {code: definition.commitment_of(case.procedure_code, code)
               for code in definition.material_codes_of(case.procedure_code)}
    offered = {code: c for code, c in offered.items() if c is not None}
    if not offered:
        return []
    today = local_date(now)
    opened = []
    for commitment in Commitment.objects.filter(application_id=case.application_id, material_code__in=list(offered)):
        rules = offered[commitment.material_code]
        if not sampled(seed=seed(case, commitment.material_code), rate=rules["verify_rate"]):
            continue
        opened.append(Verification(case=case, commitment=commitment, office_id=case.office_id,
                                   material_code=commitment.material_code, created_at=now,
                                   due_date=add_working_days(today, rules["verify_days"])))
    if opened:
        Verification.objects.bulk_create(opened)
        for verification in opened:
            s.log("commitment.verification_opened", case=case, actor=None,
                  message=verification.material_code,
                  data={"material": verification.material_code, "due_date": verification.due_date.isoformat()})
    return opened
