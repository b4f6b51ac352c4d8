"""The access records' search in a browser: axe-core finds no serious violation on the page with
an alert and results, and an alert opens the reads behind it."""
from __future__ import annotations

import re

from django.conf import settings

from govflow.applications import access, access_oversight
from govflow.catalog.models import Office
from tests.factories import CitizenFactory, MembershipFactory, UserFactory

from .test_workbench import PASSWORD, assert_accessible, sign_in


def test_the_search_passes_axe_and_an_alert_opens_its_reads(page, demo_catalog, run_axe, screenshot):
    xihu = Office.objects.get(code="amr-330106")
    supervisor = UserFactory(username="super-amr-xh")
    supervisor.set_password(PASSWORD)
    supervisor.save()
    MembershipFactory(user=supervisor, office=xihu, role="supervisor")
    clerk = UserFactory(username="clerk-amr-xh", name="王小明", staff_number="A-0042")
    MembershipFactory(user=clerk, office=xihu)
    limit = settings.GOVFLOW_ACCESS_ALERT_DISTINCT_CITIZENS
    for person in [CitizenFactory() for _ in range(limit + 1)]:
        access.record(reader=clerk, interface="workbench", purpose="held_case", office_id=xihu.pk,
                      person_id=person.pk, what={"fields": ["company_name"]})
    assert access_oversight.scan() == 1

    sign_in(page, supervisor.username, "/workbench/access-records/")
    assert page.locator("[data-alerts] tr[data-alert]").count() == 1
    assert page.locator("[data-access-records] tbody tr").count() == 50
    assert_accessible(page, run_axe)
    screenshot(page, "workbench-access-records")

    page.locator("[data-alerts] a").first.click()
    page.wait_for_url(re.compile(r"alert=\d+"))
    assert "A-0042" in page.locator("[data-access-records]").inner_text()
    assert_accessible(page, run_axe)
