"""容缺受理 through the API, the portal and the workbench: the same rules, translated."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from govflow.applications import deferral, deferral_sweep, refusal_list
from govflow.applications.models import Application, ApplicationStatus, Case, Document, DocumentStatus
from govflow.applications.services import deciding

from ..api.conftest import client_for
from ..stories import OUTPUTS, PDF_BYTES, case_of
from .conftest import BIRTH, THURSDAY, newborn_draft, submit_deferring

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("notification_settings")]

REASON = {"en": "Listed by the credit record of 2026.", "zh-hans": "因2026年信用记录列入。"}


def _page(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


# -- API ---------------------------------------------------------------------------------------


def test_the_api_submits_with_a_deferred_material_and_shows_it(citizen_alice, demo_catalog, frozen):
    app = newborn_draft(citizen_alice)
    api = client_for(citizen_alice)
    terms = api.get("/api/v1/deferral-terms/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert terms["version"] == deferral.TERMS_VERSION and terms["digest"] == deferral.terms_digest()
    assert "by its due date" in terms["text"]

    response = api.post(f"/api/v1/applications/{app.pk}/submit/",
                        {"defer": ["delivery_record"], "accept_deferral_terms": True}, format="json")

    assert response.status_code == 200, response.content
    doc = next(d for d in response.json()["documents"] if d["material"] == "delivery_record")
    assert doc["status"] == "deferred" and doc["url"] is None
    assert doc["due_date"] == Document.objects.get(application=app, material_code="delivery_record") \
        .due_date.isoformat()
    # Handed in with the ordinary upload.
    response = api.post(f"/api/v1/applications/{app.pk}/documents/",
                        {"material": "delivery_record", "file": io.BytesIO(PDF_BYTES)}, format="multipart")
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "provided"


@pytest.mark.parametrize("body, key", [
    ({"defer": ["delivery_record"]}, "accept_deferral_terms"),
    ({"defer": ["mother_id_card"], "accept_deferral_terms": True}, "defer"),
    ({"defer": "delivery_record", "accept_deferral_terms": True}, "defer"),
    ({"defer": [{"x": 1}], "accept_deferral_terms": True}, "defer"),
])
def test_the_api_refuses_a_bad_deferral_with_a_400_and_submits_nothing(citizen_alice, demo_catalog, body, key):
    app = newborn_draft(citizen_alice)
    response = client_for(citizen_alice).post(f"/api/v1/applications/{app.pk}/submit/", body, format="json")
    assert response.status_code == 400, response.content
    assert key in response.json()
    assert Application.objects.get(pk=app.pk).status == ApplicationStatus.DRAFT


def test_the_api_refuses_an_applicant_on_the_refusal_list_naming_the_reason(citizen_alice, demo_catalog):
    app = newborn_draft(citizen_alice)
    refusal_list.refusal_add(application=app, reason=REASON, days=10)
    response = client_for(citizen_alice).post(
        f"/api/v1/applications/{app.pk}/submit/", {"defer": ["delivery_record"], "accept_deferral_terms": True},
        format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert REASON["en"] in " ".join(response.json()["defer"])
    assert not Case.objects.filter(application=app).exists()


def test_a_clerk_approving_through_the_api_without_conditional_approval_gets_a_409(
        citizen_alice, clerks, policy, frozen):
    policy(conditional_approval=False, on_missed="reject")
    app = submit_deferring(newborn_draft(citizen_alice), citizen_alice)
    case = case_of(app, BIRTH)
    api = client_for(clerks["health"])
    assert api.post(f"/api/v1/tasks/{case.task_id}/claim/").status_code == 200
    response = api.post(f"/api/v1/tasks/{case.task_id}/complete/",
                        {"decision": "approve", "outputs": OUTPUTS[BIRTH]}, format="json")
    assert response.status_code == 409, response.content
    assert "waits for the deferred material" in response.content.decode()


# -- portal ------------------------------------------------------------------------------------


def test_the_check_page_offers_the_deferral_with_the_terms_in_full(citizen_alice, demo_catalog):
    app = newborn_draft(citizen_alice)
    body = _page(citizen_alice).get(reverse("apply-check", args=[app.pk])).content.decode()
    assert 'name="defer" value="delivery_record"' in body
    assert 'name="accept_deferral_terms"' in body
    assert "by its due date (counted in working days" in body  # the terms, in full
    assert "Upload this material." not in body


def test_the_materials_page_says_which_material_may_follow(citizen_alice, demo_catalog):
    app = newborn_draft(citizen_alice)
    body = _page(citizen_alice).get(reverse("apply-materials", args=[app.pk])).content.decode()
    assert "you may submit without it and hand it in within 5 working days" in body


def test_submitting_on_the_portal_without_accepting_shows_the_error_and_writes_nothing(citizen_alice, demo_catalog):
    app = newborn_draft(citizen_alice)
    response = _page(citizen_alice).post(reverse("apply-submit", args=[app.pk]), {"defer": ["delivery_record"]})
    assert response.status_code == 400
    assert "Accept the terms to submit with a material to follow." in response.content.decode()
    assert Application.objects.get(pk=app.pk).status == ApplicationStatus.DRAFT


def test_the_portal_shows_the_refusal_lists_reason_and_no_choice(citizen_alice, demo_catalog):
    app = newborn_draft(citizen_alice)
    refusal_list.refusal_add(application=app, reason=REASON, days=10)
    client = _page(citizen_alice)
    body = client.get(reverse("apply-check", args=[app.pk])).content.decode()
    assert REASON["en"] in body and 'name="defer"' not in body
    # A forged post is refused by the service all the same.
    response = client.post(reverse("apply-submit", args=[app.pk]),
                           {"defer": ["delivery_record"], "accept_deferral_terms": "1"})
    assert response.status_code == 400
    assert Application.objects.get(pk=app.pk).status == ApplicationStatus.DRAFT


def test_the_citizen_submits_on_the_portal_then_hands_the_material_in_on_the_status_page(
        citizen_alice, demo_catalog, frozen):
    app = newborn_draft(citizen_alice)
    client = _page(citizen_alice)
    response = client.post(reverse("apply-submit", args=[app.pk]),
                           {"defer": ["delivery_record"], "accept_deferral_terms": "1"})
    assert response.status_code == 302, response.content.decode()[:2000]
    doc = Document.objects.get(application=app, material_code="delivery_record")
    assert doc.status == DocumentStatus.DEFERRED

    body = client.get(reverse("application", args=[app.pk])).content.decode()
    assert f'data-due="{doc.due_date.isoformat()}"' in body
    assert f"Due by {doc.due_date.isoformat()}" in body
    # No file to download while it is deferred.
    assert client.get(reverse("application-document", args=[app.pk, doc.pk])).status_code == 404

    response = client.post(reverse("application-hand-in", args=[app.pk]),
                           {"material": "delivery_record", "file": io.BytesIO(PDF_BYTES)})
    assert response.status_code == 302
    assert Document.objects.get(application=app, material_code="delivery_record").status == DocumentStatus.PROVIDED
    assert 'id="to-follow"' not in client.get(reverse("application", args=[app.pk])).content.decode()


def test_a_wrong_file_on_the_status_page_is_a_form_error(citizen_alice, demo_catalog, frozen):
    app = submit_deferring(newborn_draft(citizen_alice), citizen_alice)
    response = _page(citizen_alice).post(reverse("application-hand-in", args=[app.pk]),
                                         {"material": "delivery_record", "file": io.BytesIO(b"not a pdf")})
    assert response.status_code == 400
    assert "This type of file is not accepted" in response.content.decode()
    assert Document.objects.get(application=app, material_code="delivery_record").status == DocumentStatus.DEFERRED


def test_someone_else_cannot_hand_in_on_the_status_page(citizen_alice, citizen_carol, demo_catalog, frozen):
    app = submit_deferring(newborn_draft(citizen_alice), citizen_alice)
    response = _page(citizen_carol).post(reverse("application-hand-in", args=[app.pk]),
                                         {"material": "delivery_record", "file": io.BytesIO(PDF_BYTES)})
    assert response.status_code == 404


# -- workbench ---------------------------------------------------------------------------------


def test_the_task_page_shows_the_deferred_material_and_the_conditional_approval(citizen_alice, clerks,
                                                                                demo_catalog, frozen):
    app = submit_deferring(newborn_draft(citizen_alice), citizen_alice)
    case = case_of(app, BIRTH)
    deciding.task_claim(case=case, user=clerks["health"])
    body = _page(clerks["health"]).get(reverse("workbench:task", args=[case.task_id])).content.decode()
    due = Document.objects.get(application=app, material_code="delivery_record").due_date.isoformat()
    assert f"to follow by {due}" in body
    assert "You may approve conditionally meanwhile" in body


def test_the_queue_and_the_task_page_flag_a_material_overdue(citizen_alice, clerks, policy):
    policy(conditional_approval=False, on_missed="reject")
    with time_machine.travel(THURSDAY, tick=False):
        app = submit_deferring(newborn_draft(citizen_alice), citizen_alice)
    case = case_of(app, BIRTH)
    # Held by the clerk: the sweep flags it and leaves the decision to them (only a refusal now).
    with time_machine.travel(THURSDAY, tick=False):
        deciding.task_claim(case=case, user=clerks["health"])
    due = Document.objects.get(application=app, material_code="delivery_record").due_date
    with time_machine.travel(THURSDAY + (due - THURSDAY.date()) + timedelta(days=1), tick=False):
        deferral_sweep.sweep()
        client = _page(clerks["health"])
        mine = client.get(reverse("workbench:mine")).content.decode()
        assert "data-material-overdue" in mine
        page = client.get(reverse("workbench:task", args=[case.task_id])).content.decode()
    assert "this case can only be refused" in page


def test_the_task_page_budget_is_unchanged_with_a_deferred_material(citizen_alice, clerks, demo_catalog, frozen):
    app = submit_deferring(newborn_draft(citizen_alice), citizen_alice)
    case = case_of(app, BIRTH)
    deciding.task_claim(case=case, user=clerks["health"])
    client = _page(clerks["health"])
    url = reverse("workbench:task", args=[case.task_id])
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    assert len(ctx.captured_queries) <= 16, len(ctx.captured_queries)
