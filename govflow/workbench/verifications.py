"""告知承诺制: verifying commitments after approval (事后核查, docs/commitments.md): the list, one
verification and its decision, the signed commitment's PDF. Interface only, like :mod:`.views`.
"""
from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_http_methods, require_safe

from govflow.applications import access, commitments
from govflow.catalog.definition import get_definition
from govflow.catalog.models import localized
from govflow.errors import DomainError, InvalidInput

from .views import PAGE_SIZE, _context, _failure, staff_required

# -- 告知承诺制: verifying commitments after approval (事后核查, docs/commitments.md) ------------------


@require_safe
@staff_required
def verifications(request: HttpRequest) -> HttpResponse:
    """The commitments my offices must verify, soonest due first (``?done=1``: those checked)."""
    done = request.GET.get("done") == "1"
    page = Paginator(commitments.verifications_for_clerk(request.user, done=done), PAGE_SIZE).get_page(
        request.GET.get("page"))
    today = timezone.localdate()
    rows = [{"pk": v.pk, "number": v.case.application.number, "material": v.material_code,
             "procedure": v.case.procedure_code, "office": v.case.office.display_name, "due_date": v.due_date,
             "overdue": v.outcome == "pending" and v.due_date < today, "outcome": v.get_outcome_display(),
             "checked_at": v.checked_at} for v in page.object_list]
    return render(request, "workbench/verifications.html", _context(
        request, title=_("Commitments to verify"), rows=rows, page=page, done=done,
        query="done=1" if done else ""))


@require_http_methods(["GET", "POST"])
@staff_required
def verification(request: HttpRequest, pk: int) -> HttpResponse:
    """One verification: the commitment, its PDF, and the outcome (true, or false with what was found)."""
    row = commitments.verification_for_clerk(request.user, pk)
    definition = get_definition(row.case.application.version)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            commitments.verification_complete(verification=row, user=request.user,
                                              outcome=request.POST.get("outcome"), note=request.POST.get("note", ""))
        except InvalidInput as exc:
            errors = {key: [_("Say what the verification found: the applicant reads it with the revocation.")
                            if key == "note" else _("Choose whether the commitment was true or false.")]
                      for key in (exc.errors or {"outcome": []})}
        except DomainError as exc:
            _failure(request, exc, {409: _("This commitment has already been verified.")})
            return redirect("workbench:verification", pk=row.pk)
        else:
            messages.success(request, _("The verification of %(number)s is recorded.")
                             % {"number": row.case.application.number})
            return redirect("workbench:verifications")
    material = definition.materials.get(row.material_code, {})
    # The commitment names the applicant and their ID number: a read of their data.
    access.case_read(request.user, row.case, interface=access.Interface.WORKBENCH, materials=[row.material_code])
    return render(request, "workbench/verification.html", _context(
        request, title=_("Verify a commitment"), v=row, errors=errors, note=request.POST.get("note", ""),
        material=localized(material.get("label")) or row.material_code,
        procedure=localized(definition.procedures.get(row.case.procedure_code, {}).get("name")),
        text=localized(row.commitment.text), overdue=row.outcome == "pending" and row.due_date < timezone.localdate()))


@require_safe
@staff_required
@xframe_options_sameorigin
def verification_pdf(request: HttpRequest, pk: int) -> FileResponse:
    """The signed commitment's PDF, for the clerks of the verification's office."""
    row = commitments.verification_for_clerk(request.user, pk)
    doc = row.commitment.document
    access.case_read(request.user, row.case, interface=access.Interface.WORKBENCH, document=doc)
    response = FileResponse(doc.file.open("rb"), content_type=doc.content_type, filename=doc.filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; frame-ancestors 'self'"
    response["Cache-Control"] = "private, no-store"
    return response
