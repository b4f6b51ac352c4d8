"""Sign in and out, register, the profile, and passwords."""
from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from govflow.accounts import selectors as account_selectors
from govflow.accounts import services as account_services
from govflow.accounts import two_factor
from govflow.accounts.limits import RateLimited
from govflow.catalog.models import Division
from govflow.errors import InvalidInput
from govflow.web import client_address, safe_next

from ..forms import (
    ForgotPasswordForm,
    LoginForm,
    PasswordChangeForm,
    ProfileForm,
    RegisterForm,
    ResetCodeForm,
    SetPasswordForm,
)
from ..selectors import division_choices
from . import two_factor as two_factor_pages

# -- accounts ------------------------------------------------------------------------------------

class LoginView(auth_views.LoginView):
    """The password step. Someone who needs a second factor (``accounts.two_factor.sign_in_step``)
    is not signed in yet: the code or enrolment step (``two_factor.start``) does it."""

    template_name = "portal/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        return two_factor_pages.home_for(self.request.user)

    def form_valid(self, form):
        user = form.get_user()
        step = two_factor.sign_in_step(user)
        if step is None:
            return super().form_valid(form)
        return two_factor_pages.start(self.request, user, step=step, next_url=self.get_redirect_url())


class AdminLoginView(LoginView):
    """``/admin/login/``: the same two steps (the admin's own login would skip the second factor).
    A signed-in person without admin access sees the form, not a redirect back to the admin."""

    redirect_authenticated_user = False


class LogoutView(auth_views.LogoutView):
    next_page = "home"


@require_http_methods(["GET", "HEAD", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    """Registration; the answer to an accepted form is the same whether the ID number was new or
    already had an account (whose owner the service notifies): sign in next. With self-registration
    off (``GOVFLOW_SELF_REGISTRATION``) a page that says so, with the provider's sign-in if any (404)."""
    if request.user.is_authenticated:
        return redirect("profile")
    if not account_services.self_registration_enabled():
        return render(request, "portal/register_off.html", {"next": safe_next(request, "")}, status=404)
    if request.method == "POST":
        try:
            account_services.registration_attempt(client_address=client_address(request))
        except RateLimited as exc:
            text = _("Too many registrations from your address. Try again in %(minutes)d minutes.") % {
                "minutes": max(1, -(-exc.wait // 60))}
            response = render(request, "portal/register.html",
                              {"form": RegisterForm(), "next": safe_next(request, ""),
                               "limit_errors": [{"href": "#main-form", "text": text}]}, status=429)
            response["Retry-After"] = str(exc.wait)
            return response
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            account_services.citizen_register(
                username=data["username"], password=data["password1"], name=data["name"],
                id_number=data["id_number"], phone=data["phone"], email=data["email"])
        except InvalidInput as exc:
            # Someone took the username in the meantime, or a rule the form missed.
            for name, _messages in (exc.errors or {}).items():
                target = {"password": "password1"}.get(name, name)
                if name == "username":
                    taken = account_services.USERNAME_TAKEN in _messages
                    message = form.error_messages["username_taken"] if taken else _messages[0]
                else:
                    message = _("Check this answer.")
                form.add_error(target if target in form.fields else None, message)
        else:
            messages.success(request, _("Registration received. If this ID number had no account yet, yours is "
                                        "ready: sign in with your username and password. If it already had one, "
                                        "we have told its owner."))
            login_url = reverse("login")
            target = safe_next(request, "")
            return redirect(f"{login_url}?{urlencode({'next': target})}" if target else login_url)
    return render(request, "portal/register.html", {"form": form, "next": safe_next(request, "")})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    divisions = list(Division.objects.all())
    residence = next((d.code for d in divisions if d.pk == user.residence_id), "")
    form = ProfileForm(request.POST or None, choices=division_choices(divisions),
                       initial={"phone": user.phone, "email": user.email, "residence": residence,
                                "notify_by_email": user.notify_by_email, "notify_by_sms": user.notify_by_sms,
                                "language": user.language})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            account_services.profile_update(
                user=user, phone=data["phone"], email=data["email"], residence=data["residence"],
                notify_by_email=data["notify_by_email"], notify_by_sms=data["notify_by_sms"],
                language=data["language"] or None)
        except InvalidInput as exc:
            for message in (exc.errors or {}).get("residence") or [exc.message]:
                form.add_error("residence", message)
        else:
            messages.success(request, _("Your details are saved."))
            return redirect("profile")
    return render(request, "portal/profile.html", {"form": form, "profile_user": user,
                                                   "identity": account_selectors.identity_check(user)})


# -- passwords -----------------------------------------------------------------------------------
# The rules (current password, validators, tokens, codes, rate limits) are in
# govflow.accounts.services; these views only turn forms into calls and errors into messages.

RESET_IDENTIFIER = "govflow_password_reset_identifier"


def _new_password_errors(form, exc: InvalidInput) -> dict[str, list[str]]:
    """Put a service's ``new_password`` errors (the validators' own, translated, messages) on the form;
    return the other errors."""
    errors = dict(exc.errors or {})
    for message in errors.pop("new_password", []):
        form.add_error("new_password1", message)
    return errors


@login_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def password_change(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = account_services.change_password(user=request.user, old_password=form.cleaned_data["old_password"],
                                                    new_password=form.cleaned_data["new_password1"])
        except InvalidInput as exc:
            if _new_password_errors(form, exc):
                form.add_error("old_password", _("Your current password is not correct."))
        else:
            update_session_auth_hash(request, user)  # this session stays; every other one ends
            messages.success(request, _("Your password is changed. You are signed out on your other devices."))
            return redirect("profile")
    status = 400 if form.errors else 200
    return render(request, "portal/password_change.html", {"form": form}, status=status)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def password_forgot(request: HttpRequest) -> HttpResponse:
    form = ForgotPasswordForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        identifier, channel = form.cleaned_data["identifier"].strip(), form.cleaned_data["channel"]
        wait = account_services.request_password_reset(
            identifier=identifier, channel=channel, client=client_address(request))
        if wait is None:
            # The same answer whether an account matched or not.
            if channel == "sms":
                request.session[RESET_IDENTIFIER] = identifier
                return redirect("password-reset-code")
            return redirect("password-forgot-sent")
        form.add_error(None, _("Too many requests from your address. Try again in %(minutes)d minutes.")
                       % {"minutes": max(1, -(-wait // 60))})
        status = 429
    elif form.errors:
        status = 400
    response = render(request, "portal/password_forgot.html", {"form": form}, status=status)
    if status == 429:
        response["Retry-After"] = str(wait)
    return response


@never_cache
@require_safe
def password_forgot_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/password_forgot_sent.html",
                  {"valid_minutes": settings.PASSWORD_RESET_TIMEOUT // 60})


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def password_reset_confirm(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    user = account_services.user_for_reset_link(uidb64=uidb64, token=token)
    if user is None:
        return render(request, "portal/password_reset_invalid.html", status=400)
    form = SetPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            account_services.reset_password_with_link(uidb64=uidb64, token=token,
                                                      new_password=form.cleaned_data["new_password1"])
        except InvalidInput as exc:
            if _new_password_errors(form, exc):  # the link was used meanwhile
                return render(request, "portal/password_reset_invalid.html", status=400)
        else:
            messages.success(request, _("Your password is changed. Sign in with your new password."))
            return redirect("login")
    return render(request, "portal/password_reset_confirm.html", {"form": form, "username": user.username},
                  status=400 if form.errors else 200)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def password_reset_code(request: HttpRequest) -> HttpResponse:
    form = ResetCodeForm(request.POST or None, initial={"identifier": request.session.get(RESET_IDENTIFIER, "")})
    if request.method == "POST" and form.is_valid():
        try:
            account_services.reset_password_with_code(
                identifier=form.cleaned_data["identifier"], code=form.cleaned_data["code"],
                new_password=form.cleaned_data["new_password1"])
        except InvalidInput as exc:
            if _new_password_errors(form, exc):
                form.add_error("code", _("This code is wrong, used or expired. Check it, or ask for a new code."))
        else:
            request.session.pop(RESET_IDENTIFIER, None)
            messages.success(request, _("Your password is changed. Sign in with your new password."))
            return redirect("login")
    return render(request, "portal/password_reset_code.html",
                  {"form": form, "valid_minutes": account_services.reset_code_minutes()},
                  status=400 if form.errors else 200)
