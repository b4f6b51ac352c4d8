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

import csv
import json
import math
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

from django.conf import settings
from django.db import connection
from django.utils import timezone

from . import data

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
BASE_DIR = Path(settings.BASE_DIR)

PAGE = "GET /api/v1/applications/{id}/"
SUBMIT = "POST /api/v1/applications/{id}/submit/"
CLAIM = "POST /api/v1/tasks/{id}/claim/"
TARGETS_MS = {PAGE: 150.0, SUBMIT: 400.0}

LADDER = (10, 20, 40, 60, 80, 100, 120, 160)
PROBE_S = 15
WARMUP_S = 5
#: Users arrive over this many seconds, and the statistics start once all have arrived: started
#: together, every simulated user sends its first request in the same second, and that burst
#: (a queue of N requests in front of two workers) is 5 % of a 15 s probe, all of it in the p95.
RAMP_S = 5
THINK_S = (0.5, 1.5)
SATURATION = 0.5  # requests/s grew by less than half as much as the users did: saturated
MIX = {"readers": 0.7, "submitters": 0.2, "clerks": 0.1}  # the locust user weights 7:2:1
GUNICORN_WORKERS = 2
CLERK_DEPARTMENTS = tuple(dict.fromkeys(code.split("-")[0] for code in data.BUSINESS_OUTPUTS))
REDIS_URL = os.environ.get("GOVFLOW_BENCH_REDIS_URL", "redis://127.0.0.1:6379/7")


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


# -- accounts and data ---------------------------------------------------------------------------


class Pool:
    """The load's accounts, sized for ``users`` simulated users so that none is shared."""

    def __init__(self, readers: list, submitters: list, clerks: list, tokens: dict[int, str]) -> None:
        self.readers, self.submitters, self.clerks, self.tokens = readers, submitters, clerks, tokens
        self.applications: dict[int, list[int]] = {}

    @classmethod
    def create(cls, users: int) -> Pool:
        from django.utils import timezone
        from knox.models import AuthToken, get_digest_token
        from knox.settings import CONSTANTS, knox_settings

        from govflow.accounts.models import Membership, Role, User
        from govflow.applications.services import submitting
        from govflow.catalog.models import Office

        sizes = {kind: math.ceil(share * users) + 2 for kind, share in MIX.items()}
        made = User.objects.bulk_create([
            User(username=f"bench-{kind}-{i}", name="基准测试", email=f"bench-{kind}-{i}@example.org",
                 phone="13800000000", notify_by_sms=False, password="!")  # token only: no usable password
            for kind, count in sizes.items() for i in range(count)
        ])
        accounts = {kind: [u for u in made if u.username.startswith(f"bench-{kind}-")] for kind in sizes}
        # What AuthToken.objects.create does, in one statement: only the digest is stored.
        expiry = timezone.now() + knox_settings.TOKEN_TTL
        keys = {u.pk: get_digest_token() for u in made}
        AuthToken.objects.bulk_create([AuthToken(digest=keys[u.pk][0], token_key=keys[u.pk][1][:CONSTANTS.TOKEN_KEY_LENGTH],
                                                 user=u, expiry=expiry) for u in made])
        offices = list(Office.objects.filter(department__code__in=CLERK_DEPARTMENTS))
        Membership.objects.bulk_create([Membership(user=u, office=o, department_id=o.department_id, role=Role.CLERK)
                                        for u in accounts["clerks"] for o in offices])
        pool = cls(accounts["readers"], accounts["submitters"], accounts["clerks"],
                   {pk: token for pk, (_digest, token) in keys.items()})
        for reader in pool.readers:  # one submitted application each: the page they read
            draft = data.make_drafts(reader, 1)[0]
            submitting.application_submit(application=draft, user=reader)
            pool.applications[reader.pk] = [draft.pk]
        return pool

    def write(self, path: Path, *, users: int, seconds: int, think_s: tuple[float, float]) -> None:
        """The locust data for a run of ``users`` users: drafts topped up for ``seconds`` of submitting."""
        from govflow.applications.models import Application, ApplicationStatus

        in_use = min(len(self.submitters), math.ceil(MIX["submitters"] * users) + 2)
        need = math.ceil(seconds / think_s[0]) + 5  # no submitter can submit faster than that
        drafts = {}
        for citizen in self.submitters[:in_use]:
            ids = list(Application.objects.filter(applicant=citizen, status=ApplicationStatus.DRAFT)
                       .order_by("id").values_list("id", flat=True))
            if len(ids) < need:
                ids += [a.pk for a in data.make_drafts(citizen, need - len(ids))]
            drafts[citizen.pk] = ids
        path.write_text(json.dumps({
            "think_s": list(think_s),
            "outputs": data.BUSINESS_OUTPUTS,
            "readers": [{"token": self.tokens[u.pk], "applications": self.applications[u.pk]} for u in self.readers],
            "submitters": [{"token": self.tokens[u.pk], "drafts": drafts[u.pk]} for u in self.submitters[:in_use]],
            "clerks": [{"token": self.tokens[u.pk]} for u in self.clerks],
        }))


# -- servers -------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database_url(database: str) -> str:
    """``DATABASE_URL`` with the benchmark database's name (its query options kept)."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://", "pgsql://")):
        parts = urlsplit(url)
        return urlunsplit(parts._replace(path="/" + quote(database)))
    db = settings.DATABASES["default"]
    auth = quote(db.get("USER") or "", safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{auth}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{quote(database)}"


def _hwm_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process so far (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces, so split after its closing parenthesis.
        if int(text.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(stat.parent.name))
    return sorted(found)


class Servers:
    """gunicorn and a Celery worker as subprocesses, with their logs in ``work``."""

    def __init__(self, *, database: str, media_root: Path, work: Path) -> None:
        self.work = work
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.prefix = f"govflow-bench-{os.getpid()}-{secrets.token_hex(4)}:"
        static = work / "static"
        static.mkdir()
        (work / "mail").mkdir()
        self.env = {
            **os.environ,
            "DATABASE_URL": _database_url(database),
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1",
            "MEDIA_ROOT": str(media_root),
            "STATIC_ROOT": str(static),
            "CELERY_BROKER_URL": REDIS_URL,
            "CELERY_BROKER_KEY_PREFIX": self.prefix,
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(work / "mail"),
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
        self.gunicorn: subprocess.Popen | None = None
        self.celery: subprocess.Popen | None = None
        self.started_at = timezone.now()
        self.gunicorn_workers: list[int] = []

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen:
        log = open(self.work / f"{name}.log", "wb")  # noqa: SIM115 (closed with the process)
        try:
            return subprocess.Popen([sys.executable, "-m", *args], cwd=BASE_DIR, env=self.env, stdout=log,
                                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        finally:
            log.close()

    def log_tail(self, name: str, lines: int = 30) -> str:
        path = self.work / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    def start(self) -> None:
        self.started_at = timezone.now()
        self.celery = self._spawn("celery", ["celery", "-A", "govflow", "worker", "--pool", "prefork", "-c", "1",
                                             "-n", f"govflow-bench-{os.getpid()}@%h", "--loglevel", "WARNING"])
        self.gunicorn = self._spawn("gunicorn", ["gunicorn", "govflow.wsgi:application", "-w", str(GUNICORN_WORKERS),
                                                 "-b", f"127.0.0.1:{self.port}", "--timeout", "60",
                                                 "--no-control-socket"])  # no shared ~/.gunicorn socket
        deadline = time.monotonic() + 90
        last = ""
        while time.monotonic() < deadline:
            for name, proc in (("gunicorn", self.gunicorn), ("celery", self.celery)):
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} exited with {proc.returncode}:\n{self.log_tail(name)}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=5) as response:
                    if json.load(response).get("broker") == "ok":
                        break
            except (urllib.error.URLError, OSError, ValueError) as exc:
                last = str(exc)
            time.sleep(0.5)
        else:
            raise RuntimeError(f"gunicorn did not answer /healthz in 90 s ({last}):\n{self.log_tail('gunicorn')}")
        # Both workers up (gunicorn forks them before the master serves anything).
        while len(_children(self.gunicorn.pid)) < GUNICORN_WORKERS and time.monotonic() < deadline:
            time.sleep(0.2)
        self.gunicorn_workers = _children(self.gunicorn.pid)

    def drain(self, timeout: float = 30.0) -> dict:
        """Wait for the worker to deliver the outbox messages of the load; count them."""
        from django.db.models import Count

        from govflow.notifications.models import OutboxMessage, OutboxStatus

        rows = OutboxMessage.objects.filter(created_at__gte=self.started_at)
        deadline = time.monotonic() + timeout
        while rows.filter(status=OutboxStatus.PENDING, attempts=0).exists() and time.monotonic() < deadline:
            time.sleep(1)
        counts = dict(rows.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
        return {"sent": counts.get(OutboxStatus.SENT, 0), "pending": counts.get(OutboxStatus.PENDING, 0),
                "dead": counts.get(OutboxStatus.DEAD, 0),
                "failed_attempts": rows.exclude(last_error="").count()}

    def cpu_s(self) -> dict[str, float]:
        """CPU seconds used so far by the gunicorn workers and by the Celery processes."""
        celery = [self.celery.pid, *_children(self.celery.pid)] if self.celery else []
        return {"gunicorn": sum(map(_cpu_s, _children(self.gunicorn.pid) if self.gunicorn else [])),
                "celery": sum(map(_cpu_s, celery))}

    def peak_rss(self) -> dict:
        workers = _children(self.gunicorn.pid) if self.gunicorn else []
        pool = _children(self.celery.pid) if self.celery else []
        gunicorn = [m for m in map(_hwm_mb, workers) if m is not None]
        celery = [m for m in map(_hwm_mb, pool) if m is not None]
        return {
            "peak_rss_mb": {
                "gunicorn_worker_max": max(gunicorn, default=None),
                "celery_worker": max(celery, default=None),
                "gunicorn_master": _hwm_mb(self.gunicorn.pid) if self.gunicorn else None,
                "celery_main": _hwm_mb(self.celery.pid) if self.celery else None,
            },
            "gunicorn_workers_rss_mb": gunicorn,
            # A worker killed for a timeout (or crashed) comes back with another pid.
            "gunicorn_worker_restarts": len(set(workers) - set(self.gunicorn_workers)),
        }

    def stop(self) -> None:
        for proc in (self.gunicorn, self.celery):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)  # graceful: gunicorn finishes requests, celery its task
        for proc in (self.gunicorn, self.celery):
            if proc is None:
                continue
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)  # its own session: only what it started
                proc.wait(timeout=10)
        self._clean_redis()

    def _clean_redis(self) -> None:
        try:
            import redis

            client = redis.Redis.from_url(REDIS_URL)
            keys = list(client.scan_iter(match=self.prefix + "*", count=1000))
            if keys:
                client.delete(*keys)
            client.close()
        except Exception:  # noqa: BLE001 - cleaning up is best effort
            pass


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
