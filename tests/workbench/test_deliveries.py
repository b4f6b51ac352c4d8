"""The workbench: the applicant's choice on the task page, and after approval the buttons that move
each physical result on (ready / posted with its tracking number / collected / delivered), the list
of results to hand over; another office's clerk gets 404 and changes nothing; the page's queries
do not grow with the history."""
from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from govflow.applications.models import Delivery, TimelineEntry
from govflow.catalog.models import Office

from ..delivery_world import POST, change_submitted, register_company
from ..factories import MembershipFactory, UserFactory
from ..stories import approve, case_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def approved(demo_catalog, citizen_alice, clerks):
    app = change_submitted(citizen_alice, register_company(citizen_alice), delivery=POST)
    approve(app, "amr-change-registration", clerks["amr"])
    return case_of(app, "amr-change-registration")


def test_the_task_page_shows_the_choice_while_in_review(as_user, demo_catalog, citizen_alice, clerks):
    app = change_submitted(citizen_alice, register_company(citizen_alice))
    case = case_of(app, "amr-change-registration")
    page = as_user(clerks["amr"]).get(reverse("workbench:task", args=[case.task_id])).content.decode()
    assert 'id="delivery"' in page and "Government Service Centre" in page


def test_after_approval_the_clerk_moves_the_licence_on_from_its_task_page(as_user, approved, clerks):
    client = as_user(clerks["amr"])
    url = reverse("workbench:task", args=[approved.task_id])
    page = client.get(url).content.decode()
    delivery = Delivery.objects.get(case=approved)
    action = reverse("workbench:delivery-advance", args=[approved.task_id, delivery.pk])
    assert action in page and 'value="posted"' in page and 'name="tracking_number"' in page

    # Without a tracking number: refused, nothing changes.
    response = client.post(action, {"state": "posted", "tracking_number": ""})
    assert response.status_code == 302 and Delivery.objects.get(pk=delivery.pk).state == "preparing"
    with CaptureQueriesContext(connection) as before:
        client.get(url)
    response = client.post(action, {"state": "posted", "tracking_number": "SF1234567890"})
    assert response.status_code == 302 and response.url.endswith("#delivery")
    assert Delivery.objects.get(pk=delivery.pk).state == "posted"
    page = client.get(url).content.decode()
    assert "SF1234567890" in page and 'value="delivered"' in page
    listed = client.get(reverse("workbench:deliveries")).content.decode()
    assert approved.application.number in listed and "Posted" in listed
    with CaptureQueriesContext(connection) as after:
        client.get(url)
    assert len(after.captured_queries) == len(before.captured_queries)  # a longer history costs nothing more

    client.post(action, {"state": "delivered"})
    assert Delivery.objects.get(pk=delivery.pk).state == "delivered"
    assert list(TimelineEntry.objects.filter(case=approved, kind__startswith="delivery.").values_list(
        "kind", flat=True)) == ["delivery.preparing", "delivery.posted", "delivery.delivered"]
    page = client.get(url).content.decode()
    assert 'name="state"' not in page  # finished: no more buttons
    assert approved.application.number not in client.get(reverse("workbench:deliveries")).content.decode()


def test_another_offices_clerk_gets_404_and_changes_nothing(as_user, approved, clerks):
    delivery = Delivery.objects.get(case=approved)
    shangcheng = UserFactory(username="amr-sc")
    MembershipFactory(user=shangcheng, office=Office.objects.get(code="amr-330102"), role="supervisor")
    for outsider in (shangcheng, clerks["tax"]):
        client = as_user(outsider)
        assert client.get(reverse("workbench:task", args=[approved.task_id])).status_code == 404
        response = client.post(reverse("workbench:delivery-advance", args=[approved.task_id, delivery.pk]),
                               {"state": "posted", "tracking_number": "SF1234567890"})
        assert response.status_code == 404
        assert approved.application.number not in client.get(reverse("workbench:deliveries")).content.decode()
    assert Delivery.objects.get(pk=delivery.pk).state == "preparing"
    assert not TimelineEntry.objects.filter(case=approved, kind="delivery.posted").exists()
