"""Support staff's admin: read-only applications, cases, timeline and evaluations; stuck tasks."""
from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from viewflow.workflow.context import Context
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from govflow.applications import engine
from govflow.applications.models import Application, ApplicationStatus, Case, TimelineEntry
from govflow.applications.services import deciding

from ..admin_reason import give_reason
from ..factories import UserFactory
from ..stories import OUTPUTS, approve, case_of, submitted

pytestmark = pytest.mark.django_db

LAST = "hpf-employer-account"
FIRST = ("amr-licence", "psb-seal-filing", "tax-registration", "hrss-employer-insurance")


@pytest.fixture(autouse=True)
def _english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def support(client, db):
    user = UserFactory(username="support", is_staff=True, is_superuser=True)
    client.force_login(user)
    give_reason(client, user)  # a support ticket opens pages of personal data (access records)
    return client


def staff_with(client, username: str, *perms: str):
    user = UserFactory(username=username, is_staff=True)
    for perm in perms:
        app_label, codename = perm.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    client.force_login(user)
    return user


def url(name: str, *args) -> str:
    return reverse(f"admin:{name}", args=args)


# -- read-only ------------------------------------------------------------------------------------


def test_support_staff_see_applications_cases_and_the_timeline_but_change_nothing(
        support, citizen_alice, clerks):
    app = submitted(citizen_alice, "business-startup")
    approve(app, "amr-licence", clerks["amr"])
    entry = TimelineEntry.objects.filter(application=app).first()
    case = case_of(app, "amr-licence")

    page = support.get(url("applications_application_change", app.pk))
    assert page.status_code == 200
    html = page.content.decode()
    assert "case.approved" in html  # the timeline, inline
    assert citizen_alice.masked_id_number in html and citizen_alice.id_number not in html
    assert support.get(url("applications_application_changelist")).status_code == 200
    for name, obj in (("applications_application", app), ("applications_case", case),
                      ("applications_timelineentry", entry)):
        assert support.get(url(f"{name}_change", obj.pk)).status_code == 200
        assert support.post(url(f"{name}_change", obj.pk), {}).status_code == 403
        assert support.post(url(f"{name}_delete", obj.pk), {"post": "yes"}).status_code == 403
    assert support.get(url("applications_timelineentry_add")).status_code == 403
    changelist = support.get(url("applications_timelineentry_changelist"))
    assert "delete_selected" not in changelist.content.decode()
    response = support.post(url("applications_timelineentry_changelist"),
                            {"action": "delete_selected", "_selected_action": [entry.pk]})
    assert TimelineEntry.objects.filter(pk=entry.pk).exists()
    assert response.status_code in (200, 302)
    task = Task.objects.filter(process_id=app.process_id).first()  # viewflow's own admin is look-only too
    assert support.get(url(f"{Task._meta.app_label}_task_change", task.pk)).status_code == 200
    assert support.post(url(f"{Task._meta.app_label}_task_change", task.pk), {"status": "DONE"}).status_code == 403
    assert support.post(url(f"{Task._meta.app_label}_task_delete", task.pk), {"post": "yes"}).status_code == 403


def test_the_timeline_can_never_be_edited_or_deleted(citizen_alice, demo_catalog):
    app = submitted(citizen_alice, "business-startup")
    entry = TimelineEntry.objects.filter(application=app).first()
    entry.message = "rewritten"
    with pytest.raises(TypeError):
        entry.save()
    with pytest.raises(TypeError):
        entry.delete()
    with pytest.raises(TypeError):
        TimelineEntry.objects.filter(pk=entry.pk).delete()


@pytest.mark.parametrize("name", ["applications_application_changelist", "applications_case_changelist",
                                  "applications_timelineentry_changelist", "applications_evaluation_changelist",
                                  "applications_application_stuck_tasks"])
def test_support_lists_cost_the_same_number_of_queries_whatever_their_length(
        support, citizen_alice, citizen_carol, clerks, name):
    submitted(citizen_alice, "business-startup")
    with CaptureQueriesContext(connection) as few:
        assert support.get(url(name)).status_code == 200
    for _ in range(3):
        app = submitted(citizen_carol, "business-startup")
        approve(app, "amr-licence", clerks["amr"])
    with CaptureQueriesContext(connection) as many:
        assert support.get(url(name)).status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)


# -- stuck tasks ----------------------------------------------------------------------------------


def _stuck_delivery(citizen, clerks, monkeypatch) -> tuple[Application, Task]:
    """An application whose delivery failed in the background: its last case is approved, the
    ``deliver`` task is in ERROR and the application never completes."""
    app = submitted(citizen, "business-startup")
    for code in FIRST:
        approve(app, code, clerks[code.split("-")[0]])

    def broken(process):
        raise RuntimeError("the results archive is down")

    monkeypatch.setattr(engine, "deliver", broken)
    with Context(propagate_exception=False):  # as timers and background jobs run the flow
        approve(app, LAST, clerks["hpf"])
    monkeypatch.undo()
    app.refresh_from_db()
    task = Task.objects.get(process_id=app.process_id, status=STATUS.ERROR)
    return app, task


def test_a_task_stuck_in_error_is_listed_with_its_exception_and_a_retry_moves_the_application_on(
        support, citizen_alice, clerks, monkeypatch):
    app, task = _stuck_delivery(citizen_alice, clerks, monkeypatch)
    assert app.status == ApplicationStatus.IN_PROGRESS
    assert task.flow_task.name == "deliver"

    page = support.get(url("applications_application_stuck_tasks")).content.decode()
    assert "the results archive is down" in page
    assert "Traceback" in page and app.number in page
    assert "1 stuck task" in support.get(url("applications_application_changelist")).content.decode()

    response = support.post(url("applications_application_retry_task", task.pk), follow=True)

    assert "retried" in response.content.decode()
    app.refresh_from_db()
    assert app.status == ApplicationStatus.COMPLETED and app.outcome == "approved"
    task.refresh_from_db()
    assert task.status == STATUS.REVIVED
    assert task.data["_exception"]["title"] == "the results archive is down"  # kept for the record
    revived = Task.objects.get(process_id=app.process_id, flow_task=task.flow_task, status=STATUS.DONE)
    assert "_exception" not in revived.data
    retried = TimelineEntry.objects.get(application=app, kind="task.retried")
    assert retried.data["task"] == task.pk and retried.actor.username == "support"
    assert TimelineEntry.objects.filter(application=app, kind="application.completed").count() == 1
    assert "No task is stuck" in support.get(url("applications_application_stuck_tasks")).content.decode()


def test_a_retry_that_fails_again_changes_nothing(support, citizen_alice, clerks, monkeypatch):
    app, task = _stuck_delivery(citizen_alice, clerks, monkeypatch)
    monkeypatch.setattr(engine, "deliver", lambda process: (_ for _ in ()).throw(RuntimeError("still down")))
    timeline = TimelineEntry.objects.filter(application=app).count()

    response = support.post(url("applications_application_retry_task", task.pk), follow=True)

    assert "still down" in response.content.decode()
    task.refresh_from_db()
    assert task.status == STATUS.ERROR
    assert task.data["_exception"]["title"] == "the results archive is down"
    assert Task.objects.filter(process_id=app.process_id, flow_task=task.flow_task).count() == 1
    assert TimelineEntry.objects.filter(application=app).count() == timeline
    app.refresh_from_db()
    assert app.status == ApplicationStatus.IN_PROGRESS


def test_retrying_a_task_that_is_no_longer_stuck_does_nothing(support, citizen_alice, clerks, monkeypatch):
    app, task = _stuck_delivery(citizen_alice, clerks, monkeypatch)
    support.post(url("applications_application_retry_task", task.pk))

    response = support.post(url("applications_application_retry_task", task.pk), follow=True)

    assert "no longer in error" in response.content.decode()
    assert TimelineEntry.objects.filter(application=app, kind="application.completed").count() == 1


def test_only_staff_allowed_to_change_tasks_may_retry(client, citizen_alice, clerks, monkeypatch):
    _app, task = _stuck_delivery(citizen_alice, clerks, monkeypatch)
    staff_with(client, "viewer", "viewflow.view_task")
    page = client.get(url("applications_application_stuck_tasks")).content.decode()
    assert "the results archive is down" in page and 'value="Retry"' not in page
    assert client.post(url("applications_application_retry_task", task.pk)).status_code == 403
    assert client.get(url("applications_application_retry_task", task.pk)).status_code == 405

    staff_with(client, "nobody")
    assert client.get(url("applications_application_stuck_tasks")).status_code == 403
    task.refresh_from_db()
    assert task.status == STATUS.ERROR


def test_a_stuck_review_split_is_retried_and_creates_the_review_tasks(support, citizen_alice, clerks, monkeypatch):
    """The fan-out after a decision failed: the next cases never reached the queues."""
    app = submitted(citizen_alice, "business-startup")
    real = engine.route_after_review

    def broken(*args, **kwargs):
        raise RuntimeError("routing failed")

    monkeypatch.setattr(engine, "route_after_review", broken)
    case = case_of(app, "amr-licence")
    deciding.task_claim(case=case, user=clerks["amr"])
    with Context(propagate_exception=False):
        deciding.task_complete(case=case, user=clerks["amr"], decision="approve", outputs=OUTPUTS["amr-licence"])
    monkeypatch.setattr(engine, "route_after_review", real)
    task = Task.objects.get(process_id=app.process_id, status=STATUS.ERROR)
    assert Case.objects.get(application=app, procedure_code="tax-registration").status == "waiting"

    support.post(url("applications_application_retry_task", task.pk))

    tax = Case.objects.get(application=app, procedure_code="tax-registration")
    assert tax.status == "queued" and tax.task is not None
    approve(app, "tax-registration", clerks["tax"])  # the flow goes on as usual
