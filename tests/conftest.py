"""Named people and the demo catalog for test stories."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from govflow.catalog.models import Department

from .factories import CitizenFactory, MembershipFactory, UserFactory

DEMO_CATALOG = Path(__file__).resolve().parent.parent / "govflow" / "catalog" / "demo_catalog.json"


def load_demo_document() -> dict:
    return json.loads(DEMO_CATALOG.read_text(encoding="utf-8"))


@pytest.fixture(autouse=True)
def _fresh_calendar_cache():
    """Each test sees the calendar of its own database, never one cached by another test."""
    from govflow.catalog.calendar import invalidate_calendar_cache

    invalidate_calendar_cache()
    yield
    invalidate_calendar_cache()


@pytest.fixture
def demo_catalog(db):
    """The demo catalog imported and published (both one things)."""
    from govflow.catalog.io import import_catalog

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
