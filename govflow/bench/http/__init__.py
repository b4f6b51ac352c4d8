"""HTTP under load: gunicorn (2 sync workers) and one Celery worker on the benchmark database,
loaded by locust in headless mode.

The mix (``locustfile.py``): 70 % citizens reading their application page, 20 % citizens
submitting a draft, 10 % clerks taking a task from their department queue, claiming, reading and
approving it, each simulated user thinking ``THINK_S`` seconds between actions. Everything goes
over the REST API with tokens. The accounts, tokens, submitted applications and drafts are made
directly in the database before the servers start, so the load never goes through the token
endpoint (django-axes) or self-registration (rate limited).

Servers are started as in "Production run" of docs/operations.md: ``DEBUG`` off, a secret key,
``ALLOWED_HOSTS=127.0.0.1``, Redis as the broker (a database and key prefix of the benchmark's
own, deleted afterwards), so every outbox message is really handed over and delivered by the
worker (email to files in a scratch folder). Requests say ``X-Forwarded-Proto: https`` like the
TLS-terminating proxy in front of gunicorn would.

User counts. With explicit ``users`` each count runs for ``duration`` seconds, in increasing
order, stopping at the first with errors. Without, a probe ladder (``LADDER``, ``PROBE_S``
seconds each) climbs until a step has errors or throughput stops growing (``SATURATION``: the
server is saturated and more users only queue); then a full ``duration`` run at the highest
probed count with zero errors (if that run has errors, once more at the step below). The
reported ``users`` is the count of that full run; ``users_is_lower_bound`` says whether the
ladder stopped for another reason than errors (then more users might still give zero errors,
only slower). ``users_within_targets`` is the highest count whose longest run had zero errors and
p95 within ``TARGETS_MS``; without explicit ``users``, the highest probe within them (if below the
headline count) gets a full ``duration`` run of its own to confirm it. By default the whole part
takes four to six minutes: setup, a 5 s warm-up, up to eight 15 s probes and up to two 60 s runs.
Each run first brings its users in over ``RAMP_S`` seconds; its requests, latencies and CPU are
counted from the moment the last one has arrived (locust's ``--reset-stats``).

A claim answered ``409`` (another clerk was faster) is the contracted outcome of a race, marked a
success in locust and counted as a ``conflict``; every other 4xx/5xx or connection failure is an
error.

Peak memory: ``VmHWM`` of each gunicorn worker and of the Celery pool process, read after the load.
"""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from .config import (
    GUNICORN_WORKERS,
    LADDER,
    PAGE,
    PROBE_S,
    REDIS_URL,
    SATURATION,
    SUBMIT,
    TARGETS_MS,
    THINK_S,
    WARMUP_S,
)
from .load import Load
from .pool import Pool
from .servers import Servers

__all__ = ["LADDER", "Pool", "run"]


def run(*, database: str, duration: int = 60, users: list[int] | None = None, media_root: str | Path,
        think_s: tuple[float, float] = THINK_S, probe_s: int = PROBE_S) -> dict:
    """Load gunicorn + Celery on ``database`` (already migrated and seeded) and report."""
    steps = sorted({u for u in users if u > 0}) if users else list(LADDER)
    if not steps:
        raise ValueError("users must hold at least one positive count")
    _check_tools()
    pool = Pool.create(max(steps))
    work = Path(tempfile.mkdtemp(prefix="govflow-bench-http-"))
    servers = Servers(database=database, media_root=Path(media_root), work=work)
    runs: list[dict] = []
    try:
        servers.start()
        load = Load(servers=servers, pool=pool, work=work, think_s=think_s)
        load.run(min(steps), WARMUP_S, label="warmup")
        if users:
            for count in steps:
                runs.append(load.run(count, duration))
                if runs[-1]["errors"]:
                    break
            zero = [r for r in runs if not r["errors"]]
            final = max(zero, key=lambda r: r["users"]) if zero else runs[0]
            stop = _stop_reason(runs, steps, saturated=False)
        else:
            probes: list[dict] = []
            for count in steps:
                probes.append(load.run(count, probe_s, label=f"probe-{count}"))
                if probes[-1]["errors"] or _saturated(probes):
                    break
            runs.extend(probes)
            zero = [r for r in probes if not r["errors"]]
            best = max(zero, key=lambda r: r["users"])["users"] if zero else steps[0]
            final = load.run(best, duration)
            runs.append(final)
            below = [r["users"] for r in zero if r["users"] < best]
            if final["errors"] and below:
                final = load.run(max(below), duration)
                runs.append(final)
            stop = _stop_reason(probes, steps, saturated=_saturated(probes))
            # The highest probed count within the targets, confirmed by a full run of its own.
            fits = [r["users"] for r in probes if not r["errors"] and r["within_targets"] and r["users"] < final["users"]]
            if fits:
                runs.append(load.run(max(fits), duration))
        outbox = servers.drain()
        memory = servers.peak_rss()
    finally:
        servers.stop()
        shutil.rmtree(work, ignore_errors=True)

    # Per user count, the longest run decides (a full run overrules the probe at the same count).
    longest: dict[int, dict] = {}
    for r in runs:
        if r["duration_s"] >= longest.get(r["users"], {}).get("duration_s", 0):
            longest[r["users"]] = r
    within = [n for n, r in longest.items() if not r["errors"] and r["within_targets"]]
    result = {
        "users": final["users"],
        "duration_s": final["duration_s"],
        "requests_per_s": final["requests_per_s"],
        "requests": final["requests"],
        "errors": final["errors"],
        "conflicts": final["conflicts"],
        "endpoints": final["endpoints"],
        "failures": final["failures"],
        "outcomes": final["outcomes"],
        "cpu_ms_per_request": final["cpu_ms_per_request"],
        "targets_ms": {"p95 " + name: ms for name, ms in TARGETS_MS.items()},
        "within_targets": final["within_targets"],
        "users_within_targets": max(within) if within else None,
        # No run with more users had errors: the true highest zero-error count may lie above.
        "users_is_lower_bound": not final["errors"] and not any(
            r["errors"] and r["users"] > final["users"] for r in runs),
        "ladder_stop": stop,
        "ladder": [_ladder_row(r) for r in runs],
        "think_time_s": list(think_s),
        "mix": {"citizens reading": "70 %", "citizens submitting": "20 %", "clerks claiming and completing": "10 %"},
        "servers": f"gunicorn {GUNICORN_WORKERS} sync workers, celery worker prefork -c 1, Redis broker",
        "outbox": outbox,
        **memory,
    }
    return result


def _check_tools() -> None:
    """Locust installed (requirements-bench.txt) and the Redis broker reachable, before building anything."""
    import importlib.util

    import redis
    from django.core.management.base import CommandError

    if importlib.util.find_spec("locust") is None:
        raise CommandError("The HTTP part needs locust: .venv/bin/pip install -r requirements-bench.txt")
    try:
        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
        client.ping()
        client.close()
    except redis.RedisError as exc:
        raise CommandError(f"The HTTP part needs Redis at {REDIS_URL} (GOVFLOW_BENCH_REDIS_URL): {exc}") from None


def _saturated(probes: list[dict]) -> bool:
    """The last step brought less than ``SATURATION`` of the growth in requests/s that its growth
    in users would bring to a server with room to spare (doubling the users: less than 1.5 times
    the requests/s)."""
    if len(probes) < 2:
        return False
    before, last = probes[-2], probes[-1]
    grown = last["users"] / max(before["users"], 1)
    return last["requests_per_s"] < before["requests_per_s"] * (1 + SATURATION * (grown - 1))


def _stop_reason(runs: list[dict], steps: list[int], *, saturated: bool) -> str:
    last = runs[-1]
    if last["errors"]:
        return f"errors at {last['users']} users"
    if saturated:
        return (f"throughput saturated at {last['users']} users ({last['requests_per_s']} requests/s "
                f"after {runs[-2]['requests_per_s']} at {runs[-2]['users']})")
    return f"top of the ladder ({steps[-1]} users) without errors"


def _ladder_row(r: dict) -> dict:
    return {
        "users": r["users"], "duration_s": r["duration_s"], "requests_per_s": r["requests_per_s"],
        "errors": r["errors"], "conflicts": r["conflicts"],
        "p95_page_ms": r["endpoints"].get(PAGE, {}).get("p95_ms"),
        "p95_submit_ms": r["endpoints"].get(SUBMIT, {}).get("p95_ms"),
        "within_targets": r["within_targets"],
        "locust_cpu_warnings": r["outcomes"].get("locust_cpu_warnings", 0),
        "gunicorn_cpu_ms_per_request": r["cpu_ms_per_request"]["gunicorn"],
    }
