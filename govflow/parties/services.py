"""Writes: registering organisations, granting and revoking agents' roles, authorising a person
to apply for another (代办) and revoking it. Keyword-only, one transaction each; the row of a role
or an authorisation is its own record (who granted it and when, who revoked it and when)."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import IO, Any

from django.conf import settings
from django.core.files.base import File
from django.db import IntegrityError, transaction
from django.utils import timezone

from govflow.accounts.models import User
from govflow.catalog import jurisdictions
from govflow.catalog.identifiers import is_valid_id_number, is_valid_phone, is_valid_uscc
from govflow.catalog.models import Division, OneThing
from govflow.errors import InvalidInput, InvalidState, NotAllowed, NotFound, UnsupportedFileType, UploadTooLarge
from govflow.notifications.dispatch import dispatch_after_commit
from govflow.notifications.models import OutboxKind, OutboxMessage
from govflow.text import has_bad_text, invalid_text_message
from govflow.uploads import MIME_BY_TYPE, TooLarge, read_upload, sanitize_filename, save_with_file

from .models import (
    Authorisation,
    AuthorisationScope,
    Organisation,
    OrganisationRole,
    OrganisationRoleKind,
    Relation,
)
from .selectors import legal_representative_of

#: Evidence of an authorisation: a scan or photo of the power of attorney or certificate.
EVIDENCE_TYPES = ("pdf", "png", "jpeg")
EVIDENCE_MAX_BYTES = 10 * 1024 * 1024


def _text(errors: dict, field: str, value: Any, *, required: bool = True, max_length: int = 200) -> str:
    if not isinstance(value, str):
        value = "" if value is None else None
    if value is None:
        errors[field] = ["Must be text."]
        return ""
    value = value.strip()
    if has_bad_text(value):
        errors[field] = [invalid_text_message()]
    elif required and not value:
        errors[field] = ["This field is required."]
    elif len(value) > max_length:
        errors[field] = [f"At most {max_length} characters."]
    return value


def normalise_uscc(value: Any) -> str:
    return value.strip().replace(" ", "").upper() if isinstance(value, str) else ""


def _tell(user: Any, event: str, payload: dict) -> None:
    """A notification to ``user`` through their own channels (none when they have no address)."""
    if user is None or not (user.email or user.phone):
        return
    message = OutboxMessage.objects.create(kind=OutboxKind.NOTIFICATION, event=event, recipient=user,
                                           payload=payload)
    dispatch_after_commit([message])


# -- organisations ----------------------------------------------------------------------------


@transaction.atomic
def organisation_register(*, actor: Any, name: Any, uscc: Any, legal_representative_name: Any,
                          division: Any, address: Any = "", contact_name: Any = "", contact_phone: Any = "",
                          legal_representative: User | None = None, verified: bool = False) -> Organisation:
    """Register an organisation by its USCC (check character verified), with its registered
    address division (a code). ``legal_representative``, when given, gets the standing legal
    representative's role. A USCC already registered is refused."""
    errors: dict[str, list[str]] = {}
    name = _text(errors, "name", name)
    legal_name = _text(errors, "legal_representative_name", legal_representative_name, max_length=100)
    address = _text(errors, "address", address, required=False)
    contact_name = _text(errors, "contact_name", contact_name, required=False, max_length=100)
    contact_phone = _text(errors, "contact_phone", contact_phone, required=False, max_length=20)
    if contact_phone and not is_valid_phone(contact_phone):
        errors["contact_phone"] = ["Enter a valid mobile phone number."]
    code = normalise_uscc(uscc)
    if not is_valid_uscc(code):
        errors["uscc"] = ["Enter a valid unified social credit code (18 characters, check character included)."]
    place = jurisdictions.division_by_code(division) if isinstance(division, str) else None
    if place is None:
        errors["division"] = ["Unknown division."]
    if errors:
        raise InvalidInput("The organisation is invalid.", errors=errors)
    if Organisation.objects.filter(uscc=code).exists():
        raise InvalidInput("This organisation is already registered.",
                           errors={"uscc": ["An organisation with this code is already registered."]})
    try:
        with transaction.atomic():
            organisation = Organisation.objects.create(
                name=name, uscc=code, legal_representative_name=legal_name, division=place, address=address,
                contact_name=contact_name, contact_phone=contact_phone, verified=verified,
                created_by=actor if getattr(actor, "pk", None) else None)
    except IntegrityError:  # registered at the same moment by someone else
        raise InvalidInput("This organisation is already registered.",
                           errors={"uscc": ["An organisation with this code is already registered."]}) from None
    if legal_representative is not None:
        OrganisationRole.objects.create(organisation=organisation, user=legal_representative,
                                        role=OrganisationRoleKind.LEGAL_REPRESENTATIVE,
                                        granted_by=actor if getattr(actor, "pk", None) else None)
    return organisation


@transaction.atomic
def organisation_from_identity(*, user: User, uscc: str, name: str, legal_representative: bool,
                               legal_representative_name: str = "") -> Organisation:
    """A company sign-in through the unified identity provider: the organisation of ``uscc``
    (found, or registered as verified), and, when the provider says ``user`` is its legal
    representative, that standing role.

    The provider is the trusted source: an organisation registered earlier from what someone said
    at a counter becomes verified and takes the provider's name. A new one is registered at the
    division its USCC names (characters 3-8: the registering authority's division) when that
    division is known, else at ``GOVFLOW_DEFAULT_DIVISION``. A new legal representative replaces
    the standing one; rows the provider grants or revokes have no ``granted_by``/``revoked_by``
    (the record of a change by the identity provider). Raises ``InvalidInput`` (nothing written)
    when the code or, for a new organisation, its name or legal representative is missing.
    """
    code = normalise_uscc(uscc)
    if not is_valid_uscc(code):
        raise InvalidInput("The organisation is invalid.", errors={"uscc": ["Not a valid unified social credit code."]})
    organisation = Organisation.objects.select_for_update().filter(uscc=code).first()
    if organisation is None:
        legal_name = user.name if legal_representative else legal_representative_name
        division = code[2:8] if Division.objects.filter(code=code[2:8]).exists() else settings.GOVFLOW_DEFAULT_DIVISION
        organisation = organisation_register(actor=None, name=name, uscc=code, legal_representative_name=legal_name,
                                             division=division, verified=True,
                                             legal_representative=user if legal_representative else None)
        return organisation
    changed = []
    if not organisation.verified:
        organisation.verified = True
        changed.append("verified")
    if name and organisation.name != name:
        organisation.name = name
        changed.append("name")
    new_legal_name = user.name if legal_representative else legal_representative_name
    if new_legal_name and organisation.legal_representative_name != new_legal_name:
        organisation.legal_representative_name = new_legal_name
        changed.append("legal_representative_name")
    if changed:
        organisation.save(update_fields=changed)
    if legal_representative:
        standing = list(OrganisationRole.objects.select_for_update()
                        .filter(organisation=organisation, revoked_at__isnull=True))
        if any(r.user_id == user.pk and r.role == OrganisationRoleKind.LEGAL_REPRESENTATIVE for r in standing):
            return organisation
        now = timezone.now()
        ended = [r.pk for r in standing if r.user_id == user.pk or r.role == OrganisationRoleKind.LEGAL_REPRESENTATIVE]
        OrganisationRole.objects.filter(pk__in=ended).update(revoked_at=now, revoked_by=None)
        OrganisationRole.objects.create(organisation=organisation, user=user,
                                        role=OrganisationRoleKind.LEGAL_REPRESENTATIVE, granted_by=None, granted_at=now)
    return organisation


@transaction.atomic
def agent_grant(*, organisation: Organisation, actor: Any, agent_id_number: Any, expires_at: Any) -> OrganisationRole:
    """The legal representative authorises a person (found by their id number; they must have an
    account) as the organisation's agent (经办人) until ``expires_at`` (in the future)."""
    Organisation.objects.select_for_update().filter(pk=organisation.pk).first()
    if not legal_representative_of(actor, organisation.pk):
        raise NotAllowed("Only the organisation's legal representative can authorise agents.")
    errors: dict[str, list[str]] = {}
    id_number = agent_id_number.strip().upper() if isinstance(agent_id_number, str) else ""
    agent = None
    if not is_valid_id_number(id_number):
        errors["agent_id_number"] = ["Enter a valid resident ID number."]
    else:
        agent = User.objects.filter(id_number=id_number, is_active=True, profile_only=False).first()
        if agent is None:
            errors["agent_id_number"] = ["Nobody with this ID number has an account; they must register first."]
    if not isinstance(expires_at, datetime) or expires_at <= timezone.now():
        errors["expires_at"] = ["Choose an expiry in the future."]
    if errors:
        raise InvalidInput("The authorisation is invalid.", errors=errors)
    if agent.pk == actor.pk:
        raise InvalidInput("The authorisation is invalid.",
                           errors={"agent_id_number": ["The legal representative needs no authorisation."]})
    standing = OrganisationRole.objects.filter(organisation=organisation, user=agent, revoked_at__isnull=True).first()
    now = timezone.now()
    if standing is not None:
        if standing.role == OrganisationRoleKind.LEGAL_REPRESENTATIVE:
            raise InvalidInput("The authorisation is invalid.",
                               errors={"agent_id_number": ["This person is the legal representative."]})
        # A renewal: the old grant ends now, the new one is the record of the new term.
        standing.revoked_at, standing.revoked_by = now, actor
        standing.save(update_fields=["revoked_at", "revoked_by"])
    role = OrganisationRole.objects.create(organisation=organisation, user=agent, role=OrganisationRoleKind.AGENT,
                                           granted_by=actor, granted_at=now, expires_at=expires_at)
    _tell(agent, "organisation.agent_granted", {"organisation": organisation.name,
                                                "expires_at": expires_at.isoformat(),
                                                "expires_on": timezone.localdate(expires_at).isoformat()})
    return role


@transaction.atomic
def role_revoke(*, role: OrganisationRole, actor: Any) -> OrganisationRole:
    """End an agent's role at once: by the legal representative, or by the agent themselves.
    A legal representative's role ends only when an administrator records a new one."""
    role = OrganisationRole.objects.select_for_update().select_related("organisation", "user").get(pk=role.pk)
    if role.role != OrganisationRoleKind.AGENT:
        raise InvalidState("A legal representative is changed by an administrator, not revoked.")
    if role.revoked_at is not None:
        raise InvalidState("This authorisation has already been revoked.")
    if actor.pk != role.user_id and not legal_representative_of(actor, role.organisation_id):
        raise NotFound("Role not found.")
    role.revoked_at, role.revoked_by = timezone.now(), actor
    role.save(update_fields=["revoked_at", "revoked_by"])
    if actor.pk != role.user_id:
        _tell(role.user, "organisation.agent_revoked", {"organisation": role.organisation.name})
    return role


# -- acting for another person (代办) -----------------------------------------------------------


def person_for_counter(*, id_number: Any, name: Any, phone: Any = "") -> User:
    """The person with this id number: their account, or a new unverified profile (no password,
    it cannot sign in) that they can later claim by registering or by the code on a receipt."""
    errors: dict[str, list[str]] = {}
    id_number = id_number.strip().upper() if isinstance(id_number, str) else ""
    if not is_valid_id_number(id_number):
        errors["id_number"] = ["Enter a valid resident ID number."]
    found = User.objects.filter(id_number=id_number).first() if not errors else None
    if found is not None:
        return found
    name = _text(errors, "name", name, max_length=100)
    phone = _text(errors, "phone", phone, required=False, max_length=20)
    if phone and not is_valid_phone(phone):
        errors["phone"] = ["Enter a valid mobile phone number."]
    if errors:
        raise InvalidInput("The person's details are invalid.", errors=errors)
    # The username carries nothing about the person (it shows in the admin and in logs).
    user = User(username=f"profile-{uuid.uuid4().hex[:16]}", name=name, id_number=id_number, phone=phone,
                profile_only=True)
    user.set_unusable_password()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:  # created at the same moment elsewhere
        return User.objects.get(id_number=id_number)
    return user


@transaction.atomic
def authorisation_create(*, agent: Any, subject_id_number: Any, subject_name: Any, relation: Any,
                         one_thing_code: Any, expires_at: Any, scope: Any = AuthorisationScope.APPLICATION,
                         evidence: IO[bytes] | None = None, evidence_filename: str = "",
                         created_by: Any = None) -> Authorisation:
    """Record that ``agent`` may apply for the person with this id number (for one application
    or every application of the one thing, until ``expires_at``), with the evidence. A subject
    without an account gets an unverified profile; one with an account is told through their
    own channels and can revoke it."""
    errors: dict[str, list[str]] = {}
    if relation not in Relation.values:
        errors["relation"] = ["Choose the relation."]
    if scope not in AuthorisationScope.values:
        errors["scope"] = ["Choose the scope."]
    one_thing = (OneThing.objects.filter(code=one_thing_code, is_published=True).first()
                 if isinstance(one_thing_code, str) and not has_bad_text(one_thing_code) else None)
    if one_thing is None:
        errors["one_thing"] = ["Unknown one thing."]
    elif one_thing.applicant == "organisation":
        errors["one_thing"] = ["This one thing is applied for by organisations."]
    if not isinstance(expires_at, datetime) or expires_at <= timezone.now():
        errors["expires_at"] = ["Choose an expiry in the future."]
    if evidence is None:
        errors["evidence"] = ["Upload the evidence (a power of attorney or a certificate)."]
    if errors:
        raise InvalidInput("The authorisation is invalid.", errors=errors)
    subject = person_for_counter(id_number=subject_id_number, name=subject_name)
    if subject.pk == agent.pk:
        raise InvalidInput("The authorisation is invalid.",
                           errors={"subject_id_number": ["You apply for yourself without an authorisation."]})
    if subject.name and isinstance(subject_name, str) and subject_name.strip() and subject.name != subject_name.strip():
        raise InvalidInput("The authorisation is invalid.",
                           errors={"subject_name": ["The name does not match the ID number."]})
    try:
        mime, size, digest = read_upload(evidence, limit=EVIDENCE_MAX_BYTES)
    except TooLarge:
        raise UploadTooLarge("The evidence is larger than 10 MB.") from None
    if mime not in {MIME_BY_TYPE[t] for t in EVIDENCE_TYPES}:
        raise UnsupportedFileType("Evidence must be a PDF, PNG or JPEG file.")
    authorisation = Authorisation(agent=agent, subject=subject, relation=relation, scope=scope, one_thing=one_thing,
                                  expires_at=expires_at, evidence_filename=sanitize_filename(evidence_filename),
                                  evidence_content_type=mime, evidence_sha256=digest,
                                  created_by=created_by or agent)
    save_with_file(authorisation, "evidence", "evidence", File(evidence))
    _tell(subject, "authorisation.granted", {"agent": agent.name or agent.username,
                                             "one_thing": one_thing.code, "one_thing_name": one_thing.name,
                                             "expires_at": expires_at.isoformat(),
                                             "expires_on": timezone.localdate(expires_at).isoformat()})
    return authorisation


@transaction.atomic
def authorisation_revoke(*, authorisation: Authorisation, actor: Any) -> Authorisation:
    """End an authorisation at once: by its subject or its agent (anyone else: not found)."""
    found = (Authorisation.objects.select_for_update().select_related("agent", "subject", "one_thing")
             .get(pk=authorisation.pk))
    if actor.pk not in (found.agent_id, found.subject_id):
        raise NotFound("Authorisation not found.")
    if found.revoked_at is not None:
        raise InvalidState("This authorisation has already been revoked.")
    found.revoked_at, found.revoked_by = timezone.now(), actor
    found.save(update_fields=["revoked_at", "revoked_by"])
    other = found.agent if actor.pk == found.subject_id else found.subject
    _tell(other, "authorisation.revoked", {
        "agent": found.agent.name or found.agent.username, "subject": found.subject.name or found.subject.username,
        "one_thing": found.one_thing.code, "one_thing_name": found.one_thing.name,
        "revoked_by": "subject" if actor.pk == found.subject_id else "agent"})
    return found
