"""Two-factor sign-in (issue 20): a TOTP authenticator app, and single-use recovery codes.

Built on django-otp: a confirmed ``TOTPDevice`` is the person's authenticator; a ``StaticDevice``
holds their ``RECOVERY_CODES`` recovery codes (each works once). The rules:

- ``GOVFLOW_STAFF_TWO_FACTOR = "required"`` (the default when DEBUG is off): staff (``is_staff``,
  a superuser, or an office membership; ``selectors.is_staff_member``) must have an authenticator;
  one without is enrolled at their next sign-in, before they are signed in.
- ``"optional"`` (the default with DEBUG=1, the demo): nobody is forced.
- Either way whoever *has* a confirmed authenticator (staff, or a citizen who turned it on from
  their profile) gives a code at every sign-in, on the web and for an API token.

A wrong code counts as a failed sign-in for django-axes (the same lockout per username and
address, and per address, as wrong passwords): ``verify`` reports it through
``user_login_failed``. django-otp's own throttling (1, 2, 4 … seconds between tries on one
device) stays on. Every change is in the security log (``security.record``).
"""
from __future__ import annotations

import re
from base64 import b32encode
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from govflow.errors import InvalidInput, InvalidState

from . import security
from .models import SecurityEventKind as Kind
from .models import User
from .selectors import is_staff_member

REQUIRED = "required"
OPTIONAL = "optional"
MODES = (REQUIRED, OPTIONAL)
RECOVERY_CODES = 10
#: What a sign-in still needs after the password: nothing, a code, or enrolling an authenticator.
CODE = "code"
ENROL = "enrol"

WRONG_CODE = _("This code is not right. Check the time on your phone, wait for a new code and try again.")
ENROL_FIRST = _("Your account must have an authenticator app: sign in on the website once to set it up.")
CODE_NEEDED = _("Enter the 6-digit code from your authenticator app, or one of your recovery codes.")
STAFF_KEEP = _("Staff accounts must keep two-factor sign-in on.")


class SecondFactorLocked(Exception):
    """Too many failed sign-ins for this account from this address: the request is flagged for
    django-axes' middleware (429 with ``Retry-After``)."""


def mode() -> str:
    value = getattr(settings, "GOVFLOW_STAFF_TWO_FACTOR", REQUIRED)
    return value if value in MODES else REQUIRED


def is_required(user: Any) -> bool:
    """Whether ``user`` must have an authenticator (staff, in ``required`` mode)."""
    return mode() == REQUIRED and is_staff_member(user)


def has_authenticator(user: Any) -> bool:
    return TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).exists()


def sign_in_step(user: Any) -> str | None:
    """After a right password: ``CODE`` (has an authenticator), ``ENROL`` (must get one first) or
    ``None`` (signed in now)."""
    if has_authenticator(user):
        return CODE
    if is_required(user):
        return ENROL
    return None


def recovery_codes_left(user: Any) -> int:
    return StaticToken.objects.filter(device__user_id=user.pk).count()


def normalise(code: Any) -> str:
    """What people type: spaces and hyphens dropped, recovery codes in any letter case."""
    return re.sub(r"[\s-]+", "", str(code or "")).lower()[:32]


# -- enrolment ------------------------------------------------------------------------------------

def enrolment_device(*, user: User, device_id: Any = None) -> TOTPDevice:
    """The authenticator being set up: the unconfirmed device ``device_id`` of ``user`` if it is
    still there, else a new one with a new secret (older unconfirmed ones are deleted)."""
    if device_id:
        device = TOTPDevice.objects.filter(user=user, confirmed=False, pk=device_id).first()
        if device is not None:
            return device
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)


def secret_text(device: TOTPDevice) -> str:
    """The secret for typing into an app by hand: base32 in groups of four."""
    secret = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def provisioning_uri(device: TOTPDevice) -> str:
    """The ``otpauth://`` address a QR code carries (issuer ``OTP_TOTP_ISSUER``)."""
    return device.config_url


def _new_recovery_codes(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="recovery codes", confirmed=True)
    codes = []
    while len(codes) < RECOVERY_CODES:
        code = StaticToken.random_token()
        if code not in codes:
            codes.append(code)
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


@transaction.atomic
def confirm_enrolment(*, user: User, device_id: Any, code: Any, request: Any = None) -> list[str]:
    """The person typed a code of the authenticator they just set up: it becomes their only one,
    with new recovery codes (returned, to show once). ``InvalidInput`` on ``code`` if wrong."""
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False, pk=device_id or 0).first()
    token = normalise(code)
    if device is None:
        raise InvalidState(str(_("This set-up has expired. Start again.")))
    if not token.isdigit() or not device.verify_token(token):
        raise InvalidInput(str(WRONG_CODE), errors={"code": [str(WRONG_CODE)]})
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = _new_recovery_codes(user)
    security.record(Kind.FACTOR_ENROLLED, user=user, request=request, required=is_required(user))
    return codes


@transaction.atomic
def regenerate_recovery_codes(*, user: User, request: Any = None) -> list[str]:
    if not has_authenticator(user):
        raise InvalidState(str(_("Turn on two-factor sign-in first.")))
    codes = _new_recovery_codes(user)
    security.record(Kind.RECOVERY_CODES_REGENERATED, user=user, request=request)
    return codes


# -- the code step ---------------------------------------------------------------------------------

def _credentials(user: User) -> dict:
    return {"username": user.get_username(), security.STEP: security.SECOND_FACTOR_STEP}


def _match(user: User, token: str) -> str | None:
    """Which factor accepts ``token``: ``"totp"``, ``"recovery"`` (the code is used up) or ``None``.
    The person's devices are locked, so one recovery code never works twice at once."""
    with transaction.atomic():
        if token.isdigit():
            for device in TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True):
                if device.verify_token(token):
                    return "totp"
            return None
        for device in StaticDevice.objects.select_for_update().filter(user=user, confirmed=True):
            if device.verify_token(token):
                return "recovery"
    return None


def verify(*, request: Any, user: User, code: Any) -> str:
    """Check the second factor of ``user`` signing in with ``request``; returns ``"totp"`` or
    ``"recovery"``. A wrong code raises ``InvalidInput`` (on ``code``) and counts as a failed
    sign-in; a locked-out account and address raise ``SecondFactorLocked``."""
    request = getattr(request, "_request", request)  # django-axes flags Django's request
    credentials = _credentials(user)
    if AxesProxyHandler.is_locked(request, credentials):
        request.axes_locked_out = True
        request.axes_credentials = credentials
        user_login_failed.send(sender=__name__, credentials=credentials, request=request)
        raise SecondFactorLocked
    token = normalise(code)
    method = _match(user, token) if token else None
    if method is None:
        user_login_failed.send(sender=__name__, credentials=credentials, request=request)
        if getattr(request, "axes_locked_out", False):
            raise SecondFactorLocked
        raise InvalidInput(str(WRONG_CODE), errors={"code": [str(WRONG_CODE)]})
    security.record(Kind.SECOND_FACTOR_SUCCEEDED, user=user, request=request, method=method)
    if method == "recovery":
        security.record(Kind.RECOVERY_CODE_USED, user=user, request=request, left=recovery_codes_left(user))
    return method


# -- turning it off ----------------------------------------------------------------------------------

def _delete_devices(user: User) -> int:
    deleted = TOTPDevice.objects.filter(user=user).delete()[0]
    StaticDevice.objects.filter(user=user).delete()
    return deleted


def turn_off(*, request: Any, user: User, code: Any) -> None:
    """The person turns two-factor sign-in off with a valid code (not staff who must keep it)."""
    if is_required(user):
        raise InvalidState(str(STAFF_KEEP))
    verify(request=request, user=user, code=code)
    with transaction.atomic():
        _delete_devices(user)
        security.record(Kind.FACTOR_REMOVED, user=user, request=request)


@transaction.atomic
def reset(*, user: User, actor: Any, reason: str, request: Any = None) -> int:
    """An administrator removes a lost authenticator and the recovery codes of ``user`` (who enrols
    again at the next sign-in where required). ``reason`` (the support ticket) is recorded."""
    reason = str(reason or "").strip()
    if not reason:
        raise InvalidInput(str(_("Give the reason.")), errors={"reason": [str(_("Give the reason."))]})
    deleted = _delete_devices(user)
    security.record(Kind.FACTOR_RESET, user=user, actor=actor, request=request, reason=reason[:500],
                    devices=deleted)
    return deleted
