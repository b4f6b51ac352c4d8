"""The rate limit counter (govflow/accounts/limits.py) and the shared default cache."""
from __future__ import annotations

import pytest
import time_machine
from django.core.cache.backends.db import DatabaseCache
from django.db import connection

from govflow.accounts import limits
from govflow.accounts.models import RateCounter

from ..threads import run_together

HOUR = 60 * 60


@pytest.mark.django_db
@time_machine.travel("2026-12-01 10:30:00+08:00", tick=False)
def test_a_window_allows_the_limit_then_tells_the_wait():
    answers = [limits.hit("t", "203.0.113.1", limit=3, window=HOUR) for _ in range(5)]

    assert answers == [None, None, None, 30 * 60, 30 * 60]
    assert limits.peek("t", "203.0.113.1", limit=3, window=HOUR) == 30 * 60
    assert limits.peek("t", "198.51.100.1", limit=3, window=HOUR) is None
    assert limits.hit("other", "203.0.113.1", limit=3, window=HOUR) is None  # scopes are separate


@pytest.mark.django_db
def test_a_new_window_starts_afresh_and_ended_windows_are_deleted():
    with time_machine.travel("2026-12-01 10:30:00+08:00", tick=False):
        for _ in range(4):
            limits.hit("t", "203.0.113.1", limit=3, window=HOUR)
    with time_machine.travel("2026-12-01 12:00:00+08:00", tick=False):
        assert limits.hit("t", "203.0.113.1", limit=3, window=HOUR) is None
        assert RateCounter.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="real concurrency needs PostgreSQL")
def test_simultaneous_attempts_in_several_connections_never_exceed_the_limit():
    """Twelve threads, each with its own database connection as separate processes have, race
    for a limit of 5 (the first attempt of the window included): exactly 5 get through."""
    with time_machine.travel("2026-12-01 10:30:00+08:00", tick=False):
        results = run_together([lambda: limits.hit("race", "203.0.113.1", limit=5, window=HOUR)
                                for _ in range(12)])

    assert not [r for r in results if isinstance(r, Exception)], results
    assert results.count(None) == 5
    assert RateCounter.objects.get().count == 12


@pytest.mark.django_db
def test_the_embedded_default_cache_is_the_database_cache_whose_table_migrate_creates():
    import environ

    config = environ.Env().cache_url_config("dbcache://govflow_cache")
    assert config["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"
    shared = DatabaseCache(config["LOCATION"], {})
    shared.set("govflow:test", 41)
    assert shared.incr("govflow:test") == 42  # the table exists in a freshly migrated database
    assert "govflow_cache" in connection.introspection.table_names()
