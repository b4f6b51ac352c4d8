"""locust in headless mode against the servers: one run of a number of users, and its summary."""
from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from django.db import connection

from .config import (
    LOCUSTFILE,
    RAMP_S,
    TARGETS_MS,
)
from .pool import Pool
from .servers import Servers

# -- locust --------------------------------------------------------------------------------------


class Load:
    def __init__(self, *, servers: Servers, pool: Pool, work: Path, think_s: tuple[float, float]) -> None:
        self.servers, self.pool, self.work, self.think_s = servers, pool, work, think_s

    def run(self, users: int, seconds: int, *, label: str | None = None) -> dict:
        label = label or f"run-{users}"
        data_path = self.work / f"{label}-data.json"
        outcomes_path = self.work / f"{label}-outcomes.json"
        self.pool.write(data_path, users=users, seconds=seconds + RAMP_S, think_s=self.think_s)
        connection.close()  # nothing of ours holds the database during the load
        csv_prefix = self.work / label
        env = {**os.environ, "GOVFLOW_BENCH_LOCUST_DATA": str(data_path), "GOVFLOW_BENCH_LOCUST_OUT": str(outcomes_path)}
        args = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--only-summary",
                "-u", str(users), "-r", str(users / RAMP_S), "-t", f"{seconds + RAMP_S}s", "--reset-stats",
                "--stop-timeout", "10", "--host", self.servers.url, "--csv", str(csv_prefix),
                "--loglevel", "INFO", "--exit-code-on-error", "0"]
        log_path = self.work / f"{label}.log"
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(args, cwd=self.work, env=env, stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL)
            try:
                # CPU is counted from the moment the statistics are reset, like the requests.
                _wait_for_reset(proc, log_path, timeout=RAMP_S + 60)
                cpu_before = self.servers.cpu_s()
                proc.wait(timeout=seconds + RAMP_S + 120)
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
        stats_path = Path(f"{csv_prefix}_stats.csv")
        if proc.returncode != 0 or not stats_path.exists():
            tail = log_path.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"locust failed (exit {proc.returncode}):\n{tail}")
        cpu = {k: v - cpu_before[k] for k, v in self.servers.cpu_s().items()}
        outcomes = json.loads(outcomes_path.read_text()) if outcomes_path.exists() else {}
        summary = _summary(users=users, seconds=seconds, stats_path=stats_path,
                           failures_path=Path(f"{csv_prefix}_failures.csv"), outcomes=outcomes)
        # CPU per request: less sensitive than latency to whatever else the machine is doing.
        summary["cpu_ms_per_request"] = {
            name: round(1000 * used / summary["requests"], 1) if summary["requests"] else None
            for name, used in cpu.items()}
        return summary


def _wait_for_reset(proc: subprocess.Popen, log_path: Path, *, timeout: float) -> None:
    """Wait until locust logs that it reset its statistics (every user spawned), it exits, or
    ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None and b"Resetting stats" not in log_path.read_bytes():
        time.sleep(0.05)


def _number(value: str) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None  # "N/A"


def _summary(*, users: int, seconds: int, stats_path: Path, failures_path: Path, outcomes: dict) -> dict:
    endpoints: dict[str, dict] = {}
    total: dict = {}
    with open(stats_path, newline="", encoding="utf-8") as file:
        for row in csv.DictReader(file):
            entry = {
                "requests": int(row["Request Count"]),
                "errors": int(row["Failure Count"]),
                "requests_per_s": round(float(row["Requests/s"]), 2),
                "p50_ms": _number(row["50%"]),
                "p95_ms": _number(row["95%"]),
                "p99_ms": _number(row["99%"]),
                "max_ms": round(float(row["Max Response Time"]), 1),
            }
            if row["Name"] == "Aggregated":
                total = entry
            else:
                endpoints[row["Name"]] = entry
    failures = []
    if failures_path.exists():
        with open(failures_path, newline="", encoding="utf-8") as file:
            failures = [{"name": f"{r['Method']} {r['Name']}" if not r["Name"].startswith(r["Method"]) else r["Name"],
                         "error": r["Error"], "occurrences": int(r["Occurrences"])} for r in csv.DictReader(file)]
    within = all(
        name in endpoints and endpoints[name]["p95_ms"] is not None and endpoints[name]["p95_ms"] <= limit
        for name, limit in TARGETS_MS.items())
    return {
        "users": users, "duration_s": seconds,
        "requests": total.get("requests", 0), "requests_per_s": total.get("requests_per_s", 0.0),
        "errors": total.get("errors", 0), "conflicts": int(outcomes.get("claim_conflicts", 0)),
        "endpoints": dict(sorted(endpoints.items())), "failures": failures, "outcomes": outcomes,
        "within_targets": within,
    }
