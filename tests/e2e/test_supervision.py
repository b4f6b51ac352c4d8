"""The supervision heatmap in a browser: axe-core finds no serious violation, the numbers are
in the cells, and a cell opens the cases behind it."""
from __future__ import annotations

import re

from tests.factories import UserFactory
from tests.stats import holiday

from .test_workbench import PASSWORD, assert_accessible, sign_in

PERIOD = "date_from=2026-09-14&date_to=2026-10-14"


def test_the_heatmap_passes_axe_and_opens_the_cases_behind_a_cell(page, demo_catalog, citizen_alice, clerks,
                                                                   run_axe, screenshot):
    story = holiday.build(alice=citizen_alice, clerks=clerks)
    boss = UserFactory(username="stats-staff", is_staff=True)
    boss.set_password(PASSWORD)
    boss.save()

    sign_in(page, boss.username, "/workbench/stats/")
    page.goto(f"/workbench/stats/?{PERIOD}")
    row = page.locator('[data-heatmap] tr[data-procedure="amr-licence"]')
    assert "2 · 2 · 50%" in row.inner_text()
    assert_accessible(page, run_axe)
    screenshot(page, "workbench-stats-heatmap")

    row.get_by_role("link", name=re.compile(r"^1 · 1 · 100%")).first.click()
    page.wait_for_url(re.compile(r"/workbench/stats/cases/"))
    assert story["P"].number in page.locator("[data-cases]").inner_text()
    assert_accessible(page, run_axe)
