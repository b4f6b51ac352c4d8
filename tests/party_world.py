"""Helpers for stories with organisations, agents and authorisations (代办) on the demo catalog."""
from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

from django.utils import timezone

from govflow.accounts.models import Role
from govflow.applications.models import Application, Channel
from govflow.applications.services import drafting
from govflow.catalog.models import Division, Office
from govflow.parties import services as parties
from govflow.parties.models import Authorisation, AuthorisationScope, Organisation, Relation
from govflow.parties.selectors import MYSELF, Principal

from .conftest import load_demo_document
from .factories import MembershipFactory, UserFactory
from .stories import BUSINESS_ANSWERS, BUSINESS_MATERIALS, PDF_BYTES, upload

ACME_USCC = "91330106MA2B7K5L1F"  # the demo company's code (check character valid)
OTHER_USCC = "91330100MA27XL0A19"


def catalog_for_organisations() -> dict:
    """The demo catalog with business-startup open to persons and organisations alike."""
    document = load_demo_document()
    for one_thing in document["one_things"]:
        if one_thing["code"] == "business-startup":
            one_thing["applicant"] = "either"
    return document


def organisation(name: str, uscc: str, legal_representative) -> Organisation:
    return parties.organisation_register(actor=None, name=name, uscc=uscc, legal_representative_name=
                                         legal_representative.name, division="330106",
                                         legal_representative=legal_representative, verified=True)


def grant_agent(org: Organisation, legal_representative, agent, days: int = 365):
    return parties.agent_grant(organisation=org, actor=legal_representative, agent_id_number=agent.id_number,
                               expires_at=timezone.now() + timedelta(days=days))


def authorise(agent, subject, *, days: int = 365, one_thing: str = "business-startup",
              scope: str = AuthorisationScope.ONE_THING) -> Authorisation:
    return parties.authorisation_create(agent=agent, subject_id_number=subject.id_number, subject_name=subject.name,
                                        relation=Relation.RELATIVE, one_thing_code=one_thing,
                                        expires_at=timezone.now() + timedelta(days=days), scope=scope,
                                        evidence=io.BytesIO(PDF_BYTES), evidence_filename="委托书.pdf")


def principal_of(user, key: str) -> Principal:
    from govflow.parties.selectors import principal_for

    return principal_for(user, key)


def business_draft(user, principal: Principal = MYSELF, *, counter_office: Office | None = None,
                   materials: bool = True) -> Application:
    """A complete business-startup draft made by ``user`` for ``principal`` (at a counter: for the
    walk-in person ``principal.person``)."""
    app = drafting.application_create(user=user, one_thing_code="business-startup", data=dict(BUSINESS_ANSWERS),
                                      principal=principal, counter_office=counter_office,
                                      channel=Channel.COUNTER if counter_office else Channel.ONLINE)
    if materials:
        for code, content in BUSINESS_MATERIALS.items():
            upload(app, user, code, content)
    return app


def counter_clerk(username: str, office: Office) -> Any:
    user = UserFactory(username=username)
    MembershipFactory(user=user, office=office, role=Role.COUNTER)
    return user


def office_of(department: str, division: str = "330106") -> Office:
    return Office.objects.get(department__code=department, division=Division.objects.get(code=division))
