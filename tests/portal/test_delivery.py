"""The portal asks how to receive physical results on the check-your-answers page (a plain form:
no JavaScript needed), refuses a missing or invalid choice with every error at once, and shows the
choice and each result's state on the application's page."""
from __future__ import annotations

import pytest
from django.urls import reverse

from govflow.applications.models import Application, ApplicationStatus, Delivery
from govflow.applications.services import delivering

from ..delivery_world import change_draft, register_company
from ..stories import approve, draft

pytestmark = pytest.mark.django_db


@pytest.fixture
def company(demo_catalog, citizen_alice):
    return register_company(citizen_alice)


def test_the_check_page_asks_only_when_something_physical_is_issued(alice_client, citizen_alice, company):
    startup = draft(citizen_alice, "business-startup")
    assert 'id="delivery"' not in alice_client.get(reverse("apply-check", args=[startup.pk])).content.decode()

    app = change_draft(citizen_alice, company)
    page = alice_client.get(reverse("apply-check", args=[app.pk])).content.decode()
    assert 'id="delivery"' in page and "New business licence" in page
    # Inside the submit form, both methods, Xihu's service hall, and the address pre-filled from the company.
    form = page[page.index('id="submit-form"'):]
    assert 'name="delivery_method" value="pickup"' in form and 'name="delivery_method" value="post"' in form
    assert 'name="delivery_office" value="gsc-330106"' in form and 'value="amr-330102"' not in form
    assert "杭州市西湖区某路 1 号" in form


def test_a_missing_or_invalid_choice_is_a_400_with_every_error_and_nothing_is_submitted(alice_client, citizen_alice,
                                                                                       company):
    app = change_draft(citizen_alice, company)
    url = reverse("apply-submit", args=[app.pk])
    response = alice_client.post(url, {"submit_key": "k1"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Choose how to receive" in page and 'href="#delivery-pickup"' in page  # the error summary links to it

    response = alice_client.post(url, {"submit_key": "k2", "delivery_method": "post", "delivery_recipient": "",
                                       "delivery_phone": "123", "delivery_address": ""})
    assert response.status_code == 400
    page = response.content.decode()
    for message in ("Enter the recipient", "Enter a valid mainland China mobile number", "Enter the postal address"):
        assert message in page
    assert 'value="123"' in page  # what was typed comes back
    fresh = Application.objects.get(pk=app.pk)
    assert (fresh.status, fresh.number, fresh.delivery_method) == (ApplicationStatus.DRAFT, None, "")


def test_the_choice_and_each_results_state_are_on_the_status_page(alice_client, citizen_alice, company, clerks):
    app = change_draft(citizen_alice, company)
    response = alice_client.post(reverse("apply-submit", args=[app.pk]), {
        "submit_key": "k1", "delivery_method": "pickup", "delivery_office": "gsc-330106"})
    assert response.status_code == 302
    app = Application.objects.get(pk=app.pk)
    assert (app.status, app.delivery_method, app.pickup_office.code) == ("submitted", "pickup", "gsc-330106")
    page = alice_client.get(reverse("application", args=[app.pk])).content.decode()
    assert "Pick up at a service hall" in page and "Government Service Centre" in page

    approve(app, "amr-change-registration", clerks["amr"])
    delivering.delivery_advance(delivery=Delivery.objects.get(application=app), user=clerks["amr"], state="ready")
    page = alice_client.get(reverse("application", args=[app.pk])).content.decode()
    section = page[page.index('id="delivery"'):page.index('id="cases-title"')]
    assert "New business licence" in section and "Ready for pick-up" in section
    assert "is ready for pick-up" in page  # the timeline
    assert "Pick up at:" in page
