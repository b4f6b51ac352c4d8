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

import io
import math
import statistics
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.test import Client
from django.test.utils import override_settings
from django.urls import reverse
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from govflow.accounts.models import User
from govflow.applications.models import Application, Case, CaseStatus
from govflow.applications.services import citizen_actions, deciding, drafting, submitting, uploading
from govflow.catalog import jurisdictions
from govflow.catalog.models import Department, Division, Office

from . import data
from .measure import Samples

#: The citizen whose applications are measured: ``citizen2``, whom the service and floor parts
#: (which run first, in the same database) leave alone: ``citizen`` has a thousand applications
#: after them.
CITIZEN = "citizen2"
REQUESTS = 30
WARMUP = 5
APPS_PER_CITIZEN = 3
HISTORY_DAYS = 730  # history spreads over the last two years …
HISTORY_MIN_AGE_DAYS = 3  # … and ends a few days ago
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

#: Share of the history's applications per template (by application).
HISTORY_MIX = {"business_done": 0.6, "newborn_done": 0.3, "business_rejected": 0.1}
#: Share of the open tasks per template (by task): about a third in amr, every department has some.
OPEN_MIX = {"business_submitted": 0.30, "business_claimed": 0.05, "business_licensed": 0.40,
            "newborn_submitted": 0.10, "newborn_certified": 0.08, "newborn_registered": 0.07}

#: The tables an application's rows live in, in the order they are copied.
TABLES = (
    "viewflow_process", "viewflow_task", "applications_application", "applications_case",
    "viewflow_task_previous", "applications_timelineentry", "applications_issuedoutput",
    "applications_document", "applications_correctionrequest",
)


# -- the citizen's own applications, through the services --------------------------------------


def _id_number(serial: int, birth: str, region: str = "330106") -> str:
    first17 = f"{region}{birth}{serial % 1000:03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return first17 + "10X98765432"[sum(int(d) * w for d, w in zip(first17, weights, strict=True)) % 11]


def _newborn() -> tuple[dict, dict, dict]:
    """Answers, materials and outputs of a newborn application (a baby born ten days ago)."""
    birth = timezone.localdate() - timezone.timedelta(days=10)
    answers = {
        "baby_name": "张小宝", "baby_sex": "female", "birth_date": birth.isoformat(), "gestational_weeks": 39,
        "birth_weight_kg": "3.25", "birth_hospital": "浙江大学医学院附属妇产科医院", "birth_place": "浙江省杭州市",
        "ethnicity": "汉族", "mother_name": "陈丽", "mother_id": _id_number(22, "19920303"),
        "father_name": "张伟", "father_id": _id_number(33, "19900707"), "registration_with": "father",
        "household_address": "浙江省杭州市上城区解放路 1 号", "contact_phone": "13700137000",
        "insurance_payment_method": "online", "card_bank": "icbc", "mailing_address": "浙江省杭州市上城区解放路 1 号",
    }
    materials = {"delivery_record": data.PDF, "mother_id_card": data.PNG, "father_id_card": data.PNG,
                 "household_register": data.PDF, "baby_photo": data.JPEG}
    outputs = {
        "health-birth-certificate": {"birth_certificate_no": "Q330123456"},
        "psb-household-registration": {"citizen_id": _id_number(44, birth.strftime("%Y%m%d"))},
        "mi-newborn-insurance": {"medical_insurance_no": "330106202611200001"},
        "hrss-social-security-card": {"social_security_card_no": "A12345678"},
    }
    return answers, materials, outputs


NEWBORN_ORDER = ["health-birth-certificate", "psb-household-registration", "mi-newborn-insurance",
                 "hrss-social-security-card"]


@dataclass
class Template:
    """A real application whose rows are copied: ids per table, in id order."""

    name: str
    application: Application
    ids: dict[str, list[int]] = field(default_factory=dict)
    open_tasks: int = 0
    done_tasks: int = 0


class _Story:
    """The citizen's applications, driven through the services by the demo clerks."""

    def __init__(self) -> None:
        self.citizen = data.user(CITIZEN)
        self.clerks: dict[str, User] = {}
        self.newborn_answers, self.newborn_materials, self.newborn_outputs = _newborn()

    def clerk(self, procedure: str, *, second: bool = False) -> User:
        username = f"clerk-{procedure.split('-')[0]}" + ("-2" if second else "")
        if username not in self.clerks:
            self.clerks[username] = data.user(username)
        return self.clerks[username]

    def newborn_drafts(self, count: int) -> list[Application]:
        drafts = []
        for _ in range(count):
            app = drafting.application_create(user=self.citizen, one_thing_code="newborn",
                                              data=dict(self.newborn_answers))
            for code, content in self.newborn_materials.items():
                uploading.document_upload(application=app, user=self.citizen, material_code=code,
                                         file=io.BytesIO(content), filename=f"{code}.bin")
            drafts.append(app)
        return drafts

    def submit(self, app: Application) -> None:
        submitting.application_submit(application=app, user=self.citizen)

    def claim(self, app: Application, procedure: str, *, second: bool = False) -> Case:
        case = Case.objects.get(application=app, procedure_code=procedure)
        return deciding.task_claim(case=case, user=self.clerk(procedure, second=second))

    def decide(self, app: Application, procedure: str, decision: str = "approve", **kwargs) -> None:
        case = self.claim(app, procedure)
        outputs = data.BUSINESS_OUTPUTS.get(procedure) or self.newborn_outputs.get(procedure)
        if decision == "approve":
            kwargs = {"outputs": outputs, "comment": "材料齐全，予以办理", **kwargs}
        deciding.task_complete(case=Case.objects.get(pk=case.pk), user=self.clerk(procedure), decision=decision,
                               **kwargs)


def build_citizen_applications() -> dict[str, Template]:
    """The citizen's 21 applications, through the services; returns the templates among them."""
    story = _Story()
    business = data.make_drafts(story.citizen, 14)
    newborn = story.newborn_drafts(7)
    for app in business[:13] + newborn:
        story.submit(app)
    for app in business[:6]:  # completed, approved
        for procedure in data.BUSINESS_ORDER:
            story.decide(app, procedure)
    story.decide(business[6], "amr-licence", "reject", comment="经营范围涉及前置许可，未提交许可文件（《市场主体登记管理条例》第十四条）")
    # business[7], business[8]: waiting in the amr queue
    story.claim(business[9], "amr-licence", second=True)
    story.decide(business[10], "amr-licence")  # four parallel reviews open
    story.decide(business[11], "amr-licence", "request_correction",
                 corrections={"fields": ["registered_address"], "message": "请补充注册地址的门牌号"})
    citizen_actions.application_withdraw(application=business[12], user=story.citizen)
    # business[13] stays a draft
    for app in newborn[:4]:
        for procedure in NEWBORN_ORDER:
            story.decide(app, procedure)
    story.decide(newborn[5], "health-birth-certificate")
    for procedure in NEWBORN_ORDER[:2]:
        story.decide(newborn[6], procedure)
    citizen_actions.evaluation_create(application=business[1], user=story.citizen, score=5, comment="很方便")
    citizen_actions.evaluation_create(application=business[2], user=story.citizen, score=2, comment="等待时间太长")
    citizen_actions.evaluation_create(application=newborn[1], user=story.citizen, score=4)

    named = {"business_done": business[0], "business_rejected": business[6], "business_submitted": business[7],
             "business_claimed": business[9], "business_licensed": business[10], "newborn_done": newborn[0],
             "newborn_submitted": newborn[4], "newborn_certified": newborn[5], "newborn_registered": newborn[6]}
    return {name: _template(name, Application.objects.get(pk=app.pk)) for name, app in named.items()}


def _template(name: str, app: Application) -> Template:
    with connection.cursor() as cursor:
        def ids(sql: str, params: list) -> list[int]:
            cursor.execute(sql, params)
            return [row[0] for row in cursor.fetchall()]

        tasks = ids("SELECT id FROM viewflow_task WHERE process_id = %s ORDER BY id", [app.process_id])
        cases = ids("SELECT id FROM applications_case WHERE application_id = %s ORDER BY id", [app.pk])
        found = {
            "viewflow_process": [app.process_id],
            "viewflow_task": tasks,
            "applications_application": [app.pk],
            "applications_case": cases,
            "viewflow_task_previous": ids("SELECT id FROM viewflow_task_previous WHERE from_task_id = ANY(%s) "
                                          "ORDER BY id", [tasks]),
            # The rating is not copied: history gets ratings of its own (_rate).
            "applications_timelineentry": ids("SELECT id FROM applications_timelineentry WHERE application_id = %s "
                                              "AND kind <> 'evaluation.created' ORDER BY id", [app.pk]),
            "applications_issuedoutput": ids("SELECT id FROM applications_issuedoutput WHERE application_id = %s "
                                             "ORDER BY id", [app.pk]),
            "applications_document": ids("SELECT id FROM applications_document WHERE application_id = %s "
                                         "ORDER BY id", [app.pk]),
            "applications_correctionrequest": ids("SELECT id FROM applications_correctionrequest "
                                                  "WHERE case_id = ANY(%s) ORDER BY id", [cases]),
        }
    open_tasks = Case.objects.filter(application=app, status__in=(CaseStatus.QUEUED, CaseStatus.IN_REVIEW),
                                     task__status__in=(STATUS.NEW, STATUS.ASSIGNED)).count()
    done = Task.objects.filter(process_id=app.process_id, status=STATUS.DONE).count()
    return Template(name=name, application=app, ids=found, open_tasks=open_tasks, done_tasks=done)


# -- copies, by bulk SQL -------------------------------------------------------------------------


class Copier:
    """``INSERT … SELECT`` copies of templates: ``n`` at a time, every id computed, no round trips."""

    def __init__(self) -> None:
        self.columns: dict[str, list[tuple[str, str]]] = {}
        self.seconds: dict[str, float] = {}  # time spent inserting, per table
        with connection.cursor() as cursor:
            for table in (*TABLES, "accounts_user"):
                cursor.execute("SELECT column_name, data_type FROM information_schema.columns "
                               "WHERE table_schema = current_schema() AND table_name = %s ORDER BY ordinal_position",
                               [table])
                self.columns[table] = cursor.fetchall()

    def _insert(self, cursor, table: str, *, n: int, source: str, lateral: str, overrides: dict[str, str]) -> int:
        exprs = []
        for column, kind in self.columns[table]:
            if column in overrides:
                exprs.append(overrides[column])
            elif kind == "timestamp with time zone":
                exprs.append(f"t.{column} + r.shift")
            elif kind == "date":
                exprs.append(f"(t.{column} + r.shift)::date")
            else:
                exprs.append(f"t.{column}")
        names = ", ".join(f'"{c}"' for c, _ in self.columns[table])
        started = time.perf_counter()
        cursor.execute(f"INSERT INTO {table} ({names}) SELECT {', '.join(exprs)} "
                       f"FROM generate_series(0, {n - 1}) AS g(i) CROSS JOIN LATERAL ({lateral}) AS r "
                       f"CROSS JOIN ({source}) AS t")
        self.seconds[table] = self.seconds.get(table, 0.0) + time.perf_counter() - started
        return cursor.rowcount

    @staticmethod
    def _next_id(cursor, table: str) -> int:
        cursor.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {table}")
        return cursor.fetchone()[0]

    @staticmethod
    def reset_sequences(cursor, tables) -> None:
        for table in tables:
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                           f"(SELECT coalesce(max(id), 1) FROM {table}))")

    def citizens(self, cursor, count: int) -> int:
        """``count`` citizens without a usable password, copied from a demo citizen; returns the first id."""
        base = self._next_id(cursor, "accounts_user")
        template = data.user(CITIZEN).pk
        self._insert(cursor, "accounts_user", n=count, source=f"SELECT * FROM accounts_user WHERE id = {template}",
                     lateral=f"SELECT {base} + g.i AS id, -interval '{HISTORY_DAYS + 30} days' AS shift",
                     overrides={"id": "r.id", "password": "'!'", "last_login": "NULL",
                                "username": "'history-citizen-' || r.id",
                                "email": "'history-citizen-' || r.id || '@example.org'",
                                "name": "'市民' || r.id", "id_number": "NULL"})
        self.reset_sequences(cursor, ["accounts_user"])
        return base

    def copy(self, template: Template, n: int, *, letter: str, first_citizen: int, citizens: int, serial: int,
             min_age_s: int, span_s: int, salt: int) -> tuple[int, int]:
        """``n`` copies of ``template``, owned by ``citizens`` citizens from ``first_citizen`` on, the
        ``serial``-th and later of their batch, shifted ``min_age_s`` to ``min_age_s + span_s`` seconds
        into the past. Returns the first and last application id."""
        app = template.application
        with connection.cursor() as cursor:
            base = {table: self._next_id(cursor, table) for table in TABLES}

            def mapped(table: str, column: str) -> str:
                ids = template.ids[table]
                if not ids:
                    return "NULL"
                whens = " ".join(f"WHEN {old} THEN {offset}" for offset, old in enumerate(ids))
                return f"({base[table]} + g.i * {len(ids)} + CASE {column} {whens} END)"

            def applicant_or(column: str) -> str:
                return f"CASE WHEN {column} = {app.applicant_id} THEN r.applicant ELSE {column} END"

            # One shift per copy: x spreads the copies over the span (7919 is prime).
            created = app.created_at.isoformat()
            lateral = (f"SELECT s.shift, {first_citizen} + ({serial} + g.i) % {citizens} AS applicant, "
                       f"'GF-' || to_char(timestamptz '{created}' + s.shift, 'YYYY') || '-{letter}' "
                       f"|| lpad(({base['applications_application']} + g.i)::text, 7, '0') AS number "
                       f"FROM (SELECT -make_interval(secs => {min_age_s} + "
                       f"((({serial} + g.i)::bigint * 7919 + {salt}) % {span_s})) AS shift) AS s")
            application_id = f"({base['applications_application']} + g.i)"
            task_case = "(t.data->>'case')::bigint"
            overrides = {
                "viewflow_process": {"id": mapped("viewflow_process", "t.id"),
                                     "data": f"jsonb_build_object('application', {application_id})"},
                "viewflow_task": {"id": mapped("viewflow_task", "t.id"),
                                  "process_id": mapped("viewflow_process", "t.process_id"),
                                  "owner_id": applicant_or("t.owner_id"),
                                  "data": "CASE WHEN t.data ? 'case' THEN jsonb_build_object('case', "
                                          f"{mapped('applications_case', task_case)}) "
                                          "ELSE t.data END"},
                "applications_application": {"id": application_id, "applicant_id": "r.applicant",
                                             "process_id": mapped("viewflow_process", "t.process_id"),
                                             "number": "r.number", "submit_key": "''"},
                "applications_case": {"id": mapped("applications_case", "t.id"), "application_id": application_id,
                                      "task_id": mapped("viewflow_task", "t.task_id")},
                "viewflow_task_previous": {"id": mapped("viewflow_task_previous", "t.id"),
                                           "from_task_id": mapped("viewflow_task", "t.from_task_id"),
                                           "to_task_id": mapped("viewflow_task", "t.to_task_id")},
                "applications_timelineentry": {
                    "id": mapped("applications_timelineentry", "t.id"), "application_id": application_id,
                    "case_id": mapped("applications_case", "t.case_id"), "actor_id": applicant_or("t.actor_id"),
                    "message": "CASE WHEN t.kind = 'application.submitted' THEN r.number ELSE t.message END"},
                "applications_issuedoutput": {"id": mapped("applications_issuedoutput", "t.id"),
                                              "application_id": application_id,
                                              "case_id": mapped("applications_case", "t.case_id"),
                                              "holder_id": "r.applicant"},
                "applications_document": {"id": mapped("applications_document", "t.id"),
                                          "application_id": application_id,
                                          "uploaded_by_id": applicant_or("t.uploaded_by_id")},
                "applications_correctionrequest": {"id": mapped("applications_correctionrequest", "t.id"),
                                                   "case_id": mapped("applications_case", "t.case_id")},
            }
            for table in TABLES:
                ids = template.ids[table]
                if not ids:
                    continue
                self._insert(cursor, table, n=n, lateral=lateral, overrides=overrides[table],
                             source=f"SELECT * FROM {table} WHERE id IN ({', '.join(map(str, ids))})")
            self.reset_sequences(cursor, TABLES)
        first = base["applications_application"]
        return first, first + n - 1


def _plan(mix: dict[str, float], total: float, per=lambda name: 1) -> dict[str, int]:
    """Copies per template: ``total`` units shared as ``mix`` says, ``per(name)`` units a copy."""
    return {name: max(0, math.floor(total * share / per(name))) for name, share in mix.items()}


def _batch(copier: Copier, templates: dict[str, Template], plan: dict[str, int], *, letter: str,
           min_age_s: int, span_s: int, salt: int) -> list[tuple[int, int]]:
    apps = sum(plan.values())
    if not apps:
        return []
    citizens = math.ceil(apps / APPS_PER_CITIZEN)
    with transaction.atomic(), connection.cursor() as cursor:
        first_citizen = copier.citizens(cursor, citizens)
    ranges, serial = [], 0
    for name, n in plan.items():
        if n <= 0:
            continue
        with transaction.atomic():
            _skip_foreign_key_checks()
            ranges.append(copier.copy(templates[name], n, letter=letter, first_citizen=first_citizen,
                                      citizens=citizens, serial=serial, min_age_s=min_age_s, span_s=span_s,
                                      salt=salt))
        serial += n
    return ranges


def grow(copier: Copier, templates: dict[str, Template], size: int, *, salt: int) -> dict | None:
    """Copies of the finished templates until ``size`` finished tasks are in the database."""
    wanted = size - counts()["finished_tasks"]
    if wanted <= 0:
        return None
    started = time.perf_counter()
    average = sum(share * templates[name].done_tasks for name, share in HISTORY_MIX.items())
    ranges = _batch(copier, templates, _plan(HISTORY_MIX, wanted / average), letter="H",
                    min_age_s=HISTORY_MIN_AGE_DAYS * 86400, span_s=(HISTORY_DAYS - HISTORY_MIN_AGE_DAYS) * 86400,
                    salt=salt)
    inserted = time.perf_counter() - started
    rated = _rate(ranges)
    _vacuum_analyze()
    return {"finished": size, "applications": sum(last - first + 1 for first, last in ranges), "evaluations": rated,
            "insert_s": round(inserted, 1), "total_s": round(time.perf_counter() - started, 1)}


def _skip_foreign_key_checks() -> None:
    """For the rest of the transaction, as a superuser may: copies of rows that passed the checks,
    with every reference computed, need no row-by-row check (it would double the time)."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW is_superuser")
        if cursor.fetchone()[0] == "on":
            cursor.execute("SET LOCAL session_replication_role = replica")


def _rate(ranges: list[tuple[int, int]]) -> int:
    """Ratings for two in five completed copies, as citizens give them (half 5, an eighth each of
    1–4). Every low rating of the history has been answered (three days later): the board's list
    of ratings waiting for an answer holds the citizen's own, whatever the size of the history."""
    amr = User.objects.filter(username="super-amr").values_list("pk", flat=True).first()
    hrss = User.objects.filter(username="super-hrss").values_list("pk", flat=True).first()
    created = 0
    with transaction.atomic(), connection.cursor() as cursor:
        for first, last in ranges:
            cursor.execute(f"""
                INSERT INTO applications_evaluation
                    (application_id, score, comment, created_at, needs_follow_up, follow_up_note,
                     followed_up_by_id, followed_up_at)
                SELECT a.id, s.score, '', a.completed_at + interval '1 day', s.score <= 2,
                       CASE WHEN s.answered THEN '已电话回访，说明原因并致歉' ELSE '' END,
                       CASE WHEN s.answered THEN CASE WHEN o.code = 'newborn' THEN {hrss or 'NULL'}
                                                      ELSE {amr or 'NULL'} END END,
                       CASE WHEN s.answered THEN a.completed_at + interval '4 days' END
                FROM applications_application a
                JOIN catalog_onething o ON o.id = a.one_thing_id
                CROSS JOIN LATERAL (
                    SELECT CASE WHEN a.id % 20 = 0 THEN 1 WHEN a.id % 20 = 1 THEN 2 WHEN a.id % 20 = 2 THEN 3
                                WHEN a.id % 20 = 3 THEN 4 ELSE 5 END AS score,
                           a.id % 20 < 2 AS answered
                ) AS s
                WHERE a.id BETWEEN {first} AND {last} AND a.status = 'completed' AND a.id % 10 < 4""")
            created += cursor.rowcount
            cursor.execute(f"""
                INSERT INTO applications_timelineentry (application_id, at, kind, actor_id, message, data)
                SELECT e.application_id, e.created_at, 'evaluation.created', a.applicant_id, e.score::text,
                       jsonb_build_object('score', e.score)
                FROM applications_evaluation e JOIN applications_application a ON a.id = e.application_id
                WHERE e.application_id BETWEEN {first} AND {last}""")
    return created


def _vacuum_analyze() -> None:
    """Statistics and visibility for the new rows, then a ``CHECKPOINT``: the gigabyte just written
    is flushed now, not by the checkpointer while the pages are being measured on the same cores
    (a superuser's right, or ``pg_checkpoint``'s; without it the background flush is left to run)."""
    with connection.cursor() as cursor:
        for table in (*TABLES, "accounts_user", "applications_evaluation"):
            cursor.execute(f"VACUUM (ANALYZE) {table}")
        cursor.execute("SELECT rolsuper OR pg_has_role('pg_checkpoint', 'MEMBER') FROM pg_roles"
                       " WHERE rolname = current_user")
        if cursor.fetchone()[0]:
            cursor.execute("CHECKPOINT")


def counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT (SELECT count(*) FROM viewflow_task t JOIN applications_application a ON a.process_id = t.process_id
                    WHERE t.status = 'DONE' AND a.status = 'completed'),
                   (SELECT count(*) FROM viewflow_task),
                   (SELECT count(*) FROM applications_case WHERE status IN ('queued', 'in_review')
                    AND task_id IS NOT NULL),
                   (SELECT count(*) FROM applications_case),
                   (SELECT count(*) FROM applications_application),
                   (SELECT count(*) FROM applications_timelineentry),
                   (SELECT count(*) FROM applications_evaluation)""")
        row = cursor.fetchone()
    return dict(zip(("finished_tasks", "tasks", "open_tasks", "cases", "applications", "timeline_entries",
                     "evaluations"), row, strict=True))


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
    copier = Copier()

    started = time.perf_counter()
    existing = Case.objects.filter(status__in=(CaseStatus.QUEUED, CaseStatus.IN_REVIEW),
                                   task__status__in=(STATUS.NEW, STATUS.ASSIGNED)).count()
    plan = _plan({k: v for k, v in OPEN_MIX.items() if k != "business_submitted"}, max(0, open_tasks - existing),
                 lambda name: templates[name].open_tasks)
    plan["business_submitted"] = max(0, open_tasks - existing - sum(
        n * templates[name].open_tasks for name, n in plan.items()))
    _batch(copier, templates, plan, letter="Q", min_age_s=0, span_s=OPEN_SPAN_S, salt=11)
    if offices:
        result["offices"] = spread_over_offices(offices)
    with override_settings(ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"]):
        result["generated_check"] = _check_generated(templates)
        _vacuum_analyze()
        result["open_work_s"] = round(time.perf_counter() - started, 1)
        for step, size in enumerate(sizes):
            grown = grow(copier, templates, size, salt=7 * step + 3)
            if grown:
                result["generation"].append(grown)
            now = counts()
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

