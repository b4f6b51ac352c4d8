"""The API's submission takes the delivery choice (``delivery``) and the application shows it
with each physical result's state."""
from __future__ import annotations

import pytest

from govflow.applications.models import Application, ApplicationStatus, Delivery
from govflow.applications.services import delivering

from ..delivery_world import change_draft, register_company
from ..stories import approve

pytestmark = pytest.mark.django_db


def test_submit_with_and_without_the_delivery_choice(api, demo_catalog, citizen_alice, clerks):
    app = change_draft(citizen_alice, register_company(citizen_alice))
    client = api(citizen_alice)
    url = f"/api/v1/applications/{app.pk}/submit/"
    for body in ({}, {"delivery": {"method": "pickup", "office": "amr-330102"}},
                 {"delivery": {"method": "post", "phone": "13800138000"}}, {"delivery": "pickup"},
                 {"delivery": {"method": "drone"}}):
        response = client.post(url, body, format="json")
        assert response.status_code == 400, (body, response.json())
        assert "delivery" in response.json(), body
    assert Application.objects.get(pk=app.pk).status == ApplicationStatus.DRAFT

    response = client.post(url, {"delivery": {"method": "post", "recipient": "王晓明", "phone": "13800138000",
                                              "address": "杭州市西湖区文一西路 522 号"}}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["delivery"] == {"method": "post", "office": None, "address": {
        "recipient": "王晓明", "phone": "13800138000", "address": "杭州市西湖区文一西路 522 号"}}
    assert body["deliveries"] == []

    approve(Application.objects.get(pk=app.pk), "amr-change-registration", clerks["amr"])
    delivering.delivery_advance(delivery=Delivery.objects.get(application=app), user=clerks["amr"], state="posted",
                              tracking_number="SF1234567890")
    body = client.get(f"/api/v1/applications/{app.pk}/").json()
    (licence,) = body["deliveries"]
    assert (licence["result"], licence["procedure"], licence["state"], licence["tracking_number"]) == (
        "business-licence", "amr-change-registration", "posted", "SF1234567890")
    kinds = [e["kind"] for e in body["timeline"]]
    assert "delivery.preparing" in kinds and "delivery.posted" in kinds


def test_an_application_without_anything_physical_needs_no_body(api, demo_catalog, citizen_alice):
    from ..stories import draft

    app = draft(citizen_alice, "business-startup")
    response = api(citizen_alice).post(f"/api/v1/applications/{app.pk}/submit/")
    assert response.status_code == 200 and response.json()["delivery"] is None
