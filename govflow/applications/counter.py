"""The service-hall counter (一窗受理): a counter clerk identifies a walk-in person or company,
starts and submits an application for them, and prints a receipt with a one-time code that
lets the person follow the application online and, once, claim it into an account.

- Identifying comes first: only then does the counter read the person's or company's earlier
  applications, results and profile (:func:`counter_history`, :func:`counter_application_start`),
  and every such read is recorded (:class:`~.models.CounterLookup`).
- The receipt code is random; only its keyed hash is kept on the application
  (``receipt_code_hash``). Checking a code counts failures per client address and per
  application number (``accounts.limits``); a wrong code changes nothing.
- Claiming (:func:`application_claim`) spends the code. Who may claim: the person the
  application is for; for an organisation, a person who holds a standing role in it; for a
  person known only by the unverified profile the counter created, a signed-in account that
  carries no id number yet (it takes the profile over: the id number, and every application,
  output and authorisation of the profile move to it, once).
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from govflow.accounts import limits
from govflow.accounts import services as account_services
from govflow.accounts.models import Role, User
from govflow.catalog import jurisdictions
from govflow.catalog.definition import get_definition
from govflow.catalog.models import ApplicantKind, Office, OneThing
from govflow.errors import InvalidInput, InvalidState, NotAllowed, NotFound
from govflow.parties.models import Authorisation, Organisation, OrganisationRole, live_q
from govflow.parties.selectors import Principal
from govflow.parties.services import normalise_uscc, organisation_register, person_for_counter
from govflow.text import has_bad_text

from . import access
from .models import (
    Application,
    ApplicationStatus,
    Channel,
    CounterLookup,
    CounterLookupWhat,
    IssuedOutput,
    TimelineEntry,
)
from .prefill import prefill_answers
from .selectors import int_or_404, is_counter_clerk_of
from .services import common, drafting

#: Receipt codes: no 0/O, 1/I/L, so that a code read off paper is typed right; 10 characters
#: (50 bits), printed in two groups of five.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10
_HASH_SALT = "govflow.applications.counter.receipt-code"

#: Failed code checks allowed per client address, and per application number, in a window.
ADDRESS_SCOPE, ADDRESS_LIMIT, ADDRESS_WINDOW = "receipt-code-address", 10, 15 * 60
NUMBER_SCOPE, NUMBER_LIMIT, NUMBER_WINDOW = "receipt-code-number", 5, 60 * 60

#: How many earlier applications the counter shows of an identified person or company.
HISTORY_LIMIT = 20

WRONG_CODE = "The application number or the code is not right."


# -- who works the counter ----------------------------------------------------------------------


def counter_offices(user: Any) -> QuerySet[Office]:
    """The offices whose service-hall counter the user works (role ``counter``)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Office.objects.none()
    return (Office.objects.filter(memberships__user=user, memberships__role=Role.COUNTER)
            .select_related("division", "department").order_by("code"))


def _require_counter(clerk: Any, office: Office) -> None:
    if not is_counter_clerk_of(clerk, office.pk):
        raise NotAllowed("Only a counter clerk of this office works its counter.")


def counter_application(user: Any, pk: Any) -> Application:
    """An application the counters of the user's offices took, or 404 (another office's counter
    applications, and everyone else's, do not exist for them)."""
    pk = int_or_404(pk)
    try:
        return (Application.objects.select_related("one_thing", "version", "applicant", "organisation",
                                                   "counter_office__division", "division", "submitted_by")
                .get(pk=pk, channel=Channel.COUNTER, counter_office__memberships__user=user,
                     counter_office__memberships__role=Role.COUNTER))
    except Application.DoesNotExist:
        raise Http404("Application not found.") from None


# -- identifying the walk-in ----------------------------------------------------------------------


@dataclass(frozen=True)
class Party:
    """Whom the counter serves: a person (an account or an unverified profile) or an organisation."""

    kind: str  # "person" | "organisation"
    person: User | None = None
    organisation: Organisation | None = None

    @property
    def principal(self) -> Principal:
        if self.kind == "organisation":
            return Principal("organisation", organisation=self.organisation)
        return Principal("person", person=self.person)

    @property
    def subject(self) -> Any:
        return self.organisation if self.kind == "organisation" else self.person

    @property
    def name(self) -> str:
        return self.organisation.name if self.kind == "organisation" else (self.person.name or "")

    def key(self) -> dict:
        """What an interface keeps (in the clerk's session) to name the party identified."""
        return {"kind": self.kind, "id": self.subject.pk}


def counter_identify_person(*, clerk: Any, office: Office, id_number: Any, name: Any, phone: Any = "") -> Party:
    """The walk-in person, by the resident id number and name on the card they show: their
    account, or an unverified profile created now. A name that does not match the id number's
    record is refused, so that a mistyped number never opens someone else's file."""
    _require_counter(clerk, office)
    person = person_for_counter(id_number=id_number, name=name, phone=phone)
    typed = name.strip() if isinstance(name, str) else ""
    if not typed:
        raise InvalidInput("The person's details are invalid.", errors={"name": ["This field is required."]})
    if person.name and person.name != typed:
        raise InvalidInput("The name does not match the ID number.",
                           errors={"name": ["The name does not match the ID number's record."]})
    if not person.is_active:
        raise InvalidInput("This ID number cannot be used.", errors={"id_number": ["This record is closed."]})
    return Party("person", person=account_services.identity_checked_at_counter(person=person))


def counter_identify_organisation(*, clerk: Any, office: Office, uscc: Any, name: Any = "",
                                  legal_representative_name: Any = "", address: Any = "",
                                  contact_name: Any = "", contact_phone: Any = "") -> Party:
    """The walk-in company, by its USCC: the registered organisation, or (given its name and its
    legal representative's name) a new unverified one registered now in the office's division."""
    _require_counter(clerk, office)
    code = normalise_uscc(uscc)
    found = Organisation.objects.filter(uscc=code).first() if code else None
    if found is not None:
        return Party("organisation", organisation=found)
    if not (isinstance(name, str) and name.strip()):
        message = "No organisation with this code is registered: enter its name and legal representative."
        errors: dict[str, list[str]] = {"name": [message]}
        if not (isinstance(legal_representative_name, str) and legal_representative_name.strip()):
            errors["legal_representative_name"] = ["This field is required."]
        raise InvalidInput(message, errors=errors)
    organisation = organisation_register(actor=clerk, name=name, uscc=uscc,
                                         legal_representative_name=legal_representative_name,
                                         division=office.division.code, address=address, contact_name=contact_name,
                                         contact_phone=contact_phone, verified=False)
    return Party("organisation", organisation=organisation)


def counter_party(*, kind: Any, pk: Any) -> Party | None:
    """The party an interface kept after identifying it, or ``None`` when it is gone."""
    if not isinstance(pk, int):
        return None
    if kind == "person":
        person = User.objects.filter(pk=pk, is_active=True).first()
        return Party("person", person=person) if person is not None else None
    if kind == "organisation":
        organisation = Organisation.objects.filter(pk=pk).first()
        return Party("organisation", organisation=organisation) if organisation is not None else None
    return None


def _record(clerk: Any, office: Office, party: Party, what: str, application: Application | None = None) -> None:
    """The counter's own lookup row, and the access record the party sees (issue 20)."""
    CounterLookup.objects.create(clerk=clerk, office=office, person=party.person, organisation=party.organisation,
                                 what=what, application=application)
    access.record(reader=clerk, interface=access.Interface.COUNTER, purpose=access.Purpose.COUNTER,
                  application=application, office_id=office.pk,
                  person_id=party.person.pk if party.person is not None else None,
                  organisation_id=party.organisation.pk if party.organisation is not None else None,
                  what={"counter": what})


def _party_q(party: Party) -> Q:
    return Q(organisation=party.organisation) if party.kind == "organisation" else Q(applicant=party.person)


@dataclass(frozen=True)
class History:
    applications: list[Application]
    outputs: dict[int, list[IssuedOutput]]


def counter_history(*, clerk: Any, office: Office, party: Party) -> History:
    """The identified party's earlier applications (newest first, at most :data:`HISTORY_LIMIT`,
    drafts left out) and the results they issued; the read is recorded (4 queries)."""
    _require_counter(clerk, office)
    _record(clerk, office, party, CounterLookupWhat.HISTORY)
    applications = list(Application.objects.filter(_party_q(party)).exclude(status=ApplicationStatus.DRAFT)
                        .select_related("one_thing", "version").defer("data", "version__definition")
                        .order_by("-created_at", "-id")[:HISTORY_LIMIT])
    outputs: dict[int, list[IssuedOutput]] = {}
    for output in IssuedOutput.objects.filter(application__in=[a.pk for a in applications]).order_by("issued_at", "id"):
        outputs.setdefault(output.application_id, []).append(output)
    return History(applications=applications, outputs=outputs)


def counter_one_things(*, office: Office, party: Party) -> QuerySet[OneThing]:
    """The published one things the counter offers this party: those offered in the office's
    division that a person (an organisation) may apply for."""
    kinds = [ApplicantKind.EITHER, ApplicantKind.ORGANISATION if party.kind == "organisation" else ApplicantKind.PERSON]
    return (OneThing.objects.filter(is_published=True, current_version__isnull=False, applicant__in=kinds)
            .filter(jurisdictions.one_things_visible_in(office.division))
            .select_related("current_version").order_by("code"))


@transaction.atomic
def counter_application_start(*, clerk: Any, office: Office, party: Party, one_thing_code: Any) -> Application:
    """A draft for the identified party, taken at this office's counter and handled in its division,
    its form filled in with what is known already (profile, wallet); that read is recorded."""
    _require_counter(clerk, office)
    if not isinstance(one_thing_code, str) or has_bad_text(one_thing_code) or not counter_one_things(
            office=office, party=party).filter(code=one_thing_code).exists():
        raise InvalidInput("Choose a one thing.", errors={"one_thing": ["Choose a one thing this applicant may apply for."]})
    one_thing = OneThing.objects.select_related("current_version").get(code=one_thing_code)
    known = prefill_answers(party.subject, get_definition(one_thing.current_version))
    application = drafting.application_create(user=clerk, one_thing_code=one_thing_code, data=known,
                                              division=office.division.code, principal=party.principal,
                                              channel=Channel.COUNTER, counter_office=office)
    _record(clerk, office, party, CounterLookupWhat.PREFILL, application)
    return application


# -- the receipt code ----------------------------------------------------------------------------


def normalise_code(code: Any) -> str:
    """A code as typed (any case, spaces or dashes between the groups) → its canonical form."""
    if not isinstance(code, str) or len(code) > 40:
        return ""
    return "".join(ch for ch in code.upper() if ch not in " -\t")


def format_code(code: str) -> str:
    """The code as printed: two groups of five (``ABCDE-FGHJK``)."""
    return f"{code[:5]}-{code[5:]}" if len(code) == CODE_LENGTH else code


def _code_hash(application_pk: int, code: str) -> str:
    return salted_hmac(_HASH_SALT, f"{application_pk}:{code}", algorithm="sha256").hexdigest()


@transaction.atomic
def counter_receipt_code(*, application: Application, user: Any) -> str:
    """Issue the receipt code of a submitted counter application (by a counter clerk of its
    office) and return it; only its hash is kept. Issuing again (a lost receipt) replaces it:
    the earlier code stops working. Refused once the application has been claimed."""
    app = common.lock_application(application.pk)
    if app.channel != Channel.COUNTER or not is_counter_clerk_of(user, app.counter_office_id):
        raise NotFound("Application not found.")
    if app.status == ApplicationStatus.DRAFT:
        raise InvalidState("A receipt is printed once the application is submitted.")
    if app.claimed_at is not None:
        raise InvalidState("This application has been claimed into an account already.")
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    reissued = bool(app.receipt_code_hash)
    app.receipt_code_hash = _code_hash(app.pk, code)
    app.receipt_code_issued_at = timezone.now()
    app.save(update_fields=["receipt_code_hash", "receipt_code_issued_at", "updated_at"])
    TimelineEntry.objects.create(application=app, kind="application.receipt_code_issued", actor=user,
                                 data={"reissued": reissued, "counter_office": app.counter_office_id})
    return code


def _blocked(number: str, client_address: str) -> int | None:
    return (limits.peek(ADDRESS_SCOPE, client_address, limit=ADDRESS_LIMIT, window=ADDRESS_WINDOW)
            or limits.peek(NUMBER_SCOPE, number, limit=NUMBER_LIMIT, window=NUMBER_WINDOW))


def _failed(number: str, client_address: str) -> None:
    limits.hit(ADDRESS_SCOPE, client_address, limit=ADDRESS_LIMIT, window=ADDRESS_WINDOW)
    if number:
        limits.hit(NUMBER_SCOPE, number, limit=NUMBER_LIMIT, window=NUMBER_WINDOW)


def _by_code(number: Any, code: Any, client_address: str) -> Application:
    """The counter application with this number whose live receipt code is ``code``.

    Over the limit of failed attempts → ``limits.RateLimited``; a wrong number or code →
    ``InvalidInput`` (the same for both: a number alone tells nothing), counted as a failure.
    Call it outside any transaction: the failure must count even though nothing else changes."""
    number = number.strip().upper() if isinstance(number, str) and len(number) <= 40 else ""
    if has_bad_text(number):
        number = ""
    wait = _blocked(number, client_address)
    if wait is not None:
        raise limits.RateLimited(wait, "Too many wrong codes; try again later.")
    code = normalise_code(code)
    app = (Application.objects.select_related("one_thing", "version", "applicant", "organisation", "division")
           .filter(number=number, channel=Channel.COUNTER).first() if number and code else None)
    if app is not None and app.receipt_code_hash and constant_time_compare(app.receipt_code_hash,
                                                                           _code_hash(app.pk, code)):
        return app
    _failed(number, client_address)
    raise InvalidInput(WRONG_CODE, errors={"code": [WRONG_CODE]})


def application_follow(*, number: Any, code: Any, client_address: str) -> Application:
    """The counter application a receipt names, read-only, for whoever holds its number and
    live code (no account needed)."""
    return _by_code(number, code, client_address)


def _claimable_by(app: Application, user: Any) -> User | None:
    """Whom the claim takes over (an unverified profile), ``None`` when nothing moves; raises
    ``NotAllowed`` when ``user`` may not claim this application."""
    if app.organisation_id is not None:
        if OrganisationRole.objects.filter(live_q(), user=user, organisation_id=app.organisation_id).exists():
            return None
        raise NotAllowed("Only a person who acts for this organisation can claim its application.")
    if app.applicant_id == user.pk:
        return None
    applicant = app.applicant
    if applicant.profile_only and not user.id_number and not user.profile_only:
        return applicant
    raise NotAllowed("This application is for another person: only they can claim it.")


def application_claim(*, user: Any, number: Any, code: Any, client_address: str) -> Application:
    """A signed-in person claims a counter application into their account with its receipt code
    (see the module's docstring for who may). The code is spent; the claim is on the timeline."""
    if user is None or not getattr(user, "is_authenticated", False) or getattr(user, "profile_only", False):
        raise NotAllowed("Sign in to claim an application.")
    found = _by_code(number, code, client_address)
    return _claim(found.pk, user, normalise_code(code))


@transaction.atomic
def _claim(pk: int, user: Any, code: str) -> Application:
    app = common.lock_application(pk)
    if app.claimed_at is not None or not app.receipt_code_hash or not constant_time_compare(
            app.receipt_code_hash, _code_hash(app.pk, code)):
        raise InvalidInput(WRONG_CODE, errors={"code": [WRONG_CODE]})  # spent or replaced meanwhile
    profile = _claimable_by(app, user)
    data: dict[str, Any] = {"party": app.party_ref()}
    if profile is not None:
        data["profile"] = profile.pk
        data["moved"] = _take_over(profile, user)
        app.applicant = user
    app.claimed_at, app.claimed_by, app.receipt_code_hash = timezone.now(), user, ""
    app.save(update_fields=["claimed_at", "claimed_by", "receipt_code_hash", "updated_at"])
    TimelineEntry.objects.create(application=app, kind="application.claimed", actor=user, data=data)
    return app


def _take_over(profile: User, user: User) -> list[int]:
    """The account takes over an unverified profile: its id number (and the name and phone the
    counter recorded, where the account has none), its applications, outputs and authorisations.
    The profile stays, closed, as the record of who came to the counter."""
    profile = User.objects.select_for_update().get(pk=profile.pk)
    user = User.objects.select_for_update().get(pk=user.pk)
    moved = list(Application.objects.filter(applicant=profile).order_by("pk").values_list("pk", flat=True))
    Application.objects.filter(applicant=profile).update(applicant=user)
    IssuedOutput.objects.filter(holder=profile).update(holder=user)
    Authorisation.objects.filter(subject=profile).update(subject=user)
    id_number = profile.id_number
    profile.id_number, profile.is_active = None, False
    profile.save(update_fields=["id_number", "is_active"])
    user.id_number = id_number
    user.name = user.name or profile.name
    user.phone = user.phone or profile.phone
    # The id number comes with the counter's check of the card, if the counter made one.
    user.identity_checked_by, user.identity_checked_at = profile.identity_checked_by, profile.identity_checked_at
    user.save(update_fields=["id_number", "name", "phone", "identity_checked_by", "identity_checked_at"])
    return moved
