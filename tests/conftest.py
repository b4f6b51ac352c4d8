"""Named people and the demo catalog for test stories; the session clock (``GOVFLOW_TEST_NOW``)."""
from __future__ import annotations

import json
import os
import re
import zlib
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
# time-machine nests. `make test-dates` uses it, once per moment. Only this process is shifted, so
# the tests that need another process to share the clock are skipped under it (see _NOT_SHIFTED).
#
# GOVFLOW_TEST_MOMENTS="<moment> <moment> ..." (with GOVFLOW_TEST_MOMENTS_OFFSET=<n>, default 0)
# spreads the moments over one run instead: each test module runs at one of them, chosen by the
# module's path and the offset, its clock started there when the module starts (before its module
# fixtures are built) and ticking. Two runs with consecutive offsets run every module at two
# different moments: CI's SQLite and PostgreSQL passes (`make test ROTATE_DATES=<n>`). A module
# with tests that cannot be shifted keeps the real clock, so nothing is skipped.

TEST_NOW_ENV = "GOVFLOW_TEST_NOW"
MOMENTS_ENV = "GOVFLOW_TEST_MOMENTS"
OFFSET_ENV = "GOVFLOW_TEST_MOMENTS_OFFSET"
_traveller = pytest.StashKey[time_machine.travel]()
_real_clock_modules = pytest.StashKey[set]()

#: Marker -> why its tests cannot run on a shifted clock.
_NOT_SHIFTED = {
    "e2e": f"{TEST_NOW_ENV}: the browser's clock is not shifted (browser tests run on the real clock only)",
    "celery_worker": f"{TEST_NOW_ENV}: the Celery worker subprocess runs on the real clock, not the shifted one",
}


def _moment(value: str, variable: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None or moment.utcoffset() is None:
        raise pytest.UsageError(
            f"{variable}={value!r}: expected an ISO 8601 date and time with its UTC offset, "
            "e.g. 2026-10-01T07:30:00+08:00"
        )
    return moment


def session_now() -> datetime | None:
    """The moment ``GOVFLOW_TEST_NOW`` names (timezone-aware), or None when it is not set."""
    value = os.environ.get(TEST_NOW_ENV, "").strip()
    return _moment(value, TEST_NOW_ENV) if value else None


def rotated_moments() -> tuple[list[datetime], int]:
    """The moments ``GOVFLOW_TEST_MOMENTS`` names and the offset, or ([], 0) when it is not set."""
    values = os.environ.get(MOMENTS_ENV, "").replace(",", " ").split()
    offset = os.environ.get(OFFSET_ENV, "0").strip() or "0"
    if not re.fullmatch(r"[0-9]+", offset):
        raise pytest.UsageError(f"{OFFSET_ENV}={offset!r}: expected a whole number")
    return [_moment(value, MOMENTS_ENV) for value in values], int(offset)


def module_moment(module_path: str) -> datetime | None:
    """The moment a module runs at under ``GOVFLOW_TEST_MOMENTS`` (its path relative to the
    project, as pytest names it): the same on every machine and in every xdist worker."""
    moments, offset = rotated_moments()
    if not moments:
        return None
    return moments[(zlib.crc32(module_path.encode()) + offset) % len(moments)]


def pytest_configure(config: pytest.Config) -> None:
    moment = session_now()
    moments, _ = rotated_moments()
    if moment is not None and moments:
        raise pytest.UsageError(f"set {TEST_NOW_ENV} (one moment) or {MOMENTS_ENV} (several), not both")
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
    if moment is not None:
        return f"{TEST_NOW_ENV}: the session clock starts at {moment.isoformat()}"
    moments, offset = rotated_moments()
    if moments:
        return (f"{MOMENTS_ENV}: each module runs at one of {', '.join(m.isoformat() for m in moments)} "
                f"(offset {offset})")
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if session_now() is None:
        config.stash[_real_clock_modules] = {
            item.module.__name__ for item in items
            if item.module is not None and any(item.get_closest_marker(m) for m in _NOT_SHIFTED)}
        return
    for item in items:
        for marker, reason in _NOT_SHIFTED.items():
            if item.get_closest_marker(marker) is not None:
                item.add_marker(pytest.mark.skip(reason=reason))
                break


@pytest.fixture(scope="module", autouse=True)
def _module_clock(request):
    """Under ``GOVFLOW_TEST_MOMENTS``, the module's moment (see above); otherwise nothing."""
    moment = module_moment(request.node.nodeid)
    if moment is None or request.module.__name__ in request.config.stash.get(_real_clock_modules, set()):
        yield None
        return
    with time_machine.travel(moment, tick=True):
        yield moment


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call):
    """A failure under ``GOVFLOW_TEST_MOMENTS`` says which moment its module ran at, to replay it
    with ``GOVFLOW_TEST_NOW``."""
    report = yield
    module = item.getparent(pytest.Module)
    if report.failed and module is not None             and module.module.__name__ not in item.config.stash.get(_real_clock_modules, set()):
        moment = module_moment(module.nodeid)
        if moment is not None:
            report.sections.append(("govflow clock", f"this module ran at {TEST_NOW_ENV}={moment.isoformat()}"))
    return report


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
