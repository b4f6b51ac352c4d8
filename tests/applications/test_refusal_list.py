"""The refusal list: who may not defer a material nor sign a commitment instead of proving it."""
from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from govflow.applications import refusal_list
from govflow.applications.models import RefusalEntry, RefusalKind, RefusalSource
from govflow.applications.services.drafting import application_create
from tests.factories import UserFactory, id_number_for

pytestmark = pytest.mark.django_db

REASON = {"en": "Listed by the credit record of 2026.", "zh-hans": "因2026年信用记录列入。"}


def _draft(user):
    return application_create(user=user, one_thing_code="newborn")


def test_an_entry_refuses_the_applicant_only_while_it_is_in_force(citizen_alice, citizen_carol, demo_catalog):
    draft = _draft(citizen_alice)
    RefusalEntry.objects.create(kind=RefusalKind.PERSON, identifier=citizen_alice.id_number, reason=REASON,
                                starts_on=date(2026, 12, 1), ends_on=date(2026, 12, 31))
    assert refusal_list.entry_for(draft, today=date(2026, 11, 30)) is None
    assert refusal_list.entry_for(draft, today=date(2026, 12, 1)) is not None
    assert refusal_list.entry_for(draft, today=date(2026, 12, 31)) is not None
    assert refusal_list.entry_for(draft, today=date(2027, 1, 1)) is None
    # Someone else is not refused.
    assert refusal_list.entry_for(_draft(citizen_carol), today=date(2026, 12, 15)) is None
    with translation.override("en"):
        assert refusal_list.reason_for(draft, today=date(2026, 12, 15)) == REASON["en"]
    with translation.override("zh-hans"):
        assert refusal_list.reason_for(draft, today=date(2026, 12, 15)) == REASON["zh-hans"]


def test_a_lifted_entry_no_longer_refuses(citizen_alice, demo_catalog):
    draft = _draft(citizen_alice)
    entry = RefusalEntry.objects.create(kind=RefusalKind.PERSON, identifier=citizen_alice.id_number, reason=REASON,
                                        starts_on=date(2026, 1, 1))
    assert refusal_list.entry_for(draft, today=date(2026, 6, 1)) == entry
    entry.lifted_at = entry.created_at
    entry.save()
    assert refusal_list.entry_for(draft, today=date(2026, 6, 1)) is None


def test_refusal_add_puts_the_applicant_on_for_a_number_of_days(citizen_alice, demo_catalog):
    draft = _draft(citizen_alice)
    entry = refusal_list.refusal_add(application=draft, reason=REASON, days=365, source=RefusalSource.COMMITMENT,
                                     today=date(2026, 12, 7))
    assert entry.identifier == citizen_alice.id_number and entry.application == draft
    assert (entry.starts_on, entry.ends_on) == (date(2026, 12, 7), date(2027, 12, 6))
    assert refusal_list.entry_for(draft, today=date(2027, 12, 6)) == entry
    assert refusal_list.entry_for(draft, today=date(2027, 12, 7)) is None


def test_an_applicant_without_an_id_number_cannot_be_listed(demo_catalog):
    user = UserFactory(username="no-id")
    draft = _draft(user)
    assert refusal_list.refusal_add(application=draft, reason=REASON, days=30) is None
    assert refusal_list.entry_for(draft) is None


@pytest.mark.parametrize(("kind", "identifier", "field"), [
    (RefusalKind.PERSON, "330106199001010010", "identifier"),  # wrong check digit
    (RefusalKind.ORGANISATION, id_number_for(3), "identifier"),  # an id number is not a USCC
])
def test_the_identifier_must_be_valid_for_its_kind(kind, identifier, field):
    entry = RefusalEntry(kind=kind, identifier=identifier, reason=REASON)
    with pytest.raises(ValidationError) as caught:
        entry.full_clean()
    assert field in caught.value.message_dict


def test_an_entry_needs_a_reason_and_an_end_after_its_start():
    entry = RefusalEntry(kind=RefusalKind.PERSON, identifier=id_number_for(5).lower(), reason={},
                         starts_on=date(2026, 5, 2), ends_on=date(2026, 5, 1))
    with pytest.raises(ValidationError) as caught:
        entry.full_clean()
    assert set(caught.value.message_dict) >= {"reason", "ends_on"}


def test_the_admin_adds_an_entry_and_never_deletes_one(client, demo_catalog, citizen_alice):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    response = client.post("/admin/applications/refusalentry/add/", {
        "kind": "person", "identifier": citizen_alice.id_number, "name": citizen_alice.name,
        "reason": '{"en": "Credit record", "zh-hans": "信用记录"}', "starts_on": "2026-12-01", "ends_on": "",
        "lifted_at_0": "", "lifted_at_1": ""})
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = RefusalEntry.objects.get()
    assert entry.created_by == admin and entry.source == RefusalSource.MANUAL
    response = client.post(f"/admin/applications/refusalentry/{entry.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert RefusalEntry.objects.count() == 1
