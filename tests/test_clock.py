"""``GOVFLOW_TEST_NOW`` runs the whole session at another moment (tests/conftest.py; ``make test-dates``);
``GOVFLOW_TEST_MOMENTS`` runs each module at one of several (``make test ROTATE_DATES=<n>``, CI)."""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from govflow.catalog.calendar import local_date

from .conftest import MOMENTS_ENV, OFFSET_ENV, TEST_NOW_ENV, module_moment, session_now

ROOT = Path(__file__).resolve().parent.parent
SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_the_session_clock_starts_where_the_variable_says():
    chosen = session_now()
    if chosen is None:
        pytest.skip(f"{TEST_NOW_ENV} is not set; make test-dates sets it, and the subprocess test below")
    assert timezone.localdate() == local_date(chosen)
    assert chosen <= timezone.now() < chosen + timedelta(hours=1)  # it ticks on from there


def test_the_module_clock_starts_at_the_modules_moment():
    moment = module_moment(__name__.replace(".", "/") + ".py")
    if moment is None:
        pytest.skip(f"{MOMENTS_ENV} is not set; CI's passes set it, and the subprocess test below")
    assert timezone.localdate() == local_date(moment)
    assert moment <= timezone.now() < moment + timedelta(hours=1)


def test_a_test_that_travels_itself_still_does():
    before = timezone.now()
    with time_machine.travel(datetime(2026, 3, 10, 10, 0, tzinfo=SHANGHAI), tick=False):
        assert timezone.localdate() == date(2026, 3, 10)
    assert abs(timezone.now() - before) < timedelta(minutes=10)  # back on the session's clock


def run_pytest(*args: str, now: str = "", moments: str = "", offset: int = 0) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key not in (TEST_NOW_ENV, MOMENTS_ENV, OFFSET_ENV)}
    env.update({TEST_NOW_ENV: now, MOMENTS_ENV: moments, OFFSET_ENV: str(offset), "DEBUG": "1"})
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rs", *args],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_the_variable_shifts_every_xdist_worker_and_skips_what_cannot_be_shifted():
    if session_now() is not None or module_moment(__name__) is not None:
        pytest.skip(f"already under {TEST_NOW_ENV}: this test starts a run of its own under it")
    # 1 October 2026, 07:30 in Shanghai: National Day, while UTC still says 30 September.
    done = run_pytest("-n", "1",
                      "tests/test_clock.py::test_the_session_clock_starts_where_the_variable_says",
                      "tests/test_clock.py::test_a_test_that_travels_itself_still_does",
                      "tests/notifications/test_worker.py",
                      now="2026-10-01T07:30:00+08:00")
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-3000:]
    assert "2 passed" in output, output[-3000:]  # the first one is skipped unless the variable is set
    assert "the Celery worker subprocess runs on the real clock" in output, output[-3000:]


def test_a_malformed_value_stops_the_run_with_a_clear_message():
    if session_now() is not None or module_moment(__name__) is not None:
        pytest.skip(f"already under {TEST_NOW_ENV} or {MOMENTS_ENV}")
    done = run_pytest("-p", "no:xdist", "tests/test_clock.py", now="2026-10-01 07:30")  # no UTC offset
    assert done.returncode == 4  # pytest's usage error
    assert f"{TEST_NOW_ENV}='2026-10-01 07:30': expected an ISO 8601 date and time with its UTC offset" \
        in done.stderr


def test_the_moments_spread_over_modules_and_nothing_is_skipped():
    if session_now() is not None or module_moment(__name__) is not None:
        pytest.skip(f"already under {TEST_NOW_ENV} or {MOMENTS_ENV}: this test starts runs of its own")
    # Two moments, one module each way round: the module clock test passes at either, and the
    # Celery worker module keeps the real clock instead of being skipped for the clock (on the
    # in-memory SQLite database its tests skip for want of a database a worker can share).
    moments = "2026-10-01T07:30:00+08:00 2027-01-02T00:30:00+08:00"
    for offset in (0, 1):
        done = run_pytest("-n", "1", "-rs", "tests/test_clock.py::test_the_module_clock_starts_at_the_modules_moment",
                          "tests/test_clock.py::test_a_test_that_travels_itself_still_does",
                          "tests/notifications/test_worker.py", moments=moments, offset=offset)
        output = done.stdout + done.stderr
        assert done.returncode == 0, output[-3000:]
        assert "2 passed" in output and "the Celery worker subprocess runs on the real clock" not in output, \
            output[-3000:]
        assert f"{MOMENTS_ENV}: each module runs at one of" in output and f"(offset {offset})" in output


def test_a_module_keeps_its_moment_and_the_offset_moves_it(monkeypatch):
    monkeypatch.delenv(TEST_NOW_ENV, raising=False)
    monkeypatch.setenv(MOMENTS_ENV, "2026-10-01T07:30:00+08:00, 2027-01-02T00:30:00+08:00")
    monkeypatch.setenv(OFFSET_ENV, "0")
    first = module_moment("tests/api/test_views.py")
    assert first == module_moment("tests/api/test_views.py")
    monkeypatch.setenv(OFFSET_ENV, "1")
    assert module_moment("tests/api/test_views.py") not in (None, first)
    monkeypatch.setenv(MOMENTS_ENV, "")
    assert module_moment("tests/api/test_views.py") is None


def test_both_variables_at_once_are_refused():
    if session_now() is not None or module_moment(__name__) is not None:
        pytest.skip(f"already under {TEST_NOW_ENV} or {MOMENTS_ENV}")
    done = run_pytest("-p", "no:xdist", "tests/test_clock.py", now="2026-10-01T07:30:00+08:00",
                      moments="2027-01-02T00:30:00+08:00")
    assert done.returncode == 4
    assert f"set {TEST_NOW_ENV} (one moment) or {MOMENTS_ENV} (several), not both" in done.stderr
