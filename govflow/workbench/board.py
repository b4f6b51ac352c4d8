"""Reads for the supervisor's board: the offices a supervisor may show (their own, and those they
oversee read-only), each office's load per procedure and per clerk, its overdue and held tasks, and
the low ratings waiting for an answer.

Every function here runs a fixed number of queries whatever the history and the number of open
tasks; the SLA arithmetic, the queue rows and the staff come from :mod:`.selectors`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from govflow.accounts.models import HANDLING_ROLES, Membership
from govflow.applications.models import Case, CaseStatus, Evaluation
from govflow.catalog import jurisdictions
from govflow.catalog.models import Office, Procedure, localized

from .selectors import QUEUE_ORDER, Staff
from .sla import SLA_DUE_SOON, SLA_OVERDUE, Sla, SlaClock, waiting_text


@dataclass(frozen=True)
class BoardOffice:
    """An office on a supervisor's board: their own (``own``: they act on it) or one they oversee
    (read-only: the same department at a division below theirs)."""

    office: Office
    own: bool

    @property
    def code(self) -> str:
        return self.office.code


def board_offices(staff: Staff) -> list[BoardOffice]:
    """The offices a supervisor's board can show: those they supervise first, then the ones they
    oversee, by department and place (two queries)."""
    own = [m.office for m in staff.supervised]
    own_ids = {o.pk for o in own}
    seen = [pk for pk in jurisdictions.overseen_office_ids(own_ids) if pk not in own_ids]
    below = Office.objects.filter(pk__in=seen).select_related("division", "department").order_by(
        "department__code", "division__path") if seen else []
    return [BoardOffice(o, True) for o in own] + [BoardOffice(o, False) for o in below]


# -- the supervisor's board --------------------------------------------------------------------
#
# The board is read in a fixed number of queries whatever the history and the number of open
# tasks: one pass over the open cases of the office (the partial index of open cases) for
# the load tables, the first overdue tasks (not all of them: the full list is a paginated page),
# and the low ratings. Its task rows are plain values, not model instances.

#: Overdue tasks the board shows; the rest are on the paginated overdue page.
BOARD_OVERDUE_LIMIT = 20
#: Tasks shown for one clerk when the supervisor picks them in the "By clerk" table.
BOARD_LIST_LIMIT = 100
#: Rows per page of the full overdue list.
OVERDUE_PAGE_SIZE = 50

OPEN_STATUSES = (CaseStatus.QUEUED, CaseStatus.IN_REVIEW)


@dataclass
class LoadRow:
    key: Any
    label: str
    queued: int = 0
    in_review: int = 0
    overdue: int = 0
    due_soon: int = 0

    def add(self, counts: dict[str, int], *, queued: bool = True) -> None:
        if queued:
            self.queued += counts["queued"]
        self.in_review += counts["in_review"]
        self.overdue += counts["overdue"]
        self.due_soon += counts["due_soon"]


def _load_counts(office_id: int, clock: SlaClock) -> dict[tuple[str, int | None], dict[str, int]]:
    """The office's open tasks counted per (procedure, holder): queued, in review, overdue,
    due soon.

    One pass over its open cases (the partial index of open cases: never the history), grouped
    by (procedure, holder, status, due date) with one plain ``COUNT`` per group; the SLA states
    are added up here, each due date's state computed once. That is cheaper for the database
    than four filtered counts per row, and the groups are few: procedures x (holders + 1) x 2
    x the due dates of open work. It reads only columns an index on (office, procedure,
    owner, status, due date) would hold, so such an index would answer it alone, in order.
    """
    found: dict[tuple[str, int | None], dict[str, int]] = {}
    states: dict[date | None, str] = {}
    groups = (Case.objects.filter(status__in=OPEN_STATUSES, office_id=office_id, task__isnull=False)
              .values_list("procedure_code", "owner_id", "status", "due_date").annotate(n=Count("status"))
              .order_by())
    for code, owner_id, status, due, n in groups:
        counts = found.get((code, owner_id))
        if counts is None:
            counts = found[(code, owner_id)] = {"queued": 0, "in_review": 0, "overdue": 0, "due_soon": 0}
        counts["queued" if status == CaseStatus.QUEUED else "in_review"] += n
        state = states.get(due)
        if state is None:
            state = states[due] = clock.state(due)
        if state == SLA_OVERDUE:
            counts["overdue"] += n
        elif state == SLA_DUE_SOON:
            counts["due_soon"] += n
    return found


def board_members(office_id: int) -> list[tuple[int, str]]:
    """(user id, name) of the office's active members, by username: the board's clerk rows
    and its reassign choices (one query, no model instances)."""
    found = (Membership.objects.filter(office_id=office_id, user__is_active=True, role__in=HANDLING_ROLES)
             .order_by("user__username")
             .values_list("user_id", "user__name", "user__first_name", "user__last_name", "user__username"))
    return [(pk, name or f"{first} {last}".strip() or username) for pk, name, first, last, username in found]


def procedure_labels(department_id: int) -> dict[str, str]:
    """code -> name of the department's procedures, in code order (one query)."""
    found = Procedure.objects.filter(department_id=department_id).order_by("code").values_list("code", "name")
    return {code: localized(name) or code for code, name in found}


def board_load(office_id: int, clock: SlaClock, members: list[tuple[int, str]], labels: dict[str, str]):
    """Per procedure and per clerk: queued / in review / overdue / due soon, and the totals
    (1 query; ``labels`` are the department's :func:`procedure_labels`)."""
    procedures = [LoadRow(key=code, label=label) for code, label in labels.items()]
    by_procedure = {row.key: row for row in procedures}
    clerks = [LoadRow(key=pk, label=name) for pk, name in members]
    by_clerk = {row.key: row for row in clerks}
    former: dict[int, LoadRow] = {}
    total = LoadRow(key=None, label=str(_("Total")))
    for (code, owner_id), counts in _load_counts(office_id, clock).items():
        if code not in by_procedure:  # a procedure since moved to another department
            by_procedure[code] = LoadRow(key=code, label=code)
            procedures.append(by_procedure[code])
        by_procedure[code].add(counts)
        total.add(counts)
        if owner_id is None:
            continue
        clerk = by_clerk.get(owner_id)
        if clerk is None:
            # Held by someone who left the department: still on the board, so it can be taken back.
            clerk = former.get(owner_id)
            if clerk is None:
                clerk = former[owner_id] = LoadRow(key=owner_id,
                                                   label=str(_("Former member #%(id)s") % {"id": owner_id}))
        clerk.add(counts, queued=False)
    clerks += [former[key] for key in sorted(former)]
    return procedures, clerks, total


@dataclass(frozen=True)
class BoardRow:
    """One line of the board's task lists (and of the full overdue list), made from one tuple of
    plain values: no model instances, and every string it shows computed once, here."""

    case_id: int
    task_id: int
    number: str
    procedure_name: str
    due: str
    owner_id: int | None
    owner_name: str
    waiting: str
    sla: Sla
    url: str


#: What a board row shows: the case and three joins (application number, holder, task age).
#: The procedure's name comes from the department's procedures, already read for the load table.
BOARD_ROW_VALUES = ("id", "task_id", "procedure_code", "due_date", "owner_id", "application__number",
                    "task__created", "owner__username", "owner__name")


def overdue_queryset(office_id: int, clock: SlaClock) -> QuerySet[Case]:
    """Open tasks of the office past their due date (queued or held), through the partial
    index of open cases (office, due date)."""
    return Case.objects.filter(status__in=OPEN_STATUSES, office_id=office_id, task__isnull=False,
                               due_date__lt=clock.today)


def held_queryset(office_id: int, owner_id: int) -> QuerySet[Case]:
    return Case.objects.filter(status=CaseStatus.IN_REVIEW, office_id=office_id, owner_id=owner_id,
                               task__isnull=False)


def _board_rows(values: Any, clock: SlaClock, labels: dict[str, str]) -> list[BoardRow]:
    pattern = reverse("workbench:task", args=[1]).rsplit("/1/", 1)[0] + "/{}/"
    now = timezone.now()
    slas: dict[date | None, Sla] = {}
    out = []
    for pk, task_id, code, due, owner_id, number, created, username, name in values:
        sla = slas.get(due)
        if sla is None:
            sla = slas[due] = clock.sla(due)
        out.append(BoardRow(case_id=pk, task_id=task_id, number=number or "", procedure_name=labels.get(code) or code,
                            due=due.isoformat() if due else "", owner_id=owner_id,
                            owner_name=(name or username or "") if owner_id is not None else "",
                            waiting=waiting_text(created, now),
                            sla=sla, url=pattern.format(task_id)))
    return out


#: The overdue list's order: most overdue first, then the oldest case. It is the order of the
#: partial index of open cases (office, due date, id), so the first rows are read straight
#: off it, however many tasks share a due date (the queue order, by task after the due date,
#: would read and sort every overdue task of those dates).
OVERDUE_ORDER = ("due_date", "id")


def _board_values(ids: QuerySet[Case], order: tuple[str, ...]) -> Any:
    return Case.objects.filter(pk__in=ids).order_by(*order).values_list(*BOARD_ROW_VALUES)


def board_first(qs: QuerySet[Case], clock: SlaClock, labels: dict[str, str], limit: int,
                order: tuple[str, ...] = QUEUE_ORDER) -> list[BoardRow]:
    """The first ``limit`` tasks of ``qs`` in ``order``, in one query: the ids are chosen on the
    case table alone (a subquery through a partial index: narrow rows), the joins are made for
    those rows only."""
    return _board_rows(_board_values(qs.order_by(*order).values("pk")[:limit], order), clock, labels)


def board_page(qs: QuerySet[Case], clock: SlaClock, labels: dict[str, str], page_number: Any,
               per_page: int, order: tuple[str, ...] = QUEUE_ORDER) -> tuple[Page, list[BoardRow]]:
    """One page of ``qs`` in ``order`` in two queries whatever its length: a COUNT, then the
    page's rows (chosen on the case table alone, as in ``board_first``: a deep page skips
    narrow index entries, not joined rows)."""
    ordered = qs.order_by(*order).values("pk")
    page = Paginator(ordered, per_page).get_page(page_number)
    if not page.paginator.count:
        return page, []
    start = (page.number - 1) * per_page
    return page, _board_rows(_board_values(ordered[start:start + per_page], order), clock, labels)


def overdue_cases(office_id: int, clock: SlaClock, labels: dict[str, str],
                  limit: int = BOARD_OVERDUE_LIMIT) -> list[BoardRow]:
    """The most overdue tasks of the office (earliest due date first), in one plain query:
    its order is the partial index's, so the database walks the index and joins ``limit`` rows."""
    values = overdue_queryset(office_id, clock).order_by(*OVERDUE_ORDER).values_list(*BOARD_ROW_VALUES)
    return _board_rows(values[:limit], clock, labels)


def overdue_page(office_id: int, clock: SlaClock, labels: dict[str, str], page_number: Any,
                 per_page: int = OVERDUE_PAGE_SIZE) -> tuple[Page, list[BoardRow]]:
    """Every overdue task of the office, a page at a time, in the board's order."""
    return board_page(overdue_queryset(office_id, clock), clock, labels, page_number, per_page, OVERDUE_ORDER)


def held_by_clerk(office_id: int, owner_id: int, clock: SlaClock, labels: dict[str, str],
                  limit: int = BOARD_LIST_LIMIT) -> list[BoardRow]:
    """What one clerk holds in the office, in queue order (the partial index of held cases)."""
    return board_first(held_queryset(office_id, owner_id), clock, labels, limit)


@dataclass(frozen=True)
class RatingRow:
    """A low rating as the board shows it, with its strings made once: ``at`` is when it was
    given (open ones) or answered (answered ones), in local time."""

    pk: int
    number: str
    score: int
    comment: str = ""
    one_thing: str = ""
    at_iso: str = ""
    at_text: str = ""
    by: str = ""
    note: str = ""


def _local(at: datetime | None, fmt: str) -> tuple[str, str]:
    if at is None:
        return "", ""
    at = timezone.localtime(at)
    return at.isoformat(), at.strftime(fmt)


#: What a rating row shows: the rating, its application's number and one thing, who answered.
RATING_VALUES = ("id", "score", "created_at", "comment", "followed_up_at", "follow_up_note", "application__number",
                 "application__one_thing__name", "followed_up_by__name", "followed_up_by__username")


def evaluations_for_follow_up(office_id: int, *, limit: int = 50,
                              answered_limit: int = 10) -> tuple[list[RatingRow], list[RatingRow]]:
    """Low ratings (1–2) of applications that involved the office: the open ones (oldest
    first, with the one thing) and the latest answered ones (with who answered, when and how).

    One statement on PostgreSQL and SQLite alike: the rows of two ordered, limited id lists, each
    read in the order of its partial index (``evaluation_follow_up_open`` / ``_done``), so a few
    rows are read whatever the years of ratings, joined by ``UNION ALL``."""
    low = Evaluation.objects.filter(
        needs_follow_up=True,
        application_id__in=Case.objects.filter(office_id=office_id).values("application_id"))
    waiting = low.filter(followed_up_at__isnull=True).order_by("created_at", "id").values("pk")[:limit]
    done = low.filter(followed_up_at__isnull=False).order_by("-followed_up_at", "-id").values("pk")[:answered_limit]
    rows = (Evaluation.objects.filter(pk__in=waiting).values_list(*RATING_VALUES)
            .union(Evaluation.objects.filter(pk__in=done).values_list(*RATING_VALUES), all=True))
    open_rows: list[RatingRow] = []
    answered_rows: list[RatingRow] = []
    for pk, score, created_at, comment, followed_up_at, note, number, one_thing, by_name, by_username in rows:
        if followed_up_at is None:
            at_iso, at_text = _local(created_at, "%Y-%m-%d")
            open_rows.append(RatingRow(pk=pk, number=number or "", score=score, comment=comment,
                                       one_thing=localized(one_thing), at_iso=at_iso, at_text=at_text))
        else:
            at_iso, at_text = _local(followed_up_at, "%Y-%m-%d %H:%M")
            answered_rows.append(RatingRow(pk=pk, number=number or "", score=score, at_iso=at_iso, at_text=at_text,
                                           by=by_name or by_username or "", note=note))
    # UNION ALL keeps no order of its own: each list is put back in its own.
    open_rows.sort(key=lambda r: (r.at_iso, r.pk))
    answered_rows.sort(key=lambda r: (r.at_iso, r.pk), reverse=True)
    return open_rows, answered_rows
