"""Reads, and the access helpers: one per entity, returning the object or raising Http404."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, Q, QuerySet
from django.http import Http404

from govflow.accounts.models import HANDLING_ROLES, Membership, Role
from govflow.errors import NotAllowed
from govflow.parties.models import Authorisation, OrganisationRole, live_q
from govflow.parties.selectors import MYSELF, Principal

from .models import Application, Case, CaseStatus, CorrectionRequest, Delivery, TimelineEntry
from .timeline import PUBLIC_TIMELINE_KINDS


def int_or_404(value: Any) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise Http404("Not found.") from None
    if number <= 0 or number > 2**63 - 1:
        raise Http404("Not found.")
    return number


def office_ids_for(user: Any, *, role: str | None = None) -> list[int]:
    """The offices whose cases the user works (with ``role``: the offices where they hold it)."""
    if user is None or not user.is_authenticated:
        return []
    qs = Membership.objects.filter(user=user)
    qs = qs.filter(role=role) if role else qs.filter(role__in=HANDLING_ROLES)
    return list(qs.values_list("office_id", flat=True))


def is_clerk(user: Any) -> bool:
    """Whether the user works in an office (a clerk, a supervisor or a counter clerk)."""
    return bool(user is not None and user.is_authenticated and Membership.objects.filter(user=user).exists())


def is_supervisor_of(user: Any, office_id: int) -> bool:
    return Membership.objects.filter(user=user, office_id=office_id, role=Role.SUPERVISOR).exists()


def is_counter_clerk_of(user: Any, office_id: int | None) -> bool:
    """Whether the user works the service-hall counter of this office."""
    return bool(office_id) and Membership.objects.filter(user=user, office_id=office_id, role=Role.COUNTER).exists()


# -- applications --------------------------------------------------------------------------

#: Case states that count as finished on the list ("3 / 4" procedures finished).
FINISHED_CASE_STATUSES = frozenset({CaseStatus.APPROVED, CaseStatus.REJECTED, CaseStatus.CANCELLED,
                                    CaseStatus.REVOKED})

#: What a row of the list shows of an application; of its one thing, what names it; of its version,
#: its key into the cache of compiled definitions (``get_definition``).
_LIST_APPLICATION_FIELDS = ("number", "status", "outcome", "origin", "created_at", "updated_at", "submitted_at",
                            "expected_finish", "one_thing__code", "one_thing__name", "version__digest")


def acting_q(user: Any) -> Q:
    """The one rule of who may see and act on an application, as a filter: the person it is for;
    whoever holds a standing role (legal representative, unexpired agent) in the organisation it
    is for; the agent of a live authorisation it was made under; a counter clerk of the office
    whose service-hall counter took it. Revoked and expired roles and authorisations count for
    nothing, at once. The standing rows are subqueries: no query of its own."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    return (Q(applicant=user)
            | Q(organisation_id__in=OrganisationRole.objects.filter(live_q(), user=user).values("organisation_id"))
            | Q(authorisation_id__in=Authorisation.objects.filter(live_q(), agent=user).values("pk"))
            | Q(counter_office_id__in=Membership.objects.filter(user=user, role=Role.COUNTER).values("office_id")))


def principal_q(user: Any, principal: Principal) -> Q:
    """The applications of one principal the user acts as (the portal's "acting as" list)."""
    if principal.kind == "organisation":
        return Q(organisation_id=principal.organisation.pk)
    if principal.kind == "person":
        subject_id = principal.authorisation.subject_id
        return Q(applicant_id=subject_id, authorisation_id__in=Authorisation.objects.filter(
            live_q(), agent=user, subject_id=subject_id).values("pk"))
    return Q(applicant=user)


def applications_for_citizen(*, user: Any, status: str | None = None,
                             principal: Principal = MYSELF) -> QuerySet[Application]:
    """The applications of the principal the user acts as (themselves by default), newest first,
    with only the columns a list row shows: no answers, no snapshot (compiled once per process and
    cached). The cases' progress of a page is :func:`case_progress` (one narrow query; correlated
    counts cost more to compile than that)."""
    qs = (Application.objects.filter(principal_q(user, principal))
          .select_related("one_thing", "version").only(*_LIST_APPLICATION_FIELDS))
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")


def case_progress(application_ids: list[int]) -> dict[int, tuple[int, int]]:
    """(finished, all) cases of each of these applications, in one query; absent when it has none."""
    progress: dict[int, tuple[int, int]] = {}
    if not application_ids:
        return progress
    rows = Case.objects.filter(application_id__in=application_ids).order_by().values_list("application_id", "status")
    for application_id, status in rows:
        done, total = progress.get(application_id, (0, 0))
        progress[application_id] = (done + (status in FINISHED_CASE_STATUSES), total + 1)
    return progress


def application_for_citizen(user: Any, pk: Any) -> Application:
    """An application the user may act on (:func:`acting_q`) or 404 (anyone else's application
    does not exist for them)."""
    pk = int_or_404(pk)
    try:
        return (Application.objects.select_related("one_thing__division", "version", "applicant", "division",
                                                   "organisation", "submitted_by", "authorisation")
                .filter(acting_q(user)).get(pk=pk))
    except Application.DoesNotExist:
        raise Http404("Application not found.") from None


@dataclass(frozen=True)
class ApplicantFacts:
    """Who applied, for whom and under what (what clerks see of an application's parties):
    the applicant (a person, id number masked, or an organisation with its USCC), the person
    who submitted it when that is someone else, the channel, and the authorisation it was made
    under, live or not."""

    kind: str
    name: str
    identifier: str
    submitted_by: str
    channel: str
    channel_label: str
    counter: str
    authorisation: Authorisation | None
    authorisation_live: bool


#: What :func:`applicant_facts` reads with the application (``select_related``).
APPLICANT_RELATED = ("application__applicant", "application__organisation", "application__submitted_by",
                     "application__authorisation", "application__counter_office")


def applicant_facts(application: Application) -> ApplicantFacts:
    """The parties of an application, from rows already loaded (:data:`APPLICANT_RELATED`)."""
    person = application.applicant
    organisation = application.organisation
    submitter = application.submitted_by
    if organisation is not None:
        kind, name, identifier = "organisation", organisation.name, organisation.uscc
    else:
        kind, name, identifier = "person", person.name or person.username, person.masked_id_number
    acted = ""
    if submitter is not None and submitter.pk != application.applicant_id:
        acted = submitter.name or submitter.username
    mandate = application.authorisation
    counter = application.counter_office
    return ApplicantFacts(kind=kind, name=name, identifier=identifier, submitted_by=acted,
                          channel=application.channel, channel_label=str(application.get_channel_display()),
                          counter=counter.display_name if counter is not None else "",
                          authorisation=mandate, authorisation_live=bool(mandate and mandate.is_live()))


def application_timeline(application: Application) -> QuerySet[TimelineEntry]:
    """The citizen's timeline: the contract's kinds only, departments never clerks."""
    return (TimelineEntry.objects.filter(application=application, kind__in=PUBLIC_TIMELINE_KINDS)
            .select_related("department", "actor").order_by("at", "id"))


def authorisation_with_evidence(user: Any, pk: Any) -> Authorisation:
    """An authorisation whose evidence the user may read: its agent, its subject, or a clerk or
    supervisor of an office that holds a case of an application made under it; else 404."""
    pk = int_or_404(pk)
    if user is None or not getattr(user, "is_authenticated", False):
        raise Http404("Authorisation not found.")
    handled = Application.objects.filter(authorisation_id=pk, cases__office__memberships__user=user,
                                         cases__office__memberships__role__in=HANDLING_ROLES)
    found = (Authorisation.objects.filter(Q(agent=user) | Q(subject=user) | Q(Exists(handled)), pk=pk)
             .first())
    if found is None or not found.evidence:
        raise Http404("Authorisation not found.")
    return found


# -- tasks (clerks) ------------------------------------------------------------------------

_TASK_RELATED = ("application__version", "procedure", "department", "office__division", "task", "owner")
# Lists never need the answers, nor the version's snapshot (compiled once per process and cached).
_LIST_DEFERRED = ("application__data", "application__version__definition")


#: Queue order: due date, then the task's age. Task ids grow with creation, so ``task_id`` gives
#: the contract's "then created" without joining viewflow's task table, and it is the order of the
#: partial indexes ``case_queued`` and ``case_held_order``: a page is read from the index, not sorted.
QUEUE_ORDER = ("due_date", "task_id", "id")


def task_queue_for_clerk(*, user: Any, office_ids: list[int] | None = None) -> QuerySet[Case]:
    """Unclaimed tasks of the clerk's offices, by due date then creation.

    The office ids are resolved first (or passed in by a caller that has them), so that
    for a clerk of one office PostgreSQL reads the first page straight off ``case_queued``
    in order; a join through memberships would make it collect and sort the whole queue.
    """
    if office_ids is None:
        office_ids = office_ids_for(user)
    return (Case.objects.filter(status=CaseStatus.QUEUED, office_id__in=office_ids, task__isnull=False)
            .select_related(*_TASK_RELATED).defer(*_LIST_DEFERRED).order_by(*QUEUE_ORDER))


def tasks_held_by(*, user: Any) -> QuerySet[Case]:
    """Tasks the clerk holds."""
    return (Case.objects.filter(status=CaseStatus.IN_REVIEW, owner=user, task__isnull=False)
            .select_related(*_TASK_RELATED).defer(*_LIST_DEFERRED).order_by(*QUEUE_ORDER))


def cases_in_order(queryset: QuerySet[Case], ids: list[int]) -> list[Case]:
    """The rows of ``queryset`` whose ids are ``ids`` (a page chosen by an id-only query), in that order."""
    if not ids:
        return []
    found = {case.pk: case for case in queryset.order_by().filter(pk__in=ids)}
    return [found[pk] for pk in ids if pk in found]


def task_for_clerk(user: Any, pk: Any) -> Case:
    """The case whose open review task is ``pk``, if it belongs to one of the clerk's
    offices; otherwise 404 (another office's task does not exist for them)."""
    pk = int_or_404(pk)
    if user is None or not user.is_authenticated:
        raise Http404("Task not found.")
    try:
        return (Case.objects.select_related(*_TASK_RELATED, *APPLICANT_RELATED)
                .get(task_id=pk, status__in=(CaseStatus.QUEUED, CaseStatus.IN_REVIEW),
                     office__memberships__user=user, office__memberships__role__in=HANDLING_ROLES))
    except Case.DoesNotExist:
        raise Http404("Task not found.") from None


def case_of_old_task_for_clerk(user: Any, pk: Any) -> Case:
    """The case a task ``pk`` was for, whatever became of the task since (decided, sent back for
    corrections and replaced by a new review task, cancelled), if the case belongs to one of the
    clerk's offices; otherwise 404, as for a task that never existed. Old links (an email, a
    bookmark, the browser's history) lead the clerk to the case rather than to nothing."""
    from viewflow.workflow.models import Task

    pk = int_or_404(pk)
    if user is None or not user.is_authenticated:
        raise Http404("Task not found.")
    data = Task.objects.filter(pk=pk, process__application__isnull=False).values_list("data", flat=True).first()
    case_id = data.get("case") if isinstance(data, dict) else None
    if not isinstance(case_id, int):
        raise Http404("Task not found.")
    try:
        return (Case.objects.select_related(*_TASK_RELATED, *APPLICANT_RELATED)
                .get(pk=case_id, office__memberships__user=user, office__memberships__role__in=HANDLING_ROLES))
    except Case.DoesNotExist:
        raise Http404("Task not found.") from None


def open_task_id(case: Case) -> int | None:
    """The case's current review task, while the case waits for or is with a clerk."""
    if case.status in (CaseStatus.QUEUED, CaseStatus.IN_REVIEW) and case.task_id is not None:
        return case.task_id
    return None


def check_may_decide(user: Any, case: Case) -> None:
    """403 unless ``user`` holds the case's task. Checked before the request body is read, so
    a clerk who may not decide learns that, not what is wrong with the body; the service checks
    again under the application lock."""
    if case.owner_id != getattr(user, "pk", None) or case.status != CaseStatus.IN_REVIEW:
        raise NotAllowed("Only the clerk holding this task can decide it.")


def check_may_assign(user: Any, case: Case) -> None:
    """403 unless ``user`` supervises the case's office (see ``check_may_decide``)."""
    if not is_supervisor_of(user, case.office_id):
        raise NotAllowed("Only a supervisor of the office can assign tasks.")


def task_view_for_clerk(case: Case) -> dict:
    """Data minimisation: only the answers this procedure needs, the outputs it needs from
    earlier cases, and the documents of its own materials (3 queries)."""
    from govflow.catalog.definition import get_definition

    from .models import Document, IssuedOutput

    application = case.application
    definition = get_definition(application.version)
    fields = definition.field_codes_of(case.procedure_code)
    data = {code: application.data[code] for code in fields if code in application.data}
    needed = definition.needs_outputs(case.procedure_code)
    outputs = dict(IssuedOutput.objects.filter(application=application, code__in=needed)
                   .values_list("code", "value")) if needed else {}
    documents = list(Document.objects.filter(application=application,
                                             material_code__in=definition.material_codes_of(case.procedure_code)))
    history = list(TimelineEntry.objects.filter(case=case).select_related("actor").order_by("at", "id"))
    return {"data": data, "outputs": outputs, "documents": documents, "history": history}


def answered_correction(case: Case) -> CorrectionRequest | None:
    """The case's latest correction request once the applicant has answered it, with what the
    marked answers and files were before (1 query); ``None`` when none was asked or it is still
    open. The answers and files now are the application's."""
    latest = CorrectionRequest.objects.filter(case=case).order_by("-requested_at", "-id").first()
    return latest if latest is not None and latest.resolved_at is not None else None


def replaced_document(case: Case, request_pk: Any, material_code: Any) -> dict:
    """The file a correction request of ``case`` replaced (its ``documents_before`` entry: storage
    name, file name, type) for a material of the case's procedure; else 404. The caller has
    checked the case is the clerk's (``task_for_clerk``)."""
    from govflow.catalog.definition import get_definition

    request_pk = int_or_404(request_pk)
    if not isinstance(material_code, str) or material_code not in get_definition(
            case.application.version).material_codes_of(case.procedure_code):
        raise Http404("Document not found.")
    before = (CorrectionRequest.objects.filter(pk=request_pk, case=case)
              .values_list("documents_before", flat=True).first()) or {}
    info = before.get(material_code)
    if not isinstance(info, dict) or not info.get("file"):
        raise Http404("Document not found.")
    return info


def document_for_user(user: Any, application_pk: Any, document_pk: Any):
    """A document for its owner, or for a clerk whose office has a live case on the
    application (neither waiting nor cancelled) whose procedure lists that material; else 404."""
    from govflow.catalog.definition import get_definition

    from .models import Document

    application_pk, document_pk = int_or_404(application_pk), int_or_404(document_pk)
    if user is None or not user.is_authenticated:
        raise Http404("Document not found.")
    try:
        # A deferred material (容缺受理) has no file yet: nothing to download.
        doc = Document.objects.select_related("application__version").exclude(file="").get(
            pk=document_pk, application_id=application_pk)
    except Document.DoesNotExist:
        raise Http404("Document not found.") from None
    if (doc.application.applicant_id == user.pk
            or Application.objects.filter(acting_q(user), pk=application_pk).exists()):
        return doc
    definition = get_definition(doc.application.version)
    cases = (Case.objects.filter(application_id=application_pk, office__memberships__user=user,
                                 office__memberships__role__in=HANDLING_ROLES)
             .exclude(status__in=(CaseStatus.WAITING, CaseStatus.CANCELLED))
             .values_list("procedure_code", flat=True))
    if any(doc.material_code in definition.material_codes_of(code) for code in cases):
        return doc
    raise Http404("Document not found.")


def deliveries_of(application: Application) -> list:
    """The application's physical results on their way, with their cases and pick-up offices (one query)."""
    return list(Delivery.objects.filter(application=application).select_related("case", "pickup_office")
                .order_by("id"))


def delivering_case_for_clerk(user: Any, pk: Any) -> Case:
    """The approved case whose (finished) review task is ``pk`` and which has physical results on
    their way, if it belongs to one of the clerk's offices: its task page is where the clerk moves
    them on. Otherwise 404, as :func:`task_for_clerk`."""
    pk = int_or_404(pk)
    if user is None or not user.is_authenticated:
        raise Http404("Task not found.")
    found = (Case.objects.select_related(*_TASK_RELATED, *APPLICANT_RELATED)
             .filter(task_id=pk, status=CaseStatus.APPROVED, deliveries__isnull=False,
                     office__memberships__user=user, office__memberships__role__in=HANDLING_ROLES)
             .distinct().first())
    if found is None:
        raise Http404("Task not found.")
    return found


def delivery_for_clerk(user: Any, case: Case, pk: Any):
    """A physical result of ``case`` (already one the clerk may see), else 404."""
    found = Delivery.objects.filter(pk=int_or_404(pk), case=case).first()
    if found is None:
        raise Http404("Delivery not found.")
    return found


def delivery_of_clerk(user: Any, pk: Any) -> Delivery:
    """A physical result by its own id, for the API: one of an approved case of one of the clerk's
    offices (what the workbench's task page moves on); otherwise 404, as for one that does not exist."""
    pk = int_or_404(pk)
    if user is None or not user.is_authenticated:
        raise Http404("Delivery not found.")
    found = (Delivery.objects.select_related("application", "case", "pickup_office__division")
             .filter(pk=pk, case__status=CaseStatus.APPROVED, case__office_id__in=Membership.objects
                     .filter(user=user, role__in=HANDLING_ROLES).values("office_id"))
             .first())
    if found is None:
        raise Http404("Delivery not found.")
    return found


def deliveries_to_hand_over(user: Any) -> QuerySet:
    """The physical results of the clerk's offices' cases not yet collected or delivered, oldest first."""
    return (Delivery.objects.filter(state__in=("preparing", "ready", "posted"), case__office_id__in=Membership.objects
                                    .filter(user=user, role__in=HANDLING_ROLES).values("office_id"))
            .select_related("application", "case__task", "case__office", "pickup_office").order_by("created_at", "id"))
