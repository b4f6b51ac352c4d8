"""Revoking an approval: the case, what it issued, the outcome, the timeline, the applicant and the department."""
from __future__ import annotations

import pytest

from govflow.applications import prefill
from govflow.applications.models import (
    Application,
    Certificate,
    CertificateTemplate,
    IssuedOutput,
    TimelineEntry,
)
from govflow.applications.revocation import outcome_of, revoke_case
from govflow.catalog.models import Department, Output
from govflow.errors import InvalidInput, InvalidState
from govflow.notifications.models import OutboxMessage
from govflow.notifications.rendering import render

from ..stories import BUSINESS_ANSWERS, approve, case_of, statuses, submitted

pytestmark = pytest.mark.django_db

SMALL_BUSINESS = dict(BUSINESS_ANSWERS, has_employees=False)


@pytest.fixture
def licence_template(demo_catalog):
    return CertificateTemplate.objects.create(output=Output.objects.get(code="uscc"), title="营业执照",
                                              body="{{ serial }}")


def test_a_revoked_approval_takes_back_what_it_issued(citizen_alice, clerks, licence_template):
    Department.objects.filter(code="amr").update(webhook_url="https://amr.example.org/hook", webhook_secret="s")
    app = submitted(citizen_alice, "business-startup", answers=SMALL_BUSINESS)
    licence = approve(app, "amr-licence", clerks["amr"])
    certificate = Certificate.objects.get(output__case=licence)
    assert prefill.wallet_outputs(["uscc"], person=citizen_alice)

    revoke_case(case=licence, reason="The premises commitment was found false.", actor=clerks["amr"],
                cause="commitment_false")

    licence.refresh_from_db()
    assert licence.status == "revoked" and licence.revoked_at is not None
    assert IssuedOutput.objects.get(case=licence).revoked_at is not None
    certificate.refresh_from_db()
    assert certificate.revoked_at is not None and "false" in certificate.revoked_reason
    # What was revoked is never offered again to fill a form.
    assert prefill.wallet_outputs(["uscc"], person=citizen_alice) == {}
    entry = TimelineEntry.objects.get(application=app, kind="case.revoked")
    assert entry.case == licence and entry.actor == clerks["amr"]
    assert entry.message == "The premises commitment was found false."
    assert entry.data == {"cause": "commitment_false", "outputs": ["uscc"]}
    assert TimelineEntry.objects.filter(application=app, kind="certificate.revoked").count() == 1
    hook = OutboxMessage.objects.filter(kind="webhook", event="case.revoked").get()
    assert hook.payload["type"] == "case.revoked" and hook.payload["case"]["procedure"] == "amr-licence"
    told = OutboxMessage.objects.filter(kind="notification", event="case.revoked").get()
    assert told.recipient == citizen_alice and told.payload["reason"] == "The premises commitment was found false."
    # The cases already queued go on; the application is still in progress.
    assert statuses(app)["tax-registration"] == "queued"
    assert Application.objects.get(pk=app.pk).status == "in_progress"


def test_revoking_in_a_completed_application_changes_its_outcome(citizen_alice, clerks, demo_catalog):
    app = submitted(citizen_alice, "business-startup", answers=SMALL_BUSINESS)
    for code in ("amr-licence", "psb-seal-filing", "tax-registration"):
        approve(app, code, clerks[code.split("-")[0]])
    app.refresh_from_db()
    assert (app.status, app.outcome) == ("completed", "approved")
    revoke_case(case=case_of(app, "tax-registration"), reason="材料逾期未补齐。", cause="material_overdue")
    app.refresh_from_db()
    assert (app.status, app.outcome) == ("completed", "partially_approved")
    entry = TimelineEntry.objects.get(application=app, kind="case.revoked")
    assert entry.actor is None
    assert entry.data["outcome"] == {"from": "approved", "to": "partially_approved"}


def test_only_an_approved_case_with_a_reason_and_a_known_cause_is_revoked(citizen_alice, clerks, demo_catalog):
    app = submitted(citizen_alice, "business-startup", answers=SMALL_BUSINESS)
    queued = case_of(app, "amr-licence")
    with pytest.raises(InvalidState):
        revoke_case(case=queued, reason="x", cause="material_overdue")
    licence = approve(app, "amr-licence", clerks["amr"])
    with pytest.raises(InvalidInput):
        revoke_case(case=licence, reason="  ", cause="material_overdue")
    with pytest.raises(InvalidInput):
        revoke_case(case=licence, reason="x", cause="because")
    revoke_case(case=licence, reason="x", cause="material_overdue")
    with pytest.raises(InvalidState):  # once only
        revoke_case(case=licence, reason="again", cause="material_overdue")
    assert TimelineEntry.objects.filter(application=app, kind="case.revoked").count() == 1


def test_the_applicant_reads_the_revocation_with_their_remedies(client, citizen_alice, clerks, demo_catalog):
    app = submitted(citizen_alice, "business-startup", answers=SMALL_BUSINESS)
    licence = approve(app, "amr-licence", clerks["amr"])
    revoke_case(case=licence, reason="The premises commitment was found false.", cause="commitment_false")
    client.force_login(citizen_alice)
    page = client.get(f"/applications/{app.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "revoked its approval" in page and "The premises commitment was found false." in page
    assert "approval revoked on" in page and "administrative reconsideration" in page
    body = client.get(f"/api/v1/applications/{app.pk}/").json()
    [notice] = body["rejections"]
    assert notice["revoked"] is True and notice["reason"] == "The premises commitment was found false."
    assert notice["procedure"] == "amr-licence" and notice["reconsideration"]["days"] > 0
    assert {c["procedure"]["code"]: c["status"] for c in body["cases"]}["amr-licence"] == "revoked"
    message = OutboxMessage.objects.get(kind="notification", event="case.revoked")
    text = render(message, citizen_alice)  # in the recipient's language (Chinese by default)
    assert "撤销" in text.subject and "行政复议" in text.body and "found false" in text.body
    citizen_alice.language = "en"
    text = render(message, citizen_alice)
    assert "revoked" in text.subject and "reconsideration" in text.body


@pytest.mark.parametrize(("statuses_", "expected"), [
    (["approved", "approved"], "approved"),
    (["approved", "revoked"], "partially_approved"),
    (["revoked", "rejected", "cancelled"], "rejected"),
])
def test_the_outcome_counts_only_approvals_still_standing(statuses_, expected):
    assert outcome_of(statuses_) == expected
