"""Download my data (issue 20): everything govflow holds about a person, as one ZIP archive.

A citizen asks (:func:`request_export`: at most one being prepared, and one request per
``GOVFLOW_EXPORT_RATE_MINUTES``); a worker builds the archive (:func:`build`) into private storage
and tells them it is ready (the ``export.ready`` notification); they download it themselves
(:func:`export_for_download`, counted on the row) until ``expires_at``, ``GOVFLOW_EXPORT_HOURS``
after it was ready; then the beat job (:func:`expire`) deletes the file and marks the row expired.
The row is the record of the request, the build and the downloads (there is no account-level event
log): its timestamps and download count.

The archive holds ``data.json`` and ``files/``:

* the profile (name, full ID number — it is the person's own —, contact details, preferences,
  identity verification);
* every application **for the person** (``Application.applicant``), drafts included, also those an
  authorised agent or a service-hall counter made for them: answers, documents (their files under
  ``files/``), cases and decisions (a refusal's reason as the applicant reads it), issued outputs
  and electronic certificates, the applicant's timeline (the public kinds only, as the status page
  shows them: never staff-only entries nor clerks' names), the rating;
* the authorisations in which the person is the subject or the agent (without the evidence file);
* every access record of their data (``access.records_for_citizen``, as "who used my information"
  shows them).

Not included: applications the person made as an agent for someone else, or for an organisation
(that is the other party's data), staff notes, other people's names beyond the reader labels the
access records already show. The number of queries does not grow with the number of applications.
"""
from __future__ import annotations

import json
import logging
import secrets
import tempfile
import zipfile
from datetime import timedelta
from typing import Any

from celery import shared_task
from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, Q
from django.utils import timezone, translation

from govflow.accounts.models import User
from govflow.catalog.checkers import readable_comment
from govflow.catalog.definition import get_definition
from govflow.catalog.models import localized
from govflow.catalog.questions import department_name_of, procedure_name
from govflow.errors import DomainError, InvalidState, NotFound
from govflow.notifications.dispatch import dispatch_after_commit
from govflow.notifications.models import OutboxKind, OutboxMessage
from govflow.parties.models import Authorisation

from . import access
from .models import (
    Application,
    Case,
    CaseStatus,
    DataExport,
    DataExportStatus,
    Document,
    IssuedOutput,
    TimelineEntry,
)
from .timeline import PUBLIC_TIMELINE_KINDS, citizen_note, citizen_text

logger = logging.getLogger("govflow.export")

FORMAT = "govflow.export/1"
READY_EVENT = "export.ready"


class TooSoon(DomainError, status=429, message="You asked for a download of your data a short while ago."):
    """Another export was requested within ``GOVFLOW_EXPORT_RATE_MINUTES``."""


class Gone(DomainError, status=410, message="This download has expired. Ask for a new one."):
    """The archive's link is past its validity (or it failed)."""


def valid_hours() -> float:
    return float(getattr(settings, "GOVFLOW_EXPORT_HOURS", 24))


def rate_minutes() -> float:
    return float(getattr(settings, "GOVFLOW_EXPORT_RATE_MINUTES", 60))


# -- asking, and finding one's own -------------------------------------------------------------------


def exports_of(user: Any, limit: int = 10) -> list[DataExport]:
    """The person's latest requests, newest first (one query)."""
    return list(DataExport.objects.filter(user=user).defer("counts").order_by("-requested_at", "-id")[:limit])


def export_for_user(user: Any, pk: Any) -> DataExport:
    """The person's own export, or :class:`NotFound` (anyone else's does not exist for them)."""
    if not (isinstance(pk, int) or (isinstance(pk, str) and pk.isascii() and pk.isdigit() and len(pk) <= 18)):
        raise NotFound("Export not found.")
    found = DataExport.objects.filter(user_id=getattr(user, "pk", None), pk=int(pk)).first()
    if found is None:
        raise NotFound("Export not found.")
    return found


def export_by_token(user: Any, token: Any) -> DataExport:
    """The person's own export by its link's token, or :class:`NotFound`."""
    if not isinstance(token, str) or not 20 <= len(token) <= 64 or not token.isascii():
        raise NotFound("Export not found.")
    found = DataExport.objects.filter(user_id=getattr(user, "pk", None), token=token).first()
    if found is None:
        raise NotFound("Export not found.")
    return found


def request_export(*, user: Any, now: Any = None) -> DataExport:
    """Ask for an archive of all the person's data; it is built after the commit, in the background.
    Refused (409) while another is being prepared and (429) within the rate limit of the last one."""
    now = now or timezone.now()
    if not getattr(user, "is_authenticated", False):
        raise NotFound("Export not found.")
    with transaction.atomic():
        # The person's row is the lock: two requests at once are counted one after the other.
        User.objects.select_for_update().filter(pk=user.pk).first()
        latest = DataExport.objects.filter(user=user).order_by("-requested_at", "-id").first()
        if latest is not None and latest.status == DataExportStatus.PENDING:
            raise InvalidState("Your data is already being prepared.")
        if latest is not None and latest.status != DataExportStatus.FAILED \
                and latest.requested_at > now - timedelta(minutes=rate_minutes()):
            raise TooSoon()
        try:
            with transaction.atomic():
                export = DataExport.objects.create(user=user, token=secrets.token_urlsafe(32), requested_at=now)
        except IntegrityError:  # the unique pending row: someone was quicker
            raise InvalidState("Your data is already being prepared.") from None
        transaction.on_commit(lambda: _enqueue(export.pk))
    return export


def _enqueue(pk: int) -> None:
    try:
        build_data_export.delay(pk)
    except Exception:  # noqa: BLE001 - the broker is away: the hourly job hands it over again
        logger.warning("data export %s could not be handed to a worker; the hourly job retries", pk, exc_info=True)


def export_for_download(export: DataExport, *, now: Any = None) -> DataExport:
    """The ready export whose file may be sent now, with the download counted; :class:`Gone` once
    expired or failed, :class:`InvalidState` while it is still being prepared."""
    now = now or timezone.now()
    with transaction.atomic():
        found = DataExport.objects.select_for_update().get(pk=export.pk)
        if found.status == DataExportStatus.PENDING:
            raise InvalidState("Your data is still being prepared.")
        if found.status != DataExportStatus.READY or found.expires_at is None or found.expires_at <= now \
                or not found.file:
            raise Gone()
        found.downloads += 1
        found.downloaded_at = now
        found.save(update_fields=["downloads", "downloaded_at"])
    return found


# -- what the archive says ------------------------------------------------------------------------------


def profile_of(user: Any) -> dict:
    return {
        "username": user.username, "name": user.name, "id_number": user.id_number or "",
        "phone": user.phone, "email": user.email,
        "residence": ({"code": user.residence.code, "name": localized(user.residence.name)}
                      if user.residence_id else None),
        "language": user.language, "notify_by_email": user.notify_by_email, "notify_by_sms": user.notify_by_sms,
        "identity_checked_by": user.identity_checked_by or None, "identity_checked_at": user.identity_checked_at,
        "date_joined": user.date_joined, "last_login": user.last_login,
    }


def _applications(user: Any) -> list[Application]:
    """The person's own applications with everything shown of them, in a fixed number of queries."""
    return list(
        Application.objects.filter(applicant=user).select_related("one_thing", "version", "evaluation",
                                                                  "submitted_by")
        .prefetch_related(
            Prefetch("documents", queryset=Document.objects.order_by("material_code", "id")),
            Prefetch("cases", queryset=Case.objects.select_related("department").order_by("position", "id")),
            Prefetch("issued_outputs", queryset=IssuedOutput.objects.select_related("case", "certificate")
                     .order_by("issued_at", "id")),
            Prefetch("timeline", queryset=TimelineEntry.objects.filter(kind__in=PUBLIC_TIMELINE_KINDS)
                     .select_related("department").order_by("at", "id")))
        .order_by("created_at", "id"))


def document_path(application: Application, document: Document) -> str:
    """Where a document's file is inside the archive."""
    folder = application.number or f"draft-{application.pk}"
    return f"files/{folder}/{document.material_code}-{document.pk}-{document.filename}"


def _certificate(output: IssuedOutput) -> dict | None:
    try:
        certificate = output.certificate
    except IssuedOutput.certificate.RelatedObjectDoesNotExist:
        return None
    return {"serial": certificate.serial, "title": certificate.title, "text": certificate.body,
            "issued_at": certificate.issued_at, "revoked_at": certificate.revoked_at}


def application_doc(application: Application) -> dict:
    definition = get_definition(application.version)
    cases = list(application.cases.all())
    cases_by_id = {c.pk: c for c in cases}
    submitter = application.submitted_by
    try:
        evaluation = application.evaluation
    except Application.evaluation.RelatedObjectDoesNotExist:
        evaluation = None
    timeline = []
    for entry in application.timeline.all():
        case = cases_by_id.get(entry.case_id)
        timeline.append({
            "at": entry.at, "kind": entry.kind,
            "text": citizen_text(entry.kind, procedure=procedure_name(definition, case.procedure_code) if case else "",
                                 department=localized(entry.department.name) if entry.department_id else "",
                                 result=localized(entry.data.get("label")) if isinstance(entry.data, dict)
                                 and entry.data.get("label") else "", data=entry.data),
            "note": citizen_note(entry)})
    return {
        "id": application.pk, "number": application.number or "", "status": application.status,
        "outcome": application.outcome or "",
        "one_thing": {"code": application.one_thing.code, "name": localized(definition.one_thing.get("name"))},
        "channel": application.channel, "origin": application.origin,
        "submitted_by": (submitter.name or submitter.username) if submitter is not None
        and submitter.pk != application.applicant_id else "",
        "created_at": application.created_at, "updated_at": application.updated_at,
        "submitted_at": application.submitted_at, "completed_at": application.completed_at,
        "expected_finish": application.expected_finish,
        "answers": application.data or {},
        "questions": {code: localized(definition.fields[code].get("label")) or code
                      for code in (application.data or {}) if code in definition.fields},
        "delivery": {"method": application.delivery_method, "address": application.delivery_address or {}}
        if application.delivery_method else None,
        "documents": [{
            "material": d.material_code,
            "label": localized(definition.materials.get(d.material_code, {}).get("label")) or d.material_code,
            "status": d.status, "filename": d.filename, "size": d.size, "sha256": d.sha256,
            "content_type": d.content_type, "uploaded_at": d.uploaded_at, "due_date": d.due_date,
            "purged_at": d.purged_at,
            "file": document_path(application, d) if d.file and d.purged_at is None else None,
        } for d in application.documents.all()],
        "cases": [{
            "procedure": {"code": c.procedure_code, "name": procedure_name(definition, c.procedure_code)},
            "department": localized(c.department.name) or department_name_of(definition, c.procedure_code),
            "status": c.status, "queued_at": c.queued_at, "due_date": c.due_date, "decided_at": c.decided_at,
            "outputs": c.outputs or {},
            "reason": readable_comment(c.comment) if c.status == CaseStatus.REJECTED else "",
            "revoked_at": c.revoked_at,
            "revocation_reason": c.revocation_reason if c.status == CaseStatus.REVOKED else "",
        } for c in cases],
        "results": [{"code": o.code, "value": o.value, "procedure": o.case.procedure_code,
                     "issued_at": o.issued_at, "revoked_at": o.revoked_at, "certificate": _certificate(o)}
                    for o in application.issued_outputs.all()],
        "timeline": timeline,
        "rating": {"score": evaluation.score, "comment": evaluation.comment, "at": evaluation.created_at}
        if evaluation is not None else None,
    }


def _authorisations(user: Any) -> list[dict]:
    rows = (Authorisation.objects.filter(Q(subject=user) | Q(agent=user))
            .select_related("agent", "subject", "one_thing").order_by("created_at", "id"))
    return [{"role": "subject" if a.subject_id == user.pk else "agent",
             "agent": a.agent.name or a.agent.username, "subject": a.subject.name or a.subject.username,
             "relation": a.relation, "scope": a.scope,
             "one_thing": a.one_thing.code if a.one_thing_id else None,
             "created_at": a.created_at, "expires_at": a.expires_at, "revoked_at": a.revoked_at} for a in rows]


def _access_records(user: Any) -> list[dict]:
    rows = []
    for record in access.records_for_citizen(user).iterator(chunk_size=500):
        row = access.shown(record)
        rows.append({"at": row.at, "reader": row.reader, "department": row.department, "office": row.office,
                     "interface": row.interface, "purpose": row.purpose, "reason": row.reason,
                     "application": row.application_id, "application_number": row.application_number,
                     "answers": list(row.what.get("fields", [])), "materials": list(row.what.get("materials", []))})
    return rows


def collect(user: Any, *, now: Any = None) -> tuple[dict, list[tuple[str, str]]]:
    """The archive's ``data.json`` and its files (archive path, storage name) for ``user``."""
    user = User.objects.select_related("residence").get(pk=user.pk)
    applications = _applications(user)
    files = [(document_path(a, d), d.file.name) for a in applications for d in a.documents.all()
             if d.file and d.purged_at is None]
    data = {"format": FORMAT, "generated_at": now or timezone.now(), "profile": profile_of(user),
            "applications": [application_doc(a) for a in applications],
            "authorisations": _authorisations(user), "access_records": _access_records(user)}
    return data, files


# -- building, and forgetting ---------------------------------------------------------------------------


@shared_task(acks_late=True, ignore_result=True)
def build_data_export(export_id: int) -> int | None:
    """The worker's task: build one person's archive (:func:`build`); idempotent."""
    built = build(export_id)
    return built.pk if built is not None else None


def build(export_id: int, *, now: Any = None) -> DataExport | None:
    """Build the archive of a pending export and tell the person; idempotent (a ready, failed or
    expired export is left alone). A failure marks it failed, so that they may ask again."""
    export = DataExport.objects.select_related("user").filter(pk=export_id, status=DataExportStatus.PENDING).first()
    if export is None:
        return None
    user = export.user
    try:
        with translation.override(user.language or settings.LANGUAGE_CODE):
            data, files = collect(user, now=now)
        with tempfile.TemporaryFile() as tmp:
            with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                archive.writestr("data.json", json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2))
                written = 0
                for path, name in files:
                    if not default_storage.exists(name):
                        continue
                    with default_storage.open(name, "rb") as source, archive.open(path, "w") as target:
                        for chunk in iter(lambda: source.read(64 * 1024), b""):
                            target.write(chunk)
                    written += 1
            size = tmp.tell()
            tmp.seek(0)
            stored = default_storage.save(export.file.field.upload_to(export, "export.zip"), File(tmp))
    except Exception as exc:  # noqa: BLE001 - any failure: the person may ask again
        logger.exception("data export %s failed", export.pk)
        DataExport.objects.filter(pk=export.pk, status=DataExportStatus.PENDING).update(
            status=DataExportStatus.FAILED, error=type(exc).__name__[:200])
        return None
    now = now or timezone.now()
    counts = {"applications": len(data["applications"]), "files": written,
              "documents": sum(len(a["documents"]) for a in data["applications"]),
              "access_records": len(data["access_records"])}
    with transaction.atomic():
        updated = DataExport.objects.filter(pk=export.pk, status=DataExportStatus.PENDING).update(
            status=DataExportStatus.READY, file=stored, size=size, ready_at=now,
            expires_at=now + timedelta(hours=valid_hours()), counts=counts)
        if not updated:  # built twice at once: keep the first
            transaction.on_commit(lambda: default_storage.delete(stored))
            return None
        if user.email or user.phone:
            expires = timezone.localtime(now + timedelta(hours=valid_hours()))
            message = OutboxMessage.objects.create(
                kind=OutboxKind.NOTIFICATION, event=READY_EVENT, recipient=user,
                payload={"export": export.pk, "expires_at": expires.isoformat(),
                         "expires_on": expires.date().isoformat(), "expires_time": f"{expires:%H:%M}"})
            dispatch_after_commit([message])
    return DataExport.objects.get(pk=export.pk)


#: A request still pending this long was lost on its way to a worker: handed over again; after
#: :data:`GIVE_UP` it is marked failed, so that the person may ask again.
RESEND_AFTER = timedelta(minutes=15)
GIVE_UP = timedelta(hours=6)


def expire(*, now: Any = None) -> int:
    """Delete the files of exports past their validity and mark them expired (the beat job);
    idempotent. Returns how many expired. Also hands lost requests to a worker again."""
    now = now or timezone.now()
    stale = DataExport.objects.filter(status=DataExportStatus.PENDING, requested_at__lte=now - RESEND_AFTER)
    stale.filter(requested_at__lte=now - GIVE_UP).update(status=DataExportStatus.FAILED, error="lost")
    for pk in stale.values_list("pk", flat=True)[:100]:
        _enqueue(pk)
    done = 0
    for pk in list(DataExport.objects.filter(status=DataExportStatus.READY, expires_at__lte=now)
                   .values_list("pk", flat=True)[:1000]):
        with transaction.atomic():
            export = DataExport.objects.select_for_update().filter(pk=pk, status=DataExportStatus.READY).first()
            if export is None:
                continue
            name = export.file.name
            export.status, export.file = DataExportStatus.EXPIRED, ""
            export.save(update_fields=["status", "file"])
            if name:
                transaction.on_commit(lambda name=name: default_storage.delete(name))
            done += 1
    return done


def archive_filename(export: DataExport) -> str:
    stamp = timezone.localtime(export.ready_at or export.requested_at)
    return f"govflow-my-data-{stamp:%Y%m%d-%H%M}.zip"
