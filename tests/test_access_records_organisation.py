"""An organisation's page of reads (issue 20): its legal representative sees who read the
organisation's data (its applications), in the portal and the API; its agents and everyone else
get a 404; a page costs the same whatever the number of reads."""
from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from govflow.applications import access
from govflow.applications.models import AccessRecord

from .factories import CitizenFactory
from .party_world import ACME_USCC, catalog_for_organisations, grant_agent, organisation

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme(clerks):
    from govflow.catalog.services import import_catalog

    import_catalog(catalog_for_organisations())
    lena, andy, pat = (CitizenFactory(username=name) for name in ("lena", "andy", "pat"))
    company = organisation("杭州示例科技有限公司", ACME_USCC, lena)
    grant_agent(company, lena, andy)
    clerk = clerks["amr"]
    access.record(reader=clerk, interface="workbench", purpose="queue", organisation_id=company.pk,
                  what={"fields": ["company_name"]})
    access.record(reader=clerk, interface="workbench", purpose="queue", person_id=pat.pk)  # a person's, not Acme's
    return {"company": company, "lena": lena, "andy": andy, "pat": pat, "clerk": clerk}


def api(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def web(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def test_the_legal_representative_sees_the_organisations_reads(acme):
    url = f"/api/v1/organisations/{acme['company'].pk}/access-records/"
    body = api(acme["lena"]).get(url).json()
    assert body["count"] == 1 and body["results"][0]["purpose"] == "queue"
    page = web(acme["lena"]).get(reverse("organisation-access-records", args=[acme["company"].pk]))
    assert page.status_code == 200 and page.content.decode().count('data-purpose="') == 1
    detail = web(acme["lena"]).get(reverse("organisation", args=[acme["company"].pk])).content.decode()
    assert reverse("organisation-access-records", args=[acme["company"].pk]) in detail
    # The organisation's reads are not on the legal representative's own page.
    assert api(acme["lena"]).get("/api/v1/me/access-records/").json()["count"] == 0


@pytest.mark.parametrize("who", ["andy", "pat", "clerk"])
def test_anyone_else_gets_a_404(acme, who):
    pk = acme["company"].pk
    assert api(acme[who]).get(f"/api/v1/organisations/{pk}/access-records/").status_code == 404
    assert web(acme[who]).get(reverse("organisation-access-records", args=[pk])).status_code == 404
    assert reverse("organisation-access-records", args=[pk]) not in web(acme[who]).get(
        reverse("organisation", args=[pk])).content.decode()


def test_bad_ids_and_filters(acme):
    client = api(acme["lena"])
    assert client.get("/api/v1/organisations/999999/access-records/").status_code == 404
    url = f"/api/v1/organisations/{acme['company'].pk}/access-records/"
    assert client.get(url, {"application": "x"}).status_code == 400


def test_a_page_costs_the_same_with_1_and_with_200_reads(acme, django_assert_max_num_queries):
    url = f"/api/v1/organisations/{acme['company'].pk}/access-records/"
    client = api(acme["lena"])

    def portal_queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert web(acme["lena"]).get(reverse("organisation-access-records", args=[acme["company"].pk])
                                         ).status_code == 200
        return len(ctx.captured_queries)

    few = portal_queries()
    with django_assert_max_num_queries(5):  # the role, count, the page (no versions: no application here)
        client.get(url)
    with access.recording():
        for _ in range(200):
            access.record(reader=acme["clerk"], interface="api", purpose="office_case",
                          organisation_id=acme["company"].pk)
    assert AccessRecord.objects.filter(organisation=acme["company"]).count() == 201
    with django_assert_max_num_queries(5):
        assert len(client.get(url, {"page": 3}).json()["results"]) == 20
    assert portal_queries() == few
