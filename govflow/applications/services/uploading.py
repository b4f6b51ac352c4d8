"""Materials: an upload checked and stored, a material accepted to follow (容缺受理) handed in."""
from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from govflow.catalog.calendar import add_working_days, local_date
from govflow.catalog.definition import Definition
from govflow.errors import (
    InvalidInput,
    InvalidState,
    UnsupportedFileType,
    UploadTooLarge,
)
from govflow.uploads import MIME_BY_TYPE, TooLarge, read_upload, sanitize_filename

from .. import deferral, engine
from ..models import (
    FINAL_CASE_STATUSES,
    Application,
    ApplicationStatus,
    CorrectionRequest,
    Document,
    DocumentStatus,
)
from ..rules import (
    require_material_changeable,
)
from .common import cases_of, definition_of, lock_application, require_actor

# ---------------------------------------------------------------------------------------------
# documents

def upload_check(material: Mapping, file: IO[bytes]) -> tuple[str, int, str]:
    """What every upload of ``material`` (its catalog entry) must be: no larger than its
    ``max_size_mb``, of one of its ``accepted_types`` by its content. ``(content type, size,
    SHA-256)``, the file rewound; raises :class:`UploadTooLarge` or :class:`UnsupportedFileType`.
    Stores nothing: a page that refuses other answers checks its files with it too, so that
    every error is said at once."""
    limit = int(material.get("max_size_mb", 10)) * 1024 * 1024
    try:
        mime, total, digest = read_upload(file, limit=limit)
    except TooLarge:
        raise UploadTooLarge(f"The file is larger than {material.get('max_size_mb', 10)} MB.") from None
    accepted = {MIME_BY_TYPE[t] for t in material.get("accepted_types", []) if t in MIME_BY_TYPE}
    if mime is None or mime not in accepted:
        raise UnsupportedFileType("This type of file is not accepted for this material.")
    return mime, total, digest


@transaction.atomic
def document_upload(*, application: Application, user: Any, material_code: str, file: IO[bytes],
                    filename: str = "") -> Document:
    """Store one material for the application (replacing an earlier upload of it).

    Allowed while a draft, or while a clerk has marked that material for correction.
    The type is sniffed from the content; the bytes are streamed, never read whole.
    """
    app = lock_application(application.pk)
    require_actor(app, user)
    definition = definition_of(app)
    material = definition.materials.get(material_code) if isinstance(material_code, str) else None
    if material is None:
        raise InvalidInput("Unknown material.", errors={"material": ["Unknown material for this one thing."]})
    old = Document.objects.filter(application=app, material_code=material_code).first()
    handing_in = (old is not None and old.status == DocumentStatus.DEFERRED
                  and app.status != ApplicationStatus.DRAFT)
    if handing_in:
        _check_hand_in(app, old)
    else:
        require_material_changeable(app, definition, material_code)

    mime, total, digest = upload_check(material, file)
    doc = Document(application=app, material_code=material_code, filename=sanitize_filename(filename),
                   size=total, sha256=digest, content_type=mime, uploaded_by=user)
    if handing_in:
        doc.due_date, doc.deferral_terms = old.due_date, old.deferral_terms
    doc.file.save("upload", File(file), save=False)
    stored = doc.file.name
    try:
        if old is not None:
            old_name = old.file.name
            kept = (app.status == ApplicationStatus.CORRECTION_REQUESTED and not handing_in
                    and keep_replaced_document(app, old))
            old.delete()
            if not kept and old_name:
                transaction.on_commit(lambda: default_storage.delete(old_name))
        doc.save()
        if handing_in:
            _handed_in(app, definition, doc, user)
    except Exception:
        default_storage.delete(stored)
        raise
    return doc


def _check_hand_in(app: Application, deferred: Document) -> None:
    """A deferred material is handed in while its deadline runs and the application is open."""
    if app.status in (ApplicationStatus.COMPLETED, ApplicationStatus.WITHDRAWN):
        raise InvalidState("The application is finished: materials can no longer be handed in.")
    if deferred.due_date < timezone.localdate():
        raise InvalidState(f"The deadline for this material ({deferred.due_date.isoformat()}) has passed.")


def _handed_in(app: Application, definition: Definition, doc: Document, user: Any) -> None:
    """容缺受理: the deferred material is in. On the timeline; the clerks of the cases needing it
    hear of it; a procedure whose clock paused meanwhile moves its due date by the days waited."""
    cases = cases_of(app)
    today = timezone.localdate()
    concerned = [c for c in cases if c.status not in FINAL_CASE_STATUSES
                 and deferral.missing_for(definition, c, [doc.material_code])]
    deferred_on = local_date(app.submitted_at) if app.submitted_at else today
    with engine.session(app, cases, actor=user, applicant_side=True) as s:
        entry = s.log("material.provided", data={"material": doc.material_code,
                                                 "due_date": doc.due_date.isoformat(), "filename": doc.filename})
        for case in deferral.departments_to_tell(definition, cases, doc.material_code):
            s.tell_department(entry, case, {"material": {"code": doc.material_code,
                                                         "due_date": doc.due_date.isoformat()}})
        for case in concerned:
            if definition.deferral(case.procedure_code)["clock"] == "paused":
                added = deferral.paused_days(case, deferred_on=deferred_on, today=today)
                if added:
                    case.paused_working_days += added
                    case.due_date = add_working_days(case.due_date, added)
                    s.touch_case(case, "paused_working_days", "due_date")
            for clerk in deferral.clerks_to_tell(case):
                s.notify("material.provided", recipient=clerk, payload={
                    "number": app.number, "procedure": case.procedure_code, "material": doc.material_code,
                    "case": case.pk, "task": case.task_id})


def keep_replaced_document(app: Application, old: Document) -> bool:
    """The first file a correction round replaces is kept for the clerk's side-by-side view, on
    each open request that marked it; a later upload in the same round replaces only the
    round's own new file (deleted as usual). Whether the old file was kept."""
    waiting = [r for r in CorrectionRequest.objects.filter(case__application=app, resolved_at__isnull=True)
               if old.material_code in r.materials and old.material_code not in r.documents_before]
    info = {"file": old.file.name, "filename": old.filename, "size": old.size, "content_type": old.content_type,
            "sha256": old.sha256, "uploaded_at": old.uploaded_at.isoformat()}
    for request in waiting:
        request.documents_before = {**request.documents_before, old.material_code: info}
        request.save(update_fields=["documents_before"])
    return bool(waiting)
