"""Named people and the demo catalog for test stories; the session clock (``GOVFLOW_TEST_NOW``)."""
from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

import pytest
import time_machine

from govflow.catalog.models import Department

from .factories import CitizenFactory, MembershipFactory, UserFactory

#: Fixtures of background work (settings, a webhook receiver) for whichever package needs them.
pytest_plugins = ["tests.background"]

DEMO_CATALOG = Path(__file__).resolve().parent.parent / "govflow" / "catalog" / "demo_catalog.json"


def load_demo_document() -> dict:
    return json.loads(DEMO_CATALOG.read_text(encoding="utf-8"))


# -- the session clock ------------------------------------------------------------------------
# GOVFLOW_TEST_NOW=2026-10-01T07:30:00+08:00 runs the whole session "at" that moment: the clock of
# this process (and of every xdist worker, which runs this hook too) starts there before anything
# is collected and then ticks (time-machine, tick=True). Tests that travel themselves still do:
# time-machine nests. `make test-dates` uses it. Only this process is shifted, so the tests
# that need another process to share the clock are skipped under it (see _NOT_SHIFTED).

TEST_NOW_ENV = "GOVFLOW_TEST_NOW"
_traveller = pytest.StashKey[time_machine.travel]()

#: Marker -> why its tests cannot run on a shifted clock.
_NOT_SHIFTED = {
    "e2e": f"{TEST_NOW_ENV}: the browser's clock is not shifted (browser tests run on the real clock only)",
    "celery_worker": f"{TEST_NOW_ENV}: the Celery worker subprocess runs on the real clock, not the shifted one",
}


def session_now() -> datetime | None:
    """The moment ``GOVFLOW_TEST_NOW`` names (timezone-aware), or None when it is not set."""
    value = os.environ.get(TEST_NOW_ENV, "").strip()
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None or moment.utcoffset() is None:
        raise pytest.UsageError(
            f"{TEST_NOW_ENV}={value!r}: expected an ISO 8601 date and time with its UTC offset, "
            "e.g. 2026-10-01T07:30:00+08:00"
        )
    return moment


def pytest_configure(config: pytest.Config) -> None:
    moment = session_now()
    if moment is None:
        return
    traveller = time_machine.travel(moment, tick=True)
    traveller.start()
    config.stash[_traveller] = traveller


def pytest_unconfigure(config: pytest.Config) -> None:
    traveller = config.stash.get(_traveller, None)
    if traveller is not None:
        traveller.stop()
        del config.stash[_traveller]


def pytest_report_header(config: pytest.Config) -> str | None:
    moment = session_now()
    return f"{TEST_NOW_ENV}: the session clock starts at {moment.isoformat()}" if moment else None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if session_now() is None:
        return
    for item in items:
        for marker, reason in _NOT_SHIFTED.items():
            if item.get_closest_marker(marker) is not None:
                item.add_marker(pytest.mark.skip(reason=reason))
                break


@pytest.fixture(autouse=True)
def _fresh_caches():
    """Each test starts with an empty cache and sees the calendar of its own database, never one
    cached by another test. (Rate limits count in the database and roll back with the test.)"""
    from django.core.cache import cache

    from govflow.applications.certificate_templates import forget_template_codes
    from govflow.catalog.calendar import invalidate_calendar_cache

    cache.clear()
    invalidate_calendar_cache()
    forget_template_codes()
    yield
    cache.clear()
    invalidate_calendar_cache()
    forget_template_codes()


@pytest.fixture(autouse=True)
def _site_language():
    """Each test starts in the site's default language (settings.LANGUAGE_CODE), never in one a
    previous test's request left active on this thread: a test that reads English labels says so."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture
def demo_catalog(db):
    """The demo catalog imported and published (both one things)."""
    from govflow.catalog.services import import_catalog

    import_catalog(load_demo_document())
    return {d.code: d for d in Department.objects.all()}


def _clerk(username: str, department_code: str, role: str = "clerk"):
    user = UserFactory(username=username)
    MembershipFactory(user=user, department=Department.objects.get(code=department_code), role=role)
    return user


@pytest.fixture
def citizen_alice(db):
    return CitizenFactory(username="alice")


@pytest.fixture
def citizen_carol(db):
    return CitizenFactory(username="carol")


@pytest.fixture
def clerk_bob_amr(demo_catalog):
    return _clerk("bob-amr", "amr")


@pytest.fixture
def clerk_dan_amr(demo_catalog):
    return _clerk("dan-amr", "amr")


@pytest.fixture
def supervisor_sue_amr(demo_catalog):
    return _clerk("sue-amr", "amr", role="supervisor")


@pytest.fixture
def clerks(demo_catalog):
    """One clerk per demo department, by department code."""
    return {code: _clerk(f"clerk-{code}", code) for code in ("amr", "psb", "tax", "hrss", "hpf", "health", "mi")}


@pytest.fixture
def outsider_charlie(db):
    return CitizenFactory(username="charlie")
