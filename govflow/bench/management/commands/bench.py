"""``manage.py bench``: the performance benchmark (see BENCHMARKS.md). Not part of ``make test``."""
from __future__ import annotations

import json
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.test.utils import override_settings

PARTS = ("service", "floor", "history", "http", "stats")


class Command(BaseCommand):
    help = ("Benchmark the engine on PostgreSQL in a database of its own: service-level submit/claim/complete, "
            "the plain-ORM floor, page latency against history size, and HTTP under locust.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--quick", action="store_true",
                            help="service level and floor only, fewer operations (under two minutes)")
        parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
        parser.add_argument("--operations", type=int, default=None,
                            help="operations per service-level measurement (default 500; 100 with --quick)")
        parser.add_argument("--parts", default=None,
                            help=f"comma-separated subset of {','.join(PARTS)} (default: all; --quick: service,floor)")
        parser.add_argument("--history-sizes", default="0,100000,1000000",
                            help="finished tasks in the database for the history part (comma-separated)")
        parser.add_argument("--open-tasks", type=int, default=10_000, help="open tasks for the history part")
        parser.add_argument("--offices", type=int, default=0,
                            help="history part: deal the open work over this many offices (e.g. 90; 0: the demo's)")
        parser.add_argument("--plot", metavar="PNG", default="bench-history.png",
                            help="where to draw latency against history size")
        parser.add_argument("--http-duration", type=int, default=60, help="seconds of locust load")
        parser.add_argument("--http-users", default="",
                            help="comma-separated locust user counts to try (default: the HTTP part's ladder)")
        parser.add_argument("--stats-sizes", default="0,100000,1000000",
                            help="decided cases in the database for the stats part (comma-separated)")
        parser.add_argument("--stats-requests", type=int, default=20, help="requests per page and size (stats part)")
        parser.add_argument("--stats-plot", metavar="PNG", default="bench-stats.png",
                            help="where to draw the supervision pages' p95 against decided cases")
        parser.add_argument("--keep-db", action="store_true", help="leave the benchmark database in place")

    def handle(self, *args, quick: bool = False, **options) -> None:
        parts = options["parts"].split(",") if options["parts"] else (
            ["service", "floor"] if quick else list(PARTS))
        unknown = sorted(set(parts) - set(PARTS))
        if unknown:
            raise CommandError(f"Unknown parts: {', '.join(unknown)} (choose from {', '.join(PARTS)})")
        operations = options["operations"] or (100 if quick else 500)
        if operations < 10:
            raise CommandError("--operations must be at least 10")
        try:
            sizes = [int(s) for s in options["history_sizes"].split(",") if s.strip()]
        except ValueError:
            raise CommandError("--history-sizes takes whole numbers, e.g. 0,100000,1000000") from None

        results: dict = {"parts": parts, "operations": operations}
        media = tempfile.mkdtemp(prefix="govflow-bench-media-")
        started = time.perf_counter()
        # Outbox hand-over goes to an in-memory broker: no worker runs inside the measurement.
        from govflow.celery import app as celery_app

        celery_app.conf.update(task_always_eager=False, broker_url="memory://")
        try:
            self._run(results, parts, operations, sizes, media, options)
        finally:
            shutil.rmtree(media, ignore_errors=True)
        results["seconds"] = round(time.perf_counter() - started, 1)
        self.stdout.write(render(results))
        if options["json"]:
            Path(options["json"]).write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
            self.stdout.write(f"results written to {options['json']}")

    def _run(self, results: dict, parts: list[str], operations: int, sizes: list[int], media: str,
             options: dict) -> None:
        from govflow.bench.database import bench_database

        with override_settings(MEDIA_ROOT=media, DEBUG=False), bench_database(keep=options["keep_db"]) as name:
            self.stdout.write(f"benchmark database: {name}")
            results["database"] = name
            results["machine"] = _machine()
            from govflow.bench import data

            data.seed()
            if "service" in parts:
                from govflow.bench import service

                self.stdout.write(f"service level: {operations} applications through all five steps …")
                results.update(service.run(operations))
            if "floor" in parts:
                from govflow.bench import floor

                self.stdout.write(f"floor: {operations} plain-ORM submissions …")
                results["floor"] = floor.run(operations)
                if "submit" in results and results["floor"].get("median_ms"):
                    results["ratio"] = round(results["submit"]["median_ms"] / results["floor"]["median_ms"], 2)
            if "history" in parts:
                from govflow.bench import history

                self.stdout.write(f"history: {options['open_tasks']} open tasks, finished tasks {sizes} …")
                results["history"] = history.run(sizes=sizes, open_tasks=options["open_tasks"],
                                                 offices=options["offices"])
                from govflow.bench import plot

                plot.draw(results["history"], Path(options["plot"]))
                results["history_plot"] = options["plot"]
            if "stats" in parts:
                from govflow.bench import stats

                stats_sizes = [int(s) for s in options["stats_sizes"].split(",") if s.strip()]
                self.stdout.write(f"stats: supervision pages at {stats_sizes} decided cases …")
                results["stats"] = stats.run(sizes=stats_sizes, requests=options["stats_requests"],
                                             log=self.stdout.write)
                try:
                    stats.draw(results["stats"], Path(options["stats_plot"]))
                    results["stats_plot"] = options["stats_plot"]
                except ImportError:  # matplotlib is in requirements-bench.txt; keep the numbers anyway
                    self.stderr.write("no plot: install requirements-bench.txt (matplotlib)")
            if "http" in parts:
                from govflow.bench import http

                users = [int(u) for u in options["http_users"].split(",") if u.strip()] or None
                self.stdout.write("http: gunicorn (2 workers) + locust …")
                results["http"] = http.run(database=name, duration=options["http_duration"], users=users,
                                           media_root=media)


def _machine() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
    return {
        "python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
        "postgresql": server, "django": __import__("django").get_version(),
        "viewflow": __import__("importlib.metadata").metadata.version("django-viewflow"),
        "debug": settings.DEBUG,
    }


def render(results: dict) -> str:
    """One plain-text table of everything measured."""
    lines = ["", f"{'measurement':<28}{'queries':>9}{'median ms':>11}{'p95 ms':>9}{'ops/s':>9}"]
    for key in ("submit", "claim", "complete", "complete_licence", "complete_parallel", "complete_last", "floor"):
        row = results.get(key)
        if not row or not row.get("operations"):
            continue
        lines.append(f"{key:<28}{row.get('queries', ''):>9}{row['median_ms']:>11.2f}{row['p95_ms']:>9.2f}"
                     f"{row['ops_per_s']:>9.1f}")
    if "ratio" in results:
        lines.append(f"{'ratio submit / floor':<28}{results['ratio']:>29.2f}×")
    history = results.get("history")
    if history:
        lines.append("")
        spread = history.get("offices")
        if spread:
            lines.append(f"open work over {spread['offices']} offices ({spread['counties']} counties); "
                         f"clerk-amr's office holds {spread['open_in_clerk_amr_office']:,} open cases")
        lines.append(f"{'page':<20}{'finished tasks':>16}{'queries':>9}{'median ms':>11}{'p95 ms':>9}{'sql ms':>9}")
        for row in history.get("rows", []):
            lines.append(f"{row['page']:<20}{row['finished']:>16,}{row['queries']:>9}{row['median_ms']:>11.2f}"
                         f"{row.get('p95_ms', 0):>9.2f}{row.get('sql_ms', 0):>9.2f}")
        if history.get("ratios"):
            lines.append("largest / smallest history: " + ", ".join(
                f"{page} {ratio:.2f}×" for page, ratio in history["ratios"].items()))
        target = history.get("target")
        if target and target.get("met"):
            lines.append(f"target (median ≤ {target['median_ms']:g} ms at {target['at_finished']:,} finished tasks, "
                         f"≤ {target['ratio']:g}× the smallest): " + ", ".join(
                             f"{page} {'met' if met else 'MISSED'}" for page, met in target["met"].items()))
    http = results.get("http")
    if http:
        lines.append("")
        lines.append(f"HTTP: {http.get('users')} users for {http.get('duration_s')} s, "
                     f"{http.get('requests_per_s')} requests/s, {http.get('errors')} errors, "
                     f"{http.get('conflicts', 0)} claim conflicts (409, expected)")
        lines.append(f"  {'endpoint':<40} {'requests':>8} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
                     f"{'errors':>7}")
        for name, row in (http.get("endpoints") or {}).items():
            lines.append(f"  {name:<40} {row.get('requests', '')!s:>8} {row.get('requests_per_s', '')!s:>7} "
                         f"{row.get('p50_ms')!s:>7} {row.get('p95_ms')!s:>7} {row.get('p99_ms')!s:>7} "
                         f"{row.get('errors')!s:>7}")
        for failure in (http.get("failures") or [])[:10]:
            lines.append(f"  error: {failure['name']}: {failure['error']} ×{failure['occurrences']}")
        if "within_targets" in http:
            targets = ", ".join(f"{name} ≤ {ms:g} ms" for name, ms in http.get("targets_ms", {}).items())
            lines.append(f"  targets ({targets}): {'met' if http['within_targets'] else 'NOT met'}; "
                         f"highest count within them: {http.get('users_within_targets')}")
        if http.get("ladder"):
            lines.append(f"  ladder ({http.get('ladder_stop')}):")
            for step in http["ladder"]:
                lines.append(f"    {step['users']:>4} users {step['duration_s']:>3} s  {step['requests_per_s']:>7} req/s  "
                             f"errors {step['errors']}  conflicts {step['conflicts']}  p95 page {step['p95_page_ms']} ms  "
                             f"p95 submit {step['p95_submit_ms']} ms")
        if http.get("cpu_ms_per_request"):
            lines.append("  CPU per request: " + ", ".join(f"{k} {v} ms" for k, v in http["cpu_ms_per_request"].items()))
        if http.get("outbox"):
            lines.append("  outbox after the load: " + ", ".join(f"{k} {v}" for k, v in http["outbox"].items()))
        for name, value in (http.get("peak_rss_mb") or {}).items():
            lines.append(f"  peak RSS {name}: {value} MB")
    return "\n".join(lines)
