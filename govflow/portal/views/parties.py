"""Acting for others: the "acting as" switch, the organisations a person acts for (their roles,
agents granted and revoked by the legal representative), and authorisations to apply for another
person (代办) with their evidence. The rules are the domain's (``govflow.parties``); these views
translate requests and answers. Another person's organisation or authorisation is a 404.
"""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from govflow.applications import selectors as app_selectors
from govflow.errors import DomainError, InvalidInput, NotFound, UnsupportedFileType, UploadTooLarge
from govflow.parties import selectors, services
from govflow.parties.models import OrganisationRoleKind

from ..acting import choose
from ..forms import AgentGrantForm, AuthorisationForm
from ..selectors import published_one_thing_choices
from ..templatetags.portal import form_error_items


def _not_found(exc: NotFound) -> Http404:
    return Http404(exc.message)


def _organisation_for(request: HttpRequest, pk: int):
    """The organisation and the user's standing role in it (``selectors.organisation_for``), or a 404."""
    try:
        return selectors.organisation_for(request.user, pk)
    except NotFound as exc:
        raise _not_found(exc) from None


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return fallback


def _form_errors_from(form, exc: InvalidInput, fields: dict[str, str]) -> None:
    """A service's field errors onto the form (``fields``: service key -> form field)."""
    errors = exc.errors if isinstance(exc.errors, dict) else {}
    placed = False
    for key, messages_ in errors.items():
        field = fields.get(key)
        if field is None:
            continue
        for message in messages_ if isinstance(messages_, list) else [messages_]:
            form.add_error(field, str(message))
            placed = True
    if not placed:
        form.add_error(None, exc.message)


# -- acting as -----------------------------------------------------------------------------------

@login_required
@require_POST
def acting_as(request: HttpRequest) -> HttpResponse:
    """Choose on whose behalf to act; one the person may not act for changes nothing."""
    try:
        principal = selectors.principal_for(request.user, request.POST.get("principal", ""))
    except NotFound:
        messages.error(request, _("You cannot act for this organisation or person."))
        return redirect(_safe_next(request, reverse("applications")))
    choose(request, principal)
    if principal.kind == "self":
        messages.success(request, _("You are acting as yourself."))
    elif principal.kind == "organisation":
        messages.success(request, _("You are acting for %(name)s.") % {"name": principal.label})
    else:
        messages.success(request, _("You are acting for %(name)s, under your authorisation.") % {
            "name": principal.label})
    return redirect(_safe_next(request, reverse("applications")))


# -- organisations -------------------------------------------------------------------------------

@login_required
@require_safe
def organisation_list(request: HttpRequest) -> HttpResponse:
    roles = list(selectors.standing_roles(request.user))
    return render(request, "portal/organisation_list.html", {"roles": roles})


def _organisation_context(request: HttpRequest, organisation, role, form=None) -> dict:
    roles = list(selectors.roles_shown_to(role))
    is_legal = role.role == OrganisationRoleKind.LEGAL_REPRESENTATIVE
    standing = [r for r in roles if r.is_live()]
    past = [r for r in roles if not r.is_live()]
    return {"organisation": organisation, "role": role, "is_legal_representative": is_legal,
            "standing": standing, "past": past,
            "form": (form or AgentGrantForm()) if is_legal else None,
            "error_items": form_error_items(form) if form is not None else []}


@login_required
@require_safe
def organisation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    organisation, role = _organisation_for(request, pk)
    return render(request, "portal/organisation_detail.html", _organisation_context(request, organisation, role))


@login_required
@require_POST
def agent_grant(request: HttpRequest, pk: int) -> HttpResponse:
    organisation, role = _organisation_for(request, pk)
    if role.role != OrganisationRoleKind.LEGAL_REPRESENTATIVE:
        raise Http404("Organisation not found.")
    form = AgentGrantForm(request.POST)
    if form.is_valid():
        try:
            granted = services.agent_grant(organisation=organisation, actor=request.user,
                                           agent_id_number=form.cleaned_data["agent_id_number"],
                                           expires_at=form.expires_at)
        except InvalidInput as exc:
            _form_errors_from(form, exc, {"agent_id_number": "agent_id_number", "expires_at": "expires_on"})
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("%(name)s can now act for %(organisation)s until %(date)s.") % {
                "name": granted.user.name or granted.user.username, "organisation": organisation.name,
                "date": form.cleaned_data["expires_on"].isoformat()})
            return redirect("organisation", pk=organisation.pk)
    return render(request, "portal/organisation_detail.html",
                  _organisation_context(request, organisation, role, form), status=400)


@login_required
@require_POST
def role_revoke(request: HttpRequest, pk: int, role_pk: int) -> HttpResponse:
    """The legal representative ends an agent's role, or an agent gives up their own: at once."""
    try:
        organisation, standing = selectors.organisation_for(request.user, pk)
        target = selectors.role_shown_to(standing, role_pk)
        revoked = services.role_revoke(role=target, actor=request.user)
    except NotFound as exc:
        raise _not_found(exc) from None
    except DomainError:
        messages.error(request, _("This role cannot be ended: it has ended already, or a legal representative "
                                  "is changed by an administrator."))
        return redirect("organisation", pk=organisation.pk)
    if revoked.user_id == request.user.pk:
        messages.success(request, _("You no longer act for %(organisation)s.") % {"organisation": organisation.name})
        return redirect("organisations")
    messages.success(request, _("%(name)s no longer acts for %(organisation)s.") % {
        "name": revoked.user.name or revoked.user.username, "organisation": organisation.name})
    return redirect("organisation", pk=organisation.pk)


# -- acting for another person (代办) -------------------------------------------------------------

@login_required
@require_safe
def authorisation_list(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/authorisation_list.html", {
        "held": list(selectors.authorisations_of(request.user, side="agent")),
        "given": list(selectors.authorisations_of(request.user, side="subject")),
    })


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def authorisation_new(request: HttpRequest) -> HttpResponse:
    choices = published_one_thing_choices(for_persons=True)
    if request.method != "POST":
        return render(request, "portal/authorisation_form.html",
                      {"form": AuthorisationForm(one_things=choices), "error_items": []})
    form = AuthorisationForm(request.POST, request.FILES, one_things=choices)
    status = 400
    if form.is_valid():
        upload = form.cleaned_data["evidence"]
        try:
            created = services.authorisation_create(
                agent=request.user, subject_id_number=form.cleaned_data["subject_id_number"],
                subject_name=form.cleaned_data["subject_name"], relation=form.cleaned_data["relation"],
                one_thing_code=form.cleaned_data["one_thing"], expires_at=form.expires_at,
                scope=form.cleaned_data["scope"], evidence=upload, evidence_filename=upload.name,
                created_by=request.user)
        except InvalidInput as exc:
            _form_errors_from(form, exc, {key: key for key in form.fields} | {"expires_at": "expires_on"})
        except UploadTooLarge as exc:
            form.add_error("evidence", _("The file is larger than 10 MB. Upload a smaller file."))
            status = exc.status
        except UnsupportedFileType as exc:
            form.add_error("evidence", _("This type of file is not accepted. Upload PDF, PNG or JPEG."))
            status = exc.status
        except DomainError as exc:
            form.add_error(None, exc.message)
            status = exc.status
        else:
            messages.success(request, _("You can now apply for %(name)s. Choose “For %(name)s” under “Acting as”.")
                             % {"name": created.subject.name or created.subject.username})
            return redirect("authorisations")
    return render(request, "portal/authorisation_form.html", {"form": form, "error_items": form_error_items(form)},
                  status=status)


@login_required
@require_POST
def authorisation_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """The agent gives it up, or the subject takes it back: at once."""
    try:
        found = selectors.authorisation_for(request.user, pk)
        services.authorisation_revoke(authorisation=found, actor=request.user)
    except NotFound as exc:
        raise _not_found(exc) from None
    except DomainError:
        messages.error(request, _("This authorisation has ended already."))
        return redirect("authorisations")
    messages.success(request, _("The authorisation is revoked. It no longer counts, from now on."))
    return redirect("authorisations")


@login_required
@require_safe
def authorisation_evidence(request: HttpRequest, pk: int) -> FileResponse:
    """The evidence's bytes, for whom ``authorisation_with_evidence`` allows (never a public media URL)."""
    found = app_selectors.authorisation_with_evidence(request.user, pk)
    response = FileResponse(found.evidence.open("rb"), content_type=found.evidence_content_type or
                            "application/octet-stream", as_attachment=False,
                            filename=found.evidence_filename or "evidence")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    response["Cache-Control"] = "private, no-store"
    return response

