"""Tokens, lockout and self-registration.

- ``POST /api/v1/auth/token/`` trades a username and password for a token. The password check
  goes through ``django.contrib.auth.authenticate`` with the request, so django-axes counts
  failures per (username, client address) and, past the limit, answers ``429`` with
  ``Retry-After`` — the same lockout as the admin and the portal login; so does an address with
  too many failures across usernames (``GOVFLOW_LOGIN_ADDRESS_FAILURE_LIMIT`` per hour).
  Each login makes a new token (one per client), valid for ``GOVFLOW_TOKEN_TTL_HOURS``; only its
  digest is stored (django-rest-knox).
- ``DELETE /api/v1/auth/token/`` revokes the token the request carries (over a browser session,
  which carries none: every token of the user).
- ``POST /api/v1/auth/register/`` creates a citizen account, rate limited per client address; an id
  number that already has an account gets the same ``201`` (nothing is created, its owner is told).
  ``404`` when self-registration is turned off (``GOVFLOW_SELF_REGISTRATION``).
"""
from __future__ import annotations

import html

from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib.auth import authenticate, user_logged_in
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from knox.models import AuthToken
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied, Throttled, ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from govflow.accounts import services as account_services
from govflow.accounts import two_factor
from govflow.accounts.limits import RateLimited
from govflow.accounts.models import mask_id_number
from govflow.errors import InvalidInput
from govflow.web import client_address

from .idempotency import raw_body
from .responses import DetailSerializer, detail, field_errors

# -- lockout response (django-axes) ------------------------------------------------------------


def _cool_off_seconds(request: HttpRequest) -> int:
    address_wait = getattr(request, "govflow_address_wait", None)
    if address_wait is not None:  # the limit per address (govflow/accounts/lockout.py)
        return address_wait
    cool_off = get_cool_off(request)
    return max(1, int(cool_off.total_seconds())) if cool_off else 3600


def lockout_message(seconds: int, *, address: bool = False) -> str:
    minutes = max(1, -(-seconds // 60))
    if address:
        return _("Too many failed login attempts from your address. "
                 "Try again in %(minutes)d minutes.") % {"minutes": minutes}
    return _("Too many failed login attempts for this account from your address. "
             "Try again in %(minutes)d minutes.") % {"minutes": minutes}


def lockout_response(request: HttpRequest, original_response: HttpResponse | None = None,
                     credentials: dict | None = None) -> HttpResponse:
    """``AXES_LOCKOUT_CALLABLE``: 429 with ``Retry-After`` for every login (API, admin, portal).

    Each attempt while locked out starts the cool-off again (axes' default), so the whole
    cool-off is the honest wait.
    """
    seconds = _cool_off_seconds(request)
    message = lockout_message(seconds, address=getattr(request, "govflow_address_wait", None) is not None)
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse({"detail": message}, status=status.HTTP_429_TOO_MANY_REQUESTS)
    else:
        lang = html.escape(get_language() or settings.LANGUAGE_CODE)
        title = html.escape(_("Too many attempts"))
        response = HttpResponse(
            f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title></head>'
            f"<body><main><h1>{title}</h1><p>{html.escape(message)}</p></main></body></html>",
            status=status.HTTP_429_TOO_MANY_REQUESTS, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(seconds)
    response["Cache-Control"] = "no-store"
    return response


# -- serializers -------------------------------------------------------------------------------


class LoginSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=1024, trim_whitespace=False, write_only=True,
                                     style={"input_type": "password"})
    otp = serializers.CharField(max_length=32, required=False, allow_blank=True, write_only=True,
                                help_text="For an account with two-factor sign-in: the 6-digit code of its "
                                          "authenticator app, or one of its recovery codes (each works once).")


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send as `Authorization: Token <token>`.")
    expiry = serializers.DateTimeField(help_text="When the token stops working; log in again for a new one.")


class RegistrationSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150, help_text="Letters, digits and @/./+/-/_ only.")
    password = serializers.CharField(max_length=1024, trim_whitespace=False, write_only=True,
                                     style={"input_type": "password"},
                                     help_text="Checked by the password policy (length, not common, "
                                               "not similar to the username, not all digits).")
    name = serializers.CharField(max_length=100, help_text="Real name.")
    id_number = serializers.CharField(max_length=18,
                                      help_text="18-character resident id number; the check character is verified.")
    phone = serializers.CharField(max_length=11, help_text="Mainland mobile number, 11 digits.")
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True)


class CitizenSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What happens next (the same for every accepted registration).")
    username = serializers.CharField()
    name = serializers.CharField()
    id_number = serializers.CharField(help_text="Masked: first 3 and last 4 characters only.")
    phone = serializers.CharField()
    email = serializers.CharField(allow_blank=True)


TOO_MANY = OpenApiResponse(DetailSerializer, description="Too many attempts; see the `Retry-After` header (seconds)")
TOO_LARGE = OpenApiResponse(DetailSerializer, description="Request body too large")


def _data(request):
    raw_body(request)  # a body over DATA_UPLOAD_MAX_MEMORY_SIZE is a 413, not an HTML 400
    return request.data


# -- views --------------------------------------------------------------------------------------


class TokenView(APIView):
    """Log in for a token, or revoke it."""

    serializer_class = LoginSerializer

    def get_permissions(self):
        if self.request.method == "POST":
            return [AllowAny()]
        return [IsAuthenticated()]

    def perform_authentication(self, request) -> None:
        # Logging in needs no credentials: a stale token or a session cookie must not get in the way.
        if request.method != "POST":
            super().perform_authentication(request)

    @extend_schema(operation_id="auth_token_create", request=LoginSerializer, auth=[],
                   description="Trade a username and password for a new token, valid until `expiry`. It "
                               "stops working earlier when the password changes, the account is deactivated "
                               "or the token is revoked (`DELETE`). "
                               "After repeated failures for one username from one client address, that pair "
                               "is locked out for a while: `429` with `Retry-After`, even with the right password; so is a "
                               "client address with too many failures across all usernames in an hour. "
                               "An account with two-factor sign-in also sends `otp` (a wrong one counts as a "
                               "failure). Where staff must use two-factor sign-in (`GOVFLOW_STAFF_TWO_FACTOR` "
                               "`required`, the default outside DEBUG) a staff account without an "
                               "authenticator gets `403`: its owner sets one up by signing in on the website.",
                   responses={200: TokenSerializer,
                              400: field_errors("Missing fields, wrong credentials or a missing or wrong "
                                                "`otp`: `{field: [messages]}`"),
                              403: detail("Two-factor sign-in must be set up on the website first"),
                              413: TOO_LARGE, 429: TOO_MANY})
    def post(self, request):
        body = LoginSerializer(data=_data(request))
        body.is_valid(raise_exception=True)
        django_request = request._request  # axes flags the Django request; its middleware reads it there
        user = authenticate(django_request, username=body.validated_data["username"],
                            password=body.validated_data["password"])
        if getattr(django_request, "axes_locked_out", False):
            return lockout_response(django_request)
        if user is None:
            raise ValidationError({"non_field_errors": [_(account_services.LOGIN_REFUSED)]})
        step = two_factor.sign_in_step(user)
        if step == two_factor.ENROL:
            raise PermissionDenied(str(two_factor.ENROL_FIRST))
        if step == two_factor.CODE:
            if not body.validated_data.get("otp"):
                raise ValidationError({"otp": [str(two_factor.CODE_NEEDED)]})
            try:
                two_factor.verify(request=django_request, user=user, code=body.validated_data["otp"])
            except two_factor.SecondFactorLocked:
                return lockout_response(django_request)
            except InvalidInput as exc:
                raise ValidationError({"otp": exc.errors["code"]}) from None
        # As a session login does: updates last_login and lets axes forget the earlier failures.
        user_logged_in.send(sender=user.__class__, request=django_request, user=user)
        try:
            instance, token = account_services.issue_token(user=user, request=django_request)
        except InvalidInput as exc:
            raise ValidationError(exc.errors) from None
        return Response({"token": token,
                         "expiry": serializers.DateTimeField().to_representation(instance.expiry)})

    @extend_schema(operation_id="auth_token_destroy", request=None,
                   description="Revoke the token this request carries; log in again for a new one. "
                               "Over a browser session (no token) every token of the user is revoked.",
                   responses={204: None, 401: detail("Not authenticated")})
    def delete(self, request):
        if isinstance(request.auth, AuthToken):
            account_services.revoke_token(token=request.auth, request=request)
        else:
            account_services.revoke_tokens(user=request.user, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RegisterView(APIView):
    """Create a citizen account."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    serializer_class = RegistrationSerializer

    @extend_schema(request=RegistrationSerializer, auth=[],
                   description="Self-registration of a citizen (stands in for a real-name identity provider). "
                               "The id number's check character is verified; one account per id number; weak "
                               "passwords are refused; a username taken in any letter case is a `400`. "
                               "An id number that already has an account gets the same `201` and body as a "
                               "new one, nothing is created and the account's owner is notified, so the "
                               "answer never tells who is registered: log in to use the new account. "
                               "Limited per client address, failed attempts included (`429` with "
                               "`Retry-After`). The id number is never echoed in full. Where self-registration "
                               "is turned off (people sign in through the unified identity provider) the "
                               "answer is `404`.",
                   responses={201: CitizenSerializer, 400: field_errors(),
                              404: detail("Self-registration is turned off"), 413: TOO_LARGE, 429: TOO_MANY})
    def post(self, request):
        try:
            account_services.registration_attempt(client_address=client_address(request))
        except RateLimited as exc:
            raise Throttled(wait=exc.wait, detail=_("Too many registrations from your address.")) from None
        body = RegistrationSerializer(data=_data(request))
        body.is_valid(raise_exception=True)
        data = body.validated_data
        account_services.citizen_register(**{"email": "", **data})
        # The same answer whether the id number was new or already had an account.
        return Response({"detail": _("Registration received. Log in with your username and password."),
                         "username": data["username"], "name": data["name"].strip(),
                         "id_number": mask_id_number(data["id_number"].strip().upper()), "phone": data["phone"],
                         "email": data.get("email", "")},
                        status=status.HTTP_201_CREATED)


urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="auth-token"),
    path("auth/register/", RegisterView.as_view(), name="auth-register"),
]
