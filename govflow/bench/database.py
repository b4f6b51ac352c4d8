"""The benchmark's own PostgreSQL database: created fresh, migrated, dropped afterwards."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.management.base import CommandError
from django.db import connections


@contextmanager
def bench_database(*, keep: bool = False) -> Iterator[str]:
    """Switch the default connection to ``<NAME>_bench`` (created and migrated) for the block.

    It uses Django's test-database machinery, so the benchmark never touches the data of
    the database ``DATABASE_URL`` names; only the server is shared.
    """
    connection = connections["default"]
    if connection.vendor != "postgresql":
        raise CommandError("The benchmark runs on PostgreSQL: set DATABASE_URL=postgres://…")
    original = connection.settings_dict["NAME"]
    name = f"{original}_bench"
    connection.settings_dict.setdefault("TEST", {})
    connection.settings_dict["TEST"]["NAME"] = name
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False, keepdb=False)
    try:
        yield name
    finally:
        if not keep:
            connection.creation.destroy_test_db(original, verbosity=0)
