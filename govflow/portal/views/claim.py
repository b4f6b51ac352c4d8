"""A service-hall counter's receipt online: anyone holding an application's number and its
one-time code follows it (read-only, no account needed); a signed-in person claims it into their
account with the same code, once. The rules are ``govflow.applications.counter``'s."""
from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from govflow.accounts.limits import RateLimited
from govflow.applications import counter
from govflow.applications.models import Application
from govflow.errors import DomainError, InvalidInput, InvalidState, NotAllowed
from govflow.web import client_address

from ..selectors import one_thing_name
from .common import _definition
from .follow import _case_rows


class ReceiptForm(forms.Form):
    number = forms.CharField(label=gettext_lazy("Application number"), max_length=32,
                             help_text=gettext_lazy("As printed on the receipt, e.g. GF-2026-000123."),
                             widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false",
                                                           "autocapitalize": "characters"}))
    code = forms.CharField(label=gettext_lazy("One-time code"), max_length=20,
                           help_text=gettext_lazy("The 10 characters printed on the receipt (with or without the dash)."),
                           widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false",
                                                         "autocapitalize": "characters"}))


def _refused(request: HttpRequest, template: str, form: ReceiptForm, exc: Exception) -> HttpResponse:
    """A wrong number or code, too many attempts, or someone else's application: said plainly,
    nothing changed."""
    status = 400
    if isinstance(exc, RateLimited):
        text, status = _("Too many wrong codes. Try again in %(minutes)d minutes.") % {
            "minutes": max(1, -(-exc.wait // 60))}, 429
    elif isinstance(exc, InvalidInput):
        text = _("The application number or the code is not right. Check the receipt and try again.")
    elif isinstance(exc, NotAllowed):
        text, status = (_("This application is for another person or organisation: only they can claim it."),
                        403)
    elif isinstance(exc, InvalidState):
        text, status = _("This application has been claimed into an account already."), 409
    else:
        text = _("Something in the request was not valid. Check it and try again.")
    response = render(request, template, {"form": form, "limit_errors": [{"href": "#id_code", "text": text}]},
                      status=status)
    if isinstance(exc, RateLimited):
        response["Retry-After"] = str(exc.wait)
    return response


def _status_context(application: Application) -> dict:
    definition = _definition(application)
    cases = _case_rows(application, definition, list(application.cases.select_related("department")))
    return {"application": application, "definition_name": one_thing_name(application), "cases": cases}


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def follow_receipt(request: HttpRequest) -> HttpResponse:
    """Follow a counter application with the number and code on its receipt (read-only)."""
    form = ReceiptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            application = counter.application_follow(number=form.cleaned_data["number"],
                                                     code=form.cleaned_data["code"],
                                                     client_address=client_address(request))
        except (DomainError, RateLimited) as exc:
            return _refused(request, "portal/follow_receipt.html", form, exc)
        return render(request, "portal/follow_status.html", _status_context(application))
    return render(request, "portal/follow_receipt.html", {"form": form}, status=400 if form.errors else 200)


@login_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def claim(request: HttpRequest) -> HttpResponse:
    """Claim a counter application into the signed-in person's account with its receipt code."""
    form = ReceiptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            application = counter.application_claim(user=request.user, number=form.cleaned_data["number"],
                                                    code=form.cleaned_data["code"],
                                                    client_address=client_address(request))
        except (DomainError, RateLimited) as exc:
            return _refused(request, "portal/claim.html", form, exc)
        messages.success(request, _("%(number)s is now in your account.") % {"number": application.number})
        return redirect("application", pk=application.pk)
    return render(request, "portal/claim.html", {"form": form}, status=400 if form.errors else 200)
