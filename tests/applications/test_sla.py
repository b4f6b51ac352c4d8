"""The SLA sweep on a frozen clock: working days, weekends, holidays, pauses, one of each."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from govflow.applications import sla
from govflow.applications.models import CaseStatus, TimelineEntry
from govflow.applications.services import citizen_actions, deciding
from govflow.catalog.calendar import local_date
from govflow.catalog.models import Department
from govflow.notifications.models import OutboxMessage

from ..background import register_webhook
from ..conftest import load_demo_document
from ..factories import MembershipFactory, UserFactory
from ..stories import case_of, submitted

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("notification_settings")]

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Thursday before the 2026 Mid-Autumn Festival (Friday 25 September, a public holiday).
THURSDAY = datetime(2026, 9, 24, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture
def catalog(db):
    """The demo catalog with the business licence committed to 2 working days."""
    from govflow.catalog.services import import_catalog

    doc = load_demo_document()
    for procedure in doc["procedures"]:
        if procedure["code"] == "amr-licence":
            procedure["committed_days"] = 2
    for one_thing in doc["one_things"]:
        if one_thing["code"] == "business-startup":
            one_thing["committed_days"] = 4  # amr-licence (2) -> hpf-employer-account (2)
    import_catalog(doc)


def member(username: str, code: str, role: str = "clerk", **fields):
    user = UserFactory(username=username, **fields)
    MembershipFactory(user=user, department=Department.objects.get(code=code), role=role)
    return user


@pytest.fixture
def bob(catalog):
    return member("bob-amr", "amr")


@pytest.fixture
def sue(catalog):
    return member("sue-amr", "amr", role="supervisor", language="en")


def run_sweeps(start: datetime, end: datetime, every: timedelta = timedelta(hours=6)) -> list[tuple[date, str]]:
    """Sweep at every step from start to end; returns (local date, outcome) of each action."""
    happened: list[tuple[date, str]] = []
    moment = start
    with time_machine.travel(start, tick=False) as clock:
        while moment <= end:
            clock.move_to(moment)
            counts = sla.sweep()
            happened += [(local_date(moment), kind) for kind, n in counts.items() for _ in range(n)]
            moment += every
    return happened


def sla_rows(app, event: str):
    return list(OutboxMessage.objects.filter(application=app, event=event, kind="notification"))


def test_a_case_is_warned_once_and_escalated_once_across_a_weekend_and_a_holiday(
        citizen_alice, bob, sue, receiver, django_capture_on_commit_callbacks):
    hooks = receiver()
    register_webhook("amr", hooks.url)
    with time_machine.travel(THURSDAY, tick=False):
        app = submitted(citizen_alice, "business-startup")
        case = case_of(app, "amr-licence")
        deciding.task_claim(case=case, user=bob)
    case.refresh_from_db()
    # Fri 25 (Mid-Autumn), Sat 26 and Sun 27 are no working days: Mon 28 is the first, Tue 29 the second.
    assert case.due_date == date(2026, 9, 29)

    with django_capture_on_commit_callbacks(execute=True):
        happened = run_sweeps(THURSDAY, datetime(2026, 10, 9, 10, 0, tzinfo=SHANGHAI))

    # The working day before the due date is Monday (not the holiday, not the weekend);
    # overdue from the day after the due date.
    assert happened == [(date(2026, 9, 28), "warned"), (date(2026, 9, 30), "escalated")]
    case.refresh_from_db()
    assert local_date(case.sla_warned_at) == date(2026, 9, 28)
    assert local_date(case.escalated_at) == date(2026, 9, 30)
    warning, = sla_rows(app, "sla.warning")
    assert warning.recipient == bob and warning.status == "sent"
    escalation, = sla_rows(app, "case.overdue")
    assert escalation.recipient == sue and escalation.status == "sent"
    overdue = TimelineEntry.objects.filter(application=app, kind="case.overdue")
    assert overdue.count() == 1
    entry = overdue.get()
    assert entry.case == case and entry.department.code == "amr" and entry.actor is None
    assert entry.message == "due 2026-09-29" and bob.username not in entry.message
    assert entry.data["working_days_late"] == 1
    assert [r.json["type"] for r in hooks.requests if r.json["type"] == "case.overdue"] == ["case.overdue"]
    by_recipient = {m.to[0]: m for m in mail.outbox}
    assert by_recipient[bob.email].subject == f"即将到期：{app.number} / 营业执照办理（企业设立登记）（2026年9月29日到期）"
    assert "目前由您办理" in by_recipient[bob.email].body
    assert by_recipient[sue.email].subject == f"Overdue: {app.number} / Business licence registration was due " \
                                              "29 September 2026"


def test_a_case_waiting_for_the_citizen_is_neither_warned_nor_escalated(citizen_alice, bob, sue):
    with time_machine.travel(THURSDAY, tick=False):
        app = submitted(citizen_alice, "business-startup")
        case = case_of(app, "amr-licence")
        deciding.task_claim(case=case, user=bob)
        deciding.task_complete(case=case, user=bob, decision="request_correction",
                               corrections={"fields": ["company_name"], "message": "请核对企业名称"})

    assert run_sweeps(THURSDAY, datetime(2026, 10, 9, 10, 0, tzinfo=SHANGHAI)) == []

    with time_machine.travel(datetime(2026, 10, 9, 9, 0, tzinfo=SHANGHAI), tick=False):
        citizen_actions.application_resubmit(application=app, user=citizen_alice)
    case.refresh_from_db()
    # Paused Mon 28 – Fri 9 Oct: 5 working days (Sep 28, 29, 30, Oct 8, 9) move the due date from
    # Tue 29 Sep to Mon 12 Oct (Sat 10 Oct is a make-up working day).
    assert case.status == CaseStatus.IN_REVIEW and case.due_date == date(2026, 10, 12)
    happened = run_sweeps(datetime(2026, 10, 9, 10, 0, tzinfo=SHANGHAI), datetime(2026, 10, 14, 10, 0, tzinfo=SHANGHAI))
    assert happened == [(date(2026, 10, 10), "warned"), (date(2026, 10, 13), "escalated")]


def test_an_escalated_case_stays_escalated_once_until_its_due_date_moves(citizen_alice, bob, sue):
    with time_machine.travel(THURSDAY, tick=False):
        app = submitted(citizen_alice, "business-startup")
        case = case_of(app, "amr-licence")
        deciding.task_claim(case=case, user=bob)
    run_sweeps(THURSDAY, datetime(2026, 9, 30, 10, 0, tzinfo=SHANGHAI))
    case.refresh_from_db()
    assert case.escalated_at is not None
    with time_machine.travel(datetime(2026, 9, 30, 11, 0, tzinfo=SHANGHAI), tick=False):
        deciding.task_complete(case=case, user=bob, decision="request_correction",
                               corrections={"fields": ["company_name"], "message": "请核对企业名称"})
    with time_machine.travel(datetime(2026, 10, 8, 9, 0, tzinfo=SHANGHAI), tick=False):
        citizen_actions.application_resubmit(application=app, user=citizen_alice)
    case.refresh_from_db()
    # The pause (Oct 8) moved the due date by one working day: still overdue, not escalated again.
    assert case.due_date == date(2026, 9, 30) and case.escalated_at is not None
    assert run_sweeps(datetime(2026, 10, 8, 10, 0, tzinfo=SHANGHAI), datetime(2026, 10, 9, 10, 0, tzinfo=SHANGHAI)) == []

    # A supervisor gives the case until Monday: the escalation is lifted, and comes back once it is late again.
    type(case).objects.filter(pk=case.pk).update(due_date=date(2026, 10, 12))
    happened = run_sweeps(datetime(2026, 10, 9, 12, 0, tzinfo=SHANGHAI), datetime(2026, 10, 13, 12, 0, tzinfo=SHANGHAI))
    assert happened == [(date(2026, 10, 9), "lifted"), (date(2026, 10, 10), "warned"), (date(2026, 10, 13), "escalated")]
    assert TimelineEntry.objects.filter(application=app, kind="case.overdue").count() == 2


def test_an_unclaimed_case_warns_the_supervisors_or_else_the_clerks(citizen_alice, bob, catalog):
    from govflow.applications.automatic import system_user_for

    system_user_for(Department.objects.get(code="amr"))  # never a recipient
    with time_machine.travel(THURSDAY, tick=False):
        app = submitted(citizen_alice, "business-startup")
    run_sweeps(datetime(2026, 9, 28, 10, 0, tzinfo=SHANGHAI), datetime(2026, 9, 28, 10, 0, tzinfo=SHANGHAI))
    assert [r.recipient for r in sla_rows(app, "sla.warning")] == [bob]

    sue = member("sue-amr", "amr", role="supervisor")
    with time_machine.travel(THURSDAY, tick=False):
        other = submitted(citizen_alice, "business-startup")
    run_sweeps(datetime(2026, 9, 28, 10, 0, tzinfo=SHANGHAI), datetime(2026, 9, 28, 10, 0, tzinfo=SHANGHAI))
    assert [r.recipient for r in sla_rows(other, "sla.warning")] == [sue]


def test_checking_a_case_twice_warns_it_once(citizen_alice, bob):
    with time_machine.travel(THURSDAY, tick=False):
        app = submitted(citizen_alice, "business-startup")
    case = case_of(app, "amr-licence")
    with time_machine.travel(datetime(2026, 9, 28, 10, 0, tzinfo=SHANGHAI), tick=False):
        assert sla.check_case(case_id=case.pk) == "warned"
        assert sla.check_case(case_id=case.pk) is None
    with time_machine.travel(datetime(2026, 9, 30, 10, 0, tzinfo=SHANGHAI), tick=False):
        assert sla.check_case(case_id=case.pk) == "escalated"
        assert sla.check_case(case_id=case.pk) is None
    assert len(sla_rows(app, "sla.warning")) == 1


def test_a_sweep_does_not_revisit_what_it_already_did(citizen_alice, bob, django_assert_num_queries):
    with time_machine.travel(THURSDAY, tick=False):
        submitted(citizen_alice, "business-startup")
    run_sweeps(datetime(2026, 9, 28, 10, 0, tzinfo=SHANGHAI), datetime(2026, 9, 30, 10, 0, tzinfo=SHANGHAI),
               every=timedelta(days=1))
    with time_machine.travel(datetime(2026, 10, 12, 10, 0, tzinfo=SHANGHAI), tick=False), \
            django_assert_num_queries(2):  # lift the moved ones, find the new ones: nothing else
        assert sla.sweep() == {"warned": 0, "escalated": 0, "lifted": 0}
