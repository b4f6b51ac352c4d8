"""What a citizen does on an application they follow: hand in a material accepted to follow,
answer a correction, withdraw, apply again, delete a draft, rate it, read their own documents.
A refused action shows the detail page again (:func:`.follow.detail_context`) with its errors.
"""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from govflow.applications import selectors as app_selectors
from govflow.applications.models import Application, ApplicationStatus
from govflow.applications.rules import blanked_required, stale_materials
from govflow.applications.services import citizen_actions, drafting, uploading
from govflow.catalog import questions as qa
from govflow.catalog.definition import Definition
from govflow.errors import DomainError, InvalidInput, InvalidState
from govflow.web import form_error_items

from ..forms import EvaluationForm
from ..selectors import one_thing_name
from .common import (
    _definition,
    _documents,
    _domain_message,
    _draft_or_redirect,
    _required_message,
    _service_field_errors,
)
from .follow import correction_state, detail_context


@login_required
@require_POST
def application_hand_in(request: HttpRequest, pk: int) -> HttpResponse:
    """Hand in a material that was accepted to follow (容缺受理)."""
    application = app_selectors.application_for_citizen(request.user, pk)
    definition = _definition(application)
    code = request.POST.get("material", "")
    uploads = request.FILES.getlist("file")
    error = ""
    if len(uploads) != 1:
        error = _("Choose a file.") if not uploads else _("Upload one file at a time.")
    else:
        try:
            uploading.document_upload(application=application, user=request.user, material_code=code,
                                     file=uploads[0], filename=uploads[0].name)
        except DomainError as exc:
            error = _domain_message(exc, material=definition.materials.get(code))
    if error:
        context = detail_context(request, application, material_errors={code: [error]})
        if not any(m["code"] == code for m in context["to_follow"]):
            context["error_items"].insert(0, {"href": "#to-follow", "text": error})
        return render(request, "portal/application_detail.html", context, status=400)
    messages.success(request, _("Thank you: the material is handed in and the department is told."))
    return redirect(f"{reverse('application', args=[application.pk])}")


@login_required
@require_POST
def application_correct(request: HttpRequest, pk: int) -> HttpResponse:
    """Answer a correction request: only the marked fields and materials change; then resubmit."""
    application = app_selectors.application_for_citizen(request.user, pk)
    if application.status != ApplicationStatus.CORRECTION_REQUESTED:
        messages.error(request, _("No correction is requested for this application."))
        return redirect("application", pk=application.pk)
    definition = _definition(application)
    cases = list(application.cases.select_related("department"))
    correction = correction_state(application, definition, cases)
    codes = correction["fields"]
    parsed, errors, raw = qa.parse_answers(definition, codes, request.POST)
    # The service refuses these too; asked first, so that every error shows at once.
    for code in blanked_required(definition, cases, {c: v for c, v in parsed.items() if c not in errors}):
        errors[code] = [_required_message(qa.question(definition.fields[code]))]
    other: list[str] = []
    material_errors: dict[str, list[str]] = {}
    if not errors and codes:
        try:
            application = drafting.application_update(application=application, user=request.user, data=parsed)
        except InvalidInput as exc:
            errors, other = _service_field_errors(exc, codes)
        except DomainError as exc:
            other = [_domain_message(exc)]
    if errors or other:
        material_errors = _refused_files(request, application, definition, cases, correction["materials"])
    if not errors and not other:
        for code in correction["materials"]:
            upload = request.FILES.get(f"file-{code}")
            if upload is None:
                continue
            if len(request.FILES.getlist(f"file-{code}")) > 1:
                material_errors[code] = [_("Upload one file at a time.")]
                continue
            try:
                uploading.document_upload(application=application, user=request.user, material_code=code,
                                         file=upload, filename=upload.name)
            except DomainError as exc:
                material_errors[code] = [_domain_message(exc, material=definition.materials.get(code))]
    if not errors and not other and not material_errors and request.POST.get("action") == "resubmit":
        try:
            citizen_actions.application_resubmit(application=application, user=request.user)
        except InvalidInput as exc:
            # The service names the materials still to upload (marked ones not uploaded again).
            found = exc.errors.get("materials") if isinstance(exc.errors, dict) else None
            for code in found or []:
                material_errors[code] = [_("Upload a corrected file.")]
            if not material_errors or (exc.errors or {}).get("data"):
                errors, other = _service_field_errors(exc, codes)
        except DomainError as exc:
            other = [_domain_message(exc)]
        else:
            messages.success(request, _("Your corrections are sent. The departments carry on with your "
                                        "application."))
            return redirect("application", pk=application.pk)
    if errors or other or material_errors:
        application.refresh_from_db()
        context = detail_context(request, application, correction_errors=errors, raw=raw,
                                  material_errors=material_errors, other_errors=other)
        return render(request, "portal/application_detail.html", context, status=400)
    messages.success(request, _("Your corrections are saved. Send them when you are ready."))
    return redirect(f"{reverse('application', args=[application.pk])}#correction")


def _refused_files(request: HttpRequest, application: Application, definition: Definition, cases: list,
                   materials: list[str]) -> dict[str, list[str]]:
    """When the answers of a correction are refused, nothing is stored, but the page still says
    what is wrong with the files posted with them (checked, not kept) and, when sending, which
    marked materials still need a new file: every error at once."""
    found: dict[str, list[str]] = {}
    for code in materials:
        uploads = request.FILES.getlist(f"file-{code}")
        if len(uploads) > 1:
            found[code] = [_("Upload one file at a time.")]
        elif uploads:
            spec = definition.materials.get(code, {})
            try:
                uploading.upload_check(spec, uploads[0])
            except DomainError as exc:
                found[code] = [_domain_message(exc, material=spec)]
    if request.POST.get("action") == "resubmit":
        uploaded = {code: doc.uploaded_at for code, doc in _documents(application).items()}
        for code in stale_materials(cases, uploaded):
            if code in materials and code not in found and not request.FILES.get(f"file-{code}"):
                found[code] = [_("Upload a corrected file.")]
    return found


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def application_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    application = app_selectors.application_for_citizen(request.user, pk)
    if not application.is_open:
        messages.error(request, _("Only an application that is still being handled can be withdrawn."))
        return redirect("application", pk=application.pk)
    if request.method == "POST":
        try:
            citizen_actions.application_withdraw(application=application, user=request.user)
        except DomainError as exc:
            messages.error(request, _domain_message(exc))
            return redirect("application", pk=application.pk)
        messages.success(request, _("Your application is withdrawn. Every department has stopped working on it."))
        return redirect("application", pk=application.pk)
    return render(request, "portal/confirm_withdraw.html",
                  {"application": application, "definition_name": one_thing_name(application)})


@login_required
@require_POST
def application_apply_again(request: HttpRequest, pk: int) -> HttpResponse:
    """A new draft from a refused or withdrawn application (drafting.application_apply_again)."""
    application = app_selectors.application_for_citizen(request.user, pk)
    try:
        new = drafting.application_apply_again(application=application, user=request.user)
    except DomainError as exc:
        messages.error(request, _domain_message(exc))
        return redirect("application", pk=application.pk)
    messages.success(request, _("A new application is started with your earlier answers and materials. Check "
                                "them, change what you need, then submit."))
    return redirect("application", pk=new.pk)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def application_delete(request: HttpRequest, pk: int) -> HttpResponse:
    application, response = _draft_or_redirect(request, pk)
    if response:
        return response
    if request.method == "POST":
        drafting.application_delete(application=application, user=request.user)
        messages.success(request, _("Your draft is deleted."))
        return redirect("applications")
    return render(request, "portal/confirm_delete.html",
                  {"application": application, "definition_name": one_thing_name(application)})


@login_required
@require_POST
def application_evaluate(request: HttpRequest, pk: int) -> HttpResponse:
    application = app_selectors.application_for_citizen(request.user, pk)
    form = EvaluationForm(request.POST)
    if not form.is_valid():
        context = detail_context(request, application)
        context["evaluation_form"] = form
        context["error_items"] = form_error_items(form, top="#rate")
        return render(request, "portal/application_detail.html", context, status=400)
    try:
        citizen_actions.evaluation_create(application=application, user=request.user, score=form.cleaned_data["score"],
                                   comment=form.cleaned_data["comment"])
    except DomainError as exc:
        messages.error(request, _("This application cannot be rated: it is not finished, or you rated it "
                                  "already.") if isinstance(exc, InvalidState) else _domain_message(exc))
        return redirect("application", pk=application.pk)
    messages.success(request, _("Thank you for your rating."))
    return redirect("application", pk=application.pk)


@login_required
@require_safe
def document_file(request: HttpRequest, pk: int, doc_pk: int) -> FileResponse:
    """A document's bytes for whoever may act on its application (never from a public media URL)."""
    app_selectors.application_for_citizen(request.user, pk)  # whoever may act on it (acting_q), or 404
    document = app_selectors.document_for_user(request.user, pk, doc_pk)
    inline = document.content_type in ("application/pdf", "image/png", "image/jpeg")
    response = FileResponse(document.file.open("rb"), content_type=document.content_type or
                            "application/octet-stream", as_attachment=not inline, filename=document.filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
