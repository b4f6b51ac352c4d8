"""How the applicant receives physical results: the choice at submission (only where a procedure
issues something physical, validated, nothing written when wrong) and each result's delivery,
moved on by the office's clerks, recorded on the timeline and told to the applicant.

The demo's ``enterprise-change`` issues a new paper business licence (``amr-change-registration``,
pick-up or post); ``business-startup`` issues nothing physical."""
from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from govflow.applications import delivery as delivery_rules
from govflow.applications.models import Application, ApplicationStatus, Delivery, TimelineEntry
from govflow.applications.services import delivering, drafting, submitting
from govflow.catalog.definition import get_definition
from govflow.catalog.models import Office
from govflow.errors import InvalidInput, InvalidState, NotFound
from govflow.notifications.models import OutboxMessage

from ..admin_reason import give_reason
from ..delivery_world import PICKUP, POST, change_draft, register_company
from ..factories import MembershipFactory, UserFactory
from ..stories import approve, case_of, draft

pytestmark = pytest.mark.django_db

@pytest.fixture
def company(demo_catalog, citizen_alice):
    return register_company(citizen_alice)


def unchanged(app: Application) -> None:
    fresh = Application.objects.get(pk=app.pk)
    assert (fresh.status, fresh.number, fresh.delivery_method, fresh.pickup_office_id, fresh.delivery_address) == (
        ApplicationStatus.DRAFT, None, "", None, {})
    assert not fresh.cases.exists() and not TimelineEntry.objects.filter(application=app).exists()


def test_only_an_application_with_something_physical_asks_how_to_receive_it(citizen_alice, company):
    startup = draft(citizen_alice, "business-startup")
    change = change_draft(citizen_alice, company)
    assert not delivery_rules.options_for_draft(startup, get_definition(startup.version),
                                                ["amr-licence", "psb-seal-filing"]).needed
    found = delivery_rules.options_for_draft(change, get_definition(change.version), ["amr-change-registration"])
    assert found.methods == ("pickup", "post")
    # Xihu's offices only (the licence is a county matter): not Shangcheng's, not the city's.
    codes = [o.code for o in found.offices]
    assert "gsc-330106" in codes and "amr-330106" in codes
    assert not [c for c in codes if not c.endswith("-330106")]

    # Nothing physical: submitted without a choice, and a choice sent anyway is not kept.
    startup = submitting.application_submit(application=startup, user=citizen_alice, delivery=POST)
    assert startup.status == ApplicationStatus.SUBMITTED and startup.delivery_method == ""


def test_without_a_choice_the_submission_is_refused_and_nothing_changes(citizen_alice, company):
    app = change_draft(citizen_alice, company)
    with pytest.raises(InvalidInput) as refused:
        submitting.application_submit(application=app, user=citizen_alice)
    assert refused.value.status == 400 and set(refused.value.errors["delivery"]) == {"method"}
    unchanged(app)


@pytest.mark.parametrize(("choice", "keys"), [
    ({"method": "courier"}, {"method"}),
    ("pickup", {"method"}),
    ({"method": "pickup"}, {"office"}),
    ({"method": "pickup", "office": "amr-330102"}, {"office"}),  # another district's office
    ({"method": "pickup", "office": "hrss-330100"}, {"office"}),  # above the licence's competent division
    ({"method": "pickup", "office": "no-such-office"}, {"office"}),
    ({"method": "post"}, {"recipient", "phone", "address"}),
    ({**POST, "phone": "12345"}, {"phone"}),
    ({**POST, "recipient": "a\u202eb"}, {"recipient"}),
    ({**POST, "address": "x" * 301}, {"address"}),
    ({**POST, "address": ["not", "text"]}, {"address"}),
])
def test_an_invalid_choice_is_refused_by_key_and_nothing_changes(citizen_alice, company, choice, keys):
    app = change_draft(citizen_alice, company)
    with pytest.raises(InvalidInput) as refused:
        submitting.application_submit(application=app, user=citizen_alice, delivery=choice)
    assert refused.value.status == 400 and set(refused.value.errors["delivery"]) == keys
    unchanged(app)


def test_a_choice_is_kept_and_the_licence_goes_from_prepared_to_collected(citizen_alice, company, clerks):
    app = submitting.application_submit(application=change_draft(citizen_alice, company), user=citizen_alice,
                                      delivery=PICKUP)
    assert (app.delivery_method, app.pickup_office.code, app.delivery_address) == ("pickup", "gsc-330106", {})
    assert not Delivery.objects.filter(application=app).exists()  # nothing until approved

    approve(app, "amr-change-registration", clerks["amr"])
    (licence,) = Delivery.objects.filter(application=app)
    assert (licence.code, licence.method, licence.state, licence.pickup_office.code) == (
        "business-licence", "pickup", "preparing", "gsc-330106")
    preparing = TimelineEntry.objects.get(application=app, kind="delivery.preparing")
    assert preparing.case == case_of(app, "amr-change-registration") and preparing.data["result"] == "business-licence"

    # Only the next state of its method: not posted (a pick-up), not collected before it is ready.
    for state in ("posted", "collected", "delivered"):
        with pytest.raises(InvalidState):
            delivering.delivery_advance(delivery=licence, user=clerks["amr"], state=state, tracking_number="SF1234567")
    with pytest.raises(InvalidInput):
        delivering.delivery_advance(delivery=licence, user=clerks["amr"], state="lost")
    assert Delivery.objects.get(pk=licence.pk).state == "preparing"

    before = OutboxMessage.objects.filter(application=app, event="delivery.ready").count()
    delivering.delivery_advance(delivery=licence, user=clerks["amr"], state="ready")
    assert Delivery.objects.get(pk=licence.pk).state == "ready"
    assert OutboxMessage.objects.filter(application=app, event="delivery.ready").count() == before + 1
    delivering.delivery_advance(delivery=licence, user=clerks["amr"], state="collected")
    with pytest.raises(InvalidState):  # finished
        delivering.delivery_advance(delivery=licence, user=clerks["amr"], state="collected")
    kinds = list(TimelineEntry.objects.filter(application=app, kind__startswith="delivery.")
                 .values_list("kind", "actor__username"))
    assert kinds == [("delivery.preparing", clerks["amr"].username), ("delivery.ready", clerks["amr"].username),
                     ("delivery.collected", clerks["amr"].username)]
    assert OutboxMessage.objects.filter(application=app, event="delivery.collected").exists()


def test_a_posted_licence_needs_its_tracking_number(citizen_alice, company, clerks):
    app = submitting.application_submit(application=change_draft(citizen_alice, company), user=citizen_alice,
                                      delivery=POST)
    assert app.delivery_method == "post" and app.pickup_office is None
    assert app.delivery_address == {"recipient": "王晓明", "phone": "13800138000", "address": POST["address"]}
    approve(app, "amr-change-registration", clerks["amr"])
    licence = Delivery.objects.get(application=app)
    for bad in ("", "12", "SF 123 456", "顺丰123456", None):
        with pytest.raises(InvalidInput) as refused:
            delivering.delivery_advance(delivery=licence, user=clerks["amr"], state="posted", tracking_number=bad)
        assert "tracking_number" in refused.value.errors
    assert Delivery.objects.get(pk=licence.pk).state == "preparing"
    delivering.delivery_advance(delivery=licence, user=clerks["amr"], state="posted", tracking_number="SF1234567890")
    posted = TimelineEntry.objects.get(application=app, kind="delivery.posted")
    assert posted.message == "SF1234567890" and posted.data["tracking_number"] == "SF1234567890"
    message = OutboxMessage.objects.get(application=app, event="delivery.posted")
    assert message.payload["tracking_number"] == "SF1234567890"
    delivering.delivery_advance(delivery=licence, user=clerks["amr"], state="delivered")
    assert Delivery.objects.get(pk=licence.pk).state == "delivered"


def test_only_a_clerk_of_the_case_office_moves_it_on(citizen_alice, company, clerks):
    app = submitting.application_submit(application=change_draft(citizen_alice, company), user=citizen_alice,
                                      delivery=PICKUP)
    approve(app, "amr-change-registration", clerks["amr"])
    licence = Delivery.objects.get(application=app)
    shangcheng_amr = UserFactory(username="amr-sc")
    MembershipFactory(user=shangcheng_amr, office=Office.objects.get(code="amr-330102"), role="clerk")
    for outsider in (clerks["tax"], shangcheng_amr, citizen_alice):
        with pytest.raises(NotFound):
            delivering.delivery_advance(delivery=licence, user=outsider, state="ready")
    assert Delivery.objects.get(pk=licence.pk).state == "preparing"
    assert not TimelineEntry.objects.filter(application=app, kind="delivery.ready").exists()


def test_the_choice_is_checked_at_the_division_the_submission_is_routed_to(citizen_alice, company):
    """A draft moved to Shangcheng picks up in Shangcheng, and Xihu's service hall is refused there."""
    app = change_draft(citizen_alice, company)
    drafting.application_update(application=app, user=citizen_alice, division="330102")
    app.refresh_from_db()
    offices = [o.code for o in delivery_rules.options_for_draft(app, get_definition(app.version),
                                                                ["amr-change-registration"]).offices]
    assert "amr-330102" in offices and all(code.endswith("-330102") for code in offices)
    with pytest.raises(InvalidInput) as refused:
        submitting.application_submit(application=app, user=citizen_alice, delivery=PICKUP)
    assert set(refused.value.errors["delivery"]) == {"office"}
    app = submitting.application_submit(application=app, user=citizen_alice,
                                      delivery={"method": "pickup", "office": "amr-330102"})
    assert app.pickup_office.code == "amr-330102"


def test_every_state_change_has_notification_texts_in_both_languages(citizen_alice, company, clerks):
    from govflow.notifications.rendering import render

    app = submitting.application_submit(application=change_draft(citizen_alice, company), user=citizen_alice,
                                      delivery=PICKUP)
    approve(app, "amr-change-registration", clerks["amr"])
    licence = Delivery.objects.get(application=app)
    delivering.delivery_advance(delivery=licence, user=clerks["amr"], state="ready")
    message = OutboxMessage.objects.get(application=app, event="delivery.ready")
    citizen_alice.language = "en"
    english = render(message, citizen_alice)
    assert "New business licence" in english.subject and "Xihu" in english.body
    citizen_alice.language = "zh-hans"
    chinese = render(message, citizen_alice)
    assert "新营业执照" in chinese.sms and "领取" in chinese.sms


def test_the_admin_shows_the_choice_and_each_delivery(admin_client, citizen_alice, company, clerks):
    from django.urls import reverse

    app = submitting.application_submit(application=change_draft(citizen_alice, company), user=citizen_alice,
                                      delivery=PICKUP)
    approve(app, "amr-change-registration", clerks["amr"])
    give_reason(admin_client, get_user_model().objects.get(username="admin"))
    page = admin_client.get(reverse("admin:applications_application_change", args=[app.pk])).content.decode()
    assert "business-licence" in page and "gsc-330106" in page
