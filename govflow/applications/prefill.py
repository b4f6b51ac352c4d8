"""Once-only: the answers already known about the party an application is for, to pre-fill its
form. A person's come from their profile and the outputs of their earlier applications (their
wallet); an organisation's from its registration and its own wallet (``IssuedOutput.organisation``).
Only exact, well-known field codes are filled: a field that merely ends in ``_name`` or ``_id``
may be about someone else (``mother_id``, ``father_name``)."""
from __future__ import annotations

from typing import Any

from django.db.models import Q

from govflow.catalog.definition import Definition
from govflow.parties.models import Organisation
from govflow.parties.selectors import Principal

from .models import Application, IssuedOutput

#: Field codes filled from a person's profile (``User.profile_answers``).
PERSON_PREFILL: dict[str, str] = {
    "applicant_name": "name",
    "applicant_id": "id_number",
    "applicant_id_number": "id_number",
    "applicant_phone": "phone",
    "applicant_email": "email",
    "legal_rep_name": "name",
    "legal_rep_id": "id_number",
    "legal_rep_phone": "phone",
    "contact_email": "email",
    "contact_phone": "phone",
}

#: Field codes filled from an organisation's registration (``parties.Organisation``).
ORGANISATION_PREFILL: dict[str, str] = {
    "company_name": "name",
    "organisation_name": "name",
    "enterprise_name": "name",
    "uscc": "uscc",
    "legal_rep_name": "legal_representative_name",
    "registered_address": "address",
    "contact_name": "contact_name",
    "contact_phone": "contact_phone",
}


def party_of(principal: Principal, user: Any) -> tuple[Any, Any]:
    """``(organisation, person)`` a new application of this principal would be for."""
    if principal.kind == "organisation":
        return principal.organisation, None
    if principal.kind == "person":
        return None, principal.subject
    return None, user


def party_of_application(application: Application) -> tuple[Any, Any]:
    return application.organisation, (None if application.organisation_id else application.applicant)


def wallet_outputs(codes: list[str], *, person: Any = None, organisation: Any = None) -> dict[str, str]:
    """The newest value of each output (e.g. a ``uscc``) among ``codes`` held by the person or
    the organisation; 1 query (none without codes or a holder)."""
    if not codes or (person is None and organisation is None):
        return {}
    return {code: value for code, (value, _serial) in _wallet(codes, person=person, organisation=organisation).items()}


def _wallet(codes: list[str], *, person: Any = None, organisation: Any = None) -> dict[str, tuple[str, str]]:
    """``code -> (value, certificate serial or "")`` of the newest output of each code the party
    holds; a revoked output, or one whose certificate was revoked, is not reused. 1 query."""
    if not codes or (person is None and organisation is None):
        return {}
    holder = Q(organisation=organisation) if organisation is not None else Q(holder=person)
    found: dict[str, tuple[str, str]] = {}
    for code, value, serial in (IssuedOutput.objects.filter(holder, code__in=codes, revoked_at__isnull=True)
                                .exclude(certificate__revoked_at__isnull=False)
                                .order_by("issued_at", "id").values_list("code", "value", "certificate__serial")):
        found[code] = (value, serial or "")  # newest wins
    return found


def certificate_sources(answers: dict[str, Any], *, person: Any = None,
                        organisation: Any = None) -> dict[str, str]:
    """Of ``answers``, those that are the value of an electronic certificate the party holds:
    ``field code -> the certificate's serial`` (the form says "from your certificate …"). 1 query
    (none without answers)."""
    wallet = _wallet(sorted(answers), person=person, organisation=organisation)
    return {code: serial for code, (value, serial) in wallet.items() if serial and answers.get(code) == value}


def known_answers(codes: list[str], *, person: Any = None, organisation: Any = None) -> dict[str, Any]:
    """What is known already for the fields ``codes``: the party's registration or profile, then
    its wallet (an output's value wins over the profile's). Unchecked against any form."""
    return _known(codes, person=person, organisation=organisation)[0]


def _known(codes: list[str], *, person: Any = None,
           organisation: Any = None) -> tuple[dict[str, Any], dict[str, str]]:
    """:func:`known_answers`, and which of them an electronic certificate gave (``code -> serial``):
    one wallet query for both."""
    asked = set(codes)
    answers: dict[str, Any] = {}
    if organisation is not None:
        for code, attribute in ORGANISATION_PREFILL.items():
            value = getattr(organisation, attribute, "")
            if code in asked and value:
                answers[code] = value
    elif person is not None:
        profile = person.profile_answers() if hasattr(person, "profile_answers") else {}
        for code, attribute in PERSON_PREFILL.items():
            if code in asked and profile.get(attribute):
                answers[code] = profile[attribute]
    wallet = _wallet(sorted(asked), person=person, organisation=organisation)
    answers.update({code: value for code, (value, _serial) in wallet.items()})
    return answers, {code: serial for code, (_value, serial) in wallet.items() if serial}


def answers_for(definition: Definition, *, person: Any = None, organisation: Any = None) -> dict[str, Any]:
    """What :func:`known_answers` knows for this form's fields, keeping only values the form
    accepts (e.g. not an old phone number in another format)."""
    return answers_and_sources(definition, person=person, organisation=organisation)[0]


def answers_and_sources(definition: Definition, *, person: Any = None,
                        organisation: Any = None) -> tuple[dict[str, Any], dict[str, str]]:
    """:func:`answers_for`, and which of those answers an electronic certificate gave
    (``code -> serial``; the form says "from your certificate …"), in one wallet query."""
    answers, sources = _known(sorted(definition.asked_fields), person=person, organisation=organisation)
    errors = definition.validate(answers, partial=True)
    kept = {code: value for code, value in answers.items() if code not in errors}
    return kept, {code: serial for code, serial in sources.items() if code in kept}


def prefill_answers(party: Any, definition: Definition) -> dict[str, Any]:
    """:func:`answers_for` a person or an :class:`~govflow.parties.models.Organisation`."""
    if isinstance(party, Organisation):
        return answers_for(definition, organisation=party)
    return answers_for(definition, person=party)
