"""Writes on accounts: local self-registration and department system accounts."""
from __future__ import annotations

from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from govflow.applications.errors import InvalidInput
from govflow.catalog.forms import is_valid_id_number, is_valid_phone
from govflow.text import has_bad_text, invalid_text_message

from .models import Membership, Role, User

ID_NUMBER_TAKEN = "An account already exists for this id number."
USERNAME_TAKEN = "This username is already taken."


@transaction.atomic
def citizen_register(*, username: str, password: str, name: str, id_number: str, phone: str,
                     email: str = "") -> User:
    """Create a citizen account (stands in for a real-name identity provider).

    One account per id number: the check digit is verified and the unique constraint settles a
    race between two simultaneous registrations. Passwords go through Django's validators with
    the new user's attributes (no password similar to the username). Raises ``InvalidInput``
    with field errors and changes nothing when anything is wrong.
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
    for field, value in (("username", username), ("name", name), ("email", email)):
        if isinstance(value, str) and has_bad_text(value):
            errors.setdefault(field, []).append(invalid_text_message())
    user = User(username=username, name=name.strip() if isinstance(name, str) else "", id_number=id_number,
                phone=phone, email=email or "")
    try:
        user.full_clean(exclude=["password", "id_number", "name", "phone", "email"], validate_unique=False)
    except DjangoValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if "username" not in errors and User.objects.filter(username__iexact=username).exists():
        errors.setdefault("username", []).append(USERNAME_TAKEN)
    if "id_number" not in errors and User.objects.filter(id_number=id_number).exists():
        errors["id_number"] = [ID_NUMBER_TAKEN]
    try:
        validate_password(password, user=user)
    except DjangoValidationError as exc:
        errors["password"] = list(exc.messages)
    if errors:
        raise InvalidInput("The registration is invalid.", errors=errors)

    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        # Someone registered the same id number or username in the meantime.
        if User.objects.filter(id_number=id_number).exists():
            raise InvalidInput("The registration is invalid.", errors={"id_number": [ID_NUMBER_TAKEN]}) from None
        raise InvalidInput("The registration is invalid.", errors={"username": [USERNAME_TAKEN]}) from None
    return user


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
