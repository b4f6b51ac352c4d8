"""The supervisor's pages: the office's board (with read-only oversight of the offices below), its
overdue list, and following up a rating. Interface only, like :mod:`.views`.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from govflow.applications.models import ContactChannel, Evaluation
from govflow.errors import DomainError
from govflow.stats.selectors import channel_counts

from . import board as board_reads
from . import sla
from .forms import FollowUpForm
from .services import evaluation_follow_up
from .views import _context, _failure, staff_required

# -- supervisors ---------------------------------------------------------------------------------


def _board_office(request: HttpRequest, *, acting: bool = False) -> tuple[board_reads.BoardOffice, list]:
    """The office the board shows (``?office=<code>``; the first supervised one by default) and
    every office the supervisor may choose. ``acting``: only an office they supervise (a form
    posted from the board), never one they only oversee."""
    if not request.staff.supervised:
        raise PermissionDenied(_("The board is for supervisors."))
    choices = board_reads.board_offices(request.staff)
    wanted = request.GET.get("office") or request.POST.get("office")
    chosen = next((c for c in choices if c.code == wanted), None) if wanted else choices[0]
    if chosen is None or (acting and not chosen.own):
        raise Http404("Not an office you supervise or oversee.")
    return chosen, choices


def _board_url(office: Any, name: str = "workbench:board") -> str:
    return f"{reverse(name)}?{urlencode({'office': office.code})}"


@require_safe
@staff_required
def board(request: HttpRequest) -> HttpResponse:
    """The office's load, its most overdue work (the rest on the overdue page), and low ratings
    waiting for an answer. An office the supervisor only oversees is shown read-only."""
    chosen, choices = _board_office(request)
    office = chosen.office
    clock = sla.SlaClock.now()
    members = board_reads.board_members(office.pk)
    labels = board_reads.procedure_labels(office.department_id)
    procedures, clerks, total = board_reads.board_load(office.pk, clock, members, labels)
    overdue = board_reads.overdue_cases(office.pk, clock, labels) if total.overdue else []
    clerk_id = request.GET.get("clerk")
    focus_clerk, held = None, []
    if clerk_id and clerk_id.isdigit():
        focus_clerk = next((row for row in clerks if row.key == int(clerk_id)), None)
        if focus_clerk is not None and focus_clerk.in_review:
            held = board_reads.held_by_clerk(office.pk, focus_clerk.key, clock, labels)
    follow_ups, answered = board_reads.evaluations_for_follow_up(office.pk)
    month = clock.today.replace(day=1)
    by_channel = channel_counts(office_id=office.pk, date_from=month, date_to=clock.today)
    return render(request, "workbench/board.html", _context(
        request, title=_("Office board"), office=office, own=chosen.own, read_only=not chosen.own, choices=choices,
        clock=clock,
        procedures=procedures, clerks=clerks, total=total, overdue=overdue,
        overdue_more=max(0, total.overdue - len(overdue)),
        focus_clerk=focus_clerk, held=held,
        held_more=max(0, focus_clerk.in_review - len(held)) if focus_clerk is not None else 0,
        member_choices=members,
        follow_ups=follow_ups, answered=answered,
        follow_up_form=FollowUpForm(), contact_channels=ContactChannel.choices, by_channel=by_channel, month=month,
        board_url=_board_url(office), overdue_url=_board_url(office, "workbench:board-overdue"),
    ))


@require_safe
@staff_required
def board_overdue(request: HttpRequest) -> HttpResponse:
    """Every overdue task of the office, queued or held, most overdue first, a page at a time,
    with the board's release and reassign on each row (read-only for an overseen office)."""
    chosen, _choices = _board_office(request)
    office = chosen.office
    clock = sla.SlaClock.now()
    labels = board_reads.procedure_labels(office.department_id)
    page, rows = board_reads.overdue_page(office.pk, clock, labels, request.GET.get("page"))
    return render(request, "workbench/board_overdue.html", _context(
        request, title=_("Overdue tasks"), office=office, own=chosen.own, read_only=not chosen.own, clock=clock,
        page=page, rows=rows,
        member_choices=board_reads.board_members(office.pk),
        query=urlencode({"office": office.code}), board_url=_board_url(office),
    ))


@require_POST
@staff_required
def follow_up(request: HttpRequest, evaluation_id: int) -> HttpResponse:
    chosen, _choices = _board_office(request, acting=True)
    back = f"{_board_url(chosen.office)}#follow-ups"
    if evaluation_id > 2**63 - 1:
        raise Http404("Evaluation not found.")
    evaluation = Evaluation(pk=evaluation_id)
    form = FollowUpForm(request.POST)
    if not form.is_valid():
        messages.error(request, next(iter(form.errors.values()))[0])
        return redirect(back)
    c = form.cleaned_data
    try:
        evaluation = evaluation_follow_up(evaluation=evaluation, user=request.user, note=c["note"],
                                          contacted=c["contacted"], contacted_at=c["contacted_at"],
                                          channel=c["channel"])
    except DomainError as exc:
        _failure(request, exc, {409: _("This rating has already been answered.")})
        return redirect(back)
    messages.success(request, _("Your answer to the rating of %(number)s is recorded.")
                     % {"number": evaluation.application.number})
    return redirect(back)
