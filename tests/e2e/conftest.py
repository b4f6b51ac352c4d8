"""Browser-test fixtures: Playwright driving Debian's Chromium against pytest-django's live server.

Shared by every browser test (portal and workbench). Fixtures:

- ``browser``: one headless Chromium for the session (``/usr/bin/chromium``; Playwright never
  downloads a browser here).
- ``page``: a fresh browser context and page per test, its ``base_url`` the live server, so
  ``page.goto("/")`` works. Desktop viewport (1280x800) unless the test is marked
  ``@pytest.mark.viewport(width, height)``; ``@pytest.mark.locale("en")`` picks the browser
  language (default ``zh-CN``, i.e. the portal in Simplified Chinese).
- ``phone_page``: the same on a 360x740 phone viewport (touch, mobile).
- ``run_axe``: ``run_axe(page)`` injects axe-core (from ``node_modules``, see ``make e2e-deps``)
  and returns the WCAG 2.1 A/AA violations of the current page; ``serious_violations(...)`` keeps
  the serious and critical ones.
- ``screenshot``: ``screenshot(page, name)`` writes ``test-artifacts/screenshots/<name>.png``
  (full page) for a person to look at.

Every test here is marked ``e2e`` automatically and runs against a transactional database, because
the live server answers from another thread and must see committed rows.
"""
from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
DESKTOP = (1280, 800)
PHONE = (360, 740)
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "e2e: browser test (Playwright + Chromium); run with `make e2e`")
    config.addinivalue_line("markers", "viewport(width, height): the `page` fixture's viewport size")
    config.addinivalue_line("markers", "locale(code): the browser language of the `page` fixture")


@pytest.hookimpl(tryfirst=True)  # before `-m "not e2e"` deselects
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test here ``e2e`` and run them after all the others: the session's browser keeps
    an event loop in the main thread, which Django's async-safety check would see in later tests."""
    here = Path(__file__).parent
    browser_tests = [item for item in items if here in Path(str(item.fspath)).parents]
    for item in browser_tests:
        item.add_marker(pytest.mark.e2e)
    if browser_tests:
        chosen = set(browser_tests)
        items[:] = [item for item in items if item not in chosen] + browser_tests


@pytest.fixture(scope="session", autouse=True)
def _live_server_media_url() -> Iterator[None]:
    """Django's live server wraps the site in a media-file handler built from ``MEDIA_URL``; govflow
    deliberately has none (``None``, which that handler cannot parse). Point it at a prefix that
    nothing uses, before the session's live server starts, so documents stay behind their views."""
    from django.conf import settings

    original = settings.MEDIA_URL
    if not original:
        settings.MEDIA_URL = "/__no-public-media__/"
    yield
    settings.MEDIA_URL = original


@pytest.fixture(scope="session")
def browser() -> Iterator:
    """One headless Chromium for the whole session."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: run `make e2e-deps` (apt-get install chromium chromium-driver)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread; the tests still use Django's
    # ORM here (to set up data and check results), which Django allows only with this switch. Set for
    # the browser tests only, never at import (``check --deploy`` refuses it).
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                                  headless=True)
            try:
                yield chromium
            finally:
                chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def _new_page(browser, live_server, *, viewport: tuple[int, int], locale: str, mobile: bool):
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": viewport[0], "height": viewport[1]},
        locale=locale,
        timezone_id="Asia/Shanghai",
        is_mobile=mobile,
        has_touch=mobile,
        device_scale_factor=2 if mobile else 1,
    )
    context.set_default_timeout(15_000)
    return context, context.new_page()


def _locale(request: pytest.FixtureRequest) -> str:
    marker = request.node.get_closest_marker("locale")
    return marker.args[0] if marker else "zh-CN"


@pytest.fixture
def page(browser, live_server, transactional_db, request: pytest.FixtureRequest) -> Iterator:
    """A fresh context and page on the live server (desktop unless marked ``viewport(w, h)``)."""
    marker = request.node.get_closest_marker("viewport")
    viewport = (int(marker.args[0]), int(marker.args[1])) if marker else DESKTOP
    context, new_page = _new_page(browser, live_server, viewport=viewport, locale=_locale(request),
                                  mobile=viewport[0] < 600)
    try:
        yield new_page
    finally:
        context.close()


@pytest.fixture
def phone_page(browser, live_server, transactional_db, request: pytest.FixtureRequest) -> Iterator:
    """A fresh context and page with a 360x740 phone viewport."""
    context, new_page = _new_page(browser, live_server, viewport=PHONE, locale=_locale(request), mobile=True)
    try:
        yield new_page
    finally:
        context.close()


def serious_violations(violations: list[dict]) -> list[dict]:
    return [v for v in violations if v.get("impact") in ("serious", "critical")]


def describe_violations(violations: list[dict]) -> str:
    """A readable summary for assertion messages."""
    lines = []
    for violation in violations:
        targets = [", ".join(node.get("target", [])) for node in violation.get("nodes", [])[:5]]
        lines.append(f"{violation['impact']}: {violation['id']} ({violation['help']}) at {targets}")
    return "\n".join(lines)


@pytest.fixture(scope="session")
def _axe_source() -> str:
    if not AXE_JS.exists():
        pytest.fail(f"{AXE_JS} is missing: run `make e2e-deps` (npm ci installs axe-core)")
    return AXE_JS.read_text(encoding="utf-8")


@pytest.fixture
def run_axe(_axe_source: str) -> Callable:
    """``run_axe(page, tags=WCAG_TAGS)`` → axe-core's violations (WCAG 2.1 A and AA rules)."""

    def run(page, tags: list[str] | None = None) -> list[dict]:
        if not page.evaluate("() => typeof window.axe !== 'undefined'"):
            # Evaluated through the automation channel, not as an inline <script> the page's
            # Content-Security-Policy (script-src 'self') would refuse; the policy stays on.
            page.evaluate(f"() => {{ {_axe_source}\n }}")
        options = {"runOnly": {"type": "tag", "values": tags or WCAG_TAGS}, "resultTypes": ["violations"]}
        result = page.evaluate("async (options) => await window.axe.run(document, options)", options)
        return result["violations"]

    return run


@pytest.fixture
def screenshot() -> Callable:
    """``screenshot(page, name)`` → path of ``test-artifacts/screenshots/<name>.png`` (full page)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        safe = re.sub(r"[^\w.-]+", "-", name).strip("-") or "page"
        path = SCREENSHOTS / f"{safe}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
