"""The Content-Security-Policy in a real browser: the main pages of the portal, the workbench, the
admin (the catalog designer included) and the API docs load and work under the policy, and Chromium
reports no violation (no inline script or style, nothing from another host).

A ``securitypolicyviolation`` listener is installed in every document before its own scripts run
(an init script: the browser's automation channel, not a page script, so the policy does not apply
to it) and Chromium's own console errors ("Refused to …") are collected as well.
"""
from __future__ import annotations

import re

import pytest

from govflow.catalog.models import OneThing, OneThingVersion
from govflow.notifications.models import OutboxMessage
from tests.factories import UserFactory
from tests.stories import submitted

pytestmark = pytest.mark.e2e

PASSWORD = "govflow-test-pw"  # tests.factories.UserFactory's
LISTENER = """
document.addEventListener('securitypolicyviolation', (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || 'inline'}`
                + ` at ${event.sourceFile}:${event.lineNumber}`);
});
"""


@pytest.fixture
def watched(page):
    """The page, and the list of CSP violations and console errors it reports."""
    problems: list[str] = []
    page.add_init_script(LISTENER)

    def console(message) -> None:
        source = (message.location or {}).get("url", "")
        if message.type == "error" and not source.endswith("/favicon.ico"):  # the site has no favicon
            problems.append(f"{page.url}: {message.text} ({source})")

    page.on("console", console)
    page.on("pageerror", lambda error: problems.append(f"{page.url}: uncaught {error}"))
    return page, problems


def visit(page, path: str) -> None:
    response = page.goto(path)
    assert response.status == 200, (path, response.status)
    policy = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy, (path, policy)
    page.wait_for_load_state("networkidle")


def sign_in(page, username: str, next_url: str) -> None:
    page.goto(f"/accounts/login/?next={next_url}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("#main-form button[type=submit]")
    page.wait_for_url(re.compile(re.escape(next_url) + r"$"))


def test_the_portal_and_the_workbench_report_no_csp_violation(watched, demo_catalog, citizen_alice, clerks,
                                                               supervisor_sue_amr):
    page, problems = watched
    app = submitted(citizen_alice, "business-startup")
    citizen = UserFactory(username="csp-citizen")
    for path in ["/", "/one-things/business-startup/", "/accounts/login/", "/accounts/register/"]:
        visit(page, path)

    sign_in(page, citizen.username, "/applications/")
    visit(page, "/accounts/profile/")
    page.goto("/apply/business-startup/")  # starts a draft and shows its first page
    page.wait_for_load_state("networkidle")
    page.context.clear_cookies()
    sign_in(page, clerks["amr"].username, "/workbench/")
    page.keyboard.press("j")
    page.keyboard.press("c")  # the workbench's keyboard shortcuts: its script runs
    page.wait_for_url(re.compile(r"/workbench/tasks/\d+/$"))
    assert app.number in page.content()
    visit(page, "/workbench/mine/")
    page.context.clear_cookies()
    sign_in(page, supervisor_sue_amr.username, "/workbench/board/")
    page.wait_for_load_state("networkidle")

    assert not problems, "\n".join(problems)


def test_the_admin_and_the_catalog_designer_report_no_csp_violation(watched, demo_catalog, citizen_alice):
    page, problems = watched
    UserFactory(username="csp-admin", is_staff=True, is_superuser=True)
    submitted(citizen_alice, "business-startup")
    one_thing = OneThing.objects.get(code="business-startup")
    version = OneThingVersion.objects.filter(one_thing=one_thing).order_by("-number").first()
    outbox = OutboxMessage.objects.first()
    sign_in(page, "csp-admin", "/admin/")
    for path in ["/admin/catalog/department/add/", f"/admin/catalog/onething/{one_thing.pk}/change/",
                 f"/admin/catalog/onething/{one_thing.pk}/preview/", f"/admin/catalog/onethingversion/{version.pk}/change/",
                 "/admin/catalog/procedure/add/", "/admin/catalog/calendarday/year/",
                 "/admin/notifications/outboxmessage/", f"/admin/notifications/outboxmessage/{outbox.pk}/change/",
                 "/admin/applications/application/stuck-tasks/", "/admin/applications/application/"]:
        visit(page, path)
    # The admin's own scripts run: the collapsed fieldset of a department opens.
    visit(page, "/admin/catalog/department/add/")
    page.locator("fieldset.collapse summary, fieldset.collapse .collapse-toggle").first.click()
    assert page.locator("#id_webhook_url").is_visible()
    # Styles from the stylesheets apply (no inline style attribute left): the bilingual widget is a row.
    assert page.locator(".govflow-bilingual").first.evaluate("e => getComputedStyle(e).display") == "flex"

    assert not problems, "\n".join(problems)


def test_the_api_docs_work_offline_under_the_policy(watched, demo_catalog, live_server):
    page, problems = watched
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))

    visit(page, "/api/v1/docs/")
    page.wait_for_selector(".opblock", timeout=20_000)  # Swagger UI rendered the operations from the schema

    assert page.locator(".opblock").count() > 10
    assert [url for url in requested if not url.startswith(live_server.url)] == []
    assert not problems, "\n".join(problems)
