"""History: the pages opened most, against the number of finished tasks in the database.

The department queue's first page (``clerk-amr``), the citizen's "my applications" page
(``citizen2``) and the supervisor's board (``super-amr``), plus their API equivalents and the
supervision pages (heatmap, where time goes, ratings: ``super-amr``, the last twelve weeks), are
rendered through Django's test client (real views, real templates, a logged-in session) with
``open_tasks`` open review tasks and a growing history: 0, 100,000 and 1,000,000 finished tasks.

*Finished tasks* are viewflow task rows in state ``DONE`` that belong to completed
applications: every node a finished application went through (start, fan-out, the clerks'
reviews, routing, delivery, ends), as viewflow itself stores them. A completed
business-startup application holds 17 of them, a newborn one 13, one rejected at the licence 6.

Every row is a copy of a real one. The services first build the citizen's own applications
(21: finished, open at every stage, a correction, a draft, a withdrawal, three ratings) exactly
as the portal and the workbench do. Nine of them are templates: the open work and the history
are ``INSERT … SELECT … generate_series`` copies of their rows (applications, viewflow
processes, tasks and task links, cases, timeline, issued outputs, documents) with ids, numbers,
applicants and timestamps shifted, then ``VACUUM ANALYZE``. A generated open task is checked to
be real work: the queue lists it, its page renders, a clerk can claim and approve it.

- Open work (``open_tasks`` review tasks, open or claimed) is about a third in amr and some in
  every department, queued within the last 30 hours: a fifth of the tasks due in one working day
  are overdue, so the board's overdue list (the 20 most overdue, and a count of the rest) is
  full, as it would be in a department with 3,500 open tasks.
- History is completed applications of other citizens (three each) over the last two years:
  60 % business startups approved, 30 % newborns, 10 % rejected at the licence; two in five
  rated, every low rating answered. It grows in place: 0, then 100,000, then 1,000,000.
- The citizen's own 21 applications are the same at every size: a citizen's list grows with
  their own applications, never with the city's, and its page shows 20 of them anyway.

Rows report the size asked for (``finished``) and the count found (``finished_tasks``), which
differs by a few tasks (copies are whole applications). As a PostgreSQL superuser the copies
skip the row-by-row foreign-key checks, which would double the time: 1,000,000 finished tasks
take about half a minute on two cores (two to three minutes with the checks, on a busy machine).
"""
from __future__ import annotations

import math
import statistics
import time

from django.conf import settings
from django.db import connection, transaction
from django.test import Client
from django.test.utils import override_settings
from django.urls import reverse
from viewflow.workflow.status import STATUS

from govflow.applications.models import Case, CaseStatus
from govflow.applications.services import deciding
from govflow.catalog import jurisdictions
from govflow.catalog.models import Department, Division, Office

from .. import data
from ..measure import Samples
from . import copies
from .story import CITIZEN, Template, build_citizen_applications

REQUESTS = 30
WARMUP = 5
OPEN_SPAN_S = 30 * 60 * 60  # open work was queued within the last 30 hours: a fifth of one-day tasks overdue

#: (name, user, URL name, query string): the pages measured; the first three carry the target.
PAGES = (
    ("queue", "clerk-amr", "workbench:queue", ""),
    ("my_applications", CITIZEN, "applications", ""),
    ("board", "super-amr", "workbench:board", ""),
    ("api_tasks", "clerk-amr", "api:task-list", "?queue=department"),
    ("api_applications", CITIZEN, "api:application-list", ""),
    # Supervision (docs/supervision.md), default period (the last twelve weeks) of super-amr's offices.
    ("stats_heatmap", "super-amr", "workbench:stats", ""),
    ("stats_time", "super-amr", "workbench:stats-time", ""),
    ("stats_ratings", "super-amr", "workbench:stats-ratings", ""),
)
TARGET_PAGES = ("queue", "my_applications", "board")
TARGET_MS = 15.0
TARGET_RATIO = 1.5

#: Share of the open tasks per template (by task): about a third in amr, every department has some.
OPEN_MIX = {"business_submitted": 0.30, "business_claimed": 0.05, "business_licensed": 0.40,
            "newborn_submitted": 0.10, "newborn_certified": 0.08, "newborn_registered": 0.07}


# -- measuring ---------------------------------------------------------------------------------


def _clients() -> dict[str, tuple[Client, str]]:
    clients = {}
    for name, username, url_name, query in PAGES:
        client = Client()
        client.force_login(data.user(username))
        clients[name] = (client, reverse(url_name) + query)
    return clients


def _get(client: Client, url: str):
    response = client.get(url, secure=True)
    if response.status_code != 200:
        raise AssertionError(f"GET {url}: {response.status_code}")
    return response


class _SqlTimer:
    """Time spent in the database (statements sent until their results are read) during a request."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started


def measure(*, requests: int = REQUESTS, warmup: int = WARMUP) -> dict[str, dict]:
    """Median and p95 of ``requests`` GETs per page (the pages taken in turns), after ``warmup``;
    ``sql_ms``: the median time of the page's SQL alone."""
    clients = _clients()
    for _ in range(warmup):
        for client, url in clients.values():
            _get(client, url)
    samples = {name: Samples(name) for name in clients}
    sql: dict[str, list[float]] = {name: [] for name in clients}

    def timed(name: str, client: Client, url: str) -> None:
        timer = _SqlTimer()
        with connection.execute_wrapper(timer):
            _get(client, url)
        sql[name].append(timer.seconds * 1000)

    for _ in range(requests):
        for name, (client, url) in clients.items():
            samples[name].run(lambda name=name, client=client, url=url: timed(name, client, url))
    return {name: {**s.summary(), "sql_ms": round(statistics.median(sql[name]), 3)} for name, s in samples.items()}


#: The demo's county-level departments: their cases are dealt over the counties' offices.
COUNTY_DEPARTMENTS = ("amr", "psb", "tax", "hpf", "health")


def spread_over_offices(total: int) -> dict:
    """Open ``total`` offices (the county-level departments at as many counties: Hangzhou's, then
    made-up ones under Ningbo) and move every application with open work, whole, to one of those
    counties (by application id), its county-level cases to that county's offices. Xihu keeps its
    share, so ``clerk-amr``'s queue and ``super-amr``'s board hold about 1/counties of the work."""
    counties_needed = max(1, math.ceil(total / len(COUNTY_DEPARTMENTS)))
    hangzhou = Division.objects.get(code="330100")
    counties = list(Division.objects.filter(parent=hangzhou, level="county").order_by("code"))[:counties_needed]
    made = [{"code": f"3302{80 + i:02d}", "parent": "330200", "level": "county",
             "name": {"en": f"Bench County {i + 1}", "zh-hans": f"压测县{i + 1}"}}
            for i in range(counties_needed - len(counties))]
    if made:
        jurisdictions.save_divisions(made)
        counties += list(Division.objects.filter(code__in=[d["code"] for d in made]).order_by("code"))
    departments = list(Department.objects.filter(code__in=COUNTY_DEPARTMENTS))
    for department in departments:
        for county in counties:
            if not Office.objects.filter(department=department, division=county).exists():
                Office.objects.create(code=jurisdictions.office_code(department.code, county.code),
                                      department=department, division=county,
                                      name=jurisdictions.office_name(department, county))
    open_statuses = (CaseStatus.QUEUED, CaseStatus.IN_REVIEW, CaseStatus.CORRECTION_REQUESTED)
    whens = " ".join(f"WHEN {i} THEN {c.pk}" for i, c in enumerate(counties))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE applications_application SET division_id = CASE id %% {len(counties)} {whens} END "
            "WHERE id IN (SELECT application_id FROM applications_case WHERE status = ANY(%s))",
            [list(open_statuses)])
        moved = cursor.rowcount
        cursor.execute(
            "UPDATE applications_case c SET office_id = o.id FROM applications_application a, catalog_office o "
            "WHERE c.application_id = a.id AND o.department_id = c.department_id AND o.division_id = a.division_id "
            "AND c.department_id = ANY(%s) AND a.id IN (SELECT application_id FROM applications_case "
            "WHERE status = ANY(%s))", [[d.pk for d in departments], list(open_statuses)])
        cases = cursor.rowcount
    return {"offices": Office.objects.count(), "counties": len(counties), "applications_moved": moved,
            "cases_moved": cases,
            "open_in_clerk_amr_office": Case.objects.filter(status__in=open_statuses,
                                                            office__code="amr-330106").count()}


def _check_generated(templates: dict[str, Template]) -> dict:
    """Generated open work is real work: the queue lists it, its task page renders, and a clerk
    can claim and approve it (in a transaction rolled back afterwards)."""
    clerk = data.user("clerk-amr")
    template = templates["business_submitted"].application
    case = (Case.objects.filter(status=CaseStatus.QUEUED, office__code="amr-330106", task__isnull=False)
            .exclude(application__applicant=template.applicant_id).select_related("application")
            .order_by("-id").first())
    if case is None:
        return {"checked": False}
    client = Client()
    client.force_login(clerk)
    _get(client, reverse("workbench:task", args=[case.task_id]))
    with transaction.atomic():
        deciding.task_claim(case=case, user=clerk)
        deciding.task_complete(case=Case.objects.get(pk=case.pk), user=clerk, decision="approve",
                               outputs=data.BUSINESS_OUTPUTS["amr-licence"], comment="ok")
        opened = Case.objects.filter(application_id=case.application_id, status=CaseStatus.QUEUED,
                                     task__status=STATUS.NEW).count()
        transaction.set_rollback(True)
    if opened != 4:
        raise AssertionError(f"approving a generated licence opened {opened} reviews, not 4")
    return {"checked": True, "number": case.application.number}


def run(*, sizes: list[int], open_tasks: int, requests: int = REQUESTS, offices: int = 0) -> dict:
    """The citizen's applications, ``open_tasks`` open tasks (spread over ``offices`` offices when
    given, :func:`spread_over_offices`), then for each history size (growing in place) the pages
    measured: rows of page, size, queries, median/p95 ms and the SQL's share."""
    sizes = sorted(set(sizes))
    if not sizes or sizes[0] < 0:
        raise ValueError("history sizes are whole numbers from 0")
    result: dict = {"open_tasks": open_tasks, "requests": requests, "rows": [], "generation": []}
    started = time.perf_counter()
    templates = build_citizen_applications()
    result["templates_s"] = round(time.perf_counter() - started, 1)
    copier = copies.Copier()

    started = time.perf_counter()
    existing = Case.objects.filter(status__in=(CaseStatus.QUEUED, CaseStatus.IN_REVIEW),
                                   task__status__in=(STATUS.NEW, STATUS.ASSIGNED)).count()
    plan = copies.copies_per_template({k: v for k, v in OPEN_MIX.items() if k != "business_submitted"}, max(0, open_tasks - existing),
                 lambda name: templates[name].open_tasks)
    plan["business_submitted"] = max(0, open_tasks - existing - sum(
        n * templates[name].open_tasks for name, n in plan.items()))
    copies.copy_batch(copier, templates, plan, letter="Q", min_age_s=0, span_s=OPEN_SPAN_S, salt=11)
    if offices:
        result["offices"] = spread_over_offices(offices)
    with override_settings(ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"]):
        result["generated_check"] = _check_generated(templates)
        copies.vacuum_analyze()
        result["open_work_s"] = round(time.perf_counter() - started, 1)
        for step, size in enumerate(sizes):
            grown = copies.grow(copier, templates, size, salt=7 * step + 3)
            if grown:
                result["generation"].append(grown)
            now = copies.counts()
            # A server's connection is at most DATABASE_CONN_MAX_AGE (60 s) old; this one has just
            # seen the tables grow a hundredfold in half a minute. PostgreSQL keeps a prepared
            # statement's custom-plan costs from before such a change and may then re-plan it on
            # every run (measured: the queue's rows query 0.6 -> 1.3 ms on the old connection).
            connection.close()
            for name, summary in measure(requests=requests).items():
                result["rows"].append({"page": name, "finished": size, "finished_tasks": now["finished_tasks"],
                                       "queries": summary["queries"], "median_ms": summary["median_ms"],
                                       "p95_ms": summary["p95_ms"], "sql_ms": summary["sql_ms"]})
            result.setdefault("database", []).append({"finished": size, **now})
    result["insert_s_by_table"] = {table: round(seconds, 1) for table, seconds in copier.seconds.items()}
    result["ratios"] = _ratios(result["rows"])
    result["target"] = _target(result["rows"], result["ratios"])
    return result


def _ratios(rows: list[dict]) -> dict[str, float]:
    """Each page's median at the largest history over its median at the smallest."""
    ratios = {}
    for page in dict.fromkeys(row["page"] for row in rows):
        mine = sorted((row for row in rows if row["page"] == page), key=lambda row: row["finished"])
        if len(mine) > 1 and mine[0]["median_ms"]:
            ratios[page] = round(mine[-1]["median_ms"] / mine[0]["median_ms"], 2)
    return ratios


def _target(rows: list[dict], ratios: dict[str, float]) -> dict:
    """The floor: median ≤ 15 ms at the largest history, and no more than 1.5× the smallest's."""
    largest = max((row["finished"] for row in rows), default=0)
    met = {}
    for page in TARGET_PAGES:
        at_largest = [row["median_ms"] for row in rows if row["page"] == page and row["finished"] == largest]
        if at_largest:
            met[page] = at_largest[0] <= TARGET_MS and ratios.get(page, 1.0) <= TARGET_RATIO
    return {"median_ms": TARGET_MS, "ratio": TARGET_RATIO, "at_finished": largest, "met": met,
            "all_met": bool(met) and all(met.values())}
