"""Sign-in through the unified identity provider, people and companies together: the one entry
point the OpenID Connect backend calls with the provider's verified answer.

The person is ``accounts.identity.person_sign_in``'s (link by ``sub``, else by id number, else a
new account). A company sign-in carries the organisation's USCC claim as well (claim names in
``settings.GOVFLOW_OIDC_CLAIMS``): the organisation is found or registered as verified, and the
person becomes its legal representative when the provider says so
(``services.organisation_from_identity``). All in one transaction: a refused sign-in writes nothing.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_noop

from govflow.accounts.identity import IdentityRefused, claim_text, claim_true, person_sign_in
from govflow.accounts.models import User
from govflow.catalog.identifiers import is_valid_uscc
from govflow.errors import InvalidInput

from .services import normalise_uscc, organisation_from_identity

BAD_USCC = gettext_noop(
    "The identity provider sent a unified social credit code that is not valid, so you cannot be signed in "
    "for the company. Ask the identity provider to correct the company's details.")
INCOMPLETE_ORGANISATION = gettext_noop(
    "The identity provider did not send the company's name and legal representative, so the company could "
    "not be registered. Ask the identity provider to complete the company's details.")


@transaction.atomic
def sign_in(*, issuer: str, subject: str, claims: Mapping[str, Any]) -> User:
    """The account the provider's answer signs in (see the module); ``IdentityRefused`` (with a
    message for the person) and nothing written when it cannot."""
    uscc = claim_text(claims, "uscc", max_length=40)
    if uscc and not is_valid_uscc(normalise_uscc(uscc)):
        raise IdentityRefused(BAD_USCC)
    user = person_sign_in(issuer=issuer, subject=subject, claims=claims)
    if uscc:
        try:
            organisation_from_identity(
                user=user, uscc=uscc, name=claim_text(claims, "organisation_name"),
                legal_representative=claim_true(claims, "legal_representative"),
                legal_representative_name=claim_text(claims, "legal_representative_name", max_length=100))
        except InvalidInput:
            raise IdentityRefused(INCOMPLETE_ORGANISATION) from None
    return user
