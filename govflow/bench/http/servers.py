"""gunicorn and the Celery worker on the benchmark database: started, drained, measured (CPU,
peak memory) and stopped."""
from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

from django.conf import settings
from django.utils import timezone

from .config import (
    BASE_DIR,
    GUNICORN_WORKERS,
    REDIS_URL,
)

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
