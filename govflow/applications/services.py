"""Every write a citizen, a clerk or a department system can make.

Keyword-only, typed, one transaction each: a service either does all it says or
raises a ``DomainError`` and changes nothing. The API, the portal, the workbench
and the admin all call these.
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import IO, Any, TypeVar

from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import DatabaseError, IntegrityError, OperationalError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from viewflow.workflow.exceptions import FlowLockFailed
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS, STATUS

from govflow.accounts.models import HANDLING_ROLES, Membership, Role
from govflow.catalog import jurisdictions
from govflow.catalog.calendar import add_working_days, local_date, working_days_between
from govflow.catalog.definition import Definition, get_definition
from govflow.catalog.models import ApplicantKind, OneThing
from govflow.errors import (
    Busy,
    DomainError,
    InvalidInput,
    InvalidState,
    NotAllowed,
    NotFound,
    UnsupportedFileType,
    UploadTooLarge,
)
from govflow.parties.models import Authorisation, AuthorisationScope, OrganisationRole, live_q
from govflow.parties.selectors import MYSELF, Principal, refusal_for
from govflow.text import bad_text_in, has_bad_text, invalid_text_message
from govflow.uploads import MIME_BY_TYPE, TooLarge, read_upload, sanitize_filename

from . import commitment_papers, deferral, engine, events, papers, routing
from . import delivery as delivery_rules
from .flows import OneThingFlow
from .models import (
    FINAL_CASE_STATUSES,
    Application,
    ApplicationStatus,
    Case,
    CaseStatus,
    Channel,
    CorrectionRequest,
    Delivery,
    DeliveryState,
    Document,
    DocumentStatus,
    Evaluation,
    IssuedOutput,
    NumberSequence,
    TimelineEntry,
)
from .readiness import readiness
from .rules import (
    blanked_required,
    correction_scope,
    correction_targets,
    output_matches,
    require_material_changeable,
    stale_materials,
)
from .selectors import acting_q, is_counter_clerk_of
from .states import may_apply_again
from .timing import decision_timing, waiting_days

# ---------------------------------------------------------------------------------------------
# helpers


def _lock_application(pk: int) -> Application:
    """Lock the application row for the rest of the transaction and return it fresh.

    Every change to an application, by anyone, takes this lock first (viewflow's own
    process lock comes after it), so two changes of one application never interleave.
    """
    try:
        return (Application.objects.select_for_update(of=("self",))
                .select_related("one_thing__division", "version", "applicant", "division").get(pk=pk))
    except Application.DoesNotExist:
        raise NotFound("Application not found.") from None
    except DatabaseError as exc:  # lock timeout or deadlock victim
        raise Busy() from exc


def _cases(application: Application) -> list[Case]:
    return list(Case.objects.filter(application=application)
                .select_related("task__process", "reviewer", "department", "office"))


def _require_actor(application: Application, user: Any) -> None:
    """The access rule (:func:`selectors.acting_q`): anyone else gets "not found"."""
    if application.applicant_id is not None and application.applicant_id == getattr(user, "pk", None):
        return
    if not Application.objects.filter(acting_q(user), pk=application.pk).exists():
        raise NotFound("Application not found.")


def _definition(application: Application) -> Definition:
    return get_definition(application.version)


def _clean_data_keys(definition: Definition, data: Any) -> dict:
    if not isinstance(data, dict):
        raise InvalidInput("Answers must be an object.", errors={"data": ["Answers must be an object."]})
    if any(isinstance(k, str) and has_bad_text(k) for k in data):  # never echo such a key back
        raise InvalidInput("Invalid field code.", errors={"data": {"non_field_errors": [invalid_text_message()]}})
    asked = set(definition.asked_fields)
    unknown = sorted(k for k in data if k not in asked)
    if unknown:
        raise InvalidInput("Unknown fields.", errors={"data": {k: ["Unknown field."] for k in unknown}})
    return data


def _check_text(field: str, value: str, *, multiline: bool = False) -> None:
    """The text rule of :mod:`govflow.text`, as a field error."""
    if has_bad_text(value, multiline=multiline):
        raise InvalidInput(invalid_text_message(), errors={field: [invalid_text_message()]})


def _next_number(year: int) -> str:
    """GF-<year>-<6+ digits>, unique; the counter row stays locked until commit."""
    updated = NumberSequence.objects.filter(year=year).update(last=F("last") + 1)
    if not updated:
        try:
            with transaction.atomic():
                NumberSequence.objects.create(year=year, last=1)
        except IntegrityError:
            NumberSequence.objects.filter(year=year).update(last=F("last") + 1)
    value = NumberSequence.objects.values_list("last", flat=True).get(year=year)
    from django.conf import settings

    return f"{settings.GOVFLOW_NUMBER_PREFIX}-{year}-{value:06d}"


# ---------------------------------------------------------------------------------------------
# drafts


T = TypeVar("T")


# PostgreSQL's "lock not available" (a lock_timeout ran out) and "deadlock detected".
_BUSY_SQLSTATES = frozenset({"55P03", "40P01"})


def _is_lock_conflict(exc: OperationalError) -> bool:
    return getattr(exc.__cause__, "sqlstate", None) in _BUSY_SQLSTATES


def _engine_step(service: Callable[..., T]) -> Callable[..., T]:
    """A service that moves the workflow. A lock it cannot get, viewflow's (``FlowLockFailed``) or
    the database's (a ``lock_timeout`` that ran out, a deadlock), becomes the domain's ``Busy``
    once the service's transaction has rolled back, so that no interface needs to know the engine
    or the database. Put it above ``@transaction.atomic``."""

    @functools.wraps(service)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        try:
            return service(*args, **kwargs)
        except FlowLockFailed as exc:
            raise Busy() from exc
        except OperationalError as exc:
            if _is_lock_conflict(exc):
                raise Busy() from exc
            raise

    return wrapper


def _applicant_for(one_thing: OneThing, definition: Definition, user: Any, principal: Principal,
                   counter_office: Any) -> dict:
    """Who a new draft is for, as model fields, after the rules of who may apply for it."""
    refusal = refusal_for(principal, applicant_kind=definition.one_thing.get("applicant") or ApplicantKind.PERSON,
                          one_thing_id=one_thing.pk)
    if refusal:
        raise InvalidInput(refusal, errors={"one_thing": [refusal]})
    if counter_office is not None:
        if not is_counter_clerk_of(user, counter_office.pk):
            raise NotAllowed("Only a counter clerk of this office can take applications at its counter.")
        if principal.kind == "self":
            raise InvalidInput("Name the person or the organisation applying.")
    elif principal.kind == "person" and principal.authorisation is None:
        raise NotAllowed("Only a service-hall counter applies for a person without an authorisation.")
    fields = {"applicant": None, "organisation": None, "authorisation": None, "submitted_by": user,
              "counter_office": counter_office}
    if principal.kind == "organisation":
        fields["organisation"] = principal.organisation
    elif principal.kind == "person":
        fields["applicant"] = principal.subject
        mandate = principal.authorisation
        if mandate is not None:
            # Locked, so that two drafts cannot both take a one-application authorisation.
            Authorisation.objects.select_for_update().filter(pk=mandate.pk).first()
            if (mandate.scope == AuthorisationScope.APPLICATION
                    and Application.objects.filter(authorisation=mandate).exists()):
                message = _("This authorisation has been used for an application already.")
                raise InvalidInput(message, errors={"one_thing": [message]})
            fields["authorisation"] = mandate
    else:
        fields["applicant"] = user
    return fields


@transaction.atomic
def application_create(*, user: Any, one_thing_code: str, data: dict | None = None,
                       division: str | None = None, principal: Principal = MYSELF,
                       channel: str = Channel.ONLINE, counter_office: Any = None) -> Application:
    """Start a draft on the version published now, for ``principal`` (the user themselves, an
    organisation they act for, a person they are authorised to apply for, or, at a counter, a
    walk-in person), through ``channel``; at ``division`` (a code) or where the applicant is
    (:func:`routing.starting_division`)."""
    if not isinstance(one_thing_code, str) or has_bad_text(one_thing_code):
        raise InvalidInput("Unknown one thing.", errors={"one_thing": ["Unknown one thing."]})
    one_thing = (OneThing.objects.select_related("current_version", "division")
                 .filter(code=one_thing_code, is_published=True, current_version__isnull=False).first())
    if one_thing is None:
        raise InvalidInput("Unknown one thing.", errors={"one_thing": ["Unknown or unpublished one thing."]})
    definition = get_definition(one_thing.current_version)
    answers = _clean_data_keys(definition, {} if data is None else data)
    answers = {k: v for k, v in answers.items() if v is not None}
    errors = definition.validate(answers, partial=True)
    if errors:
        raise InvalidInput("Some answers are invalid.", errors={"data": errors})
    if channel not in Channel.values:
        raise InvalidInput("Unknown channel.", errors={"channel": ["Unknown channel."]})
    if (channel == Channel.COUNTER) != (counter_office is not None):
        raise InvalidInput("A counter application names its counter.", errors={"channel": ["Unknown channel."]})
    party = _applicant_for(one_thing, definition, user, principal, counter_office)
    place = (routing.chosen_division(one_thing, division) if division is not None
             else routing.starting_division(one_thing, party["applicant"], party["organisation"]))
    return Application.objects.create(one_thing=one_thing, version=one_thing.current_version, data=answers,
                                      division=place, channel=channel, **party)


@transaction.atomic
def application_update(*, application: Application, user: Any, data: Any = None,
                       division: str | None = None) -> Application:
    """Merge answers: top-level keys replace, ``None`` removes; and/or move a draft to another
    ``division`` (a code; where the one thing is offered).

    While a draft, any field of the form; while corrections are requested, only the
    fields a clerk marked; otherwise refused.
    """
    app = _lock_application(application.pk)
    _require_actor(app, user)
    if division is not None:
        if app.status != ApplicationStatus.DRAFT:
            raise InvalidState("The division can only change while the application is a draft.")
        app.division = routing.chosen_division(app.one_thing, division)
    definition = _definition(app)
    changes = _clean_data_keys(definition, {} if data is None and division is not None else data)
    if app.status == ApplicationStatus.DRAFT:
        allowed = None
    elif app.status == ApplicationStatus.CORRECTION_REQUESTED:
        cases = list(Case.objects.filter(application=app))
        allowed = set(correction_scope(definition, cases).fields)
    else:
        raise InvalidState("The answers can no longer be changed.")
    if allowed is not None:
        refused = sorted(k for k in changes if k not in allowed)
        if refused:
            raise InvalidInput("Only the fields marked for correction may change.",
                               errors={"data": {k: ["This field is not marked for correction."] for k in refused}})
        blanked = blanked_required(definition, cases, changes)
        if blanked:
            raise InvalidInput("A required answer cannot be removed.",
                               errors={"data": {k: ["This field is required."] for k in blanked}})
    merged = dict(app.data)
    for key, value in changes.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    errors = definition.validate(merged, partial=True)
    if errors:
        raise InvalidInput("Some answers are invalid.", errors={"data": errors})
    app.data = merged
    app.save(update_fields=["data", "division", "updated_at"])
    return app


@transaction.atomic
def application_delete(*, application: Application, user: Any) -> None:
    app = _lock_application(application.pk)
    _require_actor(app, user)
    if app.status != ApplicationStatus.DRAFT:
        raise InvalidState("Only drafts can be deleted.")
    names = [d.file.name for d in app.documents.all()]
    app.documents.all().delete()
    app.delete()
    transaction.on_commit(lambda: [default_storage.delete(n) for n in names])


@transaction.atomic
def application_apply_again(*, application: Application, user: Any) -> Application:
    """Start a new draft from a refused or withdrawn application, for the same applicant, on the
    version published now: its answers that the current form still asks and accepts, and its
    materials that are still asked for and still of an accepted type and size (copied, so each
    application keeps its own files). Recorded on the old application's timeline now, and on the
    new one's when it is submitted. The applicant may change everything before submitting."""
    old = _lock_application(application.pk)
    _require_actor(old, user)
    if not may_apply_again(old.status, old.outcome):
        raise InvalidState("Only a refused or withdrawn application can be started again.")
    one_thing = (OneThing.objects.select_related("current_version", "division")
                 .filter(pk=old.one_thing_id, is_published=True, current_version__isnull=False).first())
    if one_thing is None:
        raise InvalidState("This one thing no longer takes applications.")
    party: dict[str, Any] = {"applicant": old.applicant, "organisation": old.organisation, "authorisation": None,
                             "submitted_by": user}
    if old.organisation_id is not None:
        if not OrganisationRole.objects.filter(live_q(), organisation_id=old.organisation_id, user=user).exists():
            raise NotAllowed("Only someone acting for the organisation now can apply for it again.")
    elif old.applicant_id != user.pk:
        mandate = old.authorisation
        if (mandate is None or mandate.agent_id != user.pk or mandate.scope != AuthorisationScope.ONE_THING
                or not Authorisation.objects.filter(live_q(), pk=mandate.pk).exists()):
            raise NotAllowed("Apply again under a new authorisation.")
        party["authorisation"] = mandate
    definition = get_definition(one_thing.current_version)
    asked = set(definition.asked_fields)
    answers = {k: v for k, v in (old.data or {}).items() if k in asked and v is not None}
    invalid = definition.validate(answers, partial=True)
    answers = {k: v for k, v in answers.items() if k not in invalid}
    try:
        division = routing.chosen_division(one_thing, old.division.code)
    except DomainError:
        division = routing.starting_division(one_thing, party["applicant"], party["organisation"])
    new = Application.objects.create(one_thing=one_thing, version=one_thing.current_version, data=answers,
                                     division=division, channel=Channel.ONLINE, previous=old, **party)
    # A material that was still to follow (容缺受理) has no file: the new draft asks for it again.
    for document in Document.objects.filter(application=old).exclude(file=""):
        material = definition.materials.get(document.material_code)
        if material is None:
            continue
        accepted = {MIME_BY_TYPE[t] for t in material.get("accepted_types", []) if t in MIME_BY_TYPE}
        if document.content_type not in accepted or document.size > int(material.get("max_size_mb", 10)) * 1024 * 1024:
            continue
        copy = Document(application=new, material_code=document.material_code, filename=document.filename,
                        size=document.size, sha256=document.sha256, content_type=document.content_type,
                        uploaded_by=user)
        with document.file.open("rb") as source:
            copy.file.save("upload", File(source), save=False)
        stored = copy.file.name
        try:
            copy.save()
        except Exception:
            default_storage.delete(stored)
            raise
    TimelineEntry.objects.create(application=old, kind="application.applied_again", actor=user,
                                 data={"application": new.pk, **({"on_behalf_of": old.party_ref()}
                                                                 if user.pk != old.applicant_id else {})})
    return new


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
    app = _lock_application(application.pk)
    _require_actor(app, user)
    definition = _definition(app)
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
                    and _keep_replaced_document(app, old))
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
    cases = _cases(app)
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


def _keep_replaced_document(app: Application, old: Document) -> bool:
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


# ---------------------------------------------------------------------------------------------
# submission


@_engine_step
@transaction.atomic
def application_submit(*, application: Application, user: Any, idempotency_key: str | None = None,
                       delivery: Any = None, defer: Any = None, accept_deferral_terms: Any = False) -> Application:
    """Submit a draft: validate, decide applicability once, create the cases, start the flow.

    ``delivery`` is how the applicant receives what the applicable procedures issue physically
    (:func:`govflow.applications.delivery.clean_choice`): ``{"method": "pickup", "office": code}`` or
    ``{"method": "post", "recipient", "phone", "address"}``; required only when one of them does.
    ``defer`` lists deferrable materials left out (容缺受理, ``deferral.py``); it needs
    ``accept_deferral_terms=True`` and an applicant who is not on the refusal list."""
    app = _lock_application(application.pk)
    _require_actor(app, user)
    if app.status != ApplicationStatus.DRAFT:
        if idempotency_key and app.submit_key == idempotency_key:
            return app
        raise InvalidState("The application has already been submitted.")
    one_thing = app.one_thing
    if not one_thing.is_published or one_thing.current_version_id is None:
        raise InvalidState("This one thing no longer takes applications.")
    if app.version_id != one_thing.current_version_id:
        # A newer version was published since the draft began: move to it, validate against it.
        app.version = one_thing.current_version
    definition = _definition(app)

    documents = list(Document.objects.filter(application=app))
    uploaded = [d.material_code for d in documents]
    to_defer = deferral.requested(defer)
    report = readiness(definition, app.data, [*uploaded, *to_defer])
    refusal = report.refusal()
    refused_deferral = deferral.refusal(app, definition, report.applicable, to_defer, uploaded,
                                        accept_deferral_terms) if report.applicable else None
    if refusal is not None and refused_deferral is not None:  # every problem at once
        refusal.errors = {**refusal.errors, **refused_deferral.errors}
    if refusal is not None or refused_deferral is not None:
        raise refusal or refused_deferral
    applicable = list(report.applicable)
    commitment_papers.check_submission(app, definition, applicable, documents)  # 告知承诺制
    # Routed before anything is written: a missing office refuses the submission, naming it.
    procedures = _procedures(applicable)
    division = routing.routing_division(definition, report.answers, app.division, one_thing.division)
    offices = jurisdictions.route(division, routing.needs(definition, procedures, applicable))
    received = delivery_rules.clean_choice(delivery, delivery_rules.options(definition, applicable, division))

    unused = [d for d in documents if d.material_code not in report.materials]
    if unused:
        names = [d.file.name for d in unused]
        Document.objects.filter(pk__in=[d.pk for d in unused]).delete()
        transaction.on_commit(lambda: [default_storage.delete(n) for n in names])

    now = timezone.now()
    app.data = report.answers
    app.status = ApplicationStatus.SUBMITTED
    app.submitted_at = now
    app.number = _next_number(local_date(now).year)
    # 告知承诺制: the signed commitments' PDFs now name the application number.
    commitment_papers.finalise(app, definition, [d for d in documents if d not in unused])
    app.submit_key = idempotency_key or ""
    app.division = division
    app.submitted_by = user
    for name, value in received.items():
        setattr(app, name, value)

    cases = Case.objects.bulk_create([
        Case(application=app, procedure_code=code, procedure=procedures[code],
             department=procedures[code].department, office=offices[code], position=index,
             after=[p for p in definition.after(code) if p in applicable],
             committed_days=int(definition.procedures[code]["committed_days"]))
        for index, code in enumerate(applicable)
    ])
    if not cases or any(c.pk is None for c in cases):
        cases = _cases(app)
    with engine.session(app, cases, actor=user, applicant_side=True) as s:
        # The promise, fixed now and never moved: every page, receipt and the API show this date.
        app.expected_finish = engine.committed_finish(app)
        s.log("application.submitted", message=app.number)
        if app.previous_id is not None:
            s.log("application.started_again", message=app.previous.number or "",
                  data={"application": app.previous_id})
        s.notify("application.submitted", payload={"number": app.number})
        if to_defer:
            _defer_materials(s, app, definition, applicable, to_defer, user, now)
        OneThingFlow.start.run(application=app)
        s.touch_application("version", "data", "status", "submitted_at", "number", "submit_key", "process",
                            "division", "submitted_by", "expected_finish", *received)
    return app


def _defer_materials(s: engine.EngineSession, app: Application, definition: Definition, applicable: list[str],
                     codes: list[str], user: Any, now: Any) -> None:
    """容缺受理 at submission: a deferred row per material, due by its working-day deadline, and the
    accepted terms on the timeline (public: the applicant's record of what they undertook)."""
    terms = deferral.terms_record(now, application=app, user=user)
    rows = Document.objects.bulk_create(deferral.deferred_documents(
        app, submitted_on=local_date(now), days=deferral.deferrable(definition, applicable), codes=codes,
        terms=terms, user=user))
    s.log("material.deferred", data={"materials": {d.material_code: d.due_date.isoformat() for d in rows},
                                     "terms": terms})


def _procedures(codes: list[str]) -> dict:
    """The live procedures (with their departments) behind the snapshot's procedure codes, in
    one query; the cases keep them, so queueing a case needs no further lookup."""
    from govflow.catalog.models import Procedure

    found = {p.code: p for p in Procedure.objects.filter(code__in=codes).select_related("department")}
    missing = [c for c in codes if c not in found]
    if missing:
        raise InvalidState(f"Procedures no longer exist: {', '.join(missing)}")
    return found


# ---------------------------------------------------------------------------------------------
# citizen actions on a running application


@_engine_step
@transaction.atomic
def application_resubmit(*, application: Application, user: Any) -> Application:
    """Answer every open correction request at once; each case goes back to its clerk.

    Refused (``InvalidInput``, nothing changed) while the answers are incomplete or invalid,
    a required material is missing, or a material a clerk marked has not been uploaded again
    since the clerk asked; ``errors["materials"]`` names those materials by code.
    """
    app = _lock_application(application.pk)
    _require_actor(app, user)
    cases = _cases(app)
    waiting = [c for c in cases if c.status == CaseStatus.CORRECTION_REQUESTED]
    if app.status != ApplicationStatus.CORRECTION_REQUESTED or not waiting:
        raise InvalidState("No correction was requested.")
    uploaded = dict(Document.objects.filter(application=app).values_list("material_code", "uploaded_at"))
    report = readiness(_definition(app), app.data, uploaded, applicable=[c.procedure_code for c in cases])
    refusal = report.refusal(also_missing=stale_materials(waiting, uploaded))
    if refusal is not None:
        raise refusal

    now = timezone.now()
    today = local_date(now)
    with engine.session(app, cases, actor=user, applicant_side=True) as s:
        s.log("application.resubmitted")
        for case in waiting:
            task = case.task
            if task is None or task.status not in (STATUS.NEW, STATUS.ASSIGNED):
                raise InvalidState("The correction task is not open.")
            # The SLA clock was paused while the citizen held the case.
            paused_from = local_date(case.paused_at) if case.paused_at else today
            added = working_days_between(paused_from, today)
            case.paused_working_days += added
            if case.due_date and added:
                case.due_date = add_working_days(case.due_date, added)
            case.paused_at = None
            case.corrections = {}
            s.touch_case(case, "paused_working_days", "due_date", "paused_at", "corrections")
            activation = task.flow_task.activation_class(task)
            activation.start(None)
            activation.execute()  # -> review, assigned back to the clerk who asked when possible
        CorrectionRequest.objects.filter(case__in=waiting, resolved_at__isnull=True).update(resolved_at=now)
        engine.refresh_application_status(s)
    return app


@_engine_step
@transaction.atomic
def application_withdraw(*, application: Application, user: Any) -> Application:
    """Withdraw: every open case is cancelled, the process ends."""
    app = _lock_application(application.pk)
    _require_actor(app, user)
    if app.status == ApplicationStatus.DRAFT:
        raise InvalidState("A draft is deleted, not withdrawn.")
    if not app.is_open:
        raise InvalidState("The application is already finished.")
    cases = _cases(app)
    now = timezone.now()
    with engine.session(app, cases, actor=user, applicant_side=True) as s:
        for case in cases:
            if case.status in FINAL_CASE_STATUSES:
                continue
            task = case.task
            if task is not None and task.status in (STATUS.NEW, STATUS.ASSIGNED):
                task.flow_task.activation_class(task).cancel()
            case.status = CaseStatus.CANCELLED
            case.owner = None
            s.touch_case(case, "status", "owner")
            s.log("case.cancelled", case=case, actor=None, message="withdrawn by the applicant")
        process = next((c.task.process for c in cases if c.task is not None), None) or app.process
        process.status = PROCESS.CANCELED
        process.finished = now
        process.save(update_fields=["status", "finished"])
        app.status = ApplicationStatus.WITHDRAWN
        app.completed_at = now
        s.touch_application("status", "completed_at")
        s.log("application.withdrawn")
        s.notify("application.withdrawn", payload={"number": app.number})
    return app


@transaction.atomic
def evaluation_create(*, application: Application, user: Any, score: Any, comment: str = "") -> Evaluation:
    """The citizen rates a completed application once (好差评); 1–2 opens a follow-up."""
    app = _lock_application(application.pk)
    _require_actor(app, user)
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise InvalidInput("Score must be a whole number from 1 to 5.", errors={"score": ["Must be 1 to 5."]})
    if not isinstance(comment, str):
        raise InvalidInput("Comment must be text.", errors={"comment": ["Must be text."]})
    _check_text("comment", comment, multiline=True)
    if app.status != ApplicationStatus.COMPLETED:
        raise InvalidState("Only a completed application can be rated.")
    if Evaluation.objects.filter(application=app).exists():
        raise InvalidState("This application has already been rated.")
    evaluation = Evaluation.objects.create(application=app, score=score, comment=comment[:5000],
                                           needs_follow_up=score <= 2)
    data = {"score": score}
    if user.pk != app.applicant_id:
        data["on_behalf_of"] = app.party_ref()
    TimelineEntry.objects.create(application=app, kind="evaluation.created", actor=user,
                                 message=str(score), data=data)
    return evaluation


# ---------------------------------------------------------------------------------------------
# clerks


def _lock_case(case: Case) -> tuple[Application, Case, Task]:
    """Lock the case's application, then reload the case and its task fresh."""
    app = _lock_application(case.application_id)
    fresh = Case.objects.select_related("task__process", "department", "office").get(pk=case.pk)
    if fresh.task is None:
        raise InvalidState("This task is no longer open.")
    return app, fresh, fresh.task


def _is_party(app: Application, user: Any) -> bool:
    """Whether ``user`` is on the applicant's side (the person, who submitted it, someone who may
    act for its organisation now): such a clerk may not handle its cases."""
    if user.pk in (app.applicant_id, app.submitted_by_id):
        return True
    return bool(app.organisation_id) and OrganisationRole.objects.filter(
        live_q(), organisation_id=app.organisation_id, user=user).exists()


def _require_member(user: Any, office_id: int) -> str:
    role = (Membership.objects.filter(user=user, office_id=office_id, role__in=HANDLING_ROLES)
            .values_list("role", flat=True).first())
    if role is None:
        raise NotFound("Task not found.")
    return role


@_engine_step
@transaction.atomic
def task_claim(*, case: Case, user: Any) -> Case:
    """Take an unclaimed task of one's office. Exactly one of simultaneous claims wins."""
    app, case, task = _lock_case(case)
    _require_member(user, case.office_id)
    if _is_party(app, user):
        raise NotAllowed("You cannot handle a case of your own application.")
    if case.status != CaseStatus.QUEUED or task.status != STATUS.NEW or task.owner_id:
        raise InvalidState("Someone else has already claimed this task.")
    activation = task.flow_task.activation_class(task)
    task.assigned = timezone.now()
    activation.assign(user)
    with engine.session(app, [case], actor=user) as s:
        case.status = CaseStatus.IN_REVIEW
        case.owner = user
        s.touch_case(case, "status", "owner")
        _first_claim(s, case, task.assigned)
        s.log("case.claimed", case=case)
        _mark_in_progress(s)
    return case


def _first_claim(s: engine.EngineSession, case: Case, at: Any) -> None:
    """The first time a clerk takes the case ends its wait in the queue (statistics)."""
    if case.claimed_at is None:
        case.claimed_at = at
        s.touch_case(case, "claimed_at")


def _mark_in_progress(s: engine.EngineSession) -> None:
    """An application is 'submitted' until a clerk first claims or decides one of its cases."""
    if s.application.status == ApplicationStatus.SUBMITTED:
        s.application.status = ApplicationStatus.IN_PROGRESS
        s.touch_application("status")


@_engine_step
@transaction.atomic
def task_release(*, case: Case, user: Any) -> Case:
    """Give a claimed task back to the office's queue (its holder, or a supervisor)."""
    app, case, task = _lock_case(case)
    role = _require_member(user, case.office_id)
    if case.status != CaseStatus.IN_REVIEW or task.status != STATUS.ASSIGNED:
        raise InvalidState("This task is not claimed.")
    if task.owner_id != user.pk and role != Role.SUPERVISOR:
        raise NotAllowed("Only the holder or a supervisor can release this task.")
    task.assigned = None
    task.flow_task.activation_class(task).unassign()
    with engine.session(app, [case], actor=user) as s:
        case.status = CaseStatus.QUEUED
        case.owner = None
        s.touch_case(case, "status", "owner")
        s.log("case.released", case=case)
    return case


@_engine_step
@transaction.atomic
def task_assign(*, case: Case, user: Any, assignee: Any) -> Case:
    """A supervisor gives a task to a clerk of the office."""
    app, case, task = _lock_case(case)
    role = _require_member(user, case.office_id)
    if role != Role.SUPERVISOR:
        raise NotAllowed("Only a supervisor of the office can assign tasks.")
    if assignee is None or not assignee.is_active or not Membership.objects.filter(
            user=assignee, office_id=case.office_id, role__in=HANDLING_ROLES).exists():
        raise InvalidInput("The assignee must be an active member of the office.",
                           errors={"user": ["Not a member of this office."]})
    if _is_party(app, assignee):
        raise InvalidInput("A clerk cannot handle their own application.",
                           errors={"user": ["This person filed the application."]})
    if case.status not in (CaseStatus.QUEUED, CaseStatus.IN_REVIEW) or task.status not in (STATUS.NEW,
                                                                                            STATUS.ASSIGNED):
        raise InvalidState("This task is not open.")
    previous = case.owner if case.status == CaseStatus.IN_REVIEW else None
    if previous is not None and previous.pk == assignee.pk:
        raise InvalidInput("This clerk already holds the task.", errors={"user": ["Already holds this task."]})
    activation = task.flow_task.activation_class(task)
    task.assigned = timezone.now()
    if task.status == STATUS.NEW:
        activation.assign(assignee)
    else:
        activation.reassign(assignee)
    with engine.session(app, [case], actor=user) as s:
        case.status = CaseStatus.IN_REVIEW
        case.owner = assignee
        s.touch_case(case, "status", "owner")
        _first_claim(s, case, task.assigned)
        # Its own kind, by the supervisor, from whom to whom: never a second "claimed".
        s.log("case.reassigned", case=case, data={"from": _clerk_ref(previous), "to": _clerk_ref(assignee)})
        _mark_in_progress(s)
    return case


def _clerk_ref(user: Any) -> dict | None:
    """A clerk as a reassignment entry names them (staff read it; the applicant never does)."""
    if user is None:
        return None
    return {"id": user.pk, "name": user.name or user.username}


DECISIONS = ("approve", "reject", "request_correction")


def _validate_outputs(definition: Definition, procedure: str, outputs: Any) -> dict[str, str]:
    if outputs is None:
        outputs = {}
    if not isinstance(outputs, dict):
        raise InvalidInput("Outputs must be an object.", errors={"outputs": ["Must be an object."]})
    expected = {o["code"]: o for o in definition.outputs_of(procedure)}
    errors: dict[str, list[str]] = {}
    if any(isinstance(code, str) and has_bad_text(code) for code in outputs):  # never echo such a code
        raise InvalidInput("Some outputs are invalid.", errors={"outputs": {"non_field_errors": [invalid_text_message()]}})
    for code in outputs:
        if code not in expected:
            errors[code] = ["This procedure does not issue this output."]
    for code, spec in expected.items():
        value = outputs.get(code)
        if value is None or value == "":
            errors[code] = ["This output is required."]
        elif not isinstance(value, str) or len(value) > 500:
            errors[code] = ["Must be text of at most 500 characters."]
        elif has_bad_text(value):
            errors[code] = [invalid_text_message()]
        elif not output_matches(spec, value):
            errors[code] = ["Does not match the required format."]
    if errors:
        raise InvalidInput("Some outputs are invalid.", errors={"outputs": errors})
    return {code: outputs[code] for code in expected}


def _validate_corrections(definition: Definition, procedure: str, corrections: Any,
                          cases: list[Case]) -> dict:
    if not isinstance(corrections, dict):
        raise InvalidInput("Corrections must be an object.", errors={"corrections": ["Must be an object."]})
    fields = corrections.get("fields") or []
    materials = corrections.get("materials") or []
    message = corrections.get("message")
    errors: dict[str, list[str]] = {}
    if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
        errors["fields"] = ["Must be a list of field codes."]
        fields = []
    if not isinstance(materials, list) or not all(isinstance(m, str) for m in materials):
        errors["materials"] = ["Must be a list of material codes."]
        materials = []
    if not isinstance(message, str) or not message.strip():
        errors["message"] = ["Tell the citizen what to correct."]
    elif has_bad_text(message, multiline=True):
        errors["message"] = [invalid_text_message()]
    if isinstance(fields, list) and isinstance(materials, list) and bad_text_in(fields + materials):
        raise InvalidInput("The correction request is invalid.",
                           errors={"corrections": {"non_field_errors": [invalid_text_message()]}})
    if not fields and not materials and "fields" not in errors and "materials" not in errors:
        errors["non_field_errors"] = ["Mark at least one field or material."]
    targets = correction_targets(definition, procedure, [(c.procedure_code, c.status) for c in cases])
    bad_fields = [f for f in fields if f not in targets.fields]
    bad_materials = [m for m in materials if m not in targets.materials]
    if bad_fields:
        errors.setdefault("fields", []).append(
            "Not correctable here: " + ", ".join(sorted(set(bad_fields))))
    if bad_materials:
        errors.setdefault("materials", []).append(
            "Not correctable here: " + ", ".join(sorted(set(bad_materials))))
    if errors:
        raise InvalidInput("The correction request is invalid.", errors={"corrections": errors})
    return {"fields": list(dict.fromkeys(fields)), "materials": list(dict.fromkeys(materials)),
            "message": message.strip()}


@_engine_step
@transaction.atomic
def task_complete(*, case: Case, user: Any, decision: Any, outputs: Any = None, comment: Any = "",
                  corrections: Any = None) -> Case:
    """The holder decides: approve (with every output), reject (with the reason), or
    request corrections (codes of this procedure only)."""
    if decision not in DECISIONS:
        raise InvalidInput("Unknown decision.", errors={"decision": [f"One of: {', '.join(DECISIONS)}."]})
    if comment is None:
        comment = ""
    if not isinstance(comment, str):
        raise InvalidInput("Comment must be text.", errors={"comment": ["Must be text."]})
    _check_text("comment", comment, multiline=True)
    app = _lock_application(case.application_id)
    cases = _cases(app)
    case = next((c for c in cases if c.pk == case.pk), None)
    if case is None:
        raise NotFound("Task not found.")
    _require_member(user, case.office_id)
    task = case.task
    if case.status != CaseStatus.IN_REVIEW or task is None or task.status != STATUS.ASSIGNED:
        raise InvalidState("This task is not in review.")
    if task.owner_id != user.pk:
        raise NotAllowed("Only the clerk holding this task can decide it.")
    definition = _definition(app)
    now = timezone.now()

    conditional = False
    if decision == "approve" and definition.deferrable_days(case.procedure_code):
        # 容缺受理: with a required material still deferred, only a conditional approval, where allowed.
        deferred = list(Document.objects.filter(application=app, status=DocumentStatus.DEFERRED)
                        .values_list("material_code", flat=True))
        waiting = deferral.approval_refusal(definition, case, deferred)
        if waiting:
            raise InvalidState(waiting)
        conditional = bool(deferral.missing_for(definition, case, deferred))

    with engine.session(app, cases, actor=user) as s:
        if decision == "approve":
            values = _validate_outputs(definition, case.procedure_code, outputs)
            case.status = CaseStatus.APPROVED
            case.outputs = values
            case.comment = comment
            case.conditional = conditional
            issued = IssuedOutput.objects.bulk_create([
                IssuedOutput(application=app, case=case, holder_id=app.applicant_id,
                             organisation_id=app.organisation_id, code=code, value=value)
                for code, value in values.items()
            ])
            data: dict[str, Any] = {"outputs": values}
            if conditional:
                data.update(conditional=True, deferred=deferral.missing_for(definition, case, deferred))
            s.log("case.approved", case=case, message=comment, data=data)
            papers.issue_certificates(s, case, issued)
            commitment_papers.open_verifications(s, definition, case, now)  # 告知承诺制: the draw
            events.outputs_issued(s, case, issued)
            s.notify("case.approved", payload={"procedure": case.procedure_code, "number": app.number})
            _start_deliveries(s, definition, case, now)
        elif decision == "reject":
            if not comment.strip():
                raise InvalidInput("State the reason and its legal basis.",
                                   errors={"comment": ["A reason is required to reject."]})
            case.status = CaseStatus.REJECTED
            case.comment = comment.strip()
            s.log("case.rejected", case=case, message=case.comment)
            s.notify("case.rejected", payload={"procedure": case.procedure_code, "number": app.number,
                                               "reason": case.comment, "decided_on": local_date(now).isoformat()})
            engine.cancel_dependents(s, case)
        else:
            request = _validate_corrections(definition, case.procedure_code, corrections, cases)
            case.status = CaseStatus.CORRECTION_REQUESTED
            case.corrections = request
            case.reviewer = user
            case.paused_at = now
            case.owner = None
            CorrectionRequest.objects.create(case=case, requested_by=user, fields=request["fields"],
                                             materials=request["materials"], message=request["message"],
                                             answers_before={c: app.data.get(c) for c in request["fields"]})
            s.log("case.correction_requested", case=case, message=request["message"],
                  data={"fields": request["fields"], "materials": request["materials"]})
            s.notify("case.correction_requested", payload={"procedure": case.procedure_code, "number": app.number,
                                                           **request})
        if decision != "request_correction":
            case.decided_at = now
            case.decided_by = user
            case.owner = None
            case.working_days_used, case.on_time = decision_timing(
                queued_at=case.queued_at, decided_at=now, paused_working_days=case.paused_working_days,
                due_date=case.due_date)
            case.prerequisite_working_days, case.queue_working_days = waiting_days(
                submitted_at=app.submitted_at, queued_at=case.queued_at, claimed_at=case.claimed_at or now)
        s.touch_case(case, "status", "outputs", "comment", "corrections", "reviewer", "paused_at", "owner",
                     "decided_at", "decided_by", "working_days_used", "on_time", "prerequisite_working_days",
                     "queue_working_days", "conditional")

        activation = task.flow_task.activation_class(task)
        activation.start(None)
        activation.execute()  # -> route: correction, newly ready cases, delivery or branch end
        engine.refresh_application_status(s)
    return case


# ---------------------------------------------------------------------------------------------
# physical results on their way to the applicant


def _delivery_data(delivery: Delivery) -> dict:
    """What a delivery's timeline entry and notification say: which result, how, where, the tracking number."""
    data: dict[str, Any] = {"result": delivery.code, "label": delivery.label, "method": delivery.method,
                            "state": delivery.state}
    if delivery.pickup_office_id:
        data["office"] = {"code": delivery.pickup_office.code, "name": delivery.pickup_office.name}
    if delivery.tracking_number:
        data["tracking_number"] = delivery.tracking_number
    return data


def _delivery_message(delivery: Delivery) -> str:
    """The entry's message (in no language): the tracking number once posted, else the pick-up
    office's code; ``data`` names the office in every language."""
    if delivery.tracking_number:
        return delivery.tracking_number
    return delivery.pickup_office.code if delivery.pickup_office_id else ""


def _start_deliveries(s: engine.EngineSession, definition: Definition, case: Case, now: Any) -> None:
    """An approved case's physical results start on their way, being prepared (the applicant's choice
    made at submission says how). An application submitted before its procedure issued anything
    physical has no choice: nothing is tracked for it."""
    app = s.application
    results = definition.physical_results_of(case.procedure_code)
    if not results or not app.delivery_method:
        return
    rows = [Delivery(application=app, case=case, code=r["code"], label=r.get("label") or {}, method=app.delivery_method,
                     pickup_office=app.pickup_office if app.delivery_method == "pickup" else None,
                     state=DeliveryState.PREPARING, created_at=now, updated_at=now) for r in results]
    Delivery.objects.bulk_create(rows)
    for row in rows:
        s.log("delivery.preparing", case=case, message=_delivery_message(row), data=_delivery_data(row))


@_engine_step
@transaction.atomic
def delivery_advance(*, delivery: Delivery, user: Any, state: Any, tracking_number: Any = "") -> Delivery:
    """A clerk of the case's office moves a physical result on: ready for pick-up, then collected;
    or posted (with the carrier's tracking number), then delivered. Only the next state of its
    method is accepted; each move is on the timeline and told to the applicant. Anyone but a
    clerk or supervisor of the office: not found."""
    app = _lock_application(delivery.application_id)
    fresh = (Delivery.objects.select_related("case__office", "case__department", "pickup_office")
             .filter(pk=delivery.pk, application=app).first())
    if fresh is None:
        raise NotFound("Delivery not found.")
    _require_member(user, fresh.case.office_id)
    if state not in DeliveryState.values or state == DeliveryState.PREPARING:
        raise InvalidInput("Unknown state.", errors={"state": ["One of: ready, posted, collected, delivered."]})
    if _is_party(app, user):
        raise NotAllowed("You cannot handle a case of your own application.")
    expected = delivery_rules.next_state(fresh.method, fresh.state)
    if state != expected:
        raise InvalidState("This result cannot move to that state now.")
    if state == DeliveryState.POSTED:
        fresh.tracking_number = delivery_rules.check_tracking_number(tracking_number)
    fresh.state = state
    fresh.updated_at = timezone.now()
    fresh.save(update_fields=["state", "tracking_number", "updated_at"])
    with engine.session(app, [fresh.case], actor=user) as s:
        data = _delivery_data(fresh)
        s.log(f"delivery.{state}", case=fresh.case, message=_delivery_message(fresh), data=data)
        s.notify(f"delivery.{state}", payload={"procedure": fresh.case.procedure_code, "number": app.number,
                                               **data})
    return fresh
