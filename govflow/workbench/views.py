"""The clerk workbench: department queues, the task page with its decisions (the supervisor's pages
are :mod:`.supervisors`, commitment verifications :mod:`.verifications`, the counter
:mod:`.counter`, statistics :mod:`.supervision`).

Interface only: every read starts from an access helper or selector, every write is a call to
``govflow.applications.services`` (the services the API calls) or ``.services``. Every action is
a POST with CSRF; the service checks it again. Outcomes come back as redirects with a message
(post/redirect/get), form errors as the same page re-rendered with 400.
"""
from __future__ import annotations

from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST, require_safe

from govflow.applications import access
from govflow.applications import selectors as app_selectors
from govflow.applications.models import Case, CaseStatus
from govflow.applications.services import deciding, delivering
from govflow.catalog.definition import get_definition
from govflow.catalog.models import localized
from govflow.errors import Busy, DomainError, InvalidInput
from govflow.web import safe_next

from . import selectors, sla, taskpage
from .forms import DECISION_FORMS, ApproveForm, AssignForm, CorrectionForm, QueueFilterForm, RejectForm

PAGE_SIZE = 50
INLINE_TYPES = {"application/pdf", "image/png", "image/jpeg"}


# -- access --------------------------------------------------------------------------------------


def staff_required(view):
    """Department members only: anonymous users go to the login page, anyone else gets 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        staff = selectors.staff_for(request.user)
        if staff is None:
            raise PermissionDenied(_("The workbench is for department staff."))
        request.staff = staff
        return view(request, *args, **kwargs)

    return never_cache(wrapper)


def _task_url(case: Case) -> str:
    return reverse("workbench:task", args=[case.task_id])


def _context(request: HttpRequest, **extra: Any) -> dict:
    staff = request.staff
    # The administration link only for whom Django's admin site admits (a supervisor with staff status).
    return {"staff": staff, "held_count": staff.held_count, "may_use_admin": admin.site.has_permission(request),
            **extra}


def _failure(request: HttpRequest, exc: Exception, messages_by_status: dict[int, str] | None = None) -> None:
    """A refused action as a message the clerk can act on, in their language (the services speak
    English). A 404 is raised, never shown: another department's task does not exist for them."""
    if isinstance(exc, Busy):
        messages.error(request, _("The application is being changed by someone else; try again."))
        return
    if not isinstance(exc, DomainError):
        raise exc
    if exc.status == 404:
        raise Http404(exc.message)
    messages.error(request, (messages_by_status or {}).get(exc.status) or exc.message)


# -- queues --------------------------------------------------------------------------------------


def _list_page(request: HttpRequest, queryset_for, *, template: str, title: str, mine: bool) -> HttpResponse:
    staff = request.staff
    clock = sla.SlaClock.now()
    form = QueueFilterForm(request.GET or None,
                           procedures=selectors.procedures_of(m.department_id for m in staff.memberships))
    filters = form.filters()
    page, cases = selectors.paginate(queryset_for(user=request.user, clock=clock,
                                                  office_ids=staff.office_ids, **filters),
                                     request.GET.get("page"), PAGE_SIZE)
    kept = {k: v for k, v in {"q": filters["number"], "procedure": filters["procedure"], "sla": filters["sla"]}.items()
            if v}
    return render(request, template, _context(
        request, title=title, form=form, page=page, rows=selectors.rows(cases, clock),
        filtered=bool(kept), query=urlencode(kept), mine=mine, clock=clock,
        show_office=staff.several_offices))


@require_safe
@staff_required
def queue(request: HttpRequest) -> HttpResponse:
    """Unclaimed tasks of my offices, due date first, with their SLA state (a counter clerk, who
    handles no cases, starts at the counter)."""
    if not request.staff.handles_cases:
        return redirect("workbench:counter")
    return _list_page(request, selectors.department_queue, template="workbench/queue.html",
                      title=_("Department queue"), mine=False)


@require_safe
@staff_required
def mine(request: HttpRequest) -> HttpResponse:
    """The tasks I hold."""
    return _list_page(request, selectors.held_tasks, template="workbench/mine.html",
                      title=_("My tasks"), mine=True)


@require_safe
@staff_required
def next_task(request: HttpRequest) -> HttpResponse:
    """After a decision: the next task to take, so the clerk never goes hunting for it."""
    clock = sla.SlaClock.now()
    queued = selectors.rows(selectors.first(selectors.department_queue(user=request.user, clock=clock), 1), clock)
    held = selectors.rows(selectors.first(selectors.held_tasks(user=request.user, clock=clock), 1), clock)
    return render(request, "workbench/next.html", _context(
        request, title=_("Next task"), next_row=queued[0] if queued else None, held_row=held[0] if held else None,
        show_office=request.staff.several_offices))


# -- one task --------------------------------------------------------------------------------------


def _decision_forms(page: taskpage.TaskPage, bound: Any = None) -> dict[str, Any]:
    forms = {
        "approve": ApproveForm(outputs=page.outputs_to_issue),
        "reject": RejectForm(),
        "request_correction": CorrectionForm(fields=page.correctable_fields, materials=page.correctable_materials),
    }
    if bound is not None:
        forms[bound.DECISION] = bound
    return forms


def _bound_decision_form(page: taskpage.TaskPage, data: Any):
    form_class = DECISION_FORMS.get(data.get("decision"))
    if form_class is ApproveForm:
        return ApproveForm(data, outputs=page.outputs_to_issue)
    if form_class is CorrectionForm:
        return CorrectionForm(data, fields=page.correctable_fields, materials=page.correctable_materials)
    if form_class is RejectForm:
        return RejectForm(data)
    return None


def _record_page(request: HttpRequest, case: Case, page: taskpage.TaskPage) -> None:
    """The task (or case) page shows the applicant, this procedure's answers and its materials."""
    access.case_read(request.user, case, interface=access.Interface.WORKBENCH,
                     fields=[a.code for a in page.answers if a.answered],
                     materials=[m.code for m in page.materials if m.document is not None],
                     supervises=request.staff.supervises(case.office_id))


def _render_task(request: HttpRequest, case: Case, *, bound: Any = None, status: int = 200) -> HttpResponse:
    staff = request.staff
    page = taskpage.task_page(case, clock=sla.SlaClock.now())
    _record_page(request, case, page)
    holds = case.status == CaseStatus.IN_REVIEW and case.owner_id == request.user.pk
    supervises = staff.supervises(case.office_id)
    members = selectors.office_members(case.office_id) if supervises else []
    assign_form = AssignForm(members=[(m.user_id, selectors.member_name(m.user)) for m in members
                                      if m.user_id not in (case.owner_id, case.application.applicant_id,
                                                           case.application.submitted_by_id)])
    return render(request, "workbench/task.html", _context(
        request, title=f"{case.application.number} · {page.procedure_name}", case=case, page=page, holds=holds,
        supervises=supervises, assign_form=assign_form, forms=_decision_forms(page, bound) if holds else {},
        open_decision=bound.DECISION if bound is not None else "",
        own_application=request.user.pk in (case.application.applicant_id, case.application.submitted_by_id),
    ), status=status)


@require_safe
@staff_required
def task_detail(request: HttpRequest, task_id: int) -> HttpResponse:
    """Only the data and materials this procedure needs, what earlier cases issued, the history;
    once approved, while its physical results are on their way, where the clerk moves them on.

    A task that is no longer open (decided, replaced after a correction round, cancelled) leads to
    its case: to the case's current task when it has one, else to the case's history, read-only.
    Still 404 for a clerk outside the case's office."""
    try:
        return _render_task(request, app_selectors.task_for_clerk(request.user, task_id))
    except Http404:
        pass
    try:  # approved, its physical results on their way: the clerk moves them on here
        return _render_task(request, app_selectors.delivering_case_for_clerk(request.user, task_id))
    except Http404:
        case = app_selectors.case_of_old_task_for_clerk(request.user, task_id)
    current = app_selectors.open_task_id(case)
    if current is not None and current != task_id:
        return redirect("workbench:task", current)
    if current is not None:  # the same task, open again since: the ordinary page
        return _render_task(request, case)
    page = taskpage.task_page(case, clock=sla.SlaClock.now())
    _record_page(request, case, page)
    return render(request, "workbench/case_closed.html", _context(
        request, title=f"{case.application.number} · {page.procedure_name}", case=case, page=page))


@require_POST
@staff_required
def delivery_advance(request: HttpRequest, task_id: int, delivery_id: int) -> HttpResponse:
    """Move a physical result of the task's case on (ready, posted with its tracking number,
    collected, delivered): the service checks the clerk's office and the state again."""
    case = app_selectors.delivering_case_for_clerk(request.user, task_id)
    delivery = app_selectors.delivery_for_clerk(request.user, case, delivery_id)
    try:
        fresh = delivering.delivery_advance(delivery=delivery, user=request.user, state=request.POST.get("state"),
                                              tracking_number=request.POST.get("tracking_number", ""))
    except InvalidInput as exc:
        errors = exc.errors if isinstance(exc.errors, dict) else {}
        message = (errors.get("tracking_number") or [exc.message])[0]
        messages.error(request, str(message))
        return redirect(f"{_task_url(case)}#delivery")
    except DomainError as exc:
        _failure(request, exc, {403: _("You cannot handle a case of your own application."),
                                409: _("This result has moved on already; see its state below.")})
        return redirect(f"{_task_url(case)}#delivery")
    messages.success(request, _("%(number)s · %(result)s: %(state)s.") % {
        "number": case.application.number, "result": localized(fresh.label) or fresh.code,
        "state": fresh.get_state_display()})
    return redirect(f"{_task_url(case)}#delivery")


@require_safe
@staff_required
def deliveries(request: HttpRequest) -> HttpResponse:
    """Physical results of my offices' approved cases still to hand over, oldest first."""
    page = Paginator(app_selectors.deliveries_to_hand_over(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [{"number": d.application.number, "label": localized(d.label) or d.code, "state": d.get_state_display(),
             "method": d.get_method_display(), "office": d.pickup_office.display_name if d.pickup_office_id else "",
             "url": _task_url(d.case)} for d in page.object_list]
    return render(request, "workbench/deliveries.html", _context(request, title=_("Results to hand over"),
                                                                 rows=rows, page=page))


@require_POST
@staff_required
def claim(request: HttpRequest, task_id: int) -> HttpResponse:
    case = app_selectors.task_for_clerk(request.user, task_id)
    try:
        case = deciding.task_claim(case=case, user=request.user)
    except DomainError as exc:
        _failure(request, exc, {403: _("You cannot handle a case of your own application."),
                                409: _("Someone else was faster: %(number)s is already claimed.")
                                % {"number": case.application.number}})
        return redirect(safe_next(request, reverse("workbench:queue")))
    messages.success(request, _("You now hold %(number)s.") % {"number": case.application.number})
    return redirect(_task_url(case))


@require_POST
@staff_required
def release(request: HttpRequest, task_id: int) -> HttpResponse:
    case = app_selectors.task_for_clerk(request.user, task_id)
    try:
        deciding.task_release(case=case, user=request.user)
    except DomainError as exc:
        _failure(request, exc, {403: _("Only the holder or a supervisor can release this task."),
                                409: _("This task is not claimed.")})
        return redirect(safe_next(request, _task_url(case)))
    messages.success(request, _("%(number)s is back in the office queue.") % {"number": case.application.number})
    return redirect(safe_next(request, reverse("workbench:mine")))


@require_POST
@staff_required
def assign(request: HttpRequest, task_id: int) -> HttpResponse:
    case = app_selectors.task_for_clerk(request.user, task_id)
    back = safe_next(request, _task_url(case))
    if not request.staff.supervises(case.office_id):
        messages.error(request, _("Only a supervisor of the office can assign tasks."))
        return redirect(back)
    members = selectors.office_members(case.office_id)
    form = AssignForm(request.POST, members=[(m.user_id, selectors.member_name(m.user)) for m in members])
    if not form.is_valid():
        messages.error(request, _("Choose a clerk of the office."))
        return redirect(back)
    assignee = get_user_model().objects.filter(pk=form.cleaned_data["assignee"]).first()
    try:
        case = deciding.task_assign(case=case, user=request.user, assignee=assignee)
    except DomainError as exc:
        _failure(request, exc, {400: _("This clerk cannot take the task (not an active member of the office, "
                                       "or the applicant)."),
                                409: _("This task is no longer open.")})
        return redirect(back)
    messages.success(request, _("%(number)s is now held by %(name)s.")
                     % {"number": case.application.number, "name": selectors.member_name(assignee)})
    return redirect(back)


@require_POST
@staff_required
def decide(request: HttpRequest, task_id: int) -> HttpResponse:
    """Approve / reject / request correction in two steps: check, then confirm.

    The first POST validates and shows what will be sent; the second (``confirmed``) calls the
    service. "Change" (``edit``) brings the form back filled in.
    """
    case = app_selectors.task_for_clerk(request.user, task_id)
    if case.status != CaseStatus.IN_REVIEW or case.owner_id != request.user.pk:
        messages.error(request, _("Only the clerk holding this task can decide it."))
        return redirect(_task_url(case))
    page = taskpage.task_page(case, clock=sla.SlaClock.now())
    form = _bound_decision_form(page, request.POST)
    if form is None:
        messages.error(request, _("Choose a decision."))
        return redirect(_task_url(case))
    if "edit" in request.POST:
        return _render_task(request, case, bound=form)
    if not form.is_valid():
        return _render_task(request, case, bound=form, status=400)
    if "confirmed" not in request.POST:
        hidden = [(name, value) for name, values in request.POST.lists() if name != "csrfmiddlewaretoken"
                  for value in values]
        return render(request, "workbench/confirm.html", _context(
            request, title=_("Check your decision"), case=case, page=page, decision=form.DECISION,
            summary=form.summary(), hidden=hidden))
    try:
        deciding.task_complete(case=case, user=request.user, **form.service_kwargs())
    except InvalidInput as exc:
        form.add_service_errors(exc.errors, exc.message)
        return _render_task(request, case, bound=form, status=400)
    except DomainError as exc:
        _failure(request, exc, {403: _("Only the clerk holding this task can decide it."),
                                409: _("This task is no longer in review.")})
        return redirect(_task_url(case) if getattr(exc, "status", 409) == 403 else reverse("workbench:mine"))
    done = {
        "approve": _("%(number)s · %(procedure)s approved."),
        "reject": _("%(number)s · %(procedure)s rejected."),
        "request_correction": _("Correction requested for %(number)s · %(procedure)s; the applicant has been told."),
    }[form.DECISION]
    messages.success(request, done % {"number": case.application.number, "procedure": page.procedure_name})
    return redirect("workbench:next")


@require_safe
@staff_required
@xframe_options_sameorigin
def document(request: HttpRequest, task_id: int, document_id: int) -> FileResponse:
    """A material of this task's procedure, inline (PDF and images, for the preview) or as a download."""
    case = app_selectors.task_for_clerk(request.user, task_id)
    doc = app_selectors.document_for_user(request.user, case.application_id, document_id)
    if doc.material_code not in get_definition(case.application.version).material_codes_of(case.procedure_code):
        raise Http404("Document not found.")
    access.case_read(request.user, case, interface=access.Interface.WORKBENCH, document=doc,
                     supervises=request.staff.supervises(case.office_id))
    download = request.GET.get("download") == "1" or doc.content_type not in INLINE_TYPES
    response = FileResponse(doc.file.open("rb"), content_type=doc.content_type, as_attachment=download,
                            filename=doc.filename)
    response["X-Content-Type-Options"] = "nosniff"
    # Inert, as the API serves it; only this site's pages may frame it (the inline preview).
    response["Content-Security-Policy"] = "sandbox; frame-ancestors 'self'"
    response["Cache-Control"] = "private, no-store"
    return response


@require_safe
@staff_required
@xframe_options_sameorigin
def replaced_document(request: HttpRequest, task_id: int, request_id: int, material_code: str) -> FileResponse:
    """The file a correction of this task's case replaced (the clerk compares it with the new one),
    served as :func:`document` serves a material."""
    case = app_selectors.task_for_clerk(request.user, task_id)
    info = app_selectors.replaced_document(case, request_id, material_code)
    try:
        handle = default_storage.open(info["file"], "rb")
    except (FileNotFoundError, OSError):
        raise Http404("Document not found.") from None
    access.case_read(request.user, case, interface=access.Interface.WORKBENCH, materials=[material_code],
                     supervises=request.staff.supervises(case.office_id))
    content_type = str(info.get("content_type") or "application/octet-stream")
    download = request.GET.get("download") == "1" or content_type not in INLINE_TYPES
    response = FileResponse(handle, content_type=content_type, as_attachment=download,
                            filename=str(info.get("filename") or "document"))
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; frame-ancestors 'self'"
    response["Cache-Control"] = "private, no-store"
    return response
