"""告知承诺制 after approval: the deterministic draw at the commitment's rate, the verification due
in working days, true or false (a false one revokes the decision with webhook and notification and
lists the applicant), and the overdue sweep; all under a pinned clock."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import translation

from govflow.applications import commitments, refusal_list
from govflow.applications.commitment_papers import seed
from govflow.applications.models import (
    IssuedOutput,
    RefusalEntry,
    TimelineEntry,
    Verification,
)
from govflow.applications.services import submitting
from govflow.catalog.commitments import sampled
from govflow.catalog.models import Department
from govflow.errors import InvalidInput, InvalidState, NotFound
from govflow.notifications.models import OutboxMessage

from ..commitment_story import APPROVED_AT, SMALL_BUSINESS, WITHOUT_PREMISES, approved, with_rate
from ..stories import approve, case_of, draft

pytestmark = pytest.mark.django_db


@pytest.fixture
def every_one(demo_catalog):
    with_rate(1)


def test_every_one_is_drawn_at_rate_1_due_in_working_days(citizen_alice, clerks, every_one):
    app = approved(citizen_alice, clerks["amr"])
    verification = Verification.objects.get()
    licence = case_of(app, "amr-licence")
    assert verification.case == licence and verification.office_id == licence.office_id
    assert verification.material_code == "premises_proof" and verification.outcome == "pending"
    assert verification.due_date == date(2026, 12, 16)  # five working days after Wednesday the 9th
    assert verification.commitment.document.status == "commitment"
    opened = TimelineEntry.objects.get(application=app, kind="commitment.verification_opened")
    assert opened.case == licence and opened.data == {"material": "premises_proof", "due_date": "2026-12-16"}
    # Approving another procedure that lists the material without a commitment draws nothing more.
    with time_machine.travel(APPROVED_AT, tick=False):
        approve(app, "tax-registration", clerks["tax"])
    assert Verification.objects.count() == 1


def test_none_is_drawn_at_rate_0_nor_without_a_commitment(citizen_alice, citizen_carol, clerks, demo_catalog):
    with_rate(0)
    approved(citizen_alice, clerks["amr"])
    with_rate(1)
    plain = submitting.application_submit(
        application=draft(citizen_carol, "business-startup", answers=SMALL_BUSINESS), user=citizen_carol)
    approve(plain, "amr-licence", clerks["amr"])  # the proof was uploaded: nothing to verify
    assert not Verification.objects.exists()


def test_the_draw_at_20_percent_is_the_cases_seeded_choice(citizen_alice, clerks, demo_catalog):
    drawn = []
    for _ in range(6):
        app = approved(citizen_alice, clerks["amr"])
        case = case_of(app, "amr-licence")
        expected = sampled(seed=seed(case, "premises_proof"), rate=0.2)
        assert Verification.objects.filter(case=case).exists() == expected
        drawn.append(expected)
    assert seed(case, "premises_proof") == f"case:{case.pk}:premises_proof"


def test_a_true_commitment_is_recorded_and_nothing_else_changes(citizen_alice, clerks, every_one):
    app = approved(citizen_alice, clerks["amr"])
    verification = Verification.objects.get()
    commitments.verification_complete(verification=verification, user=clerks["amr"], outcome="true",
                                      note="Lease registered at the housing bureau.")
    verification.refresh_from_db()
    assert verification.outcome == "true" and verification.checked_by == clerks["amr"]
    assert case_of(app, "amr-licence").status == "approved"
    entry = TimelineEntry.objects.get(application=app, kind="commitment.verified")
    assert entry.message == "Lease registered at the housing bureau."
    assert not RefusalEntry.objects.exists()
    with pytest.raises(InvalidState):
        commitments.verification_complete(verification=verification, user=clerks["amr"], outcome="false", note="x")


def test_a_false_commitment_revokes_the_decision_and_lists_the_applicant(citizen_alice, clerks, every_one):
    Department.objects.filter(code="amr").update(webhook_url="https://amr.example.org/hook", webhook_secret="s")
    app = approved(citizen_alice, clerks["amr"])
    verification = Verification.objects.get()
    with time_machine.travel(APPROVED_AT + timedelta(days=2), tick=False), translation.override("en"):
        commitments.verification_complete(verification=verification, user=clerks["amr"], outcome="false",
                                          note="No lease is registered for this address.")
        licence = case_of(app, "amr-licence")
        assert licence.status == "revoked"
        assert IssuedOutput.objects.get(case=licence).revoked_at is not None
        found = TimelineEntry.objects.get(application=app, kind="commitment.found_false")
        assert found.message == "No lease is registered for this address." and found.actor == clerks["amr"]
        revoked = TimelineEntry.objects.get(application=app, kind="case.revoked")
        assert revoked.data["cause"] == "commitment_false"
        assert "No lease is registered for this address." in revoked.message and "2027-01-09" in revoked.message
        hook = OutboxMessage.objects.get(kind="webhook", event="case.revoked")
        assert hook.payload["case"]["procedure"] == "amr-licence"
        told = OutboxMessage.objects.get(kind="notification", event="case.revoked")
        assert told.recipient == citizen_alice and "No lease is registered" in told.payload["reason"]
        # On the refusal list for the commitment's 30 days, from today (11 December).
        entry = RefusalEntry.objects.get()
        assert entry.source == "commitment" and entry.application == app and entry.created_by == clerks["amr"]
        assert (entry.starts_on, entry.ends_on) == (date(2026, 12, 11), date(2027, 1, 9))
        assert app.number in entry.reason["en"] and entry.reason["zh-hans"]
        # The refusal list's effect: the next application cannot use a commitment.
        second = draft(citizen_alice, "business-startup", answers=SMALL_BUSINESS, materials=WITHOUT_PREMISES)
        with pytest.raises(InvalidState) as raised:
            commitments.commitment_sign(application=second, user=citizen_alice, material_code="premises_proof",
                                        confirmed=True)
        assert raised.value.message == entry.reason["en"] == refusal_list.reason_for(second)
    with time_machine.travel(datetime(2027, 1, 10, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        assert refusal_list.reason_for(second) == ""  # the period is over


def test_only_the_offices_clerks_with_a_valid_outcome_and_a_note_for_false(citizen_alice, clerks, every_one):
    approved(citizen_alice, clerks["amr"])
    verification = Verification.objects.get()
    with pytest.raises(NotFound):
        commitments.verification_complete(verification=verification, user=clerks["tax"], outcome="true")
    for outcome, note, key in (("maybe", "", "outcome"), (None, "", "outcome"), ("false", "   ", "note"),
                               ("true", 5, "note")):
        with pytest.raises(InvalidInput) as raised:
            commitments.verification_complete(verification=verification, user=clerks["amr"], outcome=outcome,
                                              note=note)
        assert key in raised.value.errors
    verification.refresh_from_db()
    assert verification.outcome == "pending" and not RefusalEntry.objects.exists()
    assert list(commitments.verifications_for_clerk(clerks["amr"])) == [verification]
    assert list(commitments.verifications_for_clerk(clerks["tax"])) == []


def test_the_sweep_flags_overdue_verifications_once(citizen_alice, clerks, every_one):
    app = approved(citizen_alice, clerks["amr"])
    verification = Verification.objects.get()
    on_due_day = datetime(2026, 12, 16, 18, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert commitments.sweep_overdue(now=on_due_day) == 0
    day_after = on_due_day + timedelta(days=1)
    assert commitments.sweep_overdue(now=day_after) == 1
    assert commitments.sweep_overdue(now=day_after + timedelta(days=3)) == 0
    verification.refresh_from_db()
    assert verification.overdue_at == day_after
    entry = TimelineEntry.objects.get(application=app, kind="commitment.verification_overdue")
    assert entry.case_id == verification.case_id and entry.data["due_date"] == "2026-12-16"
    # A verification done is never flagged.
    commitments.verification_complete(verification=verification, user=clerks["amr"], outcome="true")
    Verification.objects.filter(pk=verification.pk).update(overdue_at=None)
    assert commitments.sweep_overdue(now=day_after + timedelta(days=10)) == 0
