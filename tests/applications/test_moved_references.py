"""The data migrations that follow the flow and the demo checker to govflow.applications rewrite
the references a database already holds, both ways."""
from __future__ import annotations

from importlib import import_module

import pytest
from django.apps import apps
from django.db import connection
from viewflow.workflow.models import Process, Task

from govflow.applications.flows import OneThingFlow
from govflow.catalog.models import OneThingVersion, Procedure

from ..stories import submitted

pytestmark = pytest.mark.django_db

flow_move = import_module("govflow.applications.migrations.0005_flow_moved_into_applications")
checker_move = import_module("govflow.applications.migrations.0006_demo_checker_moved")


def _run(statements: list[str]) -> None:
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def _stored(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608 - fixed names
        return cursor.fetchone()[0]


def test_the_flow_references_of_a_running_application_are_rewritten_both_ways(citizen_alice, demo_catalog):
    app = submitted(citizen_alice, "newborn")
    process_pk = app.process_id
    task_pks = list(Task.objects.filter(process_id=process_pk).values_list("pk", flat=True))
    assert task_pks
    new_tasks = {pk: _stored("viewflow_task", "flow_task", pk) for pk in task_pks}
    assert all(ref.startswith(flow_move.NEW + ".") for ref in new_tasks.values())

    _run(flow_move._rewrite(flow_move.NEW, flow_move.OLD))
    assert _stored("viewflow_process", "flow_class", process_pk) == flow_move.OLD
    assert {pk: _stored("viewflow_task", "flow_task", pk) for pk in task_pks} == {
        pk: flow_move.OLD + ref[len(flow_move.NEW):] for pk, ref in new_tasks.items()}

    _run(flow_move._rewrite(flow_move.OLD, flow_move.NEW))
    assert Process.objects.get(pk=process_pk).flow_class is OneThingFlow
    assert {pk: _stored("viewflow_task", "flow_task", pk) for pk in task_pks} == new_tasks
    assert {t.flow_task.name for t in Task.objects.filter(process_id=process_pk)} <= {
        "start", "fan_out", "review", "route", "correction", "deliver", "end"}


def test_the_demo_checker_is_renamed_in_procedures_and_published_versions(demo_catalog):
    version = next(v for v in OneThingVersion.objects.all()
                   if any(p.get("automatic") == checker_move.NEW for p in v.definition["procedures"]))
    assert Procedure.objects.filter(automatic=checker_move.NEW).exists()

    checker_move.backward(apps, None)
    version.refresh_from_db()
    assert [p["automatic"] for p in version.definition["procedures"] if p.get("automatic")] == [checker_move.OLD]
    assert not Procedure.objects.filter(automatic=checker_move.NEW).exists()

    checker_move.forward(apps, None)
    version.refresh_from_db()
    assert [p["automatic"] for p in version.definition["procedures"] if p.get("automatic")] == [checker_move.NEW]
    assert Procedure.objects.filter(automatic=checker_move.NEW).count() == 1
