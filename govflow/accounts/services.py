"""Writes on accounts: local self-registration (switchable off: ``GOVFLOW_SELF_REGISTRATION``),
department system accounts, revoking API tokens, password change and reset. Sign-in through the
unified identity provider is ``identity.py``'s."""
from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import gettext, gettext_noop
from knox.models import AuthToken

from govflow.catalog import jurisdictions
from govflow.catalog.identifiers import is_valid_id_number, is_valid_phone
from govflow.errors import InvalidInput, InvalidState, NotFound
from govflow.notifications.dispatch import dispatch_after_commit
from govflow.notifications.models import OutboxKind, OutboxMessage
from govflow.text import has_bad_text, invalid_text_message

from . import limits, security
from .models import IdentityCheck, Membership, PasswordResetCode, Role, User

USERNAME_TAKEN = "This username is already taken."
USERNAME_RESERVED = gettext_noop("This username is reserved for department systems.")
#: Usernames of department system accounts (``dept-<code>-system``) start with this, in any case;
#: nobody else may take one, or they would hold the department's clerk role.
SYSTEM_USERNAME_PREFIX = "dept-"


def is_reserved_username(username: Any) -> bool:
    return isinstance(username, str) and username.lower().startswith(SYSTEM_USERNAME_PREFIX)
REGISTER_SCOPE = "register"
REGISTER_WINDOW = 60 * 60
#: The outbox event that tells an id number's owner someone tried to register it again.
REGISTRATION_ATTEMPT_EVENT = "account.registration_attempt"


#: Self-registration turned off (``GOVFLOW_SELF_REGISTRATION``): people sign in through the provider.
REGISTRATION_OFF = gettext_noop("Registration with a username and password is turned off here. Sign in through "
                                "the unified identity service instead: your account is made the first time.")


def self_registration_enabled() -> bool:
    """Whether people may register themselves with a username and password (demos, training);
    off where they sign in through the unified identity provider."""
    return bool(getattr(settings, "GOVFLOW_SELF_REGISTRATION", True))


def _require_self_registration() -> None:
    if not self_registration_enabled():
        raise NotFound(REGISTRATION_OFF)


def registration_attempt(*, client_address: str) -> None:
    """Count one registration attempt from ``client_address``: every interface calls this before
    reading the form, so malformed and failed attempts count too. Over ``GOVFLOW_REGISTER_RATE``
    per clock hour it raises ``limits.RateLimited`` (with the seconds to wait). With
    self-registration off it raises ``NotFound`` and counts nothing."""
    _require_self_registration()
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

    Raises ``InvalidInput`` with field errors and changes nothing when anything is wrong, and
    ``NotFound`` when self-registration is off.
    """
    _require_self_registration()
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
        user.full_clean(exclude=["password", "id_number", "name", "phone", "email"], validate_unique=False,
                        validate_constraints=False)
    except DjangoValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if "username" not in errors and is_reserved_username(username):
        errors.setdefault("username", []).append(gettext(USERNAME_RESERVED))
    elif "username" not in errors and User.objects.filter(username__iexact=username).exists():
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
    """Someone tried to register the owner's id number: tell the owner (email and/or SMS), at most
    ``GOVFLOW_REGISTRATION_NOTICE_RATE`` times a day, so that nobody can flood them at our cost."""
    if limits.hit("registration-notice", str(owner.pk), limit=settings.GOVFLOW_REGISTRATION_NOTICE_RATE,
                  window=24 * 60 * 60) is not None:
        return
    message = OutboxMessage.objects.create(kind=OutboxKind.NOTIFICATION, event=REGISTRATION_ATTEMPT_EVENT,
                                           recipient=owner)
    dispatch_after_commit([message])


def identity_checked_at_counter(*, person: User) -> User:
    """A counter clerk checked the ID card of the person of this unverified profile (``profile_only``,
    the record of who came to the counter) against its name and id number. An account somebody signs
    in to is not marked: who registered it is not known to be the person at the counter."""
    if not person.profile_only or person.identity_checked_by:
        return person
    person.identity_checked_by, person.identity_checked_at = IdentityCheck.COUNTER, timezone.now()
    User.objects.filter(pk=person.pk).update(identity_checked_by=person.identity_checked_by,
                                             identity_checked_at=person.identity_checked_at)
    return person


def department_system_username(department: Any) -> str:
    return f"{SYSTEM_USERNAME_PREFIX}{department.code}-system"


def _is_system_account(user: User) -> bool:
    return not (user.has_usable_password() or user.is_staff or user.is_superuser)


def notification_languages() -> list[tuple[str, str]]:
    """The languages a person may receive notifications in: the site's (``settings.LANGUAGES``)."""
    return list(settings.LANGUAGES)


@transaction.atomic
def profile_update(*, user: Any, phone: str, email: str, residence: str = "", notify_by_email: Any = None,
                   notify_by_sms: Any = None, language: Any = None) -> User:
    """A citizen changes their contact details (name and ID number are not theirs to change), where
    they live (a division code; empty: not set, the default division is used) and their notification
    settings: the channels (email, SMS; ``None`` leaves one as it is) and the language notifications
    are written in (one of :func:`notification_languages`; ``None``: unchanged). Delivery
    (``govflow.notifications``) reads them for every notification except account messages (a
    password reset goes where the person asks).

    Callers pass validated contact values. An unknown division, language or a channel that is not
    a yes/no raises ``InvalidInput`` naming the field; nothing is changed then.
    """
    errors: dict[str, list[str]] = {}
    if language is not None and language not in dict(notification_languages()):
        errors["language"] = ["Choose one of the languages offered."]
    for field, value in (("notify_by_email", notify_by_email), ("notify_by_sms", notify_by_sms)):
        if value is not None and not isinstance(value, bool):
            errors[field] = ["Must be true or false."]
    if errors:
        raise InvalidInput("The profile is invalid.", errors=errors)
    place = jurisdictions.division_by_code(residence, field="residence") if residence else None
    fresh = User.objects.select_for_update().get(pk=user.pk)
    fresh.phone = phone
    fresh.email = email
    fresh.residence = place
    fields = ["phone", "email", "residence"]
    for field, value in (("notify_by_email", notify_by_email), ("notify_by_sms", notify_by_sms),
                         ("language", language)):
        if value is not None:
            setattr(fresh, field, value)
            fields.append(field)
    fresh.save(update_fields=fields)
    return fresh


@transaction.atomic
def department_system_user(*, department: Any, office: Any = None) -> User:
    """The account a department's back-office system acts as on signed callbacks.

    Created on first use: no usable password (it never logs in; the HMAC signature is its
    credential), a clerk of the offices of its own department whose cases it decides (``office``:
    made a member there on first use), so the same rules and the same audit
    trail apply to its decisions as to a human clerk's. An account of that name (in any letter
    case) that can log in, or is staff, is never given the role: ``InvalidState`` until an
    administrator renames it.
    """
    username = department_system_username(department)
    user = User.objects.filter(username__iexact=username).first()
    if user is None:
        try:
            with transaction.atomic():
                user = User(username=username, name=f"{department.code} system")
                user.set_unusable_password()
                user.save()
        except IntegrityError:  # created concurrently
            user = User.objects.get(username__iexact=username)
    if not _is_system_account(user):
        raise InvalidState(f"The account {user.username} is not a department system account (it has a password "
                           "or staff rights): rename it, so that the department's system account can be made.")
    if office is not None:
        if office.department_id != department.pk:
            raise InvalidState("The office belongs to another department.")
        Membership.objects.get_or_create(user=user, office=office, defaults={"role": Role.CLERK})
    return user


LOGIN_REFUSED = gettext_noop("Unable to log in with the provided credentials.")


@transaction.atomic
def issue_token(*, user: User, request: Any = None) -> tuple[AuthToken, str]:
    """A new API token for ``user``, just authenticated; returns the row and the token (shown once).

    The account's row is locked and its password compared with the one just checked, so that a
    password change committed in between (whose tokens were revoked) never leaves this token alive.
    The user's expired tokens are deleted on the way.
    """
    current = User.objects.select_for_update().only("password", "is_active").get(pk=user.pk)
    if current.password != user.password or not current.is_active:
        raise InvalidInput(LOGIN_REFUSED, errors={"non_field_errors": [gettext(LOGIN_REFUSED)]})
    AuthToken.objects.filter(user=user, expiry__lt=timezone.now()).delete()
    instance, token = AuthToken.objects.create(user=user)
    security.record(security.Kind.TOKEN_ISSUED, user=user, request=request, token=instance.token_key)
    return instance, token


def revoke_token(*, token: AuthToken, request: Any = None) -> None:
    """Revoke the one token a client logs out with."""
    security.record(security.Kind.TOKEN_REVOKED, user=token.user, request=request, token=token.token_key)
    token.delete()


def revoke_tokens(*, user: User, request: Any = None) -> int:
    """Delete every API token of ``user`` (password changed, account deactivated, signed out
    everywhere); returns how many there were. ``signals`` calls it on every such save."""
    deleted, _ = AuthToken.objects.filter(user=user).delete()
    if deleted:
        security.record(security.Kind.TOKEN_REVOKED, user=user, request=request, count=deleted)
    return deleted


# -- passwords -----------------------------------------------------------------------------------
#
# A change or a reset goes through ``_store_password``: ``set_password`` then ``save``, so that the
# session auth hash changes (Django signs out every other session of the person) and any hook on
# the user's password change sees it.

WRONG_OLD_PASSWORD = "The current password is not correct."
WRONG_CODE = "The code is wrong, used or expired."
BAD_LINK = "The link is wrong, used or expired."
RESET_LINK_EVENT = "account.password_reset_link"
RESET_CODE_EVENT = "account.password_reset_code"
RESET_CHANNELS = ("email", "sms")
_CODE_SALT = "govflow.accounts.PasswordResetCode"


def _store_password(user: User, password: str) -> None:
    user.set_password(password)
    user.save()


def _store_reset_password(user: User, password: str) -> None:
    """A reset proves the person holds the account's email or phone: their sign-in lockouts end too."""
    from axes.utils import reset as reset_lockouts

    _store_password(user, password)
    transaction.on_commit(lambda: reset_lockouts(username=user.username))


def _new_password_errors(password: str, user: User) -> dict[str, list[str]]:
    """``{"new_password": [...]}`` when Django's validators refuse ``password`` for ``user``, else ``{}``."""
    try:
        validate_password(password, user=user)
    except DjangoValidationError as exc:
        return {"new_password": list(exc.messages)}
    return {}


def change_password(*, user: Any, old_password: str, new_password: str) -> User:
    """The signed-in person changes their password: the current one first, then Django's validators.

    Raises ``InvalidInput`` (errors on ``old_password`` or ``new_password``) and changes nothing
    when either is wrong. The caller keeps its own session (``update_session_auth_hash``).
    """
    with transaction.atomic():
        fresh = User.objects.select_for_update().get(pk=user.pk)
        if not fresh.check_password(old_password or ""):
            errors = {"old_password": [WRONG_OLD_PASSWORD]}
        elif not (errors := _new_password_errors(new_password, fresh)):
            _store_password(fresh, new_password)
            return fresh
    raise InvalidInput("The password was not changed.", errors=errors)


def _reset_rate_limit(scope: str, ident: str, *, limit: int, window: int = 3600) -> int | None:
    """Password reset counts its requests with the same database counters as registration."""
    return limits.hit(f"password-reset-{scope}", ident, limit=limit, window=window)


def reset_candidates(identifier: str) -> list[User]:
    """Accounts a "forgot password" identifier names: username, email or mobile phone.

    Only active citizens with a usable password: staff and department accounts reset through an
    administrator (``manage.py changepassword`` or the admin), never through a message.
    """
    value = (identifier or "").strip()
    if not value or len(value) > 254:
        return []
    query = Q(username__iexact=value) | Q(email__iexact=value)
    phone = "".join(value.split()).replace("-", "")
    if is_valid_phone(phone):
        query |= Q(phone=phone)
    return [u for u in _resettable().filter(query).order_by("pk")[:10] if u.has_usable_password()]


def _resettable():
    return User.objects.filter(is_active=True, is_staff=False, is_superuser=False).exclude(
        memberships__isnull=False)


def reset_code_minutes() -> int:
    return int(getattr(settings, "GOVFLOW_PASSWORD_RESET_CODE_MINUTES", 15))


def reset_code_max_attempts() -> int:
    return int(getattr(settings, "GOVFLOW_PASSWORD_RESET_CODE_ATTEMPTS", 5))


def _code_hash(code: PasswordResetCode, value: str) -> str:
    return salted_hmac(_CODE_SALT, f"{code.user_id}:{code.salt}:{value}", algorithm="sha256").hexdigest()


def request_password_reset(*, identifier: str, channel: str, client: str) -> int | None:
    """"Forgot password": send a reset link by email or a code by SMS to the account(s) named.

    Always the same outcome for the caller whether an account exists or not. Returns ``None``, or
    the seconds to wait when ``client`` (the caller's address) has asked too often
    (``GOVFLOW_PASSWORD_RESET_ADDRESS_RATE`` an hour; the only answer that differs, and it does not
    depend on the account). Each account gets at most ``GOVFLOW_PASSWORD_RESET_RATE`` messages an
    hour; requests beyond that are dropped silently. The messages are outbox rows written here and
    sent after the commit; a new code replaces the person's older codes.
    """
    wait = _reset_rate_limit("address", client or "unknown",
                             limit=int(getattr(settings, "GOVFLOW_PASSWORD_RESET_ADDRESS_RATE", 20)))
    if wait is not None:
        return wait
    if channel not in RESET_CHANNELS:
        raise InvalidInput("Choose how to receive the reset.", errors={"channel": ["Choose email or SMS."]})

    per_account = int(getattr(settings, "GOVFLOW_PASSWORD_RESET_RATE", 5))
    rows = []
    with transaction.atomic():
        for user in reset_candidates(identifier):
            if channel == "email" and not user.email or channel == "sms" and not user.phone:
                continue
            if _reset_rate_limit("account", str(user.pk), limit=per_account) is not None:
                continue
            if channel == "email":
                secret = {"uid": urlsafe_base64_encode(force_bytes(user.pk)),
                          "token": default_token_generator.make_token(user)}
                event, minutes = RESET_LINK_EVENT, settings.PASSWORD_RESET_TIMEOUT // 60
            else:
                now = timezone.now()
                PasswordResetCode.objects.filter(user=user, used_at__isnull=True).update(used_at=now)
                value = f"{secrets.randbelow(10 ** 6):06d}"
                code = PasswordResetCode(user=user, salt=secrets.token_hex(16), created_at=now,
                                         expires_at=now + timedelta(minutes=reset_code_minutes()))
                code.code_hash = _code_hash(code, value)
                code.save()
                secret = {"code": value}
                event, minutes = RESET_CODE_EVENT, reset_code_minutes()
            rows.append(OutboxMessage.objects.create(
                kind=OutboxKind.NOTIFICATION, event=event, recipient=user,
                payload={"channels": [channel], "valid_minutes": minutes, "secret": secret}))
        dispatch_after_commit(rows)
    return None


def user_for_reset_link(*, uidb64: str, token: str) -> User | None:
    """The account a reset link is for, or ``None`` if the link is wrong, used or expired.

    Django's ``PasswordResetTokenGenerator``: the token covers the password hash and the last
    sign-in, so it works once, and it expires after ``PASSWORD_RESET_TIMEOUT`` seconds.
    """
    try:
        pk = int(urlsafe_base64_decode(uidb64 or "").decode())
    except (TypeError, ValueError, OverflowError, UnicodeDecodeError):
        return None
    user = _resettable().filter(pk=pk).first()
    if user is None or not user.has_usable_password() or not default_token_generator.check_token(user, token or ""):
        return None
    return user


def reset_password_with_link(*, uidb64: str, token: str, new_password: str) -> User:
    """Set a new password through an emailed link (see ``user_for_reset_link``).

    Raises ``InvalidInput`` (``link`` or ``new_password``) and changes nothing when either is wrong.
    """
    with transaction.atomic():
        user = user_for_reset_link(uidb64=uidb64, token=token)
        if user is not None:
            user = User.objects.select_for_update().get(pk=user.pk)
            if not default_token_generator.check_token(user, token):  # used meanwhile
                user = None
        if user is None:
            errors = {"link": [BAD_LINK]}
        elif not (errors := _new_password_errors(new_password, user)):
            _store_reset_password(user, new_password)
            return user
    raise InvalidInput("The password was not reset.", errors=errors)


def reset_password_with_code(*, identifier: str, code: str, new_password: str) -> User:
    """Set a new password with a code sent by SMS to the account(s) ``identifier`` names.

    A wrong code counts against every live code of those accounts; after
    ``GOVFLOW_PASSWORD_RESET_CODE_ATTEMPTS`` wrong tries a code is dead. A right code with a new
    password the validators refuse is not used up. The answer for an unknown account is the same
    as for a wrong code. Raises ``InvalidInput`` (``code`` or ``new_password``).
    """
    value = (code or "").strip()
    with transaction.atomic():
        users = reset_candidates(identifier)
        live = list(PasswordResetCode.objects.select_for_update()
                    .filter(user__in=users, used_at__isnull=True, expires_at__gt=timezone.now(),
                            attempts__lt=reset_code_max_attempts())
                    .select_related("user").order_by("pk"))
        match = next((c for c in live if constant_time_compare(c.code_hash, _code_hash(c, value))), None)
        if match is None:
            # Committed before the error is raised: wrong tries count even though nothing else changes.
            PasswordResetCode.objects.filter(pk__in=[c.pk for c in live]).update(attempts=F("attempts") + 1)
            errors = {"code": [WRONG_CODE]}
        elif not (errors := _new_password_errors(new_password, match.user)):
            match.used_at = timezone.now()
            match.save(update_fields=["used_at"])
            PasswordResetCode.objects.filter(user=match.user, used_at__isnull=True).update(used_at=match.used_at)
            _store_reset_password(match.user, new_password)
            return match.user
    raise InvalidInput("The password was not reset.", errors=errors)
