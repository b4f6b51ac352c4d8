"""At the counter the clerk asks the walk-in applicant the same question as the portal: how to
receive what is issued physically; a missing choice is a 400 that submits nothing."""
from __future__ import annotations

import pytest
from django.urls import reverse

from govflow.applications import counter
from govflow.applications.models import Application, ApplicationStatus
from govflow.applications.services import drafting

from ..counter_story import counter_clerk, counter_office
from ..stories import ENTERPRISE_CHANGE_ANSWERS, ENTERPRISE_CHANGE_MATERIALS, upload

pytestmark = pytest.mark.django_db


def test_the_counter_asks_how_to_receive_the_licence(as_user, demo_catalog):
    office = counter_office()
    clerk = counter_clerk(office=office)
    party = counter.counter_identify_organisation(
        clerk=clerk, office=office, uscc=ENTERPRISE_CHANGE_ANSWERS["uscc"], name="杭州示例科技有限公司",
        legal_representative_name="王晓明", address="杭州市西湖区某路 1 号", contact_name="李娜",
        contact_phone="13900001111")
    app = counter.counter_application_start(clerk=clerk, office=office, party=party, one_thing_code="enterprise-change")
    drafting.application_update(application=app, user=clerk,
                                data={k: v for k, v in ENTERPRISE_CHANGE_ANSWERS.items() if k not in app.data})
    for code, content in ENTERPRISE_CHANGE_MATERIALS.items():
        upload(app, clerk, code, content)
    client = as_user(clerk)

    page = client.get(reverse("workbench:counter-check", args=[app.pk])).content.decode()
    form = page[page.index('id="submit"'):]
    assert 'name="delivery_method" value="pickup"' in form and 'value="gsc-330106"' in form
    assert 'value="李娜"' in form and "杭州市西湖区某路 1 号" in form  # the company's contact, not the clerk

    response = client.post(reverse("workbench:counter-submit", args=[app.pk]))
    assert response.status_code == 400 and "Choose how to receive" in response.content.decode()
    assert Application.objects.get(pk=app.pk).status == ApplicationStatus.DRAFT

    response = client.post(reverse("workbench:counter-submit", args=[app.pk]),
                           {"delivery_method": "pickup", "delivery_office": "gsc-330106"})
    assert response.status_code == 302
    app = Application.objects.get(pk=app.pk)
    assert (app.status, app.delivery_method, app.pickup_office.code) == ("submitted", "pickup", "gsc-330106")
