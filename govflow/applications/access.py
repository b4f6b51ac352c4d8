"""Access records (issue 20): every read of a person's or an organisation's data by someone other
than themselves, what the citizen's page "who used my information" shows, and the integrity chain.

Writing is cheap: during a request :func:`record` only appends to the request's buffer
(:class:`AccessRecorderMiddleware`), which is written in one ``INSERT`` when the view has answered
(any status below 500: the page was shown); a failing insert turns the response into a 500, so a
read the reader saw is never left unrecorded. Outside a request (a task, a command) a record is
written at once. The chain (``seq``, ``digest``) is computed afterwards by :func:`seal`, a beat job,
under an advisory lock, so no request waits for it; :func:`verify` finds the first broken row.
"""
from __future__ import annotations

import hashlib
import hmac
import json
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, timedelta
from typing import Any

from django.conf import settings
from django.core.paginator import Paginator
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from govflow.accounts.models import Membership, Role, User
from govflow.catalog.definition import Definition, get_definition
from govflow.catalog.models import OneThingVersion, localized

from .models import (
    AccessInterface,
    AccessLogAnchor,
    AccessPurpose,
    AccessRecord,
    Application,
    Case,
    CaseStatus,
    Document,
)

Interface = AccessInterface
Purpose = AccessPurpose

_buffer: ContextVar[list[AccessRecord] | None] = ContextVar("govflow_access_records", default=None)

#: The PostgreSQL advisory lock key the sealer holds (any constant unique in the project).
SEAL_LOCK = 0x60F1_0A11
SEAL_BATCH = 1000


# -- recording -------------------------------------------------------------------------------------


def record(*, reader: Any, interface: str, purpose: str, application: Application | None = None,
           case: Case | None = None, document: Document | None = None, office_id: int | None = None,
           person_id: int | None = None, organisation_id: int | None = None, what: dict | None = None,
           reason: str = "") -> AccessRecord | None:
    """Record one read. The subject (whose data) is the application's (its organisation, else its
    applicant) unless given. Nothing is recorded when the reader reads their own data."""
    if application is None and case is not None:
        application = case.application
    if application is not None and person_id is None and organisation_id is None:
        if application.organisation_id:
            organisation_id = application.organisation_id
        else:
            person_id = application.applicant_id
    if person_id is None and organisation_id is None:
        return None
    if organisation_id is None and person_id == reader.pk:
        return None
    row = AccessRecord(reader_id=reader.pk, office_id=office_id if office_id is not None else (
        case.office_id if case is not None else None), person_id=person_id, organisation_id=organisation_id,
        application_id=application.pk if application is not None else None,
        case_id=case.pk if case is not None else None, document_id=document.pk if document is not None else None,
        what=what or {}, interface=interface, purpose=purpose, reason=reason[:300], at=timezone.now())
    buffer = _buffer.get()
    if buffer is None:
        AccessRecord.objects.bulk_create([row])
    else:
        buffer.append(row)
    return row


@contextmanager
def recording():
    """Collect the records made inside and write them in one statement at the end (not when the
    block raises: nothing was shown)."""
    rows: list[AccessRecord] = []
    token = _buffer.set(rows)
    try:
        yield rows
    finally:
        _buffer.reset(token)
    flush(rows)


def flush(rows: list[AccessRecord]) -> None:
    if rows:
        AccessRecord.objects.bulk_create(rows)


class AccessRecorderMiddleware:
    """One buffer per request, written in one INSERT after the view (unless it failed with a 5xx)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        rows: list[AccessRecord] = []
        token = _buffer.set(rows)
        try:
            response = self.get_response(request)
        finally:
            _buffer.reset(token)
        if rows and response.status_code < 500:
            flush(rows)
        return response


def case_purpose(user: Any, case: Case, *, supervises: bool = False) -> str:
    """Why a member of the case's office reads it: the case they hold, the queue they browse, a
    supervisor's oversight, or (a colleague's or a decided case) a case of their office."""
    if case.owner_id == user.pk and case.status == CaseStatus.IN_REVIEW:
        return Purpose.HELD_CASE
    if case.status == CaseStatus.QUEUED:
        return Purpose.QUEUE
    return Purpose.OVERSIGHT if supervises else Purpose.OFFICE_CASE


def case_read(user: Any, case: Case, *, interface: str, fields: list[str] | None = None,
              materials: list[str] | None = None, document: Document | None = None,
              supervises: bool = False) -> None:
    """A member of the case's office read the case (its answers, materials, or one document)."""
    what = {k: v for k, v in {"fields": sorted(fields or []), "materials": sorted(materials or [])}.items() if v}
    if document is not None:
        what["materials"] = [document.material_code]
    record(reader=user, interface=interface, purpose=case_purpose(user, case, supervises=supervises),
           case=case, document=document, what=what)


def counter_office_of(user: Any, application: Application) -> int | None:
    """The office whose counter took the application, when the user is one of its counter clerks
    (one query; none for the applicant)."""
    if application.applicant_id == user.pk:
        return None
    # The application's counter office read in the same query (a page may have deferred it).
    return (Membership.objects.filter(user=user, role=Role.COUNTER,
                                      office__in=Application.objects.filter(pk=application.pk)
                                      .values("counter_office_id"))
            .values_list("office_id", flat=True).first())


def application_read(user: Any, application: Application, *, interface: str, fields: list[str] | None = None,
                     document: Document | None = None) -> None:
    """Someone read an application through the citizen's own doors (the API's application detail
    and document file): recorded when they are its counter's clerk or a clerk of one of its cases,
    not when they are the applicant or act for them (an organisation's representative, an agent)."""
    if application.applicant_id == user.pk:
        return
    what = {"fields": sorted(fields or [])} if fields else {}
    if document is not None:
        what = {"materials": [document.material_code]}
        case = (Case.objects.filter(application_id=application.pk, office__memberships__user=user,
                                    office__memberships__role__in=(Role.CLERK, Role.SUPERVISOR))
                .only("pk", "office_id", "owner_id", "status", "application_id").first())
        if case is not None:
            case.application = application
            record(reader=user, interface=interface, purpose=case_purpose(user, case), case=case, document=document,
                   what=what)
            return
    office_id = counter_office_of(user, application)
    if office_id is not None:
        record(reader=user, interface=interface, purpose=Purpose.COUNTER, application=application,
               document=document, office_id=office_id, what=what)


def admin_read(user: Any, obj: Any, reason: str) -> None:
    """An administrator opened the change page of an application or a profile, giving ``reason``."""
    page = f"{obj._meta.app_label}.{obj._meta.model_name}"
    if isinstance(obj, Application):
        record(reader=user, interface=Interface.ADMIN, purpose=Purpose.SUPPORT, application=obj,
               what={"page": page}, reason=reason)
    elif isinstance(obj, User):
        record(reader=user, interface=Interface.ADMIN, purpose=Purpose.SUPPORT, person_id=obj.pk,
               what={"page": page}, reason=reason)
    elif getattr(obj, "uscc", None):
        record(reader=user, interface=Interface.ADMIN, purpose=Purpose.SUPPORT, organisation_id=obj.pk,
               what={"page": page}, reason=reason)


# -- what the citizen sees ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ShownRecord:
    at: Any
    reader: str
    office: str
    department: str
    interface: str
    interface_label: str
    purpose: str
    purpose_label: str
    application_id: int | None
    application_number: str
    what: dict
    reason: str
    #: The answers and materials read, by their labels (their codes when no definition was given).
    fields: list[str] = field(default_factory=list)
    materials: list[str] = field(default_factory=list)


def reader_label(record_: AccessRecord) -> str:
    """The reader as the department decides (``Department.access_reader_shown_as``): their name, or
    their staff number; an administrator (no office) by their staff number or "administrator"."""
    user = record_.reader
    department = record_.office.department if record_.office_id else None
    if department is not None and department.access_reader_shown_as == "name":
        return user.name or user.get_full_name() or user.staff_number or f"#{user.pk}"
    return user.staff_number or f"#{user.pk}"


#: What a shown row needs of the record and what it joins (one query a page).
SHOWN_FIELDS = ("at", "interface", "purpose", "reason", "what", "application_id", "office_id",
                "application__number", "application__version_id", "reader__name", "reader__first_name",
                "reader__last_name", "reader__staff_number", "office__department__access_reader_shown_as",
                "office__department__name", "office__name", "office__code", "office__division__name",
                "office__department__code")


def _shown_records(**subject: Any) -> QuerySet[AccessRecord]:
    return (AccessRecord.objects.filter(**subject)
            .select_related("reader", "office__department", "office__division", "application")
            .only(*SHOWN_FIELDS).order_by("-at", "-id"))


def records_for_citizen(user: Any, *, application_id: int | None = None) -> QuerySet[AccessRecord]:
    """The reads of the person's own data (as themselves, not of organisations they act for),
    newest first; optionally of one of their applications. Joins what a row shows: one query a page."""
    queryset = _shown_records(person_id=user.pk)
    if application_id is not None:
        queryset = queryset.filter(application_id=application_id)
    return queryset


def records_for_organisation(organisation_id: int, *, application_id: int | None = None) -> QuerySet[AccessRecord]:
    """The reads of an organisation's data (its applications, its admin page), newest first; who
    may see them is :func:`govflow.parties.selectors.legal_representative_of`'s question."""
    queryset = _shown_records(organisation_id=organisation_id)
    if application_id is not None:
        queryset = queryset.filter(application_id=application_id)
    return queryset


def shown(record_: AccessRecord, definitions: dict[int, Definition] | None = None) -> ShownRecord:
    """The row as the person sees it; with ``definitions`` (:func:`definitions_for`) the answers and
    materials read are named by their labels in the current language, else by their codes."""
    office = record_.office
    definition = (definitions or {}).get(record_.application.version_id) if (
        record_.application_id and record_.application) else None
    return ShownRecord(
        at=record_.at, reader=reader_label(record_),
        office=office.display_name if office is not None else "",
        department=localized(office.department.name) if office is not None else "",
        interface=record_.interface, interface_label=str(Interface(record_.interface).label),
        purpose=record_.purpose, purpose_label=str(Purpose(record_.purpose).label), application_id=record_.application_id,
        application_number=(record_.application.number or "") if record_.application_id and record_.application
        else "", what=record_.what, reason=record_.reason if record_.purpose == Purpose.SUPPORT else "",
        fields=_labels(definition, "fields", record_.what.get("fields", [])),
        materials=_labels(definition, "materials", record_.what.get("materials", [])))


def _labels(definition: Definition | None, kind: str, codes: list[str]) -> list[str]:
    specs = getattr(definition, kind, {}) if definition is not None else {}
    return [localized((specs.get(code) or {}).get("label")) or code for code in codes]


def definitions_for(records: list[AccessRecord]) -> dict[int, Definition]:
    """The compiled definitions of the versions the records' applications were made in, by version
    id: one query for the versions of rows that name answers or materials (each compiled once and
    cached), none when no row does."""
    ids = {r.application.version_id for r in records
           if r.application_id and r.application is not None and (r.what.get("fields") or r.what.get("materials"))}
    if not ids:
        return {}
    return {v.pk: get_definition(v) for v in OneThingVersion.objects.filter(pk__in=ids)}


def shown_page(records: list[AccessRecord]) -> list[ShownRecord]:
    """A page of records as shown, labels included (one query at most for the definitions)."""
    definitions = definitions_for(records)
    return [shown(r, definitions) for r in records]


def citizen_page(user: Any, *, application_id: int | None, page: Any, size: int = 20):
    """One page of the person's records, shown (a count, the page's rows and the definitions
    their labels come from: three queries)."""
    paginator = Paginator(records_for_citizen(user, application_id=application_id), size)
    current = paginator.get_page(page)
    return current, shown_page(list(current.object_list))


def organisation_page(organisation_id: int, *, page: Any, size: int = 20):
    """One page of an organisation's records, shown (as :func:`citizen_page`)."""
    current = Paginator(records_for_organisation(organisation_id), size).get_page(page)
    return current, shown_page(list(current.object_list))


def applications_read(user: Any, limit: int = 200) -> list[tuple[int, str]]:
    """The person's applications that someone read, for the filter: (id, number), newest first."""
    rows = (AccessRecord.objects.filter(person_id=user.pk, application__isnull=False)
            .values_list("application_id", "application__number").distinct().order_by("-application_id")[:limit])
    return [(pk, number or f"#{pk}") for pk, number in rows]


# -- the chain ------------------------------------------------------------------------------------------


def _key() -> bytes:
    key = getattr(settings, "GOVFLOW_ACCESS_LOG_KEY", "") or settings.SECRET_KEY
    return hashlib.sha256(("govflow-access-log:" + key).encode()).digest()


def content(row: AccessRecord) -> str:
    """The canonical text a row's digest covers (every column but the digest itself)."""
    at = row.at.astimezone(UTC) if timezone.is_aware(row.at) else row.at
    return json.dumps([row.pk, row.seq, at.isoformat(timespec="microseconds"), row.reader_id, row.office_id,
                       row.person_id, row.organisation_id, row.application_id, row.case_id, row.document_id,
                       row.what, row.interface, row.purpose, row.reason],
                      sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def digest(previous: str, row: AccessRecord) -> str:
    return hmac.new(_key(), (previous + "\n" + content(row)).encode(), hashlib.sha256).hexdigest()


def _lock_chain() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SEAL_LOCK])


def seal(batch: int = SEAL_BATCH) -> int:
    """Chain the rows not chained yet, in id order, after the last chained row; returns how many.
    One sealer at a time (advisory lock on PostgreSQL); rows that commit late simply join the chain
    in a later run. The trigger lets exactly this through: ``seq`` and ``digest`` set once."""
    total = 0
    while True:
        with transaction.atomic():
            _lock_chain()
            last = (AccessRecord._base_manager.filter(seq__isnull=False).order_by("-seq")
                    .values_list("seq", "digest").first())
            seq, previous = last if last is not None else (0, "")
            rows = list(AccessRecord._base_manager.filter(seq__isnull=True).order_by("id")[:batch])
            for row in rows:
                seq += 1
                row.seq = seq
                row.digest = digest(previous, row)
                previous = row.digest
            if rows:
                AccessRecord._base_manager.bulk_update(rows, ["seq", "digest"])
        total += len(rows)
        if len(rows) < batch:
            return total


@dataclass(frozen=True)
class Verdict:
    checked: int
    unsealed: int
    broken: AccessRecord | None
    problem: str


def verify(chunk: int = 2000) -> Verdict:
    """Recompute the chain from the first row (after the newest purge's anchor); the first row
    whose position or digest is wrong."""
    anchor = AccessLogAnchor.objects.order_by("-seq").first()
    previous, expected, checked = (anchor.digest, anchor.seq + 1, 0) if anchor is not None else ("", 1, 0)
    rows = AccessRecord._base_manager.filter(seq__isnull=False, seq__gte=expected).order_by("seq")
    for row in rows.iterator(chunk_size=chunk):
        if row.seq != expected:
            return Verdict(checked, 0, row, f"chain position {row.seq} where {expected} was expected "
                                            "(a row is missing)")
        if not hmac.compare_digest(row.digest, digest(previous, row)):
            return Verdict(checked, 0, row, "its content does not match its digest (edited)")
        previous, expected, checked = row.digest, expected + 1, checked + 1
    unsealed = AccessRecord._base_manager.filter(seq__isnull=True).count()
    return Verdict(checked, unsealed, None, "")


# -- retention ------------------------------------------------------------------------------------------


def purge(*, now: Any = None) -> int:
    """Delete the chained records older than ``GOVFLOW_ACCESS_RECORD_DAYS`` days (0: keep them all),
    as a prefix of the chain, and anchor the chain at the last one deleted, in one transaction.
    The only delete the PostgreSQL trigger lets through (``govflow.access_purge`` set for this
    transaction). Idempotent: a second run finds nothing older."""
    days = settings.GOVFLOW_ACCESS_RECORD_DAYS
    if not days:
        return 0
    cutoff = (now or timezone.now()) - timedelta(days=days)
    with transaction.atomic():
        _lock_chain()
        chained = AccessRecord._base_manager.filter(seq__isnull=False)
        first_kept = chained.filter(at__gte=cutoff).order_by("seq").values_list("seq", flat=True).first()
        older = chained.filter(at__lt=cutoff)
        if first_kept is not None:
            older = older.filter(seq__lt=first_kept)
        last = older.order_by("-seq").values_list("seq", "digest").first()
        if last is None:
            return 0
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('govflow.access_purge', 'on', true)")
        count = chained.filter(seq__lte=last[0]).count()
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {AccessRecord._meta.db_table} WHERE seq <= %s", [last[0]])
        AccessLogAnchor.objects.create(seq=last[0], digest=last[1], purged=count)
        return count
