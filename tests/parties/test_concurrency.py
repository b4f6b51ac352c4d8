"""Real threads on PostgreSQL: the single uses of the parties rules hold under simultaneous requests."""
from __future__ import annotations

import pytest
from django.db import connection

from govflow.applications.models import Application
from govflow.applications.services import drafting
from govflow.catalog.services import import_catalog
from govflow.errors import InvalidInput
from govflow.parties import services as parties
from govflow.parties.models import AuthorisationScope, Organisation
from govflow.parties.selectors import principal_for

from ..factories import CitizenFactory
from ..party_world import ACME_USCC, authorise, catalog_for_organisations
from ..threads import run_together

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="row locks and real concurrency need PostgreSQL (CI runs this on PostgreSQL)"),
]


def test_a_one_application_authorisation_makes_one_draft_however_many_start_at_once():
    import_catalog(catalog_for_organisations())
    agent, subject = CitizenFactory(), CitizenFactory()
    mandate = authorise(agent, subject, scope=AuthorisationScope.APPLICATION)

    def start():
        return drafting.application_create(user=agent, one_thing_code="business-startup",
                                           principal=principal_for(agent, f"for:{mandate.pk}"))

    results = run_together([start, start, start])

    made = [r for r in results if isinstance(r, Application)]
    refused = [r for r in results if isinstance(r, InvalidInput)]
    assert (len(made), len(refused)) == (1, 2), results
    assert Application.objects.filter(authorisation=mandate).count() == 1


def test_one_organisation_per_code_when_two_register_it_at_once():
    import_catalog(catalog_for_organisations())
    people = [CitizenFactory(), CitizenFactory()]

    def register(person):
        return lambda: parties.organisation_register(actor=person, name="杭州示例科技有限公司", uscc=ACME_USCC,
                                                     legal_representative_name=person.name, division="330106",
                                                     legal_representative=person)

    results = run_together([register(p) for p in people])

    assert sorted(type(r).__name__ for r in results) == ["InvalidInput", "Organisation"], results
    assert Organisation.objects.filter(uscc=ACME_USCC).count() == 1
    assert Organisation.objects.get(uscc=ACME_USCC).roles.count() == 1
