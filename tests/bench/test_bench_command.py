"""``manage.py bench`` stays runnable: a small run end to end, in its own database, on PostgreSQL."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def test_bench_refuses_sqlite(tmp_path):
    env = {**os.environ, "DEBUG": "1", "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}"}
    done = subprocess.run([sys.executable, "manage.py", "bench", "--quick"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "runs on PostgreSQL" in done.stderr


def test_bench_rejects_unknown_parts():
    env = {**os.environ, "DEBUG": "1"}
    done = subprocess.run([sys.executable, "manage.py", "bench", "--parts", "service,nonsense"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "Unknown parts: nonsense" in done.stderr


@pytest.mark.django_db
def test_a_small_service_and_floor_run_reports_every_contracted_key(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("the benchmark runs on PostgreSQL only; the PostgreSQL pass of make test runs this")
    settings = connection.settings_dict
    base = f"govflow_benchtest_{os.getpid()}"
    url = f"postgres://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/{base}"
    out = tmp_path / "bench.json"
    env = {**os.environ, "DEBUG": "1", "DATABASE_URL": url}
    done = subprocess.run([sys.executable, "manage.py", "bench", "--quick", "--operations", "10", "--json", str(out)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(out.read_text())
    for key in ("submit", "claim", "complete", "complete_last"):
        assert set(result[key]) >= {"queries", "median_ms", "p95_ms", "ops_per_s"}, key
        assert result[key]["operations"] >= 10
    assert result["submit"]["queries"] <= 30 and result["claim"]["queries"] <= 8
    assert result["complete"]["queries"] <= 30 and result["complete_last"]["queries"] <= 30
    assert result["floor"]["median_ms"] > 0
    assert result["ratio"] == pytest.approx(result["submit"]["median_ms"] / result["floor"]["median_ms"], rel=0.01)
    assert "ratio submit / floor" in done.stdout
    with connection.cursor() as cursor:  # the benchmark dropped its database
        cursor.execute("SELECT count(*) FROM pg_database WHERE datname = %s", [f"{base}_bench"])
        assert cursor.fetchone()[0] == 0
