"""Once-only: answers known already about whom an application is for, from their profile and from
the outputs earlier applications issued them (their wallet). The portal pre-fills a citizen's
form with these; the service-hall counter the form of an identified walk-in person or company
(recording the read, :mod:`.counter`)."""
from __future__ import annotations

from typing import Any

from govflow.catalog.definition import Definition
from govflow.parties.models import Organisation

from .models import IssuedOutput

#: Field codes filled from a person's profile. Only exact, well-known meanings: a field that
#: merely ends in ``_name`` or ``_id`` may be about someone else (``mother_id``, ``father_name``).
PROFILE_PREFILL: dict[str, str] = {
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

#: Field codes filled from an organisation's record.
ORGANISATION_PREFILL: dict[str, str] = {
    "company_name": "name",
    "organisation_name": "name",
    "uscc": "uscc",
    "legal_rep_name": "legal_representative_name",
    "registered_address": "address",
    "contact_name": "contact_name",
    "contact_phone": "contact_phone",
}


def wallet_outputs(party: Any, codes: list[str]) -> dict[str, str]:
    """The newest value of each output the person (or the organisation) holds among ``codes``; 1 query."""
    if not codes:
        return {}
    holder = {"organisation": party} if isinstance(party, Organisation) else {"holder": party}
    found: dict[str, str] = {}
    rows = (IssuedOutput.objects.filter(code__in=codes, **holder)
            .order_by("issued_at", "id").values_list("code", "value"))
    for code, value in rows:
        found[code] = value  # newest wins
    return found


def _known(party: Any) -> tuple[dict[str, str], dict[str, Any]]:
    if isinstance(party, Organisation):
        values = {attribute: getattr(party, attribute) for attribute in set(ORGANISATION_PREFILL.values())}
        return ORGANISATION_PREFILL, values
    profile = party.profile_answers() if hasattr(party, "profile_answers") else {}
    return PROFILE_PREFILL, profile


def prefill_answers(party: Any, definition: Definition) -> dict[str, Any]:
    """Answers known already for ``party`` (a person or an :class:`Organisation`): its profile's
    fields by :data:`PROFILE_PREFILL` (:data:`ORGANISATION_PREFILL`), and the outputs of earlier
    applications it holds whose code is a field of this form. Only values the form accepts are
    returned."""
    asked = set(definition.asked_fields)
    mapping, known = _known(party)
    answers: dict[str, Any] = {}
    for code, attribute in mapping.items():
        if code in asked and known.get(attribute):
            answers[code] = known[attribute]
    answers.update(wallet_outputs(party, sorted(asked)))
    # Drop what this form would refuse (e.g. an old phone number in another format).
    errors = definition.validate(answers, partial=True)
    return {code: value for code, value in answers.items() if code not in errors}
