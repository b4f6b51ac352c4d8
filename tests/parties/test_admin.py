"""The parties admin: organisations read-mostly (staff set ``verified`` only), roles and
authorisations read-only with their audit fields, the evidence served only through an
access-checked view."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from govflow.parties.models import Authorisation, Organisation, OrganisationRole, OrganisationRoleKind
from govflow.parties.services import authorisation_create, organisation_register

from ..admin_reason import give_reason
from ..factories import CitizenFactory, UserFactory
from ..stories import PDF_BYTES

pytestmark = pytest.mark.django_db

USCC = "91330106MA2B7K5L1F"


def url(name: str, *args) -> str:
    return reverse(f"admin:{name}", args=args)


@pytest.fixture(autouse=True)
def _english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def superuser(client, db):
    user = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(user)
    give_reason(client, user)
    return user


@pytest.fixture
def company(demo_catalog):
    legal, agent = CitizenFactory(username="wang", name="王晓明"), CitizenFactory(username="li", name="李娜")
    company = organisation_register(actor=None, name="杭州示例科技有限公司", uscc=USCC, legal_representative_name="王晓明",
                                    division="330106", legal_representative=legal, address="杭州市西湖区文三路 90 号")
    OrganisationRole.objects.create(organisation=company, user=agent, role=OrganisationRoleKind.AGENT, granted_by=legal,
                                    expires_at=timezone.now() + timedelta(days=30))
    return company


@pytest.fixture
def authorisation(demo_catalog):
    agent, subject = CitizenFactory(username="mum"), CitizenFactory(username="grandpa", name="张大爷")
    return authorisation_create(agent=agent, subject_id_number=subject.id_number, subject_name="张大爷",
                                relation="relative", one_thing_code="newborn",
                                expires_at=timezone.now() + timedelta(days=7), evidence=io.BytesIO(PDF_BYTES),
                                evidence_filename="委托书.pdf", created_by=agent)


def test_organisations_are_found_by_name_or_code_and_filtered(client, superuser, company,
                                                              django_assert_max_num_queries):
    other = Organisation.objects.create(name="另一家公司", uscc="91330102MA2C00000X", legal_representative_name="x",
                                        division=company.division, verified=True)
    changelist = url("parties_organisation_changelist")
    with django_assert_max_num_queries(12):
        page = client.get(changelist, {"q": USCC[:8].lower()}).content.decode()
    assert company.name in page
    page = client.get(changelist, {"q": "示例"}).content.decode()
    assert company.name in page and other.name not in page
    page = client.get(changelist, {"verified__exact": "1"}).content.decode()
    assert other.name in page and company.name not in page
    page = client.get(changelist, {"division__id__exact": company.division_id}).content.decode()
    assert company.name in page


def test_staff_set_only_verified_and_see_the_roles_read_only(client, superuser, company):
    change = url("parties_organisation_change", company.pk)
    page = client.get(change).content.decode()
    assert "Authorised agent" in page and "Legal representative" in page
    assert "wang · 王晓明 (330" in page and "****" in page  # masked id numbers
    assert 'name="roles-0-role"' not in page  # the roles are not a form

    response = client.post(change, {"verified": "on", "name": "Renamed", "uscc": "91330102MA2C00000X",
                                    "roles-TOTAL_FORMS": "0", "roles-INITIAL_FORMS": "0"})

    assert response.status_code == 302
    company.refresh_from_db()
    assert company.verified and company.name == "杭州示例科技有限公司" and company.uscc == USCC
    assert OrganisationRole.objects.filter(organisation=company, revoked_at__isnull=True).count() == 2
    assert client.get(url("parties_organisation_add")).status_code == 403
    assert client.post(url("parties_organisation_delete", company.pk), {"post": "yes"}).status_code == 403
    assert Organisation.objects.filter(pk=company.pk).exists()


def test_roles_and_authorisations_are_read_only(client, superuser, company, authorisation):
    role = OrganisationRole.objects.get(organisation=company, role=OrganisationRoleKind.AGENT)
    page = client.get(url("parties_organisationrole_change", role.pk)).content.decode()
    assert "wang · 王晓明" in page  # granted by
    response = client.post(url("parties_organisationrole_change", role.pk), {"expires_at": ""})
    assert response.status_code == 403
    assert client.get(url("parties_organisationrole_add")).status_code == 403
    assert client.get(url("parties_organisationrole_changelist"), {"standing": "live"}).status_code == 200

    page = client.get(url("parties_authorisation_change", authorisation.pk)).content.decode()
    assert "委托书.pdf" in page and "/media/" not in page
    assert client.post(url("parties_authorisation_change", authorisation.pk), {}).status_code == 403
    assert client.get(url("parties_authorisation_add")).status_code == 403
    page = client.get(url("parties_authorisation_changelist"), {"standing": "live"}).content.decode()
    assert "grandpa" in page


def test_the_evidence_is_a_download_for_staff_who_may_view_the_authorisation(client, authorisation):
    evidence = url("parties_authorisation_evidence", authorisation.pk)
    assert client.get(evidence).status_code == 302  # to the admin's login

    clerk = UserFactory(username="support", is_staff=True)
    client.force_login(clerk)
    assert client.get(evidence).status_code == 403
    clerk.user_permissions.add(Permission.objects.get(codename="view_authorisation"))
    clerk = type(clerk).objects.get(pk=clerk.pk)  # permissions are cached on the instance
    client.force_login(clerk)

    response = client.get(evidence)

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff" and response["Content-Security-Policy"] == "sandbox"
    assert "no-store" in response["Cache-Control"]
    assert client.get(url("parties_authorisation_evidence", authorisation.pk + 1000)).status_code == 404
    Authorisation.objects.filter(pk=authorisation.pk).update(evidence="")
    assert client.get(evidence).status_code == 404
