"""Retention (issue 20): what is deleted when, by the daily beat job ``retention-sweep``.

**Drafts.** A draft untouched for ``GOVFLOW_DRAFT_RETENTION_DAYS`` days (default 90; ``0`` keeps
drafts) is deleted with its uploaded files. "Touched" is its last change: the later of the
application's ``updated_at`` and its documents' ``uploaded_at``. ``GOVFLOW_DRAFT_REMINDER_DAYS``
days before (default 7) the applicant's side is reminded once (``draft.expiring``,
``Application.retention_reminded_at``); a draft is deleted only once its reminder is that old, so
nobody loses a draft without having been told, and a draft changed after its reminder starts over
(a new reminder when it is untouched again).

**Decided applications' files.** A procedure may say how many calendar years after its decision the
materials it uses are kept (the catalog's ``retention``, :meth:`Definition.retention_years`). A
document's file is deleted when *every* procedure of the application that uses its material has
been decided (a final case status) and has passed its retention since its own decision: a material
several procedures use is kept as long as the longest. A procedure without a retention keeps it for
ever, and so does a material no case uses (nothing says when it may go). The ``Document`` row stays
with ``purged_at``; the status page and the workbench say "deleted on …" instead of a link; a
public timeline entry ``document.purged`` records it.

Both leave a :class:`PurgeRecord` (ids, codes and counts, no personal data). Each application is
handled under its row lock with a re-check: two sweeps at once, or a sweep racing an upload, never
delete twice or delete a draft that was just changed. Running the sweep again deletes nothing more.
Retention is counted in calendar time (days and years), not working days.
"""
from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import DatabaseError, transaction
from django.db.models import Max, ProtectedError, Q
from django.utils import timezone

from govflow.catalog.definition import get_definition
from govflow.notifications.dispatch import dispatch_after_commit
from govflow.notifications.models import OutboxKind, OutboxMessage

from .engine import recipients
from .models import (
    FINAL_CASE_STATUSES,
    Application,
    ApplicationStatus,
    Case,
    Document,
    PurgeReason,
    PurgeRecord,
    TimelineEntry,
)

logger = logging.getLogger("govflow.retention")

REMINDER_EVENT = "draft.expiring"
PURGED_KIND = "document.purged"


def draft_days() -> int:
    return int(getattr(settings, "GOVFLOW_DRAFT_RETENTION_DAYS", 90))


def reminder_days() -> int:
    return max(0, min(int(getattr(settings, "GOVFLOW_DRAFT_REMINDER_DAYS", 7)), draft_days()))


def add_years(moment: Any, years: int) -> Any:
    """The same calendar moment ``years`` later (29 February: the 28th)."""
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:
        return moment.replace(year=moment.year + years, day=28)


def last_touched(application: Application, documents: list[Document]) -> Any:
    return max([application.updated_at, *(d.uploaded_at for d in documents)])


# -- the sweep -----------------------------------------------------------------------------------


def sweep(*, now: Any = None) -> dict[str, int]:
    now = now or timezone.now()
    counts = {"reminded": 0, "drafts_deleted": 0, "files_purged": 0}
    if draft_days() > 0:
        for pk in _drafts_to_check(now):
            _guarded(check_draft, pk, now, counts)
    for pk in _decided_to_check(now):
        _guarded(check_documents, pk, now, counts)
    if any(counts.values()):
        logger.info("retention sweep: %s", counts)
    return counts


def _guarded(check, pk: int, now: Any, counts: dict[str, int]) -> None:
    try:
        for key, n in check(application_id=pk, now=now).items():
            counts[key] += n
    except DatabaseError:  # a lock timeout or a deadlock victim: the next sweep tries again
        logger.warning("retention check of application %s failed; the next sweep retries", pk, exc_info=True)


def _drafts_to_check(now: Any) -> list[int]:
    """Drafts whose last change is older than the reminder's day (one query, on the partial index)."""
    horizon = now - timedelta(days=draft_days() - reminder_days())
    return list(Application.objects.filter(status=ApplicationStatus.DRAFT, updated_at__lte=horizon)
                .annotate(last_upload=Max("documents__uploaded_at"))
                .exclude(last_upload__gt=horizon).order_by("pk").values_list("pk", flat=True)[:5000])


def _decided_to_check(now: Any) -> list[int]:
    """Decided applications with files still kept, whose procedures say a retention at all: only
    applications whose every case is final and whose latest decision is at least a year old."""
    since = now - timedelta(days=365)
    with_files = Document.objects.filter(purged_at__isnull=True, file__gt="").values("application_id")
    return list(Application.objects.filter(status__in=(ApplicationStatus.COMPLETED, ApplicationStatus.WITHDRAWN),
                                           pk__in=with_files)
                .annotate(last_decision=Max("cases__decided_at"))
                .filter(Q(last_decision__lte=since) | Q(last_decision__isnull=True, completed_at__lte=since))
                .order_by("pk").values_list("pk", flat=True)[:5000])


@transaction.atomic
def check_draft(*, application_id: int, now: Any = None) -> dict[str, int]:
    """Remind about, or delete, one untouched draft, as due now (under its row lock)."""
    now = now or timezone.now()
    counts = {"reminded": 0, "drafts_deleted": 0}
    app = (Application.objects.select_for_update(of=("self",)).select_related("applicant", "one_thing")
           .filter(pk=application_id, status=ApplicationStatus.DRAFT).first())
    if app is None or draft_days() <= 0:
        return counts
    documents = list(Document.objects.filter(application=app))
    touched = last_touched(app, documents)
    reminded = app.retention_reminded_at if app.retention_reminded_at and app.retention_reminded_at >= touched \
        else None
    if touched > now - timedelta(days=draft_days() - reminder_days()):
        return counts
    if reminded is None:
        # update(), not save(): the reminder is no change of the draft (updated_at stays).
        Application.objects.filter(pk=app.pk).update(retention_reminded_at=now)
        deletion = touched + timedelta(days=draft_days())
        deletion = max(deletion, now + timedelta(days=reminder_days()))
        messages = [OutboxMessage(kind=OutboxKind.NOTIFICATION, event=REMINDER_EVENT, recipient=person,
                                  application=app, payload={"draft": app.pk,
                                                            "due_date": timezone.localdate(deletion).isoformat()})
                    for person in recipients(app)]
        if messages:
            OutboxMessage.objects.bulk_create(messages)
            dispatch_after_commit(messages)
        counts["reminded"] = 1
        return counts
    if touched > now - timedelta(days=draft_days()) or reminded > now - timedelta(days=reminder_days()):
        return counts
    names = [d.file.name for d in documents if d.file]
    try:
        with transaction.atomic():
            Document.objects.filter(application=app).delete()
            app.delete()
    except ProtectedError:  # something else refers to it (a counter's look-up): kept, logged
        logger.warning("draft %s is referred to and was not deleted", app.pk)
        return counts
    PurgeRecord.objects.create(at=now, reason=PurgeReason.DRAFT_UNTOUCHED, application_id_ref=application_id,
                               one_thing_code=app.one_thing.code, documents=len(documents), files=len(names),
                               detail={"documents": [d.pk for d in documents],
                                       "materials": sorted({d.material_code for d in documents}),
                                       "last_touched": touched.isoformat()})
    transaction.on_commit(lambda: [default_storage.delete(n) for n in names])
    counts["drafts_deleted"] = 1
    return counts


def purge_due(application: Application, cases: list[Case], documents: list[Document], now: Any) -> list[Document]:
    """The documents whose files may go now (the rule in the module's docstring)."""
    definition = get_definition(application.version)
    due = []
    for document in documents:
        if not document.file or document.purged_at is not None:
            continue
        users = [c for c in cases if document.material_code in definition.material_codes_of(c.procedure_code)]
        if not users:
            continue
        ends = []
        for case in users:
            years = definition.retention_years(case.procedure_code)
            if case.status not in FINAL_CASE_STATUSES or years is None:
                break
            decided = case.decided_at or application.completed_at
            if decided is None:
                break
            ends.append(add_years(decided, years))
        else:
            if ends and max(ends) <= now:
                due.append(document)
    return due


@transaction.atomic
def check_documents(*, application_id: int, now: Any = None) -> dict[str, int]:
    """Delete the files of one decided application that are past their retention (row lock)."""
    now = now or timezone.now()
    counts = {"files_purged": 0}
    app = (Application.objects.select_for_update(of=("self",)).select_related("version", "one_thing")
           .filter(pk=application_id).first())
    if app is None or app.status not in (ApplicationStatus.COMPLETED, ApplicationStatus.WITHDRAWN):
        return counts
    cases = list(Case.objects.filter(application=app))
    documents = list(Document.objects.filter(application=app, purged_at__isnull=True).exclude(file=""))
    due = purge_due(app, cases, documents, now)
    if not due:
        return counts
    names = [d.file.name for d in due]
    Document.objects.filter(pk__in=[d.pk for d in due]).update(purged_at=now, file="")
    TimelineEntry.objects.create(application=app, at=now, kind=PURGED_KIND,
                                 data={"materials": sorted(d.material_code for d in due)})
    PurgeRecord.objects.create(at=now, reason=PurgeReason.RETENTION_ENDED, application_id_ref=app.pk,
                               application_number=app.number or "", one_thing_code=app.one_thing.code,
                               documents=len(due), files=len(names),
                               detail={"documents": [d.pk for d in due],
                                       "materials": sorted(d.material_code for d in due)})
    transaction.on_commit(lambda: [default_storage.delete(n) for n in names])
    counts["files_purged"] = len(due)
    return counts
