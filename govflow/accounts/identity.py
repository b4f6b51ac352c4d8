"""Sign-in through the unified identity provider (统一身份认证, OpenID Connect): the rules that turn
the provider's verified claims into a person's account.

The provider has checked who the person is; this module decides which account that is:

1. the account already linked to the provider's ``(issuer, sub)`` (``IdentityLink``), else
2. the account with the same verified resident id number: a local (self-registered) account is
   linked, not duplicated; a profile a service-hall counter made (``profile_only``) becomes the
   person's real account, else
3. a new account, with no password (the person always signs in through the provider).

A person whose id number claim is missing or invalid is refused and nothing is written. Staff
accounts (``is_staff``, superusers, office members) never sign in through the provider.
The claim names come from ``settings.GOVFLOW_OIDC_CLAIMS``. Companies (the USCC claims) are the
parties domain's part: ``govflow.parties.identity``.
"""
from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from govflow.catalog.identifiers import is_valid_id_number, is_valid_phone
from govflow.errors import NotAllowed
from govflow.text import has_bad_text

from .models import IdentityCheck, IdentityLink, User

#: The claims read, by role, and their default names (``GOVFLOW_OIDC_CLAIMS`` overrides them).
DEFAULT_CLAIMS = {
    "id_number": "id_number",
    "name": "name",
    "phone": "phone_number",
    "email": "email",
    "uscc": "uscc",
    "organisation_name": "organisation_name",
    "legal_representative": "legal_representative",
    "legal_representative_name": "legal_representative_name",
}

NO_ID_NUMBER = gettext_noop(
    "The identity provider did not confirm a valid resident ID number for you, so you cannot be signed in. "
    "Complete the real-name verification at the identity provider, or ask at a service-hall counter.")
NO_NAME = gettext_noop(
    "The identity provider did not confirm your real name, so no account could be made for you. Complete "
    "the real-name verification at the identity provider, or ask at a service-hall counter.")
STAFF_ACCOUNT = gettext_noop(
    "This ID number belongs to a staff account. Staff sign in with their username and password.")
CLOSED_ACCOUNT = gettext_noop("The account of this ID number is closed. Ask the service desk.")
OTHER_PERSON = gettext_noop(
    "Your sign-in at the identity provider is linked to an account with another ID number. Ask the service desk.")
BAD_ANSWER = gettext_noop("The identity provider's answer could not be used. Try again later.")


class IdentityRefused(NotAllowed):
    """The provider's answer cannot become a signed-in account here; ``message`` (an English
    msgid, translated by the interface) tells the person why. Nothing was written."""


def claim_name(role: str) -> str:
    """The name of the claim that carries ``role`` (``"id_number"``, ``"uscc"``, …)."""
    configured = getattr(settings, "GOVFLOW_OIDC_CLAIMS", None) or {}
    return configured.get(role) or DEFAULT_CLAIMS[role]


def claim_text(claims: Mapping[str, Any], role: str, *, max_length: int = 200) -> str:
    """The claim for ``role`` as stripped text; ``""`` when absent, not text, too long or holding
    control or text-direction characters."""
    value = claims.get(claim_name(role))
    if not isinstance(value, str):
        return ""
    value = value.strip()
    return "" if len(value) > max_length or has_bad_text(value) else value


def claim_true(claims: Mapping[str, Any], role: str) -> bool:
    """A yes/no claim: JSON ``true`` (or the text ``"true"``, as some providers send it)."""
    value = claims.get(claim_name(role))
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


@dataclass(frozen=True)
class Person:
    """What the provider confirmed about the person (empty text: not confirmed)."""

    id_number: str
    name: str
    phone: str
    email: str


def person_from_claims(claims: Mapping[str, Any]) -> Person:
    """The person the claims describe; ``IdentityRefused`` without a valid id number."""
    id_number = claim_text(claims, "id_number", max_length=18).upper()
    if not is_valid_id_number(id_number):
        raise IdentityRefused(NO_ID_NUMBER)
    phone = claim_text(claims, "phone", max_length=20).replace(" ", "").replace("-", "")
    if phone.startswith("+86"):
        phone = phone[3:]
    if not is_valid_phone(phone) or claims.get("phone_number_verified") is False:
        phone = ""
    email = claim_text(claims, "email", max_length=254)
    try:
        validate_email(email)
    except ValidationError:
        email = ""
    if claims.get("email_verified") is False:
        email = ""
    return Person(id_number=id_number, name=claim_text(claims, "name", max_length=100), phone=phone, email=email)


def _is_staff(user: User) -> bool:
    return user.is_staff or user.is_superuser or user.memberships.exists()


def _username_for(issuer: str, subject: str) -> str:
    """A username that says nothing about the person (they never type it)."""
    return "id-" + hashlib.sha256(f"{issuer}\n{subject}".encode()).hexdigest()[:20]


def _check_link_args(issuer: Any, subject: Any) -> None:
    for value in (issuer, subject):
        if not isinstance(value, str) or not value or len(value) > 255 or has_bad_text(value):
            raise IdentityRefused(BAD_ANSWER)


@transaction.atomic
def person_sign_in(*, issuer: str, subject: str, claims: Mapping[str, Any]) -> User:
    """The account of the person the provider ``issuer`` vouches for as ``subject`` with
    ``claims`` (its userinfo): found by the link, else by the id number (and linked), else made.

    The real name follows the provider on every sign-in (it comes from the real-name check);
    phone and email are taken when the account has none (the person edits them in their profile).
    Raises ``IdentityRefused`` (nothing written) for a missing or invalid id number, a staff or
    closed account, or a link whose account has another id number.
    """
    _check_link_args(issuer, subject)
    person = person_from_claims(claims)
    link = IdentityLink.objects.select_related("user").filter(issuer=issuer, subject=subject).first()
    if link is not None:
        user = link.user
        if user.id_number != person.id_number:
            raise IdentityRefused(OTHER_PERSON)
    else:
        user = User.objects.filter(id_number=person.id_number).first()
    if user is None:
        return _new_account(issuer, subject, person)
    if not user.is_active:
        raise IdentityRefused(CLOSED_ACCOUNT)
    if _is_staff(user):
        raise IdentityRefused(STAFF_ACCOUNT)
    user = User.objects.select_for_update().get(pk=user.pk)
    changed = []
    now = timezone.now()
    if user.profile_only:  # the counter's profile becomes the person's own account
        user.profile_only = False
        changed.append("profile_only")
    if user.identity_checked_by != IdentityCheck.PROVIDER:  # the provider vouches for the id number now
        user.identity_checked_by, user.identity_checked_at = IdentityCheck.PROVIDER, now
        changed += ["identity_checked_by", "identity_checked_at"]
    if person.name and user.name != person.name:
        user.name = person.name
        changed.append("name")
    for field in ("phone", "email"):
        if getattr(person, field) and not getattr(user, field):
            setattr(user, field, getattr(person, field))
            changed.append(field)
    if changed:
        user.save(update_fields=changed)
    if link is not None:
        IdentityLink.objects.filter(pk=link.pk).update(last_used_at=now)
    else:
        IdentityLink.objects.create(user=user, issuer=issuer, subject=subject, created_at=now, last_used_at=now)
    return user


def _new_account(issuer: str, subject: str, person: Person) -> User:
    if not person.name:
        raise IdentityRefused(NO_NAME)
    user = User(username=_username_for(issuer, subject), name=person.name, id_number=person.id_number,
                phone=person.phone, email=person.email, identity_checked_by=IdentityCheck.PROVIDER,
                identity_checked_at=timezone.now())
    user.set_unusable_password()
    try:
        with transaction.atomic():
            user.save()
            IdentityLink.objects.create(user=user, issuer=issuer, subject=subject)
    except IntegrityError:
        # The same person signed in at the same moment in another tab: theirs is the account.
        link = IdentityLink.objects.select_related("user").filter(issuer=issuer, subject=subject).first()
        if link is None or link.user.id_number != person.id_number:
            raise IdentityRefused(BAD_ANSWER) from None
        return link.user
    return user
