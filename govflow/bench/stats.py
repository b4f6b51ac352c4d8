"""The stats part of the benchmark: the supervision pages against 0, 100,000 and 1,000,000 decided cases.

The decided cases are **synthetic**: they are not full workflow processes (no viewflow process or
tasks, no timeline, no documents). ``INSERT … SELECT … generate_series`` writes, in bulk, exactly
the stored fields the statistics read:

- applications: one thing, version, division, status ``completed``, ``submitted_at``,
  ``completed_at`` (and the columns the table requires);
- their cases, one per step of the one thing's published version (procedure, department, an office
  of that department, position, ``after``, committed days): approved (one in twenty rejected),
  ``queued_at``, ``claimed_at``, ``decided_at``, ``decided_by``, ``due_date`` and the figures
  stored at a decision (``working_days_used``, ``on_time``, ``prerequisite_working_days``,
  ``queue_working_days``, ``paused_working_days``);
- a rating for three applications in ten (scores 1–5; a bad one answered half of the time, and
  the citizen contacted for most of those).

The decisions are spread evenly over the last 364 days, so a one-year period reads all of them and
the default twelve-week period about a quarter. The working-day figures are varied by the row
number, not computed from the timestamps with the calendar: the pages read the stored figures only.

After writing, the bench rebuilds the daily rollup of decided cases (``govflow.stats.rollups``)
over the whole year, as ``manage.py stats_rollup --since`` would after a bulk load, and times it:
the pages read the rollup for every day up to yesterday and count today live, as in production
with the beat job running.

Each page is measured through Django's test client (real views, templates and middleware, a
logged-in staff user who sees every office) on a new database connection after ``VACUUM
(ANALYZE)`` and a ``CHECKPOINT``, as the history part does.
"""
from __future__ import annotations

import json
import statistics
import time
from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.db import connection
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from govflow.accounts.models import User
from govflow.catalog.calendar import local_date
from govflow.catalog.definition import get_definition
from govflow.catalog.models import Office, OneThing, Procedure
from govflow.stats import rollups
from govflow.stats.models import DecisionDay

from .measure import Samples, percentile
from .plot import draw_lines

SIZES = (0, 100_000, 1_000_000)
REQUESTS = 20
WARMUP = 1
#: The target of issue #19: every supervision page under this p95 at 1,000,000 decided cases.
TARGET_P95_MS = 300.0
#: (name, url name, the names of the period's first and last day): the pages a supervisor opens.
PAGES = (
    ("heatmap", "workbench:stats", ("date_from", "date_to")),
    ("reform", "workbench:stats-reform", ("date_from", "date_to")),
    ("ratings", "workbench:stats-ratings", ("date_from", "date_to")),
    ("time", "workbench:stats-time", ("date_from", "date_to")),
    ("api_stats", "api:stats", ("from", "to")),
)
PERIODS = ("year", "twelve_weeks")
TABLES = ("applications_application", "applications_case", "applications_evaluation")
#: The rollups' tables, vacuumed after the rollup is rebuilt.
ROLLUP_TABLES = ("stats_decisionday", "stats_rollupstate")


def _steps() -> list[dict]:
    """One row per step of every one thing's current version, with an office list per department."""
    offices: dict[int, list[int]] = {}
    divisions: dict[int, int] = {}
    for office in Office.objects.order_by("pk"):
        offices.setdefault(office.department_id, []).append(office.pk)
        divisions[office.pk] = office.division_id
    procedures = {p.code: p for p in Procedure.objects.all()}
    rows = []
    things = OneThing.objects.filter(current_version__isnull=False).select_related("current_version").order_by("code")
    for index, thing in enumerate(things):
        definition = get_definition(thing.current_version)
        for position, step in enumerate(definition.one_thing.get("steps", [])):
            procedure = procedures[step["procedure"]]
            office_ids = offices[procedure.department_id]
            rows.append({
                "thing": index, "one_thing_id": thing.pk, "version_id": thing.current_version_id,
                "position": position, "procedure_id": procedure.pk, "procedure_code": procedure.code,
                "department_id": procedure.department_id, "offices": office_ids,
                "division_id": divisions[office_ids[0]], "after": json.dumps(step.get("after", [])),
                "committed_days": int(definition.procedures[procedure.code]["committed_days"]),
                "dependent": bool(step.get("after")),
            })
    return rows


def _prepare(cursor, steps: list[dict]) -> None:
    cursor.execute("DROP TABLE IF EXISTS bench_steps")
    cursor.execute("""
        CREATE TEMP TABLE bench_steps (
            thing int, one_thing_id bigint, version_id bigint, position int, procedure_id bigint,
            procedure_code text, department_id bigint, offices bigint[], division_id bigint, after jsonb,
            committed_days int, dependent boolean)""")
    cursor.executemany(
        "INSERT INTO bench_steps VALUES (%(thing)s, %(one_thing_id)s, %(version_id)s, %(position)s, "
        "%(procedure_id)s, %(procedure_code)s, %(department_id)s, %(offices)s, %(division_id)s, %(after)s, "
        "%(committed_days)s, %(dependent)s)", steps)


def grow(cases: int, steps: list[dict], *, clerk_ids: list[int], supervisor_id: int,
         citizen_ids: list[int]) -> dict:
    """Add about ``cases`` decided cases (whole applications) in three statements; returns what
    was written."""
    things = len({s["thing"] for s in steps})
    per_application = len(steps) / things
    applications = max(1, round(cases / per_application))
    with connection.cursor() as cursor:
        _prepare(cursor, steps)
        cursor.execute("SELECT coalesce(max(id), 0) FROM applications_application")
        first = cursor.fetchone()[0] + 1
        last = first + applications - 1
        params = {"first": first, "last": last, "things": things, "now": timezone.now(),
                  "clerks": clerk_ids, "supervisor": supervisor_id, "citizens": citizen_ids}
        # g: the application's id. Completed (g*7919 mod 364) days ago, submitted 3–12 days before.
        cursor.execute("""
            INSERT INTO applications_application
                (id, applicant_id, one_thing_id, version_id, division_id, status, outcome, data, submit_key, number,
                 created_at, updated_at, submitted_at, completed_at, channel, origin, receipt_code_hash,
                 delivery_address, delivery_method)
            SELECT g, (%(citizens)s::bigint[])[1 + g %% cardinality(%(citizens)s::bigint[])],
                   s.one_thing_id, s.version_id, s.division_id, 'completed',
                   CASE WHEN g %% 20 = 0 THEN 'rejected' ELSE 'approved' END, '{}', '', 'BENCH' || g,
                   t.submitted, t.completed, t.submitted, t.completed,
                   (ARRAY['online', 'counter', 'api'])[1 + g %% 3], 'citizen', '', '{}', ''
            FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS g
            JOIN bench_steps s ON s.thing = g %% %(things)s AND s.position = 0
            CROSS JOIN LATERAL (SELECT
                %(now)s::timestamptz - (((g * 7919) %% 364) * interval '1 day' + (g %% 28800) * interval '1 second') AS completed,
                %(now)s::timestamptz - (((g * 7919) %% 364 + 3 + g %% 10) * interval '1 day') AS submitted) t
        """, params)
        cursor.execute("""
            INSERT INTO applications_case
                (application_id, procedure_code, procedure_id, department_id, office_id, position, after,
                 committed_days, status, paused_working_days, outputs, comment, corrections,
                 revocation_reason, conditional, queued_at, claimed_at, decided_at, decided_by_id,
                 due_date, working_days_used, on_time, prerequisite_working_days, queue_working_days)
            SELECT a.id, s.procedure_code, s.procedure_id, s.department_id,
                   s.offices[1 + a.id %% cardinality(s.offices)], s.position, s.after, s.committed_days,
                   CASE WHEN a.id %% 20 = 0 THEN 'rejected' ELSE 'approved' END,
                   CASE WHEN a.id %% 17 = 0 THEN 2 ELSE 0 END, '{}', '', '{}', '', false,
                   q.queued, q.queued + interval '1 hour', q.decided,
                   (%(clerks)s::bigint[])[1 + (a.id + s.position) %% cardinality(%(clerks)s::bigint[])],
                   (q.decided + s.committed_days * interval '1 day')::date,
                   w.used, w.used <= s.committed_days, w.prerequisites, (a.id + s.position) %% 3
            FROM applications_application a
            JOIN bench_steps s ON s.one_thing_id = a.one_thing_id
            CROSS JOIN LATERAL (SELECT
                CASE WHEN s.dependent THEN 1 + a.id %% 3 ELSE 0 END AS prerequisites,
                (a.id * 7 + s.position) %% 12 AS used) w
            CROSS JOIN LATERAL (SELECT
                a.submitted_at + w.prerequisites * interval '1 day' AS queued,
                CASE WHEN s.dependent THEN a.completed_at
                     ELSE a.completed_at - (1 + a.id %% 3) * interval '1 day' END AS decided) q
            WHERE a.id BETWEEN %(first)s AND %(last)s
        """, params)
        written_cases = cursor.rowcount
        cursor.execute("""
            INSERT INTO applications_evaluation
                (application_id, score, comment, created_at, needs_follow_up, follow_up_note,
                 followed_up_by_id, followed_up_at, citizen_contacted, contacted_at, contact_channel)
            SELECT a.id, r.score, CASE WHEN r.score <= 2 THEN '太慢了' ELSE '' END,
                   a.completed_at + interval '2 hours', r.score <= 2,
                   CASE WHEN r.answered THEN '已回访，说明了原因' ELSE '' END,
                   CASE WHEN r.answered THEN %(supervisor)s END,
                   CASE WHEN r.answered THEN a.completed_at + interval '1 day' END,
                   r.answered AND a.id %% 5 <> 0,
                   CASE WHEN r.answered AND a.id %% 5 <> 0 THEN a.completed_at + interval '20 hours' END,
                   CASE WHEN r.answered AND a.id %% 5 <> 0 THEN 'phone' ELSE '' END
            FROM applications_application a
            CROSS JOIN LATERAL (SELECT 1 + (a.id / 10) %% 5 AS score,
                                       (1 + (a.id / 10) %% 5) <= 2 AND a.id %% 2 = 0 AS answered) r
            WHERE a.id BETWEEN %(first)s AND %(last)s AND a.id %% 10 < 3
        """, params)
        ratings = cursor.rowcount
        for table in TABLES:
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                           f"(SELECT coalesce(max(id), 1) FROM {table}))")
    return {"applications": applications, "cases": written_cases, "ratings": ratings}


def _vacuum() -> None:
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"VACUUM (ANALYZE) {table}")
        cursor.execute("CHECKPOINT")


def rebuild_rollups() -> dict:
    """Rebuild the daily rollup over the whole synthetic year (a bulk load's catch-up) and vacuum it."""
    started = time.perf_counter()
    done = rollups.refresh(since=local_date(timezone.now()) - timedelta(days=366))
    seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        for table in ROLLUP_TABLES:
            cursor.execute(f"VACUUM (ANALYZE) {table}")
    return {"seconds": round(seconds, 1), "rows_written": done.rows, "rows": DecisionDay.objects.count(),
            "through": done.freshness.through.isoformat() if done.freshness.through else None}


def decided_cases() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM applications_case WHERE decided_at IS NOT NULL")
        return cursor.fetchone()[0]


def _urls() -> dict[str, str]:
    today = local_date(timezone.now())
    periods = {"year": (today - timedelta(days=365), today), "twelve_weeks": (today - timedelta(days=83), today)}
    return {f"{name}@{period}": f"{reverse(url_name)}?{urlencode({start: periods[period][0].isoformat(), end: periods[period][1].isoformat()})}"
            for name, url_name, (start, end) in PAGES for period in PERIODS}


def measure(client: Client, *, requests: int = REQUESTS, warmup: int = WARMUP) -> dict[str, dict]:
    """p95, median and query count of ``requests`` GETs of every page and period (taken in turns)."""
    urls = _urls()

    def get(url: str) -> None:
        response = client.get(url, secure=True)
        if response.status_code != 200:
            raise AssertionError(f"GET {url}: {response.status_code}")

    for _ in range(warmup):
        for url in urls.values():
            get(url)
    samples = {name: Samples(name) for name in urls}
    for _ in range(requests):
        for name, url in urls.items():
            samples[name].run(lambda url=url: get(url))
    result = {}
    for name, s in samples.items():
        summary = s.summary()
        result[name] = {"queries": summary["queries"], "median_ms": round(statistics.median(s.ms), 1),
                        "p95_ms": round(percentile(s.ms, 0.95), 1), "requests": len(s.ms)}
    return result


def _load() -> list[float]:
    try:
        with open("/proc/loadavg") as f:
            return [float(v) for v in f.read().split()[:3]]
    except OSError:
        return []


def run(*, sizes: list[int] | tuple[int, ...] = SIZES, requests: int = REQUESTS, log=print) -> dict:
    """Grow the decided cases to each size in turn and measure every page at each."""
    steps = _steps()
    staff = User.objects.get(username="admin")
    clerk_ids = list(User.objects.filter(username__startswith="clerk-").order_by("pk").values_list("pk", flat=True))
    supervisor = User.objects.get(username="super-amr")
    citizen_ids = list(User.objects.filter(username__startswith="citizen").order_by("pk").values_list("pk", flat=True))
    rows = []
    for size in sorted(sizes):
        current = decided_cases()
        if size > current:
            started = time.perf_counter()
            written = grow(size - current, steps, clerk_ids=clerk_ids, supervisor_id=supervisor.pk,
                           citizen_ids=citizen_ids)
            _vacuum()
            log(f"  grew {written['cases']:,} decided cases ({written['applications']:,} applications, "
                f"{written['ratings']:,} ratings) in {time.perf_counter() - started:.0f} s")
        rollup = rebuild_rollups()
        log(f"  rebuilt the daily rollup in {rollup['seconds']:.1f} s: {rollup['rows']:,} rows, "
            f"figures up to {rollup['through']}")
        connection.close()  # a new connection per size, as a server's is at most 60 s old
        client = Client()
        client.force_login(staff)
        decided = decided_cases()
        load_before = _load()
        with override_settings(ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"]):
            pages = measure(client, requests=requests)
        for name, figures in pages.items():
            page, period = name.split("@")
            rows.append({"page": page, "period": period, "decided": decided, **figures})
            log(f"  {decided:>9,} {page:<10} {period:<13} {figures['queries']:>3} queries "
                f"p95 {figures['p95_ms']:>8.1f} ms  median {figures['median_ms']:>8.1f} ms")
        rows_load = {"decided": decided, "load_before": load_before, "load_after": _load(), "rollup": rollup}
        rows.append({"page": "_load", **rows_load})
    measured = [r for r in rows if r["page"] != "_load"]
    largest = max((r["decided"] for r in measured), default=0)
    return {
        "requests": requests, "user": "admin (staff: every office)", "target_p95_ms": TARGET_P95_MS,
        "rows": measured, "load": [r for r in rows if r["page"] == "_load"],
        "met_at_largest": {f"{r['page']}@{r['period']}": r["p95_ms"] <= TARGET_P95_MS
                           for r in measured if r["decided"] == largest},
    }


def draw(result: dict, path) -> None:
    """p95 per page against decided cases, one line per page and period; the 300 ms target."""
    rows = result.get("rows") or []
    target = result.get("target_p95_ms", TARGET_P95_MS)
    lines = [(f"{page} ({'one year' if period == 'year' else 'twelve weeks'})",
              sorted((r["decided"], r["p95_ms"]) for r in rows if r["page"] == page and r["period"] == period),
              {"marker": "o", "linestyle": "-" if period == "year" else "--"})
             for page, period in dict.fromkeys((r["page"], r["period"]) for r in rows)]
    draw_lines(path, lines, target=target, target_label=f"Target: p95 ≤ {target:g} ms", headroom=1.15,
               value_format="{:.0f}", legend_size=7,
               xlabel="Decided cases in the database (synthetic, generated in bulk)",
               ylabel=f"p95 response time, ms ({result.get('requests', REQUESTS)} requests)",
               title="Supervision pages vs. decided cases (staff user, every office)")
