"""Writes on accounts: local self-registration and department system accounts."""
from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from govflow.applications.errors import InvalidInput
from govflow.catalog.forms import is_valid_id_number, is_valid_phone
from govflow.notifications.dispatch import dispatch_after_commit
from govflow.notifications.models import OutboxKind, OutboxMessage

from . import limits
from .models import Membership, Role, User

USERNAME_TAKEN = "This username is already taken."
REGISTER_SCOPE = "register"
REGISTER_WINDOW = 60 * 60
#: The outbox event that tells an id number's owner someone tried to register it again.
REGISTRATION_ATTEMPT_EVENT = "account.registration_attempt"


def registration_attempt(*, client_address: str) -> None:
    """Count one registration attempt from ``client_address``: every interface calls this before
    reading the form, so malformed and failed attempts count too. Over ``GOVFLOW_REGISTER_RATE``
    per clock hour it raises ``limits.RateLimited`` (with the seconds to wait)."""
    wait = limits.hit(REGISTER_SCOPE, client_address, limit=settings.GOVFLOW_REGISTER_RATE, window=REGISTER_WINDOW)
    if wait is not None:
        raise limits.RateLimited(wait, "Too many registrations from your address.")


@transaction.atomic
def citizen_register(*, username: str, password: str, name: str, id_number: str, phone: str,
                     email: str = "") -> User | None:
    """Register a citizen (stands in for a real-name identity provider); the portal form and
    ``POST /api/v1/auth/register/`` call it after ``registration_attempt``.

    One account per id number, without telling anyone who is registered: for an id number that
    already has an account nothing is created, its owner is told by their own channels (an
    outbox notification) and ``None`` is returned, which callers answer exactly like a new
    account. The password is hashed on both paths so the time taken does not tell either.
    Usernames are chosen, not personal: a taken one (in any letter case) is a field error.

    Raises ``InvalidInput`` with field errors and changes nothing when anything is wrong.
    """
    id_number = id_number.strip().upper() if isinstance(id_number, str) else id_number
    errors: dict[str, list[str]] = {}
    if not is_valid_id_number(id_number):
        errors["id_number"] = ["Not a valid resident id number."]
    if not is_valid_phone(phone):
        errors["phone"] = ["Not a valid mobile phone number."]
    if email:
        try:
            validate_email(email)
        except DjangoValidationError:
            errors["email"] = ["Enter a valid email address."]
    if not isinstance(name, str) or not name.strip():
        errors["name"] = ["Enter your real name."]
    user = User(username=username, name=name.strip() if isinstance(name, str) else "", id_number=id_number,
                phone=phone, email=email or "")
    try:
        user.full_clean(exclude=["password", "id_number", "name", "phone", "email"], validate_unique=False,
                        validate_constraints=False)
    except DjangoValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if "username" not in errors and User.objects.filter(username__iexact=username).exists():
        errors.setdefault("username", []).append(USERNAME_TAKEN)
    try:
        validate_password(password, user=user)
    except DjangoValidationError as exc:
        errors["password"] = list(exc.messages)
    if errors:
        raise InvalidInput("The registration is invalid.", errors=errors)

    user.set_password(password)  # hashed on both paths below
    owner = User.objects.filter(id_number=id_number).first()
    if owner is not None:
        _tell_owner(owner)
        return None
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        # Someone registered the same id number or username in the meantime.
        owner = User.objects.filter(id_number=id_number).first()
        if owner is not None:
            _tell_owner(owner)
            return None
        raise InvalidInput("The registration is invalid.", errors={"username": [USERNAME_TAKEN]}) from None
    return user


def _tell_owner(owner: User) -> None:
    """Someone tried to register the owner's id number: tell the owner (email and/or SMS)."""
    message = OutboxMessage.objects.create(kind=OutboxKind.NOTIFICATION, event=REGISTRATION_ATTEMPT_EVENT,
                                           recipient=owner,
                                           payload={"site_url": settings.GOVFLOW_SITE_URL.rstrip("/")})
    dispatch_after_commit([message])


def department_system_username(department: Any) -> str:
    return f"dept-{department.code}-system"


@transaction.atomic
def department_system_user(*, department: Any) -> User:
    """The account a department's back-office system acts as on signed callbacks.

    Created on first use: no usable password (it never logs in; the HMAC signature is its
    credential), a clerk of its own department only, so the same rules and the same audit
    trail apply to its decisions as to a human clerk's.
    """
    username = department_system_username(department)
    user = User.objects.filter(username=username).first()
    if user is None:
        try:
            with transaction.atomic():
                user = User(username=username, name=f"{department.code} system")
                user.set_unusable_password()
                user.save()
        except IntegrityError:  # created concurrently
            user = User.objects.get(username=username)
    Membership.objects.get_or_create(user=user, department=department, defaults={"role": Role.CLERK})
    return user
