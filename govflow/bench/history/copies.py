"""History, part two: copies of the templates by bulk SQL (``INSERT … SELECT … generate_series``),
ratings for the copies, ``VACUUM ANALYZE`` and the counts of what the database holds."""
from __future__ import annotations

import math
import time

from django.db import connection, transaction

from govflow.accounts.models import User

from .. import data
from .story import CITIZEN, Template

APPS_PER_CITIZEN = 3
HISTORY_DAYS = 730  # history spreads over the last two years …
HISTORY_MIN_AGE_DAYS = 3  # … and ends a few days ago

#: Share of the history's applications per template (by application).
HISTORY_MIX = {"business_done": 0.6, "newborn_done": 0.3, "business_rejected": 0.1}

#: The tables an application's rows live in, in the order they are copied.
TABLES = (
    "viewflow_process", "viewflow_task", "applications_application", "applications_case",
    "viewflow_task_previous", "applications_timelineentry", "applications_issuedoutput",
    "applications_document", "applications_correctionrequest",
)


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


def copies_per_template(mix: dict[str, float], total: float, per=lambda name: 1) -> dict[str, int]:
    """Copies per template: ``total`` units shared as ``mix`` says, ``per(name)`` units a copy."""
    return {name: max(0, math.floor(total * share / per(name))) for name, share in mix.items()}


def copy_batch(copier: Copier, templates: dict[str, Template], plan: dict[str, int], *, letter: str,
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
    ranges = copy_batch(copier, templates, copies_per_template(HISTORY_MIX, wanted / average), letter="H",
                    min_age_s=HISTORY_MIN_AGE_DAYS * 86400, span_s=(HISTORY_DAYS - HISTORY_MIN_AGE_DAYS) * 86400,
                    salt=salt)
    inserted = time.perf_counter() - started
    rated = _rate(ranges)
    vacuum_analyze()
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
                     followed_up_by_id, followed_up_at, contact_channel)
                SELECT a.id, s.score, '', a.completed_at + interval '1 day', s.score <= 2,
                       CASE WHEN s.answered THEN '已电话回访，说明原因并致歉' ELSE '' END,
                       CASE WHEN s.answered THEN CASE WHEN o.code = 'newborn' THEN {hrss or 'NULL'}
                                                      ELSE {amr or 'NULL'} END END,
                       CASE WHEN s.answered THEN a.completed_at + interval '4 days' END, ''
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


def vacuum_analyze() -> None:
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
