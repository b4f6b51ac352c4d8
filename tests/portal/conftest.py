"""Fixtures for portal view tests: a signed-in citizen with the demo catalog."""
from __future__ import annotations

import pytest
from django.test import Client


@pytest.fixture
def alice_client(demo_catalog, citizen_alice) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(citizen_alice)
    return client


@pytest.fixture
def charlie_client(demo_catalog, outsider_charlie) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(outsider_charlie)
    return client


@pytest.fixture
def en_client(db) -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en")


# -- organisations and authorisations (test_parties*.py) -----------------------------------------

USCC = "91330106MA2B7K5L1F"


@pytest.fixture
def either_catalog(db):
    """The demo catalog with business-startup open to persons and organisations alike (newborn: persons)."""
    from govflow.catalog.services import import_catalog
    from tests.party_world import catalog_for_organisations

    import_catalog(catalog_for_organisations())


@pytest.fixture
def company_people(either_catalog):
    """A company with its legal representative and an agent for 30 days; an outsider."""
    from datetime import timedelta

    from django.utils import timezone

    from govflow.parties import services as parties
    from tests.factories import CitizenFactory

    legal = CitizenFactory(username="legal", name="王晓明")
    agent = CitizenFactory(username="agent", name="李娜")
    other = CitizenFactory(username="other", name="赵六")
    company = parties.organisation_register(
        actor=legal, name="杭州示例科技有限公司", uscc=USCC, legal_representative_name=legal.name, division="330106",
        address="杭州市西湖区文三路 1 号", contact_name="李娜", contact_phone="13800000001",
        legal_representative=legal, verified=True)
    role = parties.agent_grant(organisation=company, actor=legal, agent_id_number=agent.id_number,
                               expires_at=timezone.now() + timedelta(days=30))
    return {"legal": legal, "agent": agent, "other": other, "company": company, "role": role}


def client_for(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client
