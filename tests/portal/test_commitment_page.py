"""告知承诺制 on the materials page: the commitment's full text, the confirmation, the signed PDF,
and the reason when the applicant is on the refusal list."""
from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from govflow.applications.models import Document, DocumentStatus, RefusalEntry, RefusalKind
from govflow.applications.services.common import definition_of

from ..stories import BUSINESS_MATERIALS, draft

pytestmark = pytest.mark.django_db

WITHOUT_PREMISES = {k: v for k, v in BUSINESS_MATERIALS.items() if k != "premises_proof"}


@pytest.fixture
def alice_en(citizen_alice):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(citizen_alice)
    return client


def test_the_page_offers_the_commitment_and_signing_replaces_the_material(alice_en, citizen_alice, demo_catalog):
    app = draft(citizen_alice, "business-startup", materials=WITHOUT_PREMISES)
    url = reverse("apply-materials", args=[app.pk])
    html = alice_en.get(url).content.decode()
    text = definition_of(app).commitment_for("premises_proof")["text"]["en"]
    assert html.count("data-commitment-offer") == 1 and text[:80] in html
    assert 'name="confirm"' in html

    unconfirmed = alice_en.post(url, {"action": "commitment", "material": "premises_proof"})
    assert unconfirmed.status_code == 200
    assert "Tick the box to confirm" in unconfirmed.content.decode()
    assert not Document.objects.filter(application=app, material_code="premises_proof").exists()

    wrong = alice_en.post(url, {"action": "commitment", "material": "articles_of_association", "confirm": "yes"})
    assert wrong.status_code == 200 and "Choose which material the commitment replaces." in wrong.content.decode()

    signed = alice_en.post(url, {"action": "commitment", "material": "premises_proof", "confirm": "yes"})
    assert signed.status_code == 302
    document = Document.objects.get(application=app, material_code="premises_proof")
    assert document.status == DocumentStatus.COMMITMENT
    after = alice_en.get(url).content.decode()
    assert "data-signed-commitment" in after and "data-commitment-offer" not in after
    pdf = alice_en.get(reverse("application-document", args=[app.pk, document.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"


def test_someone_on_the_refusal_list_reads_why_and_cannot_sign(alice_en, citizen_alice, demo_catalog):
    app = draft(citizen_alice, "business-startup", materials=WITHOUT_PREMISES)
    RefusalEntry.objects.create(kind=RefusalKind.PERSON, identifier=citizen_alice.id_number,
                                reason={"en": "Listed for a false commitment.", "zh-hans": "因不实承诺列入。"})
    url = reverse("apply-materials", args=[app.pk])
    html = alice_en.get(url).content.decode()
    assert "data-commitment-refused" in html and "Listed for a false commitment." in html
    assert 'name="confirm"' not in html
    response = alice_en.post(url, {"action": "commitment", "material": "premises_proof", "confirm": "yes"})
    assert response.status_code == 200 and "Listed for a false commitment." in response.content.decode()
    assert not Document.objects.filter(application=app, material_code="premises_proof").exists()
