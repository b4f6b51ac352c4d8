"""Open tasks in bulk, for query-count and speed tests of the queues.

Going through ``application_submit`` costs ~30 queries per application; a queue of 10,000
needs the rows only. This writes what a submission leaves behind for one queued case
(application, viewflow process, a NEW ``review`` task, the case pointing at it) with four
``bulk_create`` calls per batch.
"""
from __future__ import annotations

import itertools
from datetime import date

from django.utils import timezone
from viewflow.workflow.models import Process, Task
from viewflow.workflow.status import PROCESS, STATUS
from viewflow.workflow.token import Token

from govflow.applications.models import Application, ApplicationStatus, Case, CaseStatus
from govflow.catalog.calendar import add_working_days, local_date
from govflow.catalog.models import OneThing, Procedure

from ..factories import home_office

_numbers = itertools.count(500_000)

#: Due dates cycle through these offsets in working days from today: overdue, due soon, on time.
DUE_OFFSETS = (-3, -1, 0, 1, 2, 5)


def queued_cases(n: int, *, applicant, procedure: str = "amr-licence", one_thing: str = "business-startup",
                 due: date | None = None, owner=None, batch: int = 2000, office=None) -> list[Case]:
    """``n`` cases of ``procedure`` waiting in an office's queue (or held by ``owner``): ``office``,
    else the department's :func:`~tests.factories.home_office`; the applications are at its division."""
    from govflow.applications.flows import OneThingFlow

    thing = OneThing.objects.select_related("current_version").get(code=one_thing)
    proc = Procedure.objects.get(code=procedure)
    office = office or home_office(proc.department)
    now = timezone.now()
    today = local_date(now)
    dues = [add_working_days(today, offset) for offset in DUE_OFFSETS]
    created: list[Case] = []
    for start in range(0, n, batch):
        size = min(batch, n - start)
        processes = Process.objects.bulk_create(
            [Process(flow_class=OneThingFlow, status=PROCESS.NEW) for _ in range(size)])
        apps = Application.objects.bulk_create([
            Application(one_thing=thing, version=thing.current_version, applicant=applicant,
                        number=f"GF-{today.year}-{next(_numbers):06d}", status=ApplicationStatus.SUBMITTED,
                        submitted_at=now, process=process, data={}, division_id=office.division_id)
            for process in processes])
        tasks = Task.objects.bulk_create([
            Task(process=process, flow_task=OneThingFlow.review, flow_task_type="HUMAN",
                 status=STATUS.ASSIGNED if owner else STATUS.NEW, owner=owner, token=Token("start/2_1"), data={})
            for process in processes])
        created += Case.objects.bulk_create([
            Case(application=app, procedure_code=procedure, procedure=proc, department_id=proc.department_id,
                 office=office,
                 committed_days=1, status=CaseStatus.IN_REVIEW if owner else CaseStatus.QUEUED, task=task,
                 owner=owner, queued_at=now, due_date=due or dues[(start + i) % len(dues)])
            for i, (app, task) in enumerate(zip(apps, tasks, strict=True))])
    return created
