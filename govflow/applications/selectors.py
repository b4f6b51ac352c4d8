"""Reads, and the access helpers: one per entity, returning the object or raising Http404."""
from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from govflow.accounts.models import Membership, Role

from .errors import NotAllowed
from .models import PUBLIC_TIMELINE_KINDS, Application, Case, CaseStatus, TimelineEntry


def int_or_404(value: Any) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise Http404("Not found.") from None
    if number <= 0 or number > 2**63 - 1:
        raise Http404("Not found.")
    return number


def department_ids_for(user: Any, *, role: str | None = None) -> list[int]:
    if user is None or not user.is_authenticated:
        return []
    qs = Membership.objects.filter(user=user)
    if role:
        qs = qs.filter(role=role)
    return list(qs.values_list("department_id", flat=True))


def is_clerk(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and Membership.objects.filter(user=user).exists())


def is_supervisor_of(user: Any, department_id: int) -> bool:
    return Membership.objects.filter(user=user, department_id=department_id, role=Role.SUPERVISOR).exists()


# -- applications --------------------------------------------------------------------------

#: What the list shows of a case: its state, its department, its procedure's code.
_LIST_CASE_FIELDS = ("id", "application_id", "procedure_code", "department_id", "status", "position", "department__id",
                     "department__code", "department__name")


def applications_for_citizen(*, user: Any, status: str | None = None) -> QuerySet[Application]:
    """A citizen's own applications, newest first, with what a list shows in 3 queries.

    Neither the answers nor the version's snapshot (compiled once per process and cached) are
    read, nor more of each case than the list shows: decoding them cost more than the queries.
    """
    qs = (Application.objects.filter(applicant=user)
          .select_related("one_thing", "version").defer("data", "version__definition")
          .prefetch_related(Prefetch("cases", queryset=Case.objects.select_related("department")
                                     .only(*_LIST_CASE_FIELDS))))
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")


def application_for_citizen(user: Any, pk: Any) -> Application:
    """The citizen's own application or 404 (another citizen's application does not exist for them)."""
    pk = int_or_404(pk)
    try:
        return Application.objects.select_related("one_thing", "version", "applicant").get(pk=pk, applicant=user)
    except Application.DoesNotExist:
        raise Http404("Application not found.") from None


def application_timeline(application: Application) -> QuerySet[TimelineEntry]:
    """The citizen's timeline: the contract's kinds only, departments never clerks."""
    return (TimelineEntry.objects.filter(application=application, kind__in=PUBLIC_TIMELINE_KINDS)
            .select_related("department").order_by("at", "id"))


# -- tasks (clerks) ------------------------------------------------------------------------

_TASK_RELATED = ("application__version", "procedure", "department", "task", "owner")
# Lists never need the answers, nor the version's snapshot (compiled once per process and cached).
_LIST_DEFERRED = ("application__data", "application__version__definition")


def task_queue_for_clerk(*, user: Any) -> QuerySet[Case]:
    """Unclaimed tasks of the clerk's departments, by due date then creation.

    The case row is the queue index (partial index on open cases by department and
    due date): no scan of viewflow's task table, a constant number of queries.
    """
    return (Case.objects.filter(status=CaseStatus.QUEUED, department__memberships__user=user,
                                task__isnull=False)
            .select_related(*_TASK_RELATED).defer(*_LIST_DEFERRED).order_by("due_date", "task__created", "id"))


def tasks_held_by(*, user: Any) -> QuerySet[Case]:
    """Tasks the clerk holds."""
    return (Case.objects.filter(status=CaseStatus.IN_REVIEW, owner=user, task__isnull=False)
            .select_related(*_TASK_RELATED).defer(*_LIST_DEFERRED).order_by("due_date", "task__created", "id"))


def task_for_clerk(user: Any, pk: Any) -> Case:
    """The case whose open review task is ``pk``, if it belongs to one of the clerk's
    departments; otherwise 404 (another department's task does not exist for them)."""
    pk = int_or_404(pk)
    if user is None or not user.is_authenticated:
        raise Http404("Task not found.")
    try:
        return (Case.objects.select_related(*_TASK_RELATED)
                .get(task_id=pk, status__in=(CaseStatus.QUEUED, CaseStatus.IN_REVIEW),
                     department__memberships__user=user))
    except Case.DoesNotExist:
        raise Http404("Task not found.") from None


def check_may_decide(user: Any, case: Case) -> None:
    """403 unless ``user`` holds the case's task. Checked before the request body is read, so
    a clerk who may not decide learns that, not what is wrong with the body; the service checks
    again under the application lock."""
    if case.owner_id != getattr(user, "pk", None) or case.status != CaseStatus.IN_REVIEW:
        raise NotAllowed("Only the clerk holding this task can decide it.")


def check_may_assign(user: Any, case: Case) -> None:
    """403 unless ``user`` supervises the case's department (see ``check_may_decide``)."""
    if not is_supervisor_of(user, case.department_id):
        raise NotAllowed("Only a supervisor of the department can assign tasks.")


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


def document_for_user(user: Any, application_pk: Any, document_pk: Any):
    """A document for its owner, or for a clerk whose department has a live case on the
    application (neither waiting nor cancelled) whose procedure lists that material; else 404."""
    from govflow.catalog.definition import get_definition

    from .models import Document

    application_pk, document_pk = int_or_404(application_pk), int_or_404(document_pk)
    if user is None or not user.is_authenticated:
        raise Http404("Document not found.")
    try:
        doc = Document.objects.select_related("application__version").get(pk=document_pk,
                                                                          application_id=application_pk)
    except Document.DoesNotExist:
        raise Http404("Document not found.") from None
    if doc.application.applicant_id == user.pk:
        return doc
    definition = get_definition(doc.application.version)
    cases = (Case.objects.filter(application_id=application_pk, department__memberships__user=user)
             .exclude(status__in=(CaseStatus.WAITING, CaseStatus.CANCELLED))
             .values_list("procedure_code", flat=True))
    if any(doc.material_code in definition.material_codes_of(code) for code in cases):
        return doc
    raise Http404("Document not found.")
