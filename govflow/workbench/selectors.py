"""Reads for the clerk workbench: who the clerk is, SLA states, queue rows, the task page (the
supervisor's board is in :mod:`.board`).

Every function here runs a fixed number of queries whatever the number of open tasks. The
queues start from ``govflow.applications.selectors`` (the case row is the queue index, with a
partial index on open cases); this module only adds filters, SLA arithmetic and what the pages
show around them.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import F, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.urls import reverse
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import get_language, gettext, ngettext
from django.utils.translation import gettext_lazy as _

from govflow.accounts.models import HANDLING_ROLES, Membership, Role
from govflow.applications import delivery as delivery_rules
from govflow.applications import selectors as app_selectors
from govflow.applications.models import (
    Case,
    CaseStatus,
    Delivery,
    DeliveryState,
    TimelineEntry,
)
from govflow.applications.rules import correction_targets
from govflow.applications.states import state_label
from govflow.applications.timeline import staff_label
from govflow.catalog.calendar import add_working_days, local_date, working_days_between
from govflow.catalog.checkers import readable_comment
from govflow.catalog.definition import Definition, get_definition
from govflow.catalog.fieldtypes import field_type
from govflow.catalog.models import Procedure, localized

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


# -- SLA ----------------------------------------------------------------------------------------

SLA_ON_TIME = "on_time"
SLA_DUE_SOON = "due_soon"
SLA_OVERDUE = "overdue"
SLA_LABELS = {
    SLA_ON_TIME: _("On time"),
    SLA_DUE_SOON: _("Due within 1 working day"),
    SLA_OVERDUE: _("Overdue"),
}


SLA_MARKS = {SLA_ON_TIME: "●", SLA_DUE_SOON: "▲", SLA_OVERDUE: "■"}


def remaining_text(days: int | None) -> str:
    """Working days left, said plainly: "2 working days left", "due today", "3 working days overdue"."""
    if days is None:
        return "—"
    if days == 0:
        return gettext("due today")
    if days > 0:
        return ngettext("%(n)d working day left", "%(n)d working days left", days) % {"n": days}
    return ngettext("%(n)d working day overdue", "%(n)d working days overdue", -days) % {"n": -days}


_WAITING_CACHE: dict[tuple[str, int, int], str] = {}


def waiting_text(since: datetime | None, now: datetime | None = None) -> str:
    """``timesince(since, depth=1)`` ("3 hours", "2 days"), remembered per language and whole
    unit: under four weeks the text depends only on those, and a page of fifty rows shares a few."""
    if since is None:
        return ""
    now = now or timezone.now()
    seconds = int((now - since).total_seconds())
    if seconds < 0 or seconds >= 28 * 86400:
        return timesince(since, now=now, depth=1)
    unit = 86400 if seconds >= 86400 else 3600 if seconds >= 3600 else 60
    key = (get_language() or "", unit, seconds // unit)
    text = _WAITING_CACHE.get(key)
    if text is None:
        text = _WAITING_CACHE[key] = timesince(since, now=now, depth=1)
    return text


@dataclass(frozen=True)
class Sla:
    """The state of a case's time limit: colour (``state``), shape (``mark``) and words."""

    state: str
    remaining: int | None  # working days left; negative when overdue

    @property
    def label(self) -> str:
        return str(SLA_LABELS[self.state])

    @property
    def mark(self) -> str:
        return SLA_MARKS[self.state]

    @property
    def remaining_text(self) -> str:
        return remaining_text(self.remaining)


@dataclass(frozen=True)
class SlaClock:
    """Today on the working-day calendar, and the last day that still counts as "due soon"."""

    today: date
    soon_limit: date

    @classmethod
    def now(cls, at: datetime | None = None) -> SlaClock:
        today = local_date(at or timezone.now())
        return cls(today=today, soon_limit=add_working_days(today, 1))

    def state(self, due: date | None) -> str:
        if due is None:
            return SLA_ON_TIME
        if due < self.today:
            return SLA_OVERDUE
        if due <= self.soon_limit:
            return SLA_DUE_SOON
        return SLA_ON_TIME

    def remaining(self, due: date | None) -> int | None:
        if due is None:
            return None
        if due >= self.today:
            return working_days_between(self.today, due)
        # Past its due date a case is overdue by at least one working day, even on a weekend or a
        # holiday right after the due date, when no working day has passed since (not "due today").
        return -max(1, working_days_between(due, self.today))

    def sla(self, due: date | None) -> Sla:
        return Sla(state=self.state(due), remaining=self.remaining(due))

    def q(self, state: str) -> Q:
        """The same states as a filter on ``due_date`` (so the database does the filtering)."""
        if state == SLA_OVERDUE:
            return Q(due_date__lt=self.today)
        if state == SLA_DUE_SOON:
            return Q(due_date__gte=self.today, due_date__lte=self.soon_limit)
        return Q(due_date__gt=self.soon_limit) | Q(due_date__isnull=True)


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


# -- the task page -----------------------------------------------------------------------------

CASE_STATUS_LABELS = dict(CaseStatus.choices)


@dataclass(frozen=True)
class Answer:
    code: str
    label: str
    value: str
    answered: bool
    corrected: bool = False


@dataclass(frozen=True)
class MaterialDoc:
    code: str
    label: str
    document: Any  # Document or None
    corrected: bool = False

    @property
    def deferred(self) -> bool:
        """容缺受理: accepted without it; ``document.due_date`` says by when it follows."""
        return self.document is not None and self.document.status == "deferred"

    @property
    def kind(self) -> str:
        if self.document is None or self.deferred:
            return ""
        return {"application/pdf": "pdf", "image/png": "image", "image/jpeg": "image"}.get(
            self.document.content_type, "other")


@dataclass(frozen=True)
class ReceivedOutput:
    code: str
    label: str
    value: str
    issuer: str


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    kind: str
    label: str
    actor: str
    message: str
    details: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class TimelineLine:
    at: datetime
    kind: str
    label: str
    department: str
    procedure: str
    message: str  # empty for other procedures' entries: their contents are not this clerk's to read


@dataclass(frozen=True)
class SiblingCase:
    procedure: str
    department: str
    status: str
    status_label: str
    is_this: bool


@dataclass(frozen=True)
class ChangedAnswer:
    """A marked answer before the correction and now."""

    code: str
    label: str
    before: str
    now: str
    changed: bool


@dataclass(frozen=True)
class ChangedMaterial:
    """A marked material's file before the correction (``before``: its file name, type and size,
    or ``None`` when none is on record) and now (the document)."""

    code: str
    label: str
    before: dict | None
    now: Any  # Document or None


@dataclass(frozen=True)
class CorrectionRound:
    """The applicant's answer to the case's latest correction request, side by side."""

    request_id: int
    requested_at: datetime
    resolved_at: datetime
    message: str
    answers: list[ChangedAnswer]
    materials: list[ChangedMaterial]


@dataclass(frozen=True)
class DeliveryRow:
    """A physical result of this case on its way, and the clerk's next step for it."""

    pk: int
    label: str
    state: str
    state_label: str
    tracking_number: str
    next_state: str  # empty when finished
    next_label: str


#: What the button that moves a delivery to a state says.
DELIVERY_ACTIONS = {
    DeliveryState.READY: _("Mark ready for pick-up"),
    DeliveryState.POSTED: _("Mark posted"),
    DeliveryState.COLLECTED: _("Mark collected"),
    DeliveryState.DELIVERED: _("Mark delivered"),
}


@dataclass
class TaskPage:
    """Everything the task page shows, read in a fixed number of queries (data minimisation:
    only this procedure's answers and materials, the outputs it needs, the application's
    timeline without other procedures' messages)."""

    case: Case
    definition: Definition
    sla: Sla
    answers: list[Answer]
    outputs_received: list[ReceivedOutput]
    materials: list[MaterialDoc]
    history: list[HistoryEntry]
    timeline: list[TimelineLine]
    siblings: list[SiblingCase]
    outputs_to_issue: list[dict]
    correctable_fields: list[tuple[str, str]]
    correctable_materials: list[tuple[str, str]]
    locked_fields: list[tuple[str, str]]
    procedure_name: str
    office_name: str
    one_thing_name: str
    applicant: app_selectors.ApplicantFacts
    correction: CorrectionRound | None = None
    delivery: dict | None = None  # the applicant's choice, when this procedure issues something physical
    deliveries: list[DeliveryRow] = field(default_factory=list)
    application_state: str = ""
    #: 容缺受理: the deferred materials this procedure still waits for, whether it may be approved
    #: conditionally meanwhile, and whether the deadline sweep flagged the case.
    deferral: dict | None = None


def field_label(definition: Definition, code: str) -> str:
    return localized(definition.fields.get(code, {}).get("label")) or code


def material_label(definition: Definition, code: str) -> str:
    return localized(definition.materials.get(code, {}).get("label")) or code


def output_specs(definition: Definition) -> dict[str, tuple[dict, str]]:
    """Every output of the version: code -> (spec, issuing procedure code)."""
    return {o["code"]: (o, p["code"]) for p in definition.procedures.values() for o in p.get("outputs", [])}


def procedure_label(definition: Definition, code: str) -> str:
    return localized(definition.procedures.get(code, {}).get("name")) or code


def correction_choices(definition: Definition, case: Case, sibling_rows: list[tuple[str, str]]):
    """What the clerk may mark for correction, labelled: the service's own rule
    (:func:`govflow.applications.rules.correction_targets`), so the form offers exactly what it accepts."""
    targets = correction_targets(definition, case.procedure_code, sibling_rows)
    return ([(code, field_label(definition, code)) for code in targets.fields],
            [(code, material_label(definition, code)) for code in targets.materials],
            [(code, field_label(definition, code)) for code in targets.locked_fields])


def correction_round(case: Case, definition: Definition, data: dict, documents: dict) -> CorrectionRound | None:
    """What the applicant changed in answer to the case's latest correction request, each marked
    answer and material before and now (1 query: :func:`app_selectors.answered_correction`);
    ``data`` and ``documents`` are the case's answers and documents now. Only what the request
    recorded is shown (requests made before the record began have no "before")."""
    request = app_selectors.answered_correction(case)
    if request is None:
        return None
    own_fields, own_materials = set(definition.field_codes_of(case.procedure_code)), \
        set(definition.material_codes_of(case.procedure_code))
    answers = []
    for code in request.fields:
        if code not in own_fields or code not in request.answers_before:
            continue
        spec = definition.fields.get(code)
        before, now = request.answers_before.get(code), data.get(code)
        answers.append(ChangedAnswer(code=code, label=field_label(definition, code),
                                     before=field_type(spec).display(spec, before),
                                     now=field_type(spec).display(spec, now), changed=before != now))
    materials = [ChangedMaterial(code=code, label=material_label(definition, code),
                                 before=request.documents_before.get(code), now=documents.get(code))
                 for code in request.materials if code in own_materials]
    return CorrectionRound(request_id=request.pk, requested_at=request.requested_at,
                           resolved_at=request.resolved_at, message=request.message, answers=answers,
                           materials=materials)


def task_page(case: Case, *, clock: SlaClock) -> TaskPage:
    """The task page's content: 6 queries (version, outputs, documents, history, timeline+cases,
    the answered correction request)."""
    application = case.application
    definition = get_definition(application.version)
    view = app_selectors.task_view_for_clerk(case)
    proc = case.procedure_code

    # What the last correction request asked for, so the clerk sees what changed since.
    last_request = next((e for e in reversed(view["history"]) if e.kind == "case.correction_requested"), None)
    corrected_fields = set(last_request.data.get("fields", [])) if last_request else set()
    corrected_materials = set(last_request.data.get("materials", [])) if last_request else set()

    answers = []
    for code in definition.field_codes_of(proc):
        spec = definition.fields.get(code)
        value = view["data"].get(code)
        answers.append(Answer(code=code, label=field_label(definition, code), value=field_type(spec).display(spec, value),
                              answered=value not in (None, ""), corrected=code in corrected_fields))

    specs = output_specs(definition)
    outputs_received = []
    for code in definition.needs_outputs(proc):
        spec, issuer = specs.get(code, ({}, ""))
        outputs_received.append(ReceivedOutput(code=code, label=localized(spec.get("label")) or code,
                                               value=view["outputs"].get(code, ""),
                                               issuer=procedure_label(definition, issuer)))

    by_material = {d.material_code: d for d in view["documents"]}
    materials = [MaterialDoc(code=code, label=material_label(definition, code), document=by_material.get(code),
                             corrected=code in corrected_materials)
                 for code in definition.material_codes_of(proc)]

    history = []
    for entry in view["history"]:
        details = []
        if entry.kind == "case.correction_requested":
            details = [field_label(definition, c) for c in entry.data.get("fields", [])] + \
                      [material_label(definition, c) for c in entry.data.get("materials", [])]
        elif entry.kind == "case.reassigned":
            before, after = entry.data.get("from") or {}, entry.data.get("to") or {}
            details = [gettext("from %(from)s to %(to)s") % {"from": before.get("name") or gettext("the queue"),
                                                             "to": after.get("name", "")}]
        elif entry.kind == "case.approved":
            details = [f"{localized(specs.get(c, ({}, ''))[0].get('label')) or c}: {v}"
                       for c, v in (entry.data.get("outputs") or {}).items()]
        history.append(HistoryEntry(at=entry.at, kind=entry.kind, label=staff_label(entry.kind),
                                    actor=(entry.actor.get_full_name() or entry.actor.name or entry.actor.username)
                                    if entry.actor_id else "",
                                    message=readable_comment(entry.message), details=details))

    sibling_rows = list(Case.objects.filter(application=application)
                        .values_list("procedure_code", "status", "office__name", "id"))
    siblings = [SiblingCase(procedure=procedure_label(definition, code), department=localized(dept_name),
                            status=status, status_label=str(CASE_STATUS_LABELS.get(status, status)),
                            is_this=pk == case.pk)
                for code, status, dept_name, pk in sibling_rows]
    procedure_of_case = {pk: code for code, _status, _dept, pk in sibling_rows}

    timeline = []
    entries = (TimelineEntry.objects.filter(application=application)
               .values_list("at", "kind", "department__name", "case_id", "message").order_by("at", "id"))
    for at, kind, dept_name, case_id, message in entries:
        own = case_id == case.pk
        # Other procedures' entries show what happened and where, never what was said or issued;
        # application-level entries carry only the number or the outcome.
        shown = message if own or (case_id is None and kind != "evaluation.created") else ""
        timeline.append(TimelineLine(at=at, kind=kind, label=staff_label(kind),
                                     department=localized(dept_name) if dept_name else "",
                                     procedure=procedure_label(definition, procedure_of_case.get(case_id, ""))
                                     if case_id else "",
                                     message=shown))

    fields, mats, frozen = correction_choices(definition, case, [(c, s) for c, s, _d, _p in sibling_rows])
    delivery, deliveries = None, []
    if application.delivery_method and definition.physical_results_of(proc):
        delivery = delivery_rules.choice_summary(application)
        states = dict(DeliveryState.choices)
        for row in Delivery.objects.filter(case=case).order_by("id"):
            following = delivery_rules.next_state(row.method, row.state) or ""
            deliveries.append(DeliveryRow(pk=row.pk, label=localized(row.label) or row.code, state=row.state,
                                          state_label=str(states.get(row.state, row.state)),
                                          tracking_number=row.tracking_number, next_state=following,
                                          next_label=str(DELIVERY_ACTIONS.get(following, ""))))
    return TaskPage(
        case=case, definition=definition, sla=clock.sla(case.due_date), answers=answers,
        outputs_received=outputs_received, materials=materials, history=history, timeline=timeline,
        siblings=siblings, outputs_to_issue=definition.outputs_of(proc), correctable_fields=fields,
        correctable_materials=mats, locked_fields=frozen,
        procedure_name=procedure_label(definition, proc) or localized(case.procedure.name),
        office_name=case.office.display_name,
        one_thing_name=localized(definition.one_thing.get("name")) or definition.code,
        applicant=app_selectors.applicant_facts(application), delivery=delivery, deliveries=deliveries,
        correction=correction_round(case, definition, view["data"], by_material),
        application_state=state_label(application.status, application.outcome),
        deferral=_deferral_state(case, definition, materials),
    )


def _deferral_state(case: Case, definition: Definition, materials: list[MaterialDoc]) -> dict | None:
    """容缺受理 on the task page (no query: the documents are loaded)."""
    waiting = [m for m in materials if m.deferred]
    if not waiting and case.material_overdue_at is None:
        return None
    return {"waiting": waiting, "conditional": definition.deferral(case.procedure_code)["conditional_approval"],
            "on_missed": definition.deferral(case.procedure_code)["on_missed"],
            "overdue": case.material_overdue_at is not None, "approved_conditionally": case.conditional}


def office_members(office_id: int) -> list[Membership]:
    """Active members of an office, for the reassign form."""
    return list(Membership.objects.filter(office_id=office_id, user__is_active=True, role__in=HANDLING_ROLES)
                .select_related("user").order_by("user__username"))


def member_name(user: Any) -> str:
    return user.name or user.get_full_name() or user.username
