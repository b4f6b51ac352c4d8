"""容缺受理's deadline sweep on a frozen clock and the working-day calendar: a reminder before the
due date, then the "material overdue" flag and the procedure's on_missed, each once."""
from __future__ import annotations

import io
from datetime import date, datetime, time, timedelta

import pytest
import time_machine
from django.utils import translation

from govflow.applications import deferral_sweep
from govflow.applications.models import CaseStatus, Document, IssuedOutput, TimelineEntry
from govflow.applications.services import deciding, drafting, uploading
from govflow.catalog.calendar import add_working_days, local_date
from govflow.errors import InvalidState
from govflow.notifications.models import OutboxMessage
from govflow.notifications.rendering import render

from ..stories import OUTPUTS, PDF_BYTES, case_of
from .conftest import BIRTH, SHANGHAI, THURSDAY, newborn_draft, submit_deferring

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("notification_settings")]


def _submitted(user):
    with time_machine.travel(THURSDAY, tick=False):
        return submit_deferring(newborn_draft(user), user)


def run_sweeps(start: datetime, end: datetime, every: timedelta = timedelta(hours=6)) -> list[tuple[date, str]]:
    happened: list[tuple[date, str]] = []
    moment = start
    with time_machine.travel(start, tick=False) as clock:
        while moment <= end:
            clock.move_to(moment)
            counts = deferral_sweep.sweep()
            happened += [(local_date(moment), kind) for kind, n in counts.items() for _ in range(n)]
            moment += every
    return happened


def _at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=SHANGHAI)


def test_reminded_once_then_refused_once_across_the_holiday_and_the_weekend(citizen_alice, clerks, demo_catalog):
    app = _submitted(citizen_alice)
    due = Document.objects.get(application=app, material_code="delivery_record").due_date

    happened = run_sweeps(THURSDAY, _at(due + timedelta(days=4)))

    remind_from = add_working_days(due, -2)
    assert [(d, k) for d, k in happened if k == "reminded"] == [(remind_from, "reminded")]
    # The day after the due date (whatever weekday), once: flagged and refused.
    overdue = [(d, k) for d, k in happened if k != "reminded"]
    assert overdue == [(due + timedelta(days=1), "overdue"), (due + timedelta(days=1), "rejected")]
    case = case_of(app, BIRTH)
    assert case.status == CaseStatus.REJECTED and case.material_overdue_at is not None
    # In the site's language (Chinese here): the material by its label, and its due date.
    assert "医疗机构分娩记录" in case.comment and "未按时补交" in case.comment and due.isoformat() in case.comment
    entry = TimelineEntry.objects.get(case=case, kind="material.overdue")
    assert entry.data == {"materials": {"delivery_record": due.isoformat()}, "action": "rejected",
                          "on_missed": "revoke"}
    assert TimelineEntry.objects.filter(case=case, kind="case.rejected").count() == 1
    # The applicant was reminded once and told of the missed deadline; the office heard of it too.
    assert OutboxMessage.objects.filter(application=app, event="material.reminder").count() == 1
    told = {m.recipient for m in OutboxMessage.objects.filter(application=app, event="material.overdue")}
    assert citizen_alice in told and clerks["health"] in told


def test_nothing_happens_on_the_due_date_itself(citizen_alice, demo_catalog):
    app = _submitted(citizen_alice)
    due = Document.objects.get(application=app, material_code="delivery_record").due_date
    with time_machine.travel(_at(due, 23), tick=False):
        assert deferral_sweep.sweep()["overdue"] == 0
    assert case_of(app, BIRTH).material_overdue_at is None


def test_a_material_handed_in_in_time_is_never_overdue(citizen_alice, demo_catalog):
    app = _submitted(citizen_alice)
    due = Document.objects.get(application=app, material_code="delivery_record").due_date
    with time_machine.travel(_at(due, 16), tick=False):
        uploading.document_upload(application=app, user=citizen_alice, material_code="delivery_record",
                                 file=io.BytesIO(PDF_BYTES), filename="r.pdf")
    happened = run_sweeps(_at(due, 17), _at(due + timedelta(days=5)))
    assert happened == []
    assert case_of(app, BIRTH).status == CaseStatus.QUEUED


def test_a_case_a_clerk_holds_is_flagged_and_may_then_only_be_refused(citizen_alice, clerks, demo_catalog):
    app = _submitted(citizen_alice)
    case = case_of(app, BIRTH)
    with time_machine.travel(THURSDAY, tick=False):
        deciding.task_claim(case=case, user=clerks["health"])
    due = Document.objects.get(application=app, material_code="delivery_record").due_date
    happened = run_sweeps(_at(due + timedelta(days=1)), _at(due + timedelta(days=3)))
    assert [k for _d, k in happened] == ["overdue"]
    case = case_of(app, BIRTH)
    assert case.status == CaseStatus.IN_REVIEW and case.material_overdue_at is not None
    assert TimelineEntry.objects.get(case=case, kind="material.overdue").data["action"] == "flagged"
    with time_machine.travel(_at(due + timedelta(days=3)), tick=False):
        with pytest.raises(InvalidState) as exc, translation.override("en"):
            deciding.task_complete(case=case, user=clerks["health"], decision="approve", outputs=OUTPUTS[BIRTH])
        assert "overdue" in str(exc.value)
        deciding.task_complete(case=case, user=clerks["health"], decision="reject", comment="Material missing.")
    assert case_of(app, BIRTH).status == CaseStatus.REJECTED


def test_a_conditional_approval_is_revoked_when_the_material_is_missed(citizen_alice, clerks, demo_catalog):
    app = _submitted(citizen_alice)
    case = case_of(app, BIRTH)
    with time_machine.travel(THURSDAY, tick=False):
        deciding.task_claim(case=case, user=clerks["health"])
        deciding.task_complete(case=case, user=clerks["health"], decision="approve", outputs=OUTPUTS[BIRTH])
    due = Document.objects.get(application=app, material_code="delivery_record").due_date
    happened = run_sweeps(_at(due + timedelta(days=1)), _at(due + timedelta(days=2)))
    assert [k for _d, k in happened] == ["overdue", "revoked"]
    case = case_of(app, BIRTH)
    assert case.status == CaseStatus.REVOKED and case.material_overdue_at is not None
    revoked = TimelineEntry.objects.get(case=case, kind="case.revoked")
    assert revoked.data["cause"] == "material_overdue"
    assert "医疗机构分娩记录" in revoked.message and "未按时补交" in revoked.message
    assert not IssuedOutput.objects.filter(case=case, revoked_at__isnull=True).exists()


def test_with_reject_on_missed_a_conditional_approval_stays_flagged_for_the_clerk(
        citizen_alice, clerks, policy):
    policy(conditional_approval=True, on_missed="reject")
    app = _submitted(citizen_alice)
    case = case_of(app, BIRTH)
    with time_machine.travel(THURSDAY, tick=False):
        deciding.task_claim(case=case, user=clerks["health"])
        deciding.task_complete(case=case, user=clerks["health"], decision="approve", outputs=OUTPUTS[BIRTH])
    due = Document.objects.get(application=app, material_code="delivery_record").due_date
    happened = run_sweeps(_at(due + timedelta(days=1)), _at(due + timedelta(days=2)))
    assert [k for _d, k in happened] == ["overdue"]
    assert case_of(app, BIRTH).status == CaseStatus.APPROVED


def test_two_sweeps_at_the_same_moment_act_once(citizen_alice, demo_catalog):
    app = _submitted(citizen_alice)
    due = Document.objects.get(application=app, material_code="delivery_record").due_date
    with time_machine.travel(_at(due + timedelta(days=1)), tick=False):
        first = deferral_sweep.sweep()
        second = deferral_sweep.sweep()
    assert first["overdue"] == 1 and first["rejected"] == 1
    assert second == {"reminded": 0, "overdue": 0, "rejected": 0, "revoked": 0}
    assert TimelineEntry.objects.filter(application=app, kind="material.overdue").count() == 1


def test_applying_again_after_a_missed_deadline_copies_the_files_but_not_the_missing_material(
        citizen_alice, clerks, demo_catalog):
    app = _submitted(citizen_alice)
    due = Document.objects.get(application=app, material_code="delivery_record").due_date
    run_sweeps(_at(due + timedelta(days=1)), _at(due + timedelta(days=1)))
    with time_machine.travel(_at(due + timedelta(days=2)), tick=False):
        # The refusal of the first step cancelled the rest: the application is finished, refused.
        new = drafting.application_apply_again(application=app, user=citizen_alice)
    copied = set(Document.objects.filter(application=new).values_list("material_code", "status"))
    assert ("delivery_record", "deferred") not in copied and ("delivery_record", "provided") not in copied
    assert ("mother_id_card", "provided") in copied


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_reminder_and_the_overdue_notice_read_well_in_both_languages(citizen_alice, clerks, demo_catalog,
                                                                          language):
    citizen_alice.language = language
    citizen_alice.save(update_fields=["language"])
    app = _submitted(citizen_alice)
    due = Document.objects.get(application=app, material_code="delivery_record").due_date
    run_sweeps(_at(add_working_days(due, -1)), _at(due + timedelta(days=1)), every=timedelta(days=1))
    reminder = render(OutboxMessage.objects.get(application=app, event="material.reminder"), citizen_alice)
    overdue = render(OutboxMessage.objects.get(application=app, event="material.overdue", recipient=citizen_alice),
                     citizen_alice)
    label = {"en": "Hospital delivery record", "zh-hans": "医疗机构分娩记录"}[language]
    for text in (reminder.subject, reminder.body, reminder.sms, overdue.body):
        assert "{{" not in text and "%(" not in text
    assert label in reminder.body and label in overdue.body
    assert app.number in reminder.sms and app.number in overdue.subject
    if language == "en":
        assert "is refused for this reason" in overdue.body
    else:
        assert "不予许可" in overdue.body
