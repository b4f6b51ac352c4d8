"""The service-hall counter in the workbench: identify, the recorded history, the one form,
materials, check, submit and the printable receipt; who may use it; the queries it costs."""
from __future__ import annotations

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from govflow.applications import counter
from govflow.applications.models import Application, ApplicationStatus, Channel, CounterLookup
from govflow.catalog import questions as qa
from govflow.catalog.definition import get_definition

from ..counter_story import WALK_IN_ID, WALK_IN_NAME, counter_clerk, counter_office, walk_in
from ..stories import BUSINESS_ANSWERS, BUSINESS_MATERIALS, submitted

pytestmark = pytest.mark.django_db


@pytest.fixture
def office(demo_catalog):
    return counter_office()


@pytest.fixture
def clerk(office):
    return counter_clerk()


@pytest.fixture
def client(as_user, clerk):
    return as_user(clerk)


def identify(client, id_number=WALK_IN_ID, name=WALK_IN_NAME):
    return client.post(reverse("workbench:counter"), {"kind": "person", "person-id_number": id_number,
                                                      "person-name": name, "person-phone": "13812345678"})


def form_post(app) -> dict:
    definition = get_definition(app.version)
    answers = {**app.data, **{k: v for k, v in BUSINESS_ANSWERS.items() if k not in app.data}}
    return {code: qa.question(definition.fields[code], value=value).value for code, value in answers.items()}


def test_a_counter_clerk_lands_on_the_counter_and_a_case_clerk_may_not_use_it(client, as_user, clerks):
    response = client.get("/workbench/")
    assert response.status_code == 302 and response["Location"] == reverse("workbench:counter")
    page = client.get(reverse("workbench:counter"))
    assert page.status_code == 200 and b"data-identify=\"person\"" in page.content
    assert "Xihu District Government Service Centre: identify the person" in page.content.decode()
    assert as_user(clerks["amr"]).get(reverse("workbench:counter")).status_code == 403
    assert as_user(clerks["amr"]).get("/workbench/").status_code == 200


def test_the_whole_counter_story_through_the_pages(client, clerk, office):
    assert client.get(reverse("workbench:counter-party")).status_code == 302  # nobody identified: no file
    assert not CounterLookup.objects.exists()
    response = identify(client)
    assert response.status_code == 302 and response["Location"] == reverse("workbench:counter-party")
    party = client.get(reverse("workbench:counter-party"))
    assert party.status_code == 200 and "business-startup" in party.content.decode()
    assert CounterLookup.objects.get().what == "history"

    response = client.post(reverse("workbench:counter-party"), {"one_thing": "business-startup"})
    app = Application.objects.get()
    assert response["Location"] == reverse("workbench:counter-form", args=[app.pk])
    assert (app.channel, app.counter_office, app.submitted_by, app.applicant.id_number) == (
        Channel.COUNTER, office, clerk, WALK_IN_ID)
    assert app.data["legal_rep_name"] == WALK_IN_NAME  # pre-filled from the profile

    form_url = reverse("workbench:counter-form", args=[app.pk])
    page = client.get(form_url)
    assert page.status_code == 200 and 'name="company_name"' in page.content.decode()
    refused = client.post(form_url, {**form_post(app), "registered_capital": "lots"})
    assert refused.status_code == 400 and b"data-error-summary" in refused.content
    # The situation answers bring the procedures they decide (and their questions) into the form.
    more = client.post(form_url, form_post(app))
    assert more.status_code == 200 and more.context["notice"]
    assert 'name="hpf_contribution_rate"' in more.content.decode()
    response = client.post(form_url, form_post(app))
    assert response.status_code == 302
    materials_url = reverse("workbench:counter-materials", args=[app.pk])
    assert response["Location"] == materials_url

    bad = client.post(materials_url, {"material": "articles_of_association",
                                      "file": io.BytesIO(b"<html>no</html>")})
    assert bad.status_code == 400
    for code, content in BUSINESS_MATERIALS.items():
        upload = io.BytesIO(content)
        upload.name = f"{code}.bin"
        assert client.post(materials_url, {"material": code, "file": upload}).status_code == 302
    check = client.get(reverse("workbench:counter-check", args=[app.pk]))
    assert check.status_code == 200 and b"data-error-summary" not in check.content

    response = client.post(reverse("workbench:counter-submit", args=[app.pk]))
    receipt_url = reverse("workbench:counter-receipt", args=[app.pk])
    assert response["Location"] == receipt_url
    app.refresh_from_db()
    assert app.status == ApplicationStatus.SUBMITTED and app.number
    receipt = client.get(receipt_url).content.decode()
    assert app.number in receipt and "data-receipt-code" in receipt
    code = receipt.split("data-receipt-code>")[1].split("<")[0]
    assert counter.application_follow(number=app.number, code=code, client_address="x") == app
    assert "@media print" in open("govflow/workbench/static/workbench/workbench.css", encoding="utf-8").read()

    # Another walk-in: the last code is forgotten; it is never shown again, only replaced.
    client.post(reverse("workbench:counter-next"))
    assert "data-receipt-code" not in client.get(receipt_url).content.decode()
    client.post(receipt_url)
    new = client.get(receipt_url).content.decode().split("data-receipt-code>")[1].split("<")[0]
    assert new != code and counter.application_follow(number=app.number, code=new, client_address="x") == app
    assert client.get(reverse("workbench:counter-party")).status_code == 302


def test_a_name_that_does_not_match_is_refused(client, citizen_alice):
    response = identify(client, citizen_alice.id_number, "别人")
    assert response.status_code == 400 and "person-name" not in response.context["person_form"].errors
    assert response.context["person_form"].errors["name"]
    assert client.get(reverse("workbench:counter-party")).status_code == 302
    assert not CounterLookup.objects.exists()


def test_another_counter_gets_404_on_every_page(as_user, clerk, office):
    app, _code = walk_in(clerk, office, submit=False)
    stranger = as_user(counter_clerk("counter-sc", counter_office("gsc-330102")))
    for name in ("counter-form", "counter-materials", "counter-check", "counter-receipt"):
        assert stranger.get(reverse(f"workbench:{name}", args=[app.pk])).status_code == 404, name
    assert stranger.post(reverse("workbench:counter-submit", args=[app.pk])).status_code == 404
    assert Application.objects.get().status == ApplicationStatus.DRAFT


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def test_the_counter_pages_cost_the_same_however_long_the_history(client, clerk, office, citizen_alice):
    identify(client, citizen_alice.id_number, citizen_alice.name)
    submitted(citizen_alice, "business-startup")
    party_one = queries(client, reverse("workbench:counter-party"))
    for _ in range(5):
        submitted(citizen_alice, "business-startup")
    party_many = queries(client, reverse("workbench:counter-party"))
    draft, _code = walk_in(clerk, office, id_number=citizen_alice.id_number, name=citizen_alice.name, submit=False)
    app, _code = walk_in(clerk, office, id_number=citizen_alice.id_number, name=citizen_alice.name)
    counts = {"party": (party_one, party_many)}
    for name, pk in (("counter-form", draft.pk), ("counter-materials", draft.pk), ("counter-check", draft.pk),
                     ("counter-receipt", app.pk)):
        counts[name] = queries(client, reverse(f"workbench:{name}", args=[pk]))
    print("counter page queries", counts)
    assert party_one == party_many <= 12, counts
    assert max(v for k, v in counts.items() if k != "party") <= 8, counts


def test_the_board_shows_this_months_applications_by_channel(as_user, clerk, office, supervisor_sue_amr):
    walk_in(clerk, office)
    page = as_user(supervisor_sue_amr).get(reverse("workbench:board"))
    assert page.context["by_channel"] == {"online": 0, "counter": 1, "api": 0}
    assert 'data-channel="counter"' in page.content.decode()


def test_the_counter_form_reports_every_error_of_the_page_in_one_round(client, clerk, office):
    app, _code = walk_in(clerk, office, submit=False)
    before = dict(Application.objects.get(pk=app.pk).data)
    post = {**form_post(app), "registered_capital": "abc", "legal_rep_phone": "12345", "company_name": "",
            "legal_rep_id": BUSINESS_ANSWERS["legal_rep_id"][:17] + ("1" if BUSINESS_ANSWERS["legal_rep_id"][17] == "0"
                                                                     else "0")}

    response = client.post(reverse("workbench:counter-form", args=[app.pk]), post)

    assert response.status_code == 400
    assert Application.objects.get(pk=app.pk).data == before
    hrefs = [item["href"] for item in response.context["error_items"]]
    assert hrefs == ["#f-company_name", "#f-registered_capital", "#f-legal_rep_id", "#f-legal_rep_phone"]
    body = response.content.decode()
    for href in hrefs:
        assert f'href="{href}"' in body and f'id="{href[1:]}-error"' in body
