"""Proactive services through the API (offers, accept, decline, eligibility pushes) and the portal."""
from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from govflow.api.callbacks import signature_header
from govflow.applications.models import Application, ApplicationStatus, Offer, OfferState, Origin
from govflow.catalog.models import Department

from ..api.conftest import client_for
from ..factories import CitizenFactory
from ..stories import NEWBORN_ANSWERS, OUTPUTS
from .story import load

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("notification_settings")]

SECRET = "psb-webhook-secret-0123456789"
CITIZEN_ID = OUTPUTS["psb-household-registration"]["citizen_id"]


def test_the_api_lists_the_callers_offers_only(offered, citizen_alice, citizen_carol):
    body = client_for(citizen_alice).get("/api/v1/offers/").json()
    assert body["count"] == 1
    offer = body["results"][0]
    assert (offer["id"], offer["mode"], offer["state"], offer["one_thing"]["code"]) == (
        offered.pk, "offer", "offered", "newborn-insurance")
    assert offer["event"] == {"source": "output:citizen_id", "id": offered.event_id}
    assert offer["answers"]["citizen_id"] == CITIZEN_ID and offer["application"] == offered.application_id
    assert client_for(citizen_alice).get("/api/v1/offers/?state=declined").json()["count"] == 0
    assert client_for(citizen_alice).get("/api/v1/offers/?state=nonsense").status_code == 400
    assert client_for(citizen_carol).get("/api/v1/offers/").json()["count"] == 0
    assert client_for(citizen_carol).get(f"/api/v1/offers/{offered.pk}/").status_code == 404
    assert client_for(None).get("/api/v1/offers/").status_code == 401


def test_accepting_through_the_api_submits_and_accepting_again_is_idempotent(
        offered, citizen_alice, citizen_carol, django_capture_on_commit_callbacks):
    url = f"/api/v1/offers/{offered.pk}/accept/"
    assert client_for(citizen_carol).post(url, {}, format="json").status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(citizen_alice).post(url, {}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["id"], body["origin"], body["status"]) == (offered.application_id, "offer", "submitted")
    # After the commit its automatic checker decided it.
    assert client_for(citizen_alice).get(f"/api/v1/applications/{body['id']}/").json()["status"] == "completed"
    assert [e["kind"] for e in body["timeline"]][:2] == ["application.offered", "application.submitted"]
    again = client_for(citizen_alice).post(url, {}, format="json")
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    assert client_for(citizen_alice).post(f"/api/v1/offers/{offered.pk}/decline/").status_code == 409


def test_declining_through_the_api(offered, citizen_alice, citizen_carol):
    url = f"/api/v1/offers/{offered.pk}/decline/"
    assert client_for(citizen_carol).post(url).status_code == 404
    response = client_for(citizen_alice).post(url)
    assert response.status_code == 200 and response.json()["state"] == "declined"
    assert response.json()["application"] is None
    assert client_for(citizen_alice).post(url).status_code == 200  # again: the same
    assert client_for(citizen_alice).post(f"/api/v1/offers/{offered.pk}/accept/", {}, format="json").status_code == 409
    assert client_for(citizen_alice).post("/api/v1/offers/999999/accept/", {}, format="json").status_code == 404


def test_an_offer_missing_an_answer_is_completed_in_the_accept_body(citizen_alice, django_capture_on_commit_callbacks):
    load(triggers=[{"on": "import:newborns", "mode": "offer"}])
    from govflow.applications import eligibility

    eligibility.import_eligibility("newborns", [{"event_id": "e1", "id_number": citizen_alice.id_number,
                                               "citizen_id": CITIZEN_ID}])
    offer = Offer.objects.get()
    url = f"/api/v1/offers/{offer.pk}/accept/"
    incomplete = client_for(citizen_alice).post(url, {}, format="json")
    assert incomplete.status_code == 400 and "baby_name" in incomplete.json()["data"]
    offer.refresh_from_db()
    assert offer.state == OfferState.OFFERED and offer.application.status == ApplicationStatus.DRAFT
    known = {k: NEWBORN_ANSWERS[k] for k in ("baby_name", "birth_date", "mother_name", "mother_id",
                                             "household_address")}
    bad = client_for(citizen_alice).post(url, {"data": {"not_a_field": 1}}, format="json")
    assert bad.status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        done = client_for(citizen_alice).post(url, {"data": known}, format="json")
    assert done.status_code == 200 and done.json()["status"] in ("submitted", "completed")


def _push(body: dict, secret: str | None = SECRET):
    raw = json.dumps(body).encode()
    extra = {"HTTP_X_GOVFLOW_SIGNATURE": signature_header(secret, raw)} if secret else {}
    return Client().post("/api/v1/events/", raw, content_type="application/json", **extra)


def test_a_department_pushes_an_eligibility_list_signed_with_its_secret(django_capture_on_commit_callbacks):
    load(triggers=[{"on": "import:newborns", "when": "event.data.county == '330106'", "mode": "grant"}])
    Department.objects.filter(code="mi").update(webhook_secret=SECRET)
    Department.objects.filter(code="amr").update(webhook_secret="amr-secret-0123456789012345")
    person = CitizenFactory()
    row = {"event_id": "psb-9", "id_number": person.id_number, "county": "330106", "citizen_id": CITIZEN_ID,
           **{k: NEWBORN_ANSWERS[k] for k in ("baby_name", "birth_date", "mother_name", "mother_id",
                                              "household_address")}}
    body = {"name": "newborns", "rows": [row]}

    assert _push(body, secret=None).status_code == 401
    assert _push(body, secret="wrong-secret-0123456789012345").status_code == 401
    assert _push(body, secret="amr-secret-0123456789012345").status_code == 403  # not amr's one thing
    assert _push({"name": "newborns", "rows": [{"event_id": ""}]}).status_code == 400
    assert not Offer.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = _push(body)
    assert response.status_code == 200, response.content
    assert response.json() == {"created": 1, "already": 0, "not_eligible": 0, "unknown": []}
    granted = Offer.objects.get().application
    granted.refresh_from_db()
    assert (granted.origin, granted.status) == (Origin.GRANT, ApplicationStatus.COMPLETED)
    assert _push(body).json() == {"created": 0, "already": 1, "not_eligible": 0, "unknown": []}


def test_the_import_command_reads_a_csv_and_refuses_a_bad_file_whole(tmp_path):
    load(triggers=[{"on": "import:newborns", "mode": "offer"}])
    person = CitizenFactory()
    good = tmp_path / "good.csv"
    good.write_text(f"event_id,id_number,citizen_id\nr1,{person.id_number},{CITIZEN_ID}\nr2,11010519491231002X,\n",
                    encoding="utf-8")
    out = io.StringIO()
    call_command("import_eligibility", "newborns", str(good), stdout=out)
    assert "1 created" in out.getvalue() and "r2" in out.getvalue()
    assert Offer.objects.get().application.data == {"citizen_id": CITIZEN_ID}
    bad = tmp_path / "bad.csv"
    bad.write_text(f"event_id,id_number\n,{person.id_number}\n", encoding="utf-8")
    with pytest.raises(CommandError, match="row 1"):
        call_command("import_eligibility", "newborns", str(bad))
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_eligibility", "newborns", str(tmp_path / "missing.csv"))
    assert Offer.objects.count() == 1


def test_the_portal_shows_the_offer_and_confirms_it_in_one_step(offered, citizen_alice, citizen_carol,
                                                                 django_capture_on_commit_callbacks):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(citizen_alice)
    listing = client.get("/applications/")
    assert f'href="/offers/{offered.pk}/"' in listing.content.decode()
    page = client.get(f"/offers/{offered.pk}/").content.decode()
    assert CITIZEN_ID in page and 'id="offer-accept"' in page and 'id="offer-decline"' in page
    other = Client()
    other.force_login(citizen_carol)
    assert other.get(f"/offers/{offered.pk}/").status_code == 404
    assert other.post(f"/offers/{offered.pk}/accept/").status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/offers/{offered.pk}/accept/")
    assert response.status_code == 302 and response["Location"] == f"/applications/{offered.application_id}/receipt/"
    app = Application.objects.get(pk=offered.application_id)
    assert app.number and app.origin == Origin.OFFER
    detail = client.get(f"/applications/{app.pk}/").content.decode()
    assert 'data-origin="offer"' in detail
    assert f'href="/offers/{offered.pk}/"' not in client.get("/applications/").content.decode()


def test_the_portal_declines_an_offer(offered, citizen_alice):
    client = Client()
    client.force_login(citizen_alice)
    response = client.post(f"/offers/{offered.pk}/decline/")
    assert response.status_code == 302 and response["Location"] == "/applications/"
    offered.refresh_from_db()
    assert offered.state == OfferState.DECLINED
    assert client.get(f"/offers/{offered.pk}/").status_code == 200
    assert client.get(f"/offers/{offered.pk}/accept/").status_code == 405
