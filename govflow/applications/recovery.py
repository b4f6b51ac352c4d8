"""Stuck workflow tasks: find them, retry them.

A viewflow task ends in ``ERROR`` when its node raised while viewflow was told to keep going
(``Context(propagate_exception=False)``: timers, background jobs): the exception is stored in
``task.data["_exception"]`` (title, traceback, locals) and the application silently stops
moving. Support staff see these tasks in the admin and retry them.

What a retry does (:func:`task_retry`), in one transaction:

1. locks the application row (as every service does first), then viewflow's process lock;
2. checks the task is still in ``ERROR`` (a second click does nothing);
3. opens the engine session the flow's handlers need, and calls viewflow's own
   ``activation.revive()``: the failed task becomes ``REVIVED`` (it keeps its exception for the
   record), a new task of the same node is created with the same data (minus the exception) and
   activated, and the flow continues from there (e.g. the delivery runs, or the review tasks of
   ready cases are created);
4. writes a ``task.retried`` timeline entry.

If the node fails again, the exception propagates, the whole transaction rolls back and the task
stays in ``ERROR`` with its original exception: a retry either moves the application on or
changes nothing. A retry never re-runs a clerk's decision: only the failed node runs again, and
the nodes of the one-thing flow are idempotent over the application's rows (they route from the
cases' current statuses).
"""
from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from govflow.errors import InvalidState, NotFound

from . import engine
from .models import Application, Case

__all__ = ["exception_of", "stuck_tasks", "task_retry"]


def stuck_tasks() -> QuerySet[Task]:
    """Tasks in ``ERROR``, newest first, with their process (one query)."""
    return Task.objects.filter(status=STATUS.ERROR).select_related("process").order_by("-created", "-pk")


def exception_of(task: Task) -> dict:
    """``{"title": …, "traceback": …}`` as viewflow stored it (empty strings when absent)."""
    data = task.data if isinstance(task.data, dict) else {}
    found = data.get("_exception") if isinstance(data.get("_exception"), dict) else {}
    return {"title": str(found.get("title") or ""), "traceback": str(found.get("traceback") or "")}


@transaction.atomic
def task_retry(*, task: Task, user: Any) -> Task:
    """Revive a task stuck in ``ERROR``; return the new task. See the module docstring.

    Raises ``NotFound`` when the task belongs to no application, ``InvalidState`` when it is no
    longer in ``ERROR``; any exception of the node itself propagates (and nothing is written).
    """
    application_id = (Application.objects.filter(process_id=task.process_id).values_list("pk", flat=True)
                      .first())
    if application_id is None:
        raise NotFound("This task belongs to no application.")
    application = (Application.objects.select_for_update(of=("self",))
                   .select_related("one_thing", "version", "applicant").get(pk=application_id))
    flow_class = task.flow_task.flow_class
    with flow_class.lock(task.process_id):
        fresh = Task.objects.select_related("process").get(pk=task.pk)
        if fresh.status != STATUS.ERROR:
            raise InvalidState("This task is no longer in error.")
        cases = list(Case.objects.filter(application=application)
                     .select_related("task__process", "reviewer", "department"))
        with engine.session(application, cases, actor=user) as s:
            failure = exception_of(fresh)
            # revive() copies the failed task's data onto the new task and then saves only the
            # failed task's status: the copy goes without the exception, the record keeps it.
            fresh.data = {k: v for k, v in (fresh.data or {}).items() if k != "_exception"}
            activation = fresh.flow_task.activation_class(fresh)
            revived = activation.revive()
            case_id = revived.data.get("case") if isinstance(revived.data, dict) else None
            case = s.cases.get(case_id) if case_id is not None else None
            if case is not None and case.task_id == fresh.pk:
                # A revived human task: the case's queue index follows it.
                engine.point_case_at_task(fresh.process, revived)
            s.log("task.retried", case=case, message=failure["title"][:500],
                  data={"task": fresh.pk, "new_task": revived.pk, "node": fresh.flow_task.name})
            engine.refresh_application_status(s)
        return revived
