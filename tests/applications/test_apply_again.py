"""Apply again: a new draft from a refused or withdrawn application, through one service that the
portal and the API only call; recorded on both timelines."""
from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from govflow.applications.models import Application, ApplicationStatus, Document, TimelineEntry
from govflow.applications.services import citizen_actions, deciding, drafting, submitting
from govflow.catalog.models import Material, OneThing
from govflow.catalog.services import publish_one_thing
from govflow.errors import InvalidState, NotFound

from ..stories import BUSINESS_ANSWERS, BUSINESS_MATERIALS, approve, case_of, submitted

pytestmark = pytest.mark.django_db


def refused(citizen, clerks) -> Application:
    app = submitted(citizen, "business-startup")
    case = case_of(app, "amr-licence")
    deciding.task_claim(case=case, user=clerks["amr"])
    deciding.task_complete(case=case, user=clerks["amr"], decision="reject", comment="No premises.")
    app.refresh_from_db()
    assert (app.status, app.outcome) == ("completed", "rejected")
    return app


def test_a_refused_application_starts_a_draft_with_its_answers_and_materials(citizen_alice, clerks):
    old = refused(citizen_alice, clerks)

    new = drafting.application_apply_again(application=old, user=citizen_alice)

    assert (new.status, new.number, new.previous, new.applicant) == (
        ApplicationStatus.DRAFT, None, old, citizen_alice)
    assert new.data == old.data and new.version == OneThing.objects.get(code="business-startup").current_version
    copies = {d.material_code: d for d in Document.objects.filter(application=new)}
    originals = {d.material_code: d for d in Document.objects.filter(application=old)}
    assert set(copies) == set(originals)
    for code, copy in copies.items():
        assert copy.sha256 == originals[code].sha256 and copy.file.name != originals[code].file.name
        with copy.file.open("rb") as f:
            assert f.read() == BUSINESS_MATERIALS[code]
    entry = TimelineEntry.objects.get(application=old, kind="application.applied_again")
    assert entry.data["application"] == new.pk and entry.actor == citizen_alice

    # Submitted, the new application names where it came from; the old one is untouched.
    submitted_new = submitting.application_submit(application=new, user=citizen_alice)
    started = TimelineEntry.objects.get(application=submitted_new, kind="application.started_again")
    assert started.message == old.number and started.data["application"] == old.pk
    old.refresh_from_db()
    assert (old.status, old.outcome) == ("completed", "rejected")


def test_answers_and_materials_no_longer_valid_are_left_out(citizen_alice, clerks):
    old = refused(citizen_alice, clerks)
    # Since then the catalog accepts only PNG for the articles of association.
    Material.objects.filter(code="articles_of_association").update(accepted_types=["png"])
    publish_one_thing(one_thing=OneThing.objects.get(code="business-startup"))

    new = drafting.application_apply_again(application=old, user=citizen_alice)

    codes = set(Document.objects.filter(application=new).values_list("material_code", flat=True))
    assert "articles_of_association" not in codes and "legal_rep_id_card" in codes


def test_only_a_refused_or_withdrawn_application_may_be_started_again_and_only_by_its_people(
        citizen_alice, outsider_charlie, clerks):
    running = submitted(citizen_alice, "business-startup")
    with pytest.raises(InvalidState):
        drafting.application_apply_again(application=running, user=citizen_alice)
    citizen_actions.application_withdraw(application=running, user=citizen_alice)
    with pytest.raises(NotFound):
        drafting.application_apply_again(application=running, user=outsider_charlie)
    assert Application.objects.filter(previous=running).count() == 0
    assert drafting.application_apply_again(application=running, user=citizen_alice).previous == running

    done = submitted(citizen_alice, "newborn")
    for code in ("health-birth-certificate", "psb-household-registration", "mi-newborn-insurance",
                 "hrss-social-security-card"):
        approve(done, code, clerks[code.split("-")[0]])
    with pytest.raises(InvalidState):  # approved: nothing to apply for again
        drafting.application_apply_again(application=done, user=citizen_alice)


def test_the_portal_button_and_the_api_call_the_service(citizen_alice, outsider_charlie, clerks):
    old = refused(citizen_alice, clerks)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(citizen_alice)
    page = client.get(reverse("application", args=[old.pk])).content.decode()
    assert "data-apply-again" in page

    response = client.post(reverse("application-apply-again", args=[old.pk]))

    new = Application.objects.get(previous=old)
    assert response.status_code == 302 and response["Location"] == reverse("application", args=[new.pk])
    assert new.data["company_name"] == BUSINESS_ANSWERS["company_name"]
    assert client.get(reverse("application-apply-again", args=[old.pk])).status_code == 405
    stranger = Client()
    stranger.force_login(outsider_charlie)
    assert stranger.post(reverse("application-apply-again", args=[old.pk])).status_code == 404

    api = APIClient()
    api.force_authenticate(citizen_alice)
    created = api.post(f"/api/v1/applications/{old.pk}/apply-again/")
    assert created.status_code == 201 and created.json()["status"] == "draft"
    assert Application.objects.filter(previous=old).count() == 2
    other = APIClient()
    other.force_authenticate(outsider_charlie)
    assert other.post(f"/api/v1/applications/{old.pk}/apply-again/").status_code == 404
    running = submitted(citizen_alice, "newborn")
    assert api.post(f"/api/v1/applications/{running.pk}/apply-again/").status_code == 409
    assert "data-apply-again" not in client.get(reverse("application", args=[running.pk])).content.decode()
