"""The one-thing designer in a real browser: the steps table fits a 1280 px screen in Chinese and
English (no horizontal scrolling, headings that read across), becomes cards on a narrow screen, a
step added in the form is a prerequisite of the others before saving, and the condition builder
writes the CEL of a step's ``when``.

Screenshots land in ``test-artifacts/screenshots/`` (``designer-*.png``).
"""
from __future__ import annotations

import re

import pytest

from govflow.catalog.models import OneThing, Procedure, Step
from tests.factories import UserFactory

from .conftest import describe_violations, serious_violations

pytestmark = pytest.mark.e2e

PASSWORD = "govflow-test-pw"  # tests.factories.UserFactory's


def sign_in(page, username: str, next_url: str) -> None:
    page.goto(f"/accounts/login/?next={next_url}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("#main-form button[type=submit]")
    page.wait_for_url(re.compile(re.escape(next_url) + r"$"))


def open_designer(page, code: str = "business-startup") -> OneThing:
    UserFactory(username="designer", is_staff=True, is_superuser=True)
    one_thing = OneThing.objects.get(code=code)
    sign_in(page, "designer", "/admin/")
    page.goto(f"/admin/catalog/onething/{one_thing.pk}/change/")
    page.wait_for_load_state("networkidle")
    return one_thing


def overflow(page) -> tuple[int, int]:
    return page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")


@pytest.mark.parametrize("language", [
    pytest.param("zh", marks=pytest.mark.locale("zh-CN")),
    pytest.param("en", marks=pytest.mark.locale("en")),
])
def test_the_steps_table_fits_1280_px_with_readable_headings(page, demo_catalog, run_axe, screenshot, language):
    # A problem to fix before publishing, shown in the step's row (it was cut off at the right edge).
    Step.objects.filter(procedure__code="tax-registration").update(when="no_such_field > 1")
    open_designer(page)
    width, viewport = overflow(page)
    assert viewport == 1280
    assert width <= viewport, f"the designer is {width} px wide at {viewport} px"
    headings = page.locator("#steps-group thead th:not(.original)")
    assert headings.count() == 5
    for index in range(headings.count()):
        box = headings.nth(index).bounding_box()
        # Read across: wide enough for a word, no taller than two lines (no one-character column).
        assert box["width"] >= 48 and box["height"] <= 50, (headings.nth(index).inner_text(), box)
    # What to fix, the department and the days are in the procedure's cell, not cut off.
    problem = page.locator("#steps-2 .govflow-problem")
    assert "no_such_field" in problem.inner_text()
    for element in [problem, *page.locator("#steps-group tr.form-row:not(.empty-form) td.delete").all()]:
        box = element.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= viewport, box
    violations = serious_violations(run_axe(page))
    assert not violations, describe_violations(violations)
    screenshot(page, f"designer-steps-1280-{language}")


@pytest.mark.locale("en")
@pytest.mark.viewport(800, 900)
def test_the_steps_become_cards_on_a_narrow_screen(page, demo_catalog, run_axe, screenshot):
    open_designer(page)
    width, viewport = overflow(page)
    assert width <= viewport
    first = page.locator("#steps-0")
    # Each input says what it is, since the column headings are gone.
    assert first.locator("td.field-after legend").is_visible()
    assert first.locator("td.field-when label").inner_text().strip() == "When (condition)"
    procedure, when = first.locator("td.field-procedure").bounding_box(), first.locator("td.field-when").bounding_box()
    assert when["y"] > procedure["y"]  # stacked, not side by side
    violations = serious_violations(run_axe(page))
    assert not violations, describe_violations(violations)
    screenshot(page, "designer-steps-800-en")


def choose_procedure(page, row: str, code: str) -> None:
    """Pick a procedure in a row's autocomplete (select2) by typing its code."""
    page.click(f"#{row} td.field-procedure .select2-selection")
    page.fill(".select2-container--open .select2-search__field", code)
    page.click(f".select2-results__option:has-text('{code}')")


@pytest.mark.locale("en")
def test_a_new_step_is_a_prerequisite_and_gets_a_built_condition_before_saving(page, demo_catalog, run_axe,
                                                                               screenshot):
    from playwright.sync_api import expect  # the browser tests' own dependency, imported when they run

    one_thing = open_designer(page)
    page.click("#steps-group .add-row a")
    choose_procedure(page, "steps-5", "mi-newborn-insurance")
    # At once, before saving: the new step is a choice of the others' "after", not of its own.
    assert page.locator("#steps-0 td.field-after input[value='mi-newborn-insurance']").is_visible()
    assert not page.locator("#steps-5 td.field-after input[value='mi-newborn-insurance']").is_visible()
    page.check("#steps-4 td.field-after input[value='mi-newborn-insurance']")

    # The new step's condition, built from clauses; the CEL is the catalog's.
    page.click("#steps-5 .govflow-build")
    dialog = page.locator("#govflow-builder")
    assert dialog.is_visible()
    clause = dialog.locator(".govflow-clause").nth(0)
    clause.locator("[data-field]").select_option("employee_count")
    clause.locator("[data-operator]").select_option("gt")
    clause.locator("[data-value]").fill("ten")
    expect(dialog.locator("[data-error]")).to_contain_text("not a whole number")
    assert dialog.locator("[data-use]").is_disabled()
    clause.locator("[data-value]").fill("10")
    dialog.locator("[data-add-clause]").click()
    second = dialog.locator(".govflow-clause").nth(1)
    second.locator("[data-field]").select_option("company_type")
    second.locator("[data-operator]").select_option("in")
    second.locator("[data-choice]").select_option(["llc", "partnership"])
    expected = 'employee_count > 10 && company_type in ["llc", "partnership"]'
    expect(dialog.locator("[data-preview]")).to_have_text(expected)
    expect(dialog.locator("[data-error]")).to_be_hidden()
    screenshot(page, "designer-condition-builder-en")
    violations = serious_violations(run_axe(page))
    assert not violations, describe_violations(violations)
    dialog.locator("[data-use]").click()
    assert not dialog.is_visible()
    assert page.input_value("#id_steps-5-when") == expected

    # Reopened, the builder shows the clauses it wrote.
    page.click("#steps-5 .govflow-build")
    expect(dialog.locator(".govflow-clause")).to_have_count(2)
    expect(dialog.locator(".govflow-clause").nth(1).locator("[data-operator]")).to_have_value("in")
    expect(dialog.locator("[data-preview]")).to_have_text(expected)
    dialog.locator("[data-cancel]").click()

    page.click("input[name=_continue]")
    page.wait_for_load_state("networkidle")
    new = Step.objects.get(one_thing=one_thing, procedure__code="mi-newborn-insurance")
    assert new.when == expected
    last = Step.objects.get(one_thing=one_thing, procedure__code="hpf-employer-account")
    assert last.after == ["amr-licence", "mi-newborn-insurance"]
    assert Procedure.objects.filter(code="mi-newborn-insurance").exists()
