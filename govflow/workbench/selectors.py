"""Reads for the clerk workbench: who the clerk is, queue rows, an office's members (SLA states are
:mod:`.sla`, the task page :mod:`.taskpage`, the supervisor's board :mod:`.board`).

Every function here runs a fixed number of queries whatever the number of open tasks. The
queues start from ``govflow.applications.selectors`` (the case row is the queue index, with a
partial index on open cases); this module only adds filters, SLA arithmetic and what the pages
show around them.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import F, QuerySet
from django.db.models.expressions import RawSQL
from django.urls import reverse

from govflow.accounts.models import HANDLING_ROLES, Membership, Role
from govflow.applications import selectors as app_selectors
from govflow.applications.models import (
    Case,
    CaseStatus,
)
from govflow.catalog.models import Procedure, localized

from .sla import Sla, SlaClock, waiting_text

# -- staff ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Staff:
    """An office member as the workbench sees them: memberships loaded once per request."""

    user: Any
    memberships: tuple[Membership, ...]
    held_count: int = 0  # tasks the user holds, for the navigation badge (as of the request's start)

    @property
    def office_ids(self) -> list[int]:
        return [m.office_id for m in self.memberships]

    @property
    def supervised(self) -> list[Membership]:
        return [m for m in self.memberships if m.role == Role.SUPERVISOR]

    @property
    def is_supervisor(self) -> bool:
        return bool(self.supervised)

    @property
    def at_counter(self) -> bool:
        """Works a service-hall counter (role ``counter``) in some office."""
        return any(m.role == Role.COUNTER for m in self.memberships)

    @property
    def handles_cases(self) -> bool:
        return any(m.role in HANDLING_ROLES for m in self.memberships)

    @property
    def several_offices(self) -> bool:
        return len(self.memberships) > 1

    def role_in(self, office_id: int) -> str | None:
        return next((m.role for m in self.memberships if m.office_id == office_id), None)

    def supervises(self, office_id: int) -> bool:
        return self.role_in(office_id) == Role.SUPERVISOR


#: How many tasks the membership's user holds (in review), through the partial index of held cases.
_HELD_COUNT = ("SELECT COUNT(*) FROM applications_case c WHERE c.status = %s AND c.task_id IS NOT NULL"
               " AND c.owner_id = accounts_membership.user_id")


def staff_for(user: Any) -> Staff | None:
    """The user's memberships with their offices (one query); ``None`` for non-members."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    # The held-task count rides along as a scalar subquery: one query for what every page needs.
    # It is written in SQL: built by the ORM (Subquery, OuterRef, Coalesce) it cost 1 ms of
    # Python on every workbench page, three times the query itself.
    memberships = tuple(Membership.objects.filter(user=user).select_related("office__division", "department")
                        .annotate(held=RawSQL(_HELD_COUNT, [CaseStatus.IN_REVIEW]))
                        .order_by("department__code", "office__division__path"))
    if not memberships:
        return None
    return Staff(user=user, memberships=memberships, held_count=memberships[0].held)


# -- queue rows -----------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskRow:
    """One line of a queue: what the clerk needs to pick the next task, nothing more.

    The strings a row shows are made here, once, rather than by template filters: a page of
    fifty rows then costs a few milliseconds of rendering.
    """

    case: Case
    sla: Sla
    url: str

    @property
    def task_id(self) -> int:
        return self.case.task_id

    @property
    def number(self) -> str:
        return self.case.row_number or ""

    @property
    def material_overdue(self) -> bool:
        """容缺受理: a deferred material this case needs was not handed in on time."""
        return self.case.material_overdue_at is not None

    @property
    def procedure_name(self) -> str:
        return localized(self.case.row_procedure_name) or self.case.procedure_code

    @property
    def office_name(self) -> str:
        return localized(self.case.row_office_name) or self.case.row_office_code

    @property
    def due(self) -> str:
        return self.case.due_date.isoformat() if self.case.due_date else ""

    @property
    def waiting_since(self) -> datetime:
        return self.case.row_task_created

    @property
    def waiting(self) -> str:
        return waiting_text(self.case.row_task_created)


def filtered(qs: QuerySet[Case], *, clock: SlaClock, procedure: str = "", sla: str = "",
             number: str = "") -> QuerySet[Case]:
    if procedure:
        qs = qs.filter(procedure_code=procedure)
    if sla:
        qs = qs.filter(clock.q(sla))
    if number:
        qs = qs.filter(application__number__icontains=number.strip())
    return qs


def department_queue(*, user: Any, clock: SlaClock, office_ids: list[int] | None = None,
                     **filters: str) -> QuerySet[Case]:
    """Unclaimed tasks of the clerk's offices, due date first."""
    return filtered(app_selectors.task_queue_for_clerk(user=user, office_ids=office_ids), clock=clock,
                    **filters)


def held_tasks(*, user: Any, clock: SlaClock, office_ids: list[int] | None = None,
               **filters: str) -> QuerySet[Case]:
    """Tasks the clerk holds, due date first."""
    return filtered(app_selectors.tasks_held_by(user=user), clock=clock, **filters)


QUEUE_ORDER = app_selectors.QUEUE_ORDER


#: What a queue row shows, and nothing else: the case's own columns, and the few values of its
#: application, procedure, department and task as annotations (``row_*``), so that a page
#: of fifty rows builds fifty model instances, not three hundred.
ROW_FIELDS = ("id", "application_id", "procedure_code", "procedure_id", "department_id", "office_id", "status",
              "task_id", "owner_id", "due_date", "material_overdue_at")
ROW_VALUES = {
    "row_number": F("application__number"), "row_procedure_name": F("procedure__name"),
    "row_department_code": F("department__code"), "row_office_code": F("office__code"),
    "row_office_name": F("office__name"),
    "row_task_created": F("task__created"),
}


def _rows_by_id(ids: list[int]) -> list[Case]:
    """The cases ``ids`` (already chosen through an access-checked selector), in that order."""
    if not ids:
        return []
    # order_by(): the page's order is put back below, so the database need not sort by Meta.ordering.
    found = {case.pk: case
             for case in Case.objects.filter(pk__in=ids).only(*ROW_FIELDS).annotate(**ROW_VALUES).order_by()}
    return [found[pk] for pk in ids if pk in found]


def paginate(qs: QuerySet[Case], page_number: Any, per_page: int) -> tuple[Page, list[Case]]:
    """One page of a queue in three queries whatever its length: a COUNT, the page's ids
    (the case table alone, through the partial index of open cases: narrow rows to sort),
    then those fifty rows with what a row shows.

    Sorting the fully joined rows instead costs ~150 ms for 10,000 open tasks on PostgreSQL;
    this way the queries cost a few milliseconds, and the deepest page barely more.
    """
    paginator = Paginator(qs.order_by(*QUEUE_ORDER).values_list("pk", flat=True), per_page)
    page = paginator.get_page(page_number)
    return page, _rows_by_id(list(page.object_list))


def first(qs: QuerySet[Case], limit: int) -> list[Case]:
    """The first ``limit`` cases in queue order, the same two-step way (ids, then rows)."""
    return _rows_by_id(list(qs.order_by(*QUEUE_ORDER).values_list("pk", flat=True)[:limit]))


def rows(cases: Any, clock: SlaClock) -> list[TaskRow]:
    # One reverse() for the page, not one per row.
    pattern = reverse("workbench:task", args=[1]).rsplit("/1/", 1)[0] + "/{}/"
    return [TaskRow(case=c, sla=clock.sla(c.due_date), url=pattern.format(c.task_id)) for c in cases]


def procedures_of(department_ids: Iterable[int]) -> list[tuple[str, str]]:
    """(code, name) of the procedures of these departments, for the queue's filter."""
    found = Procedure.objects.filter(department_id__in=set(department_ids)).only("code", "name").order_by("code")
    return [(p.code, localized(p.name) or p.code) for p in found]


def office_members(office_id: int) -> list[Membership]:
    """Active members of an office, for the reassign form."""
    return list(Membership.objects.filter(office_id=office_id, user__is_active=True, role__in=HANDLING_ROLES)
                .select_related("user").order_by("user__username"))


def member_name(user: Any) -> str:
    return user.name or user.get_full_name() or user.username
