"""容缺受理 at submission and after: the service rules (terms, refusal list, due dates on the
working-day calendar), handing the material in, and the clerk's decision while it is missing."""
from __future__ import annotations

import io
from datetime import date, datetime, timedelta

import pytest
from django.utils import translation

from govflow.applications import deferral, refusal_list
from govflow.applications.models import (
    Application,
    ApplicationStatus,
    Case,
    CaseStatus,
    Document,
    DocumentStatus,
    TimelineEntry,
)
from govflow.applications.services import deciding, submitting, uploading
from govflow.catalog.calendar import add_working_days
from govflow.errors import InvalidInput, InvalidState, NotFound
from govflow.notifications.models import OutboxMessage

from ..stories import NEWBORN_MATERIALS, OUTPUTS, PDF_BYTES, case_of, draft
from .conftest import BIRTH, THURSDAY, newborn_draft, submit_deferring

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("notification_settings")]

REASON = {"en": "Listed by the credit record of 2026.", "zh-hans": "因2026年信用记录列入。"}


def test_submitting_with_the_delivery_record_to_follow_records_it_due_in_five_working_days(
        citizen_alice, demo_catalog, frozen):
    app = submit_deferring(newborn_draft(citizen_alice), citizen_alice)

    assert app.status != ApplicationStatus.DRAFT
    doc = Document.objects.get(application=app, material_code="delivery_record")
    assert doc.status == DocumentStatus.DEFERRED and not doc.file
    # Five working days from Thursday 24 September 2026: the Mid-Autumn holiday and the weekend
    # (and what the calendar says after them) are skipped.
    assert doc.due_date == add_working_days(date(2026, 9, 24), 5)
    assert doc.due_date - date(2026, 9, 24) > timedelta(days=7)
    assert doc.deferral_terms["version"] == deferral.TERMS_VERSION
    assert doc.deferral_terms["digest"] == deferral.terms_digest()
    assert datetime.fromisoformat(doc.deferral_terms["accepted_at"]) == THURSDAY
    entry = TimelineEntry.objects.get(application=app, kind="material.deferred")
    assert entry.data["materials"] == {"delivery_record": doc.due_date.isoformat()}
    assert entry.data["terms"] == doc.deferral_terms


def test_without_accepting_the_terms_nothing_is_written(citizen_alice, demo_catalog):
    app = newborn_draft(citizen_alice)
    with pytest.raises(InvalidInput) as exc:
        submitting.application_submit(application=app, user=citizen_alice, defer=["delivery_record"])
    assert "accept_deferral_terms" in exc.value.errors
    app.refresh_from_db()
    assert app.status == ApplicationStatus.DRAFT
    assert not Document.objects.filter(application=app, status=DocumentStatus.DEFERRED).exists()
    assert not Case.objects.filter(application=app).exists()


def test_a_material_that_is_not_deferrable_cannot_be_left_out(citizen_alice, demo_catalog):
    materials = {k: v for k, v in NEWBORN_MATERIALS.items()
                 if k != "mother_id_card"}
    app = draft(citizen_alice, "newborn", materials=materials)
    with pytest.raises(InvalidInput) as exc:
        submitting.application_submit(application=app, user=citizen_alice, defer=["mother_id_card"],
                                    accept_deferral_terms=True)
    assert "mother_id_card" in " ".join(exc.value.errors["defer"])
    assert Application.objects.get(pk=app.pk).status == ApplicationStatus.DRAFT


@pytest.mark.parametrize("defer", ["delivery_record", [1], {"delivery_record": True}])
def test_a_wrong_shape_is_a_clear_refusal(citizen_alice, demo_catalog, defer):
    app = newborn_draft(citizen_alice)
    with pytest.raises(InvalidInput) as exc:
        submitting.application_submit(application=app, user=citizen_alice, defer=defer, accept_deferral_terms=True)
    assert "defer" in exc.value.errors


def test_leaving_it_out_without_deferring_is_incomplete(citizen_alice, demo_catalog):
    with pytest.raises(InvalidInput) as exc:
        submitting.application_submit(application=newborn_draft(citizen_alice), user=citizen_alice)
    assert "delivery_record" in exc.value.errors["materials"]


def test_an_applicant_on_the_refusal_list_is_refused_with_the_reason_and_nothing_is_written(
        citizen_alice, demo_catalog):
    app = newborn_draft(citizen_alice)
    refusal_list.refusal_add(application=app, reason=REASON, days=30)
    with translation.override("en"), pytest.raises(InvalidInput) as exc:
        submit_deferring(app, citizen_alice)
    assert REASON["en"] in " ".join(exc.value.errors["defer"])
    app.refresh_from_db()
    assert app.status == ApplicationStatus.DRAFT
    assert not Case.objects.filter(application=app).exists()
    assert not TimelineEntry.objects.filter(application=app).exists()
    # With every material they apply the ordinary way.
    uploading.document_upload(application=app, user=citizen_alice, material_code="delivery_record",
                             file=io.BytesIO(PDF_BYTES), filename="record.pdf")
    submitting.application_submit(application=app, user=citizen_alice)
    assert Application.objects.get(pk=app.pk).status != ApplicationStatus.DRAFT


def _hand_in(app, user):
    return uploading.document_upload(application=app, user=user, material_code="delivery_record",
                                    file=io.BytesIO(PDF_BYTES), filename="record.pdf")


def test_handing_in_the_material_makes_it_provided_tells_the_clerk_and_keeps_the_terms(
        citizen_alice, clerks, demo_catalog, frozen):
    app = submit_deferring(newborn_draft(citizen_alice), citizen_alice)
    due = Document.objects.get(application=app, material_code="delivery_record").due_date

    doc = _hand_in(app, citizen_alice)

    assert doc.status == DocumentStatus.PROVIDED and doc.file and doc.due_date == due
    assert doc.deferral_terms["version"] == deferral.TERMS_VERSION
    entry = TimelineEntry.objects.get(application=app, kind="material.provided")
    assert entry.data["material"] == "delivery_record"
    told = OutboxMessage.objects.filter(application=app, event="material.provided")
    assert {m.recipient for m in told} == {clerks["health"]}
    # Once in, it cannot be replaced any more (ordinary materials are fixed after submission).
    with pytest.raises(InvalidState):
        _hand_in(app, citizen_alice)


def test_handing_in_after_the_due_date_is_refused(citizen_alice, demo_catalog, frozen):
    app = submit_deferring(newborn_draft(citizen_alice), citizen_alice)
    due = Document.objects.get(application=app, material_code="delivery_record").due_date
    frozen.move_to(THURSDAY + (due - THURSDAY.date()) + timedelta(days=1))
    with pytest.raises(InvalidState):
        _hand_in(app, citizen_alice)
    assert Document.objects.get(application=app, material_code="delivery_record").status == "deferred"


def test_someone_else_cannot_hand_it_in(citizen_alice, citizen_carol, demo_catalog, frozen):
    app = submit_deferring(newborn_draft(citizen_alice), citizen_alice)
    with pytest.raises(NotFound):
        _hand_in(app, citizen_carol)


def _claim(app, clerk):
    case = case_of(app, BIRTH)
    deciding.task_claim(case=case, user=clerk)
    return case


def _approve(case, clerk):
    return deciding.task_complete(case=case, user=clerk, decision="approve", outputs=OUTPUTS[BIRTH], comment="ok")


def test_the_demo_allows_a_conditional_approval_recorded_as_such(citizen_alice, clerks, demo_catalog, frozen):
    app = submit_deferring(newborn_draft(citizen_alice), citizen_alice)
    case = _approve(_claim(app, clerks["health"]), clerks["health"])

    assert case.status == CaseStatus.APPROVED and case.conditional
    entry = TimelineEntry.objects.get(case=case, kind="case.approved")
    assert entry.data["conditional"] is True and entry.data["deferred"] == ["delivery_record"]


def test_without_conditional_approval_the_decision_waits_for_the_material(
        citizen_alice, clerks, policy, frozen):
    policy(conditional_approval=False, on_missed="reject")
    app = submit_deferring(newborn_draft(citizen_alice), citizen_alice)
    case = _claim(app, clerks["health"])
    with pytest.raises(InvalidState) as exc, translation.override("en"):
        _approve(case, clerks["health"])
    assert "waits for the deferred material" in str(exc.value)
    assert Case.objects.get(pk=case.pk).status == CaseStatus.IN_REVIEW
    # Once handed in, the clerk approves as usual (not conditionally).
    _hand_in(app, citizen_alice)
    case = _approve(case, clerks["health"])
    assert case.status == CaseStatus.APPROVED and not case.conditional
    assert "conditional" not in TimelineEntry.objects.get(case=case, kind="case.approved").data


def test_a_paused_clock_moves_the_due_date_by_the_working_days_waited(citizen_alice, clerks, policy, frozen):
    policy(conditional_approval=False, on_missed="reject", clock="paused")
    app = submit_deferring(newborn_draft(citizen_alice), citizen_alice)
    case = case_of(app, BIRTH)
    before = case.due_date
    frozen.move_to(THURSDAY + timedelta(days=4))  # Monday 28 September: one working day later
    _hand_in(app, citizen_alice)
    case.refresh_from_db()
    assert case.paused_working_days == 1
    assert case.due_date == add_working_days(before, 1)


def test_a_running_clock_leaves_the_due_date(citizen_alice, clerks, demo_catalog, frozen):
    app = submit_deferring(newborn_draft(citizen_alice), citizen_alice)
    before = case_of(app, BIRTH).due_date
    frozen.move_to(THURSDAY + timedelta(days=4))
    _hand_in(app, citizen_alice)
    assert case_of(app, BIRTH).due_date == before
    assert case_of(app, BIRTH).paused_working_days == 0
