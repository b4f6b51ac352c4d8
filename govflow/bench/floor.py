"""The floor: the rows one submission must create, written with plain ORM ``bulk_create``.

No engine, no validation, no locking: one transaction that inserts the application, its
viewflow process, the five cases, the first tasks (start, fan-out, the licence review) with
their links, the timeline entry and the citizen's notification. Submission's time divided by
this one is the engine's overhead ratio.
"""
from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from viewflow.workflow.models import Process, Task
from viewflow.workflow.status import PROCESS, STATUS
from viewflow.workflow.token import Token

from govflow.applications.models import Application, ApplicationStatus, Case, CaseStatus, TimelineEntry
from govflow.catalog import jurisdictions
from govflow.catalog.models import OneThing, Procedure
from govflow.notifications.models import OutboxMessage

from . import data
from .measure import Samples


def submission_rows(*, citizen, one_thing, procedures: dict, offices: dict, number: str) -> None:
    """Insert what one submission of business-startup (five steps) creates, and nothing else."""
    from govflow.applications.flows import OneThingFlow as flow

    now = timezone.now()
    with transaction.atomic():
        [app] = Application.objects.bulk_create([Application(
            one_thing=one_thing, version=one_thing.current_version, applicant=citizen,
            data=data.BUSINESS_ANSWERS, status=ApplicationStatus.SUBMITTED, submitted_at=now, number=number,
            division_id=offices[data.BUSINESS_ORDER[0]].division_id)])
        [process] = Process.objects.bulk_create([Process(flow_class=flow, status=PROCESS.NEW, created=now)])
        cases = Case.objects.bulk_create([
            Case(application=app, procedure_code=code, procedure=procedures[code],
                 department_id=procedures[code].department_id, office=offices[code], position=index,
                 after=[] if index == 0 else [data.BUSINESS_ORDER[0]], committed_days=3,
                 status=CaseStatus.QUEUED if index == 0 else CaseStatus.WAITING,
                 queued_at=now if index == 0 else None)
            for index, code in enumerate(data.BUSINESS_ORDER)])
        tasks = Task.objects.bulk_create([
            Task(process=process, flow_task=flow.start, flow_task_type="HUMAN_START",
                 status=STATUS.DONE, created=now, finished=now, token=Token("start"), data={}),
            Task(process=process, flow_task=flow.fan_out, flow_task_type="PARALLEL_GATEWAY",
                 status=STATUS.DONE, created=now, finished=now, token=Token("start"), data={}),
            Task(process=process, flow_task=flow.review, flow_task_type="HUMAN",
                 status=STATUS.NEW, created=now, token=Token("start/1_1"), data={"case": cases[0].pk}),
        ])
        Task.previous.through.objects.bulk_create([
            Task.previous.through(from_task=tasks[0], to_task=tasks[1]),
            Task.previous.through(from_task=tasks[1], to_task=tasks[2]),
        ])
        TimelineEntry.objects.bulk_create([
            TimelineEntry(application=app, at=now, kind="application.submitted", actor=citizen, message=number),
            TimelineEntry(application=app, case=cases[0], department_id=cases[0].department_id, at=now,
                          kind="case.queued"),
        ])
        OutboxMessage.objects.bulk_create([OutboxMessage(
            kind="notification", event="application.submitted", recipient=citizen, application=app,
            payload={"number": number})])


def run(operations: int, *, warmup: int = 5) -> dict:
    citizen = data.user("citizen")
    one_thing = OneThing.objects.select_related("current_version").get(code="business-startup")
    procedures = {p.code: p for p in Procedure.objects.filter(code__in=data.BUSINESS_ORDER).select_related("department")}
    # Routed once, as a submission would be from the default division (routing is measured by submit, not here).
    offices = jurisdictions.route(jurisdictions.default_division(), [
        jurisdictions.Need(procedure=code, department_id=p.department_id, department_code=p.department.code,
                           level=p.level) for code, p in procedures.items()])
    samples = Samples("floor")

    def once(serial: int) -> None:
        submission_rows(citizen=citizen, one_thing=one_thing, procedures=procedures, offices=offices,
                        number=f"FLOOR-{serial:08d}")

    for serial in range(warmup):
        once(10_000_000 + serial)
    for serial in range(operations):
        samples.run(lambda serial=serial: once(serial))
    return samples.summary()
