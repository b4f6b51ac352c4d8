"""告知承诺制, signing: the applicant replaces a material by the procedure's commitment; the PDF
(name, ID number, text, time, the draft's reference then the application number), the refusal
list, and what a submission checks."""
from __future__ import annotations

import copy
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import translation

from govflow.applications import commitments
from govflow.applications.models import (
    Commitment,
    Document,
    DocumentStatus,
    RefusalEntry,
    RefusalKind,
    TimelineEntry,
)
from govflow.applications.services import common, drafting, submitting
from govflow.catalog.services import import_catalog
from govflow.errors import InvalidInput, InvalidState, NotFound

from ..conftest import load_demo_document
from ..pdf_text import pdf_text
from ..stories import BUSINESS_MATERIALS, draft, upload

pytestmark = pytest.mark.django_db

SIGNED_AT = datetime(2026, 12, 9, 10, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
WITHOUT_PREMISES = {k: v for k, v in BUSINESS_MATERIALS.items() if k != "premises_proof"}
REASON = {"en": "A false commitment in 2026.", "zh-hans": "2026年作出不实承诺。"}


def text_of(document: Document) -> str:
    with document.file.open("rb") as f:
        return pdf_text(f.read())


def sign(app, user, material="premises_proof", confirmed=True):
    return commitments.commitment_sign(application=app, user=user, material_code=material, confirmed=confirmed)


def test_signing_stores_the_pdf_as_the_material_and_submission_prints_the_number(citizen_alice, demo_catalog):
    app = draft(citizen_alice, "business-startup", materials=WITHOUT_PREMISES)
    with time_machine.travel(SIGNED_AT, tick=False):
        document = sign(app, citizen_alice)
    assert document.status == DocumentStatus.COMMITMENT and document.content_type == "application/pdf"
    assert document.filename == "commitment-premises_proof.pdf"
    commitment = Commitment.objects.get(document=document)
    definition = common.definition_of(app)
    assert commitment.text == definition.commitment_for("premises_proof")["text"]
    text = text_of(document)
    assert f"Draft #{app.pk}" in text
    assert citizen_alice.name in text and citizen_alice.id_number in text  # the signatory in full: a legal act
    assert "2026-12-09 10:30:00 +0800" in text
    lines = set(text.splitlines())
    assert commitment.text["zh-hans"][:20] in text.replace("\n", "")
    assert commitment.text["en"].split()[0] in text and any("registered address" in line for line in lines)
    entry = TimelineEntry.objects.get(application=app, kind="commitment.signed")
    assert entry.message == "premises_proof" and entry.actor == citizen_alice

    first_sha = document.sha256
    submitted = submitting.application_submit(application=app, user=citizen_alice)
    document.refresh_from_db()
    assert submitted.number and document.status == DocumentStatus.COMMITMENT
    after = text_of(document)
    assert submitted.number in after and f"Draft #{app.pk}" not in after
    assert "2026-12-09 10:30:00 +0800" in after  # the time of signing, not of submission
    assert document.sha256 != first_sha and document.size == document.file.size


def test_signing_needs_the_confirmation_and_a_material_the_commitment_may_replace(citizen_alice, demo_catalog):
    app = draft(citizen_alice, "business-startup", materials=WITHOUT_PREMISES)
    with pytest.raises(InvalidInput) as raised:
        sign(app, citizen_alice, confirmed=False)
    assert "commitment" in raised.value.errors
    with pytest.raises(InvalidInput):
        sign(app, citizen_alice, confirmed="yes")  # only True confirms
    with pytest.raises(InvalidInput) as raised:
        sign(app, citizen_alice, material="articles_of_association")
    assert "commitment" in raised.value.errors
    with pytest.raises(InvalidInput) as raised:
        sign(app, citizen_alice, material="no-such-material")
    assert "material" in raised.value.errors
    assert not Document.objects.filter(application=app, material_code="premises_proof").exists()
    assert not Commitment.objects.exists()


def test_another_persons_draft_is_not_found_and_a_submitted_one_cannot_change(citizen_alice, citizen_carol,
                                                                                demo_catalog):
    app = draft(citizen_alice, "business-startup", materials=WITHOUT_PREMISES)
    with pytest.raises(NotFound):
        sign(app, citizen_carol)
    sign(app, citizen_alice)
    assert sign(app, citizen_alice).pk == Document.objects.get(application=app, material_code="premises_proof").pk
    submitting.application_submit(application=app, user=citizen_alice)
    with pytest.raises(InvalidState):
        sign(app, citizen_alice)


def test_uploading_the_material_afterwards_replaces_the_commitment(citizen_alice, demo_catalog):
    app = draft(citizen_alice, "business-startup", materials=WITHOUT_PREMISES)
    sign(app, citizen_alice)
    upload(app, citizen_alice, "premises_proof", BUSINESS_MATERIALS["premises_proof"])
    document = Document.objects.get(application=app, material_code="premises_proof")
    assert document.status == DocumentStatus.PROVIDED
    assert not Commitment.objects.filter(application=app).exists()
    # and signing again replaces the upload
    assert sign(app, citizen_alice).status == DocumentStatus.COMMITMENT
    assert Document.objects.filter(application=app, material_code="premises_proof").count() == 1


def test_an_applicant_on_the_refusal_list_may_not_sign_and_is_told_why(citizen_alice, demo_catalog):
    app = draft(citizen_alice, "business-startup", materials=WITHOUT_PREMISES)
    RefusalEntry.objects.create(kind=RefusalKind.PERSON, identifier=citizen_alice.id_number, reason=REASON)
    with translation.override("en"), pytest.raises(InvalidState) as raised:
        sign(app, citizen_alice)
    assert raised.value.message == REASON["en"] and raised.value.errors == {"commitment": [REASON["en"]]}
    assert not Document.objects.filter(application=app, material_code="premises_proof").exists()


def test_a_submission_after_being_listed_is_refused_and_nothing_changes(citizen_alice, demo_catalog):
    app = draft(citizen_alice, "business-startup", materials=WITHOUT_PREMISES)
    document = sign(app, citizen_alice)
    RefusalEntry.objects.create(kind=RefusalKind.PERSON, identifier=citizen_alice.id_number, reason=REASON)
    with translation.override("en"), pytest.raises(InvalidInput) as raised:
        submitting.application_submit(application=app, user=citizen_alice)
    assert raised.value.errors["materials"] == ["premises_proof"]
    assert raised.value.errors["commitment"] == [REASON["en"]]
    app.refresh_from_db()
    assert app.number is None and app.status == "draft"
    assert Document.objects.get(pk=document.pk).sha256 == document.sha256


def test_a_commitment_only_a_step_that_no_longer_applies_offered_is_refused_at_submission(citizen_alice,
                                                                                        demo_catalog):
    doc = copy.deepcopy(load_demo_document())
    hrss = next(p for p in doc["procedures"] if p["code"] == "hrss-employer-insurance")
    entry = next(e for e in hrss["materials"] if e["material"] == "legal_rep_id_card")
    entry["commitment"] = {"text": {"en": "I undertake that my identity is as declared."},
                           "verify_rate": 1, "verify_days": 5}
    import_catalog(doc)
    materials = {k: v for k, v in BUSINESS_MATERIALS.items() if k != "legal_rep_id_card"}
    app = draft(citizen_alice, "business-startup", materials=materials)  # has_employees: hrss applies
    sign(app, citizen_alice, material="legal_rep_id_card")
    drafting.application_update(application=app, user=citizen_alice, data={"has_employees": False})
    with pytest.raises(InvalidInput) as raised:
        submitting.application_submit(application=app, user=citizen_alice)
    assert raised.value.errors["materials"] == ["legal_rep_id_card"] and "commitment" in raised.value.errors
    app.refresh_from_db()
    assert app.status == "draft" and app.number is None
    # With employees again, the commitment stands and the submission goes through.
    drafting.application_update(application=app, user=citizen_alice, data={"has_employees": True})
    assert submitting.application_submit(application=app, user=citizen_alice).number
