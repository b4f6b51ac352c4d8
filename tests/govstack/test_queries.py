"""Lists cost the same number of queries whatever their length."""
from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ..stories import submitted


def count(client, path: str) -> tuple[int, list]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries), response.json()


@pytest.mark.django_db
def test_lists_are_bounded(demo_catalog, govstack, citizen_alice, clerks, settings):
    settings.GOVFLOW_AUTOMATIC_STEPS = False
    alice, health = govstack(citizen_alice), govstack(clerks["health"])
    submitted(citizen_alice, "newborn")
    few = {path: count(client, path) for client, path in ((alice, "/applications"), (health, "/tasks"),
                                                          (alice, "/services"))}
    for _ in range(3):
        submitted(citizen_alice, "newborn")
    for client, path in ((alice, "/applications"), (health, "/tasks"), (alice, "/services")):
        queries, body = count(client, path)
        assert queries == few[path][0], path
        assert len(body) >= len(few[path][1])
    assert len(count(alice, "/applications")[1]) == 4 and len(count(health, "/tasks")[1]) == 4
