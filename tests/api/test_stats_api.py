"""Statistics over HTTP: who may see them, their shape, and bad dates as 400s (never 500s)."""
from __future__ import annotations

import pytest
import time_machine

from ..factories import UserFactory
from ..stats import scenario

pytestmark = pytest.mark.django_db

URL = "/api/v1/stats/"
MARCH = {"from": "2026-03-01", "to": "2026-03-09"}
TOP_KEYS = {"submitted", "completed", "in_progress", "overdue", "sla_met_ratio", "avg_working_days",
            "satisfaction_avg", "by_department", "by_channel", "by_instrument"}
DEPARTMENT_KEYS = {"department", "queued", "in_review", "overdue", "approved", "rejected", "sla_met_ratio",
                   "avg_working_days"}


@pytest.fixture
def staff(db):
    return UserFactory(username="stats-staff", is_staff=True)


@pytest.fixture
def story(citizen_alice, citizen_carol, clerks):
    return scenario.build(alice=citizen_alice, carol=citizen_carol, clerks=clerks)


@pytest.fixture
def on_today():
    with time_machine.travel(scenario.TODAY, tick=False):
        yield


def stats(api, user, params=MARCH, language="en"):
    return api(user).get(URL, params, HTTP_ACCEPT_LANGUAGE=language)


def test_anonymous_callers_get_401_with_a_token_challenge(api, demo_catalog):
    response = stats(api, None)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Token")


def test_citizens_get_403(api, citizen_alice, demo_catalog):
    assert stats(api, citizen_alice).status_code == 403


def test_clerks_get_403_even_with_bad_dates(api, clerk_bob_amr):
    assert stats(api, clerk_bob_amr).status_code == 403
    assert stats(api, clerk_bob_amr, params={"from": "nonsense"}).status_code == 403


def test_staff_see_every_department(api, story, staff, on_today):
    response = stats(api, staff)
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == TOP_KEYS
    assert {k: v for k, v in body.items() if k != "by_department"} == {
        "submitted": 3, "completed": 1, "in_progress": 2, "overdue": 3,
        "sla_met_ratio": 0.8333, "avg_working_days": 1.0, "satisfaction_avg": 4.0,
        "by_channel": {"online": 3, "counter": 0, "api": 0},
        "by_instrument": {"deferred": 0, "commitment": 0, "offer": 0, "grant": 0},
    }
    for row in body["by_department"]:
        assert set(row) == DEPARTMENT_KEYS and set(row["department"]) == {"code", "name"}
    assert {row["department"]["code"]: {k: v for k, v in row.items() if k != "department"}
            for row in body["by_department"]} == scenario.STAFF_BY_DEPARTMENT


def test_a_supervisor_sees_only_their_departments(api, story, supervisor_sue_amr, on_today):
    body = stats(api, supervisor_sue_amr).json()
    assert body["submitted"] == 2 and body["completed"] == 1 and body["in_progress"] == 1
    assert body["overdue"] == 0 and body["sla_met_ratio"] == 1.0 and body["avg_working_days"] == 0.5
    assert [row["department"]["code"] for row in body["by_department"]] == ["amr"]


def test_department_names_follow_the_request_language(api, demo_catalog, supervisor_sue_amr):
    assert stats(api, supervisor_sue_amr, language="zh-hans").json()["by_department"][0]["department"] == {
        "code": "amr", "name": "市场监督管理局"}
    assert stats(api, supervisor_sue_amr, language="en").json()["by_department"][0]["department"]["name"] \
        != "市场监督管理局"


def test_rates_are_null_when_nothing_was_decided(api, demo_catalog, staff):
    body = stats(api, staff).json()
    assert body["submitted"] == 0
    assert body["sla_met_ratio"] is None and body["avg_working_days"] is None and body["satisfaction_avg"] is None


def test_a_range_of_366_days_is_allowed(api, demo_catalog, staff):
    assert stats(api, staff, params={"from": "2024-01-01", "to": "2024-12-31"}).status_code == 200  # leap year
    assert stats(api, staff, params={"from": "2026-03-09", "to": "2026-03-09"}).status_code == 200  # one day


@pytest.mark.parametrize(("params", "fields"), [
    ({}, {"from", "to"}),
    ({"from": "2026-03-01"}, {"to"}),
    ({"to": "2026-03-01"}, {"from"}),
    ({"from": "", "to": ""}, {"from", "to"}),
    ({"from": "2026-13-01", "to": "2026-03-09"}, {"from"}),
    ({"from": "2026-02-30", "to": "2026-03-09"}, {"from"}),
    ({"from": "20260301", "to": "2026-03-09"}, {"from"}),
    ({"from": "2026-W10-1", "to": "2026-03-09"}, {"from"}),
    ({"from": "2026-03-01T00:00:00", "to": "2026-03-09"}, {"from"}),
    ({"from": "2026-3-1", "to": "2026-03-09"}, {"from"}),
    ({"from": " 2026-03-01", "to": "2026-03-09"}, {"from"}),
    ({"from": "2026-03-01\u2066", "to": "2026-03-09"}, {"from"}),  # (a NUL: tests/test_nul_query.py)
    ({"from": "yesterday", "to": "today"}, {"from", "to"}),
    ({"from": "2026-03-09", "to": "2026-03-01"}, {"to"}),          # reversed
    ({"from": "2024-01-01", "to": "2025-01-01"}, {"to"}),          # 367 days
    ({"from": "0001-01-01", "to": "0001-01-02"}, {"from", "to"}),  # would overflow in UTC
    ({"from": "9999-12-30", "to": "9999-12-31"}, {"from", "to"}),
    ({"from": "1000000-01-01", "to": "2026-03-09"}, {"from"}),
])
def test_bad_dates_are_a_400_with_field_errors(api, demo_catalog, staff, params, fields):
    response = stats(api, staff, params=params)
    assert response.status_code == 400, response.content
    body = response.json()
    assert set(body) == fields
    assert all(isinstance(messages, list) and messages for messages in body.values())


def test_only_get_is_allowed(api, demo_catalog, staff):
    assert api(staff).post(URL, MARCH, format="json").status_code == 405


def test_the_schema_documents_the_statistics(api, demo_catalog):
    response = api(None).get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    operation = schema["paths"]["/api/v1/stats/"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"from", "to"}
    assert set(schema["components"]["schemas"]["Stats"]["properties"]) == TOP_KEYS
    assert set(schema["components"]["schemas"]["DepartmentStats"]["properties"]) == DEPARTMENT_KEYS


def test_the_reforms_instruments_are_counted_apart(api, story, staff, on_today):
    """A material handed in late still counts as deferred (its due date stays); a commitment, an
    accepted offer and a grant each count; D (submitted in February) is outside the range."""
    from govflow.applications.models import Application, Document

    a, b, c, d = story["A"], story["B"], story["C"], story["D"]
    Document.objects.filter(pk=a.documents.first().pk).update(due_date="2026-03-09")  # deferred, then provided
    Document.objects.filter(pk=b.documents.first().pk).update(status="commitment")
    Document.objects.filter(pk=b.documents.last().pk).update(status="commitment")  # one application, once
    Application.objects.filter(pk=c.pk).update(origin="grant")
    Application.objects.filter(pk=d.pk).update(origin="offer")
    body = stats(api, staff).json()
    assert body["by_instrument"] == {"deferred": 1, "commitment": 1, "offer": 0, "grant": 1}
    wide = stats(api, staff, params={"from": "2026-02-01", "to": "2026-03-09"}).json()
    assert wide["by_instrument"]["offer"] == 1
