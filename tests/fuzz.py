"""Shared settings of the hypothesis fuzz tests (PostgreSQL only: NUL and surrogates fail there)."""
from __future__ import annotations

import os

import hypothesis
import pytest
from django.db import connection
from hypothesis import HealthCheck

#: Examples per fuzz test (``GOVFLOW_FUZZ_EXAMPLES``); derandomized, so CI is stable.
MAX_EXAMPLES = int(os.environ.get("GOVFLOW_FUZZ_EXAMPLES", "120"))
SETTINGS = hypothesis.settings(
    max_examples=MAX_EXAMPLES, derandomize=True, database=None, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large,
                           HealthCheck.filter_too_much])
POSTGRES_ONLY = [
    pytest.mark.postgres,
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="NUL and surrogates only fail on PostgreSQL"),
]
