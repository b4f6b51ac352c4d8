"""容缺受理 at the service-hall counter: the clerk may submit a walk-in applicant's application with a
deferrable material to follow, recording that the applicant accepted the terms at the counter."""
from __future__ import annotations

import io

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from govflow.applications import counter, deferral, refusal_list
from govflow.applications.models import Application, ApplicationStatus, Document, DocumentStatus, TimelineEntry
from govflow.applications.services import drafting, uploading

from ..counter_story import WALK_IN_ID, WALK_IN_NAME, counter_clerk, counter_office
from ..stories import NEWBORN_ANSWERS
from .conftest import WITHOUT_DELIVERY_RECORD

pytestmark = pytest.mark.django_db

REASON = {"en": "Listed by the credit record of 2026.", "zh-hans": "因2026年信用记录列入。"}


@pytest.fixture
def as_user():
    def make(user) -> Client:
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        client.force_login(user)
        return client

    return make


def _walk_in_newborn(clerk):
    office = counter_office()
    party = counter.counter_identify_person(clerk=clerk, office=office, id_number=WALK_IN_ID, name=WALK_IN_NAME,
                                            phone="13812345678")
    app = counter.counter_application_start(clerk=clerk, office=office, party=party, one_thing_code="newborn")
    app = drafting.application_update(application=app, user=clerk,
                                      data={k: v for k, v in NEWBORN_ANSWERS.items() if k not in app.data})
    for code, content in WITHOUT_DELIVERY_RECORD.items():
        uploading.document_upload(application=app, user=clerk, material_code=code, file=io.BytesIO(content),
                                 filename=f"{code}.pdf")
    return app


def test_the_counter_submits_with_a_material_to_follow_accepted_at_the_counter(as_user, demo_catalog, frozen):
    clerk = counter_clerk()
    app = _walk_in_newborn(clerk)
    client = as_user(clerk)
    url = reverse("workbench:counter-submit", args=[app.pk])

    with translation.override("en"):
        page = client.get(reverse("workbench:counter-check", args=[app.pk]), HTTP_ACCEPT_LANGUAGE="en")
    body = page.content.decode()
    assert 'name="defer" value="delivery_record"' in body and 'name="accept_deferral_terms"' in body
    with translation.override("en"):
        assert str(deferral.TERMS)[:60] in body  # the terms in full, to read with the applicant

    # Without the applicant's acceptance nothing is submitted.
    response = client.post(url, {"defer": ["delivery_record"]})
    assert response.status_code == 400 and 'id="deferral"' in response.content.decode()
    assert Application.objects.get(pk=app.pk).status == ApplicationStatus.DRAFT

    response = client.post(url, {"defer": ["delivery_record"], "accept_deferral_terms": "1"})
    assert response.status_code == 302, response.content.decode()[:2000]
    app.refresh_from_db()
    assert app.status != ApplicationStatus.DRAFT
    doc = Document.objects.get(application=app, material_code="delivery_record")
    assert doc.status == DocumentStatus.DEFERRED and doc.due_date is not None
    entry = TimelineEntry.objects.get(application=app, kind="material.deferred")
    terms = entry.data["terms"]
    assert (terms["given"], terms["recorded_by"], terms["counter_office"]) == ("counter", clerk.username, "gsc-330106")
    assert terms["version"] == deferral.TERMS_VERSION and terms["digest"] == deferral.terms_digest()
    assert entry.actor == clerk and entry.data["on_behalf_of"]  # the clerk, for the applicant
    assert doc.deferral_terms == terms


def test_online_acceptance_records_no_counter(citizen_alice, demo_catalog, frozen):
    from .conftest import newborn_draft, submit_deferring

    app = submit_deferring(newborn_draft(citizen_alice), citizen_alice)
    terms = TimelineEntry.objects.get(application=app, kind="material.deferred").data["terms"]
    assert "given" not in terms and "recorded_by" not in terms


def test_the_counter_shows_the_refusal_lists_reason_and_refuses_a_forged_post(as_user, demo_catalog, frozen):
    clerk = counter_clerk()
    app = _walk_in_newborn(clerk)
    refusal_list.refusal_add(application=app, reason=REASON, days=10)
    client = as_user(clerk)
    with translation.override("en"):
        body = client.get(reverse("workbench:counter-check", args=[app.pk]),
                          HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="deferral-refused"' in body and REASON["en"] in body and 'name="defer"' not in body
    response = client.post(reverse("workbench:counter-submit", args=[app.pk]),
                           {"defer": ["delivery_record"], "accept_deferral_terms": "1"})
    assert response.status_code == 400
    assert Application.objects.get(pk=app.pk).status == ApplicationStatus.DRAFT
    assert not Document.objects.filter(application=app, material_code="delivery_record").exists()
