"""The citizen's page "who used my information" (portal and API): exactly the reads of their own
data, newest first, with the office and the purpose; the reader named as the department decides;
filtered by application; paginated with a bounded number of queries."""
from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from govflow.applications import access
from govflow.applications.models import AccessRecord
from govflow.applications.services import deciding
from govflow.catalog.models import Department

from .stories import case_of, submitted

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(timezone.datetime(2026, 12, 7, 10, 0))


@pytest.fixture
def reads(citizen_alice, citizen_carol, clerks):
    """Clerk amr reads Alice's first application, then a second one, an hour later; Carol's once."""
    clerk = clerks["amr"]
    clerk.name, clerk.staff_number = "王小明", "A-0042"
    clerk.save()
    first = submitted(citizen_alice, "business-startup")
    second = submitted(citizen_alice, "business-startup")
    carols = submitted(citizen_carol, "business-startup")
    with time_machine.travel(NOW, tick=False):
        deciding.task_claim(case=case_of(first, "amr-licence"), user=clerk)
        web(clerk).get(reverse("workbench:task", args=[case_of(first, "amr-licence").task_id]))
        web(clerk).get(reverse("workbench:task", args=[case_of(carols, "amr-licence").task_id]))
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        web(clerk).get(reverse("workbench:task", args=[case_of(second, "amr-licence").task_id]))
    return {"first": first, "second": second, "carols": carols, "clerk": clerk}


def web(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def api(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def test_the_api_shows_exactly_my_reads_newest_first(reads, citizen_alice, citizen_carol):
    body = api(citizen_alice).get("/api/v1/me/access-records/").json()
    assert body["count"] == 2
    assert [r["application"] for r in body["results"]] == [reads["second"].pk, reads["first"].pk]
    newest, oldest = body["results"]
    assert (oldest["purpose"], newest["purpose"]) == ("held_case", "queue")
    assert newest["interface"] == "workbench" and newest["reader"] == "王小明"
    assert newest["application_number"] == reads["second"].number and newest["office"]
    assert "company_name" in oldest["answers"] and oldest["materials"]
    carols = api(citizen_carol).get("/api/v1/me/access-records/").json()
    assert [r["application"] for r in carols["results"]] == [reads["carols"].pk]
    # The clerk reads no one's data by reading their own list.
    assert api(reads["clerk"]).get("/api/v1/me/access-records/").json()["count"] == 0


def test_the_department_may_show_staff_numbers_instead_of_names(reads, citizen_alice):
    Department.objects.filter(code="amr").update(access_reader_shown_as="number")
    body = api(citizen_alice).get("/api/v1/me/access-records/").json()
    assert {r["reader"] for r in body["results"]} == {"A-0042"}
    page = web(citizen_alice).get(reverse("access-records")).content.decode()
    assert "A-0042" in page and "王小明" not in page


def test_filtered_by_application_and_bad_filters_refused(reads, citizen_alice):
    client = api(citizen_alice)
    body = client.get("/api/v1/me/access-records/", {"application": reads["first"].pk}).json()
    assert [r["application"] for r in body["results"]] == [reads["first"].pk]
    # Someone else's application filters to nothing, whatever it holds.
    assert client.get("/api/v1/me/access-records/", {"application": reads["carols"].pk}).json()["count"] == 0
    for bad in ("x", "-1", "1e3", "9" * 30):
        response = client.get("/api/v1/me/access-records/", {"application": bad})
        assert response.status_code == 400 and "application" in response.json()
    assert web(citizen_alice).get(reverse("access-records"), {"application": "x"}).status_code == 400
    assert client.get("/api/v1/me/access-records/", {"page": 9}).status_code == 404


def test_the_portal_page_lists_my_reads_with_office_and_purpose(reads, citizen_alice):
    client = web(citizen_alice)
    page = client.get(reverse("access-records"))
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('data-purpose="') == 2 and reads["carols"].number not in html
    assert "Handling the case they hold" in html and "A case in their office&#x27;s queue" in html
    only = client.get(reverse("access-records"), {"application": reads["first"].pk}).content.decode()
    assert only.count('data-purpose="') == 1
    profile = client.get(reverse("profile")).content.decode()
    assert reverse("access-records") in profile
    detail = client.get(reverse("application", args=[reads["first"].pk])).content.decode()
    assert f'{reverse("access-records")}?application={reads["first"].pk}' in detail


def test_anonymous_callers_see_nothing(reads):
    assert APIClient().get("/api/v1/me/access-records/").status_code == 401
    assert Client().get(reverse("access-records")).status_code == 302


def _portal_queries(client, **params) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("access-records"), params).status_code == 200
    return len(ctx.captured_queries)


def test_a_page_costs_the_same_with_3_and_with_300_records(reads, citizen_alice, django_assert_max_num_queries):
    client = api(citizen_alice)
    portal = web(citizen_alice)
    # the user (token auth is forced), count, the page, the versions whose labels name what was read
    with django_assert_max_num_queries(4):
        client.get("/api/v1/me/access-records/")
    few = _portal_queries(portal)
    clerk = reads["clerk"]
    with access.recording():
        for _ in range(300):
            access.record(reader=clerk, interface="api", purpose="office_case", what={"fields": ["company_name"]},
                          case=case_of(reads["first"], "amr-licence"))
    assert AccessRecord.objects.filter(person=citizen_alice).count() == 302
    with django_assert_max_num_queries(4):
        body = client.get("/api/v1/me/access-records/", {"page": 2}).json()
    assert len(body["results"]) == 20
    assert body["results"][0]["answers"] == ["company_name"] and body["results"][0]["answer_labels"] != ["company_name"]
    # session, user, count, the page, the versions, the filter's applications, the portal's "acting as" reads (2)
    assert few == _portal_queries(portal, page=3) <= 8


def test_what_was_read_is_named_by_its_labels_in_the_readers_language(reads, citizen_alice):
    """The page and the API name the answers and materials read by the catalog's labels (the API
    keeps the codes as well)."""
    from django.utils import translation

    from govflow.catalog.definition import get_definition

    definition = get_definition(reads["first"].version)
    label = definition.fields["company_name"]["label"]
    page = web(citizen_alice).get(reverse("access-records")).content.decode()
    with translation.override("en"):
        assert label.get("en", label.get("zh-hans")) in page
    assert "company_name" not in page
    chinese = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    chinese.force_login(citizen_alice)
    assert label["zh-hans"] in chinese.get(reverse("access-records")).content.decode()
    body = api(citizen_alice).get("/api/v1/me/access-records/").json()
    oldest = body["results"][-1]
    assert "company_name" in oldest["answers"] and label.get("en", label.get("zh-hans")) in oldest["answer_labels"]
