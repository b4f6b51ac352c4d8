"""Two-factor sign-in pages: the code step and the enrolment step of a sign-in, the recovery
codes shown once, and the person's own settings (turn on, new recovery codes, turn off).

The rules are ``govflow.accounts.two_factor``'s. A right password of someone who needs a second
factor does not sign them in: ``start`` keeps them *pending* in the session (who, through which
backend, where to go next, since when), for ``GOVFLOW_TWO_FACTOR_PENDING_MINUTES``; the code step
or, for staff without an authenticator where it is required, the enrolment step signs them in
(``login``). So every signed-in session has passed every factor its account needs.
"""
from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from govflow.accounts import two_factor
from govflow.accounts.models import User
from govflow.applications import selectors as app_selectors
from govflow.errors import InvalidInput, InvalidState
from govflow.web import qr_data_uri

from ..forms import SecondFactorCodeForm

PENDING = "govflow_2fa_pending"
SETUP = "govflow_2fa_setup"
CODES = "govflow_2fa_codes"


def home_for(user: Any) -> str:
    """Without a ``next``: clerks go to their workbench, citizens to their applications."""
    if app_selectors.is_clerk(user):
        try:
            return reverse("workbench:queue")
        except NoReverseMatch:
            pass
    return reverse("applications")


def start(request: HttpRequest, user: User, *, step: str, next_url: str) -> HttpResponse:
    """After a right password of someone who needs ``step`` (``two_factor.CODE`` or ``ENROL``)."""
    request.session.pop(SETUP, None)
    request.session[PENDING] = {"user": user.pk, "backend": getattr(user, "backend", ""), "next": next_url,
                                "at": time.time()}
    return redirect("login-code" if step == two_factor.CODE else "login-enrol")


def _pending(request: HttpRequest) -> tuple[User | None, dict]:
    """The pending user (``None`` when there is none, or it waited too long) and their state."""
    state = request.session.get(PENDING) or {}
    minutes = getattr(settings, "GOVFLOW_TWO_FACTOR_PENDING_MINUTES", 10)
    if not state or time.time() - float(state.get("at", 0)) > minutes * 60:
        return None, {}
    user = User.objects.filter(pk=state.get("user"), is_active=True).first()
    return user, state


def _again(request: HttpRequest) -> HttpResponse:
    request.session.pop(PENDING, None)
    request.session.pop(SETUP, None)
    messages.info(request, _("Sign in again: the time to finish signing in has run out."))
    return redirect("login")


def _finish(request: HttpRequest, user: User, state: dict) -> str:
    """Sign the pending user in; returns where they go next."""
    request.session.pop(PENDING, None)
    request.session.pop(SETUP, None)
    login(request, user, backend=state.get("backend") or None)
    return state.get("next") or home_for(user)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def login_code(request: HttpRequest) -> HttpResponse:
    """The second step of signing in: a code of the authenticator app, or a recovery code."""
    user, state = _pending(request)
    if user is None or not two_factor.has_authenticator(user):
        return _again(request)
    form = SecondFactorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            method = two_factor.verify(request=request, user=user, code=form.cleaned_data["code"])
        except two_factor.SecondFactorLocked:
            request.session.pop(PENDING, None)
            return HttpResponse(status=429)  # django-axes' middleware answers with the lockout page
        except InvalidInput as exc:
            for message in exc.errors.get("code", []):
                form.add_error("code", message)
        else:
            target = _finish(request, user, state)
            if method == "recovery":
                left = two_factor.recovery_codes_left(user)
                messages.warning(request, _("You signed in with a recovery code; %(left)d are left. If you lost "
                                            "your phone, make new recovery codes or ask an administrator to "
                                            "reset your authenticator.") % {"left": left})
            return redirect(target)
    return render(request, "portal/two_factor_code.html", {"form": form, "pending_user": user},
                  status=400 if form.errors else 200)


def _enrol_page(request: HttpRequest, user: User, *, action: str, form, signing_in: bool) -> HttpResponse:
    device = two_factor.enrolment_device(user=user, device_id=request.session.get(SETUP))
    request.session[SETUP] = device.pk
    return render(request, "portal/two_factor_enrol.html",
                  {"form": form, "action": action, "signing_in": signing_in, "pending_user": user,
                   "qr": qr_data_uri(two_factor.provisioning_uri(device)),
                   "secret": two_factor.secret_text(device), "required": two_factor.is_required(user)},
                  status=400 if form.errors else 200)


def _confirm(request: HttpRequest, user: User, form) -> list[str] | None:
    """The enrolment's code: the recovery codes when it was right, else ``None`` (errors on the form)."""
    try:
        return two_factor.confirm_enrolment(user=user, device_id=request.session.get(SETUP),
                                            code=form.cleaned_data["code"], request=request)
    except InvalidState as exc:
        request.session.pop(SETUP, None)
        form.add_error("code", exc.message)
    except InvalidInput as exc:
        for message in exc.errors.get("code", []):
            form.add_error("code", message)
    return None


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def login_enrol(request: HttpRequest) -> HttpResponse:
    """Signing in, for staff who must have an authenticator and have none yet: set one up first."""
    user, state = _pending(request)
    if user is None:
        return _again(request)
    if two_factor.has_authenticator(user):
        return redirect("login-code")
    form = SecondFactorCodeForm(request.POST or None, recovery=False)
    if request.method == "POST" and form.is_valid():
        codes = _confirm(request, user, form)
        if codes is not None:
            target = _finish(request, user, state)
            request.session[CODES] = {"codes": codes, "next": target}
            return redirect("two-factor-codes")
    return _enrol_page(request, user, action=reverse("login-enrol"), form=form, signing_in=True)


@login_required
@never_cache
@require_http_methods(["GET", "HEAD"])
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """The new recovery codes, shown once (reloading the page does not show them again)."""
    shown = request.session.pop(CODES, None)
    if not shown:
        return redirect("two-factor")
    return render(request, "portal/two_factor_codes.html",
                  {"codes": shown["codes"], "next": shown.get("next") or reverse("two-factor")})


@login_required
@never_cache
@require_http_methods(["GET", "HEAD"])
def settings_page(request: HttpRequest) -> HttpResponse:
    user = request.user
    return render(request, "portal/two_factor.html",
                  {"enabled": two_factor.has_authenticator(user), "required": two_factor.is_required(user),
                   "codes_left": two_factor.recovery_codes_left(user), "form": SecondFactorCodeForm()})


@login_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def setup(request: HttpRequest) -> HttpResponse:
    """A signed-in person (a citizen opting in, or staff) sets up an authenticator."""
    if two_factor.has_authenticator(request.user):
        return redirect("two-factor")
    form = SecondFactorCodeForm(request.POST or None, recovery=False)
    if request.method == "POST" and form.is_valid():
        codes = _confirm(request, request.user, form)
        if codes is not None:
            request.session.pop(SETUP, None)
            request.session[CODES] = {"codes": codes, "next": reverse("two-factor")}
            messages.success(request, _("Two-factor sign-in is on."))
            return redirect("two-factor-codes")
    return _enrol_page(request, request.user, action=reverse("two-factor-setup"), form=form, signing_in=False)


@login_required
@require_POST
def new_codes(request: HttpRequest) -> HttpResponse:
    try:
        codes = two_factor.regenerate_recovery_codes(user=request.user, request=request)
    except InvalidState:
        return redirect("two-factor")
    request.session[CODES] = {"codes": codes, "next": reverse("two-factor")}
    return redirect("two-factor-codes")


@login_required
@never_cache
@require_POST
def turn_off(request: HttpRequest) -> HttpResponse:
    """Turn two-factor sign-in off, with a valid code (citizens; staff who need it cannot)."""
    user = request.user
    form = SecondFactorCodeForm(request.POST)
    if form.is_valid():
        try:
            two_factor.turn_off(request=request, user=user, code=form.cleaned_data["code"])
        except two_factor.SecondFactorLocked:
            return HttpResponse(status=429)  # django-axes' middleware answers with the lockout page
        except InvalidState as exc:
            form.add_error("code", exc.message)
        except InvalidInput as exc:
            for message in exc.errors.get("code", []):
                form.add_error("code", message)
        else:
            messages.success(request, _("Two-factor sign-in is off."))
            return redirect("two-factor")
    return render(request, "portal/two_factor.html",
                  {"enabled": two_factor.has_authenticator(user), "required": two_factor.is_required(user),
                   "codes_left": two_factor.recovery_codes_left(user), "form": form}, status=400)
