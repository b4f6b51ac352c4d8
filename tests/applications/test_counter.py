"""The service-hall counter's domain (applications/counter.py): identifying walk-ins, the recorded
reads of their files, counter drafts, the receipt code, following and claiming with it."""
from __future__ import annotations

import copy
from datetime import date

import pytest
from django.http import Http404
from django.utils import timezone

from govflow.accounts.limits import RateLimited
from govflow.accounts.models import User
from govflow.applications import counter, selectors
from govflow.applications.models import (
    AccessRecord,
    Application,
    Channel,
    CounterLookup,
    IssuedOutput,
    TimelineEntry,
)
from govflow.applications.services import deciding, drafting, submitting
from govflow.catalog.services import import_catalog
from govflow.errors import InvalidInput, InvalidState, NotAllowed, NotFound
from govflow.parties.models import Organisation, OrganisationRole, OrganisationRoleKind
from govflow.stats.selectors import channel_counts, stats_for

from ..conftest import load_demo_document
from ..counter_story import WALK_IN_ID, WALK_IN_NAME, counter_clerk, counter_office, walk_in
from ..factories import UserFactory, id_number_for
from ..stories import BUSINESS_ANSWERS, BUSINESS_MATERIALS, approve, case_of, submitted, upload

pytestmark = pytest.mark.django_db
ADDRESS = "203.0.113.9"
USCC = "91330106MA2B7K5L1F"


@pytest.fixture
def office(demo_catalog):
    return counter_office()


@pytest.fixture
def clerk(office):
    return counter_clerk()


# -- identifying ----------------------------------------------------------------------------------


def test_a_walk_in_without_an_account_gets_an_unverified_profile(clerk, office):
    party = counter.counter_identify_person(clerk=clerk, office=office, id_number=WALK_IN_ID.lower(),
                                            name=WALK_IN_NAME, phone="13812345678")
    person = party.person
    assert person.profile_only and not person.has_usable_password() and person.id_number == WALK_IN_ID
    assert counter.counter_identify_person(clerk=clerk, office=office, id_number=WALK_IN_ID,
                                           name=WALK_IN_NAME).person == person


def test_a_person_with_an_account_is_found_by_id_number_and_the_name_must_match(clerk, office, citizen_alice):
    found = counter.counter_identify_person(clerk=clerk, office=office, id_number=citizen_alice.id_number,
                                            name=citizen_alice.name)
    assert found.person == citizen_alice and found.kind == "person"
    with pytest.raises(InvalidInput) as refused:
        counter.counter_identify_person(clerk=clerk, office=office, id_number=citizen_alice.id_number, name="别人")
    assert "name" in refused.value.errors


def test_bad_details_are_refused_and_create_nothing(clerk, office):
    count = User.objects.count()
    with pytest.raises(InvalidInput) as refused:
        counter.counter_identify_person(clerk=clerk, office=office, id_number="330106199001011234", name="某人")
    assert "id_number" in refused.value.errors and User.objects.count() == count


def test_only_a_counter_clerk_of_the_office_identifies(office, clerks):
    with pytest.raises(NotAllowed):
        counter.counter_identify_person(clerk=clerks["amr"], office=office, id_number=WALK_IN_ID, name=WALK_IN_NAME)
    other = counter_office("gsc-330102")
    with pytest.raises(NotAllowed):
        counter.counter_identify_person(clerk=counter_clerk(), office=other, id_number=WALK_IN_ID, name=WALK_IN_NAME)


def test_a_company_is_found_by_its_uscc_or_registered_unverified_in_the_counters_division(clerk, office):
    with pytest.raises(InvalidInput) as refused:
        counter.counter_identify_organisation(clerk=clerk, office=office, uscc=USCC)
    assert {"name", "legal_representative_name"} <= set(refused.value.errors)
    party = counter.counter_identify_organisation(clerk=clerk, office=office, uscc=USCC.lower(),
                                                  name="杭州示例科技有限公司", legal_representative_name="王晓明")
    organisation = party.organisation
    assert not organisation.verified and organisation.division.code == "330106" and organisation.created_by == clerk
    assert not organisation.roles.exists()  # the walk-in is not made its representative
    again = counter.counter_identify_organisation(clerk=clerk, office=office, uscc=f" {USCC} ")
    assert again.organisation == organisation


# -- reads of the file, recorded --------------------------------------------------------------------


def test_the_history_is_read_only_through_the_recorded_selector(clerk, office, citizen_alice, clerks,
                                                                 django_assert_max_num_queries):
    earlier = submitted(citizen_alice, "business-startup")
    approve(earlier, "amr-licence", clerks["amr"])
    drafting.application_create(user=citizen_alice, one_thing_code="newborn")  # a draft: not shown
    party = counter.counter_identify_person(clerk=clerk, office=office, id_number=citizen_alice.id_number,
                                            name=citizen_alice.name)
    assert not CounterLookup.objects.exists()  # identifying reads no file
    # 4, and the access record the person sees (issue 20): at once outside a request; inside one it
    # joins the request's single INSERT at the end.
    with django_assert_max_num_queries(5):
        history = counter.counter_history(clerk=clerk, office=office, party=party)
    assert [a.pk for a in history.applications] == [earlier.pk]
    assert [o.code for o in history.outputs[earlier.pk]] == ["uscc"]
    lookup = CounterLookup.objects.get()
    assert (lookup.clerk, lookup.office, lookup.person, lookup.organisation, lookup.what) == (
        clerk, office, citizen_alice, None, "history")
    read = AccessRecord.objects.get()
    assert (read.reader, read.office, read.person, read.organisation, read.interface, read.purpose, read.what) == (
        clerk, office, citizen_alice, None, "counter", "counter", {"counter": "history"})
    with pytest.raises(TypeError):
        lookup.save()
    with pytest.raises(TypeError):
        CounterLookup.objects.all().delete()


def test_a_counter_draft_starts_with_what_is_known_and_that_read_is_recorded(clerk, office, citizen_alice):
    party = counter.counter_identify_person(clerk=clerk, office=office, id_number=citizen_alice.id_number,
                                            name=citizen_alice.name)
    app = counter.counter_application_start(clerk=clerk, office=office, party=party,
                                            one_thing_code="business-startup")
    assert (app.channel, app.counter_office, app.submitted_by, app.applicant, app.organisation) == (
        Channel.COUNTER, office, clerk, citizen_alice, None)
    assert app.data["legal_rep_name"] == citizen_alice.name and app.data["legal_rep_id"] == citizen_alice.id_number
    assert app.division.code == "330106"
    lookup = CounterLookup.objects.get()
    assert (lookup.what, lookup.application, lookup.person) == ("prefill", app, citizen_alice)


def test_a_one_thing_the_party_may_not_apply_for_is_refused(clerk, office):
    party = counter.counter_identify_organisation(clerk=clerk, office=office, uscc=USCC, name="示例公司",
                                                  legal_representative_name="王晓明")
    # Of the demo's one things, only enterprise-change is for organisations.
    assert [o.code for o in counter.counter_one_things(office=office, party=party)] == ["enterprise-change"]
    with pytest.raises(InvalidInput):
        counter.counter_application_start(clerk=clerk, office=office, party=party, one_thing_code="newborn")
    assert not Application.objects.exists() and not CounterLookup.objects.exists()


def test_an_organisation_applies_for_an_organisation_one_thing_at_the_counter(clerk, office):
    document = copy.deepcopy(load_demo_document())
    next(o for o in document["one_things"] if o["code"] == "business-startup")["applicant"] = "either"
    import_catalog(document)
    party = counter.counter_identify_organisation(clerk=clerk, office=office, uscc=USCC, name="杭州示例科技有限公司",
                                                  legal_representative_name="王晓明", contact_phone="13900001111")
    assert [o.code for o in counter.counter_one_things(office=office, party=party)] == [
        "business-startup", "enterprise-change"]
    app = counter.counter_application_start(clerk=clerk, office=office, party=party,
                                            one_thing_code="business-startup")
    assert app.organisation == party.organisation and app.applicant is None and app.submitted_by == clerk
    assert app.data["company_name"] == "杭州示例科技有限公司" and app.data["legal_rep_name"] == "王晓明"
    assert CounterLookup.objects.get().organisation == party.organisation


# -- the receipt code ---------------------------------------------------------------------------------


def test_the_receipt_code_is_kept_only_as_a_hash_and_issuing_again_replaces_it(clerk, office):
    app, code = walk_in(clerk, office)
    app.refresh_from_db()
    assert len(code) == counter.CODE_LENGTH and set(code) <= set(counter.CODE_ALPHABET)
    assert code not in app.receipt_code_hash and len(app.receipt_code_hash) == 64
    assert counter.application_follow(number=app.number, code=counter.format_code(code).lower(),
                                      client_address=ADDRESS) == app
    new = counter.counter_receipt_code(application=app, user=clerk)
    with pytest.raises(InvalidInput):
        counter.application_follow(number=app.number, code=code, client_address=ADDRESS)
    assert counter.application_follow(number=app.number, code=new, client_address=ADDRESS) == app
    kinds = list(TimelineEntry.objects.filter(application=app, kind="application.receipt_code_issued")
                 .values_list("data__reissued", flat=True))
    assert kinds == [False, True]


def test_no_code_for_a_draft_nor_from_another_counter(clerk, office):
    app, _code = walk_in(clerk, office, submit=False)
    with pytest.raises(InvalidState):
        counter.counter_receipt_code(application=app, user=clerk)
    app = submitting.application_submit(application=app, user=clerk)
    stranger = counter_clerk("counter-sc", counter_office("gsc-330102"))
    with pytest.raises(NotFound):
        counter.counter_receipt_code(application=app, user=stranger)


def test_a_wrong_code_changes_nothing_and_failures_are_limited(clerk, office):
    app, code = walk_in(clerk, office)
    before = Application.objects.values().get(pk=app.pk)
    for wrong in ("AAAAAAAAAA", "", None, "x" * 100, code[::-1]):
        with pytest.raises(InvalidInput) as refused:
            counter.application_follow(number=app.number, code=wrong, client_address=ADDRESS)
        assert refused.value.errors == {"code": [counter.WRONG_CODE]}
    with pytest.raises(InvalidInput):
        counter.application_follow(number="GF-0000-000000", code=code, client_address=ADDRESS)
    assert Application.objects.values().get(pk=app.pk) == before
    # Five failures for this number: now even the right code waits, from any address.
    with pytest.raises(RateLimited):
        counter.application_follow(number=app.number, code=code, client_address="198.51.100.1")


def test_failures_from_one_address_are_limited_whatever_the_number(clerk, office):
    app, code = walk_in(clerk, office)
    for serial in range(counter.ADDRESS_LIMIT):
        with pytest.raises(InvalidInput):
            counter.application_follow(number=f"GF-2026-{serial:06d}", code="AAAAAAAAAA", client_address=ADDRESS)
    with pytest.raises(RateLimited):
        counter.application_follow(number=app.number, code=code, client_address=ADDRESS)
    assert counter.application_follow(number=app.number, code=code, client_address="198.51.100.1") == app


# -- claiming ------------------------------------------------------------------------------------------


def test_a_person_with_an_account_claims_their_counter_application_once(clerk, office, citizen_alice):
    app, code = walk_in(clerk, office, id_number=citizen_alice.id_number, name=citizen_alice.name)
    assert app.applicant == citizen_alice  # theirs from the start: the claim records it and spends the code
    claimed = counter.application_claim(user=citizen_alice, number=app.number, code=code, client_address=ADDRESS)
    assert claimed.claimed_by == citizen_alice and claimed.claimed_at and claimed.receipt_code_hash == ""
    entry = TimelineEntry.objects.get(application=app, kind="application.claimed")
    assert entry.actor == citizen_alice and entry.data["party"]["id"] == citizen_alice.pk
    with pytest.raises(InvalidInput):  # single use
        counter.application_claim(user=citizen_alice, number=app.number, code=code, client_address=ADDRESS)
    with pytest.raises(InvalidInput):
        counter.application_follow(number=app.number, code=code, client_address=ADDRESS)
    with pytest.raises(InvalidState):
        counter.counter_receipt_code(application=app, user=clerk)


def test_someone_else_cannot_claim_and_nothing_changes(clerk, office, citizen_alice, citizen_carol):
    app, code = walk_in(clerk, office, id_number=citizen_alice.id_number, name=citizen_alice.name)
    with pytest.raises(NotAllowed):
        counter.application_claim(user=citizen_carol, number=app.number, code=code, client_address=ADDRESS)
    app.refresh_from_db()
    assert app.claimed_at is None and app.receipt_code_hash and app.applicant == citizen_alice
    assert counter.application_follow(number=app.number, code=code, client_address=ADDRESS) == app


def test_an_account_without_an_id_number_takes_over_the_counters_profile(clerk, office, clerks):
    app, code = walk_in(clerk, office)
    profile = app.applicant
    approve(app, "amr-licence", clerks["amr"])
    older, _older_code = walk_in(clerk, office, submit=False)  # a draft of the same profile
    account = UserFactory(username="zhao", name="", phone="")
    assert account.id_number is None
    counter.application_claim(user=account, number=app.number, code=code, client_address=ADDRESS)
    account.refresh_from_db()
    profile.refresh_from_db()
    assert account.id_number == WALK_IN_ID and account.name == WALK_IN_NAME and account.phone == "13812345678"
    assert profile.id_number is None and not profile.is_active
    assert set(Application.objects.filter(applicant=account).values_list("pk", flat=True)) == {app.pk, older.pk}
    assert IssuedOutput.objects.get(application=app).holder == account
    entry = TimelineEntry.objects.get(application=app, kind="application.claimed")
    assert entry.data["profile"] == profile.pk and sorted(entry.data["moved"]) == sorted([app.pk, older.pk])
    assert selectors.application_for_citizen(account, app.pk) == app


def test_an_account_with_another_id_number_cannot_take_over_a_profile(clerk, office, citizen_carol):
    app, code = walk_in(clerk, office)
    with pytest.raises(NotAllowed):
        counter.application_claim(user=citizen_carol, number=app.number, code=code, client_address=ADDRESS)
    assert Application.objects.get(pk=app.pk).applicant.profile_only


def test_an_organisations_application_is_claimed_by_a_person_acting_for_it(clerk, office, citizen_alice,
                                                                          citizen_carol):
    document = copy.deepcopy(load_demo_document())
    next(o for o in document["one_things"] if o["code"] == "business-startup")["applicant"] = "either"
    import_catalog(document)
    party = counter.counter_identify_organisation(clerk=clerk, office=office, uscc=USCC, name="杭州示例科技有限公司",
                                                  legal_representative_name="王晓明")
    app = counter.counter_application_start(clerk=clerk, office=office, party=party,
                                            one_thing_code="business-startup")
    drafting.application_update(application=app, user=clerk,
                                data={k: v for k, v in BUSINESS_ANSWERS.items() if k not in app.data})
    for material, content in BUSINESS_MATERIALS.items():
        upload(app, clerk, material, content)
    app = submitting.application_submit(application=app, user=clerk)
    code = counter.counter_receipt_code(application=app, user=clerk)
    OrganisationRole.objects.create(organisation=party.organisation, user=citizen_alice,
                                    role=OrganisationRoleKind.LEGAL_REPRESENTATIVE)
    with pytest.raises(NotAllowed):
        counter.application_claim(user=citizen_carol, number=app.number, code=code, client_address=ADDRESS)
    claimed = counter.application_claim(user=citizen_alice, number=app.number, code=code, client_address=ADDRESS)
    assert claimed.claimed_by == citizen_alice and claimed.organisation == party.organisation
    assert Organisation.objects.count() == 1


def test_claiming_needs_a_signed_in_person(clerk, office):
    from django.contrib.auth.models import AnonymousUser

    app, code = walk_in(clerk, office)
    for user in (None, AnonymousUser(), app.applicant):  # the profile itself cannot sign in
        with pytest.raises(NotAllowed):
            counter.application_claim(user=user, number=app.number, code=code, client_address=ADDRESS)


# -- access and channels ----------------------------------------------------------------------------


def test_the_counter_works_its_applications_and_another_counter_gets_404(clerk, office, clerks):
    app, _code = walk_in(clerk, office)
    assert counter.counter_application(clerk, app.pk) == app
    assert selectors.application_for_citizen(clerk, app.pk) == app
    stranger = counter_clerk("counter-sc", counter_office("gsc-330102"))
    for user in (stranger, clerks["amr"]):
        with pytest.raises(Http404):
            counter.counter_application(user, app.pk)
    with pytest.raises(Http404):
        selectors.application_for_citizen(stranger, app.pk)
    with pytest.raises(NotFound):
        drafting.application_update(application=app, user=stranger, data={})


def test_a_counter_clerk_never_handles_cases(clerk, office):
    from govflow.accounts.models import Membership, Role

    app, _code = walk_in(clerk, office)
    amr = case_of(app, "amr-licence")
    Membership.objects.create(user=clerk, office=amr.office, role=Role.COUNTER)  # even at that office
    assert not selectors.task_queue_for_clerk(user=clerk).exists()
    with pytest.raises(NotFound):
        deciding.task_claim(case=amr, user=clerk)


def test_counter_applications_are_counted_by_channel(clerk, office, citizen_alice):
    submitted(citizen_alice, "business-startup")
    app, _code = walk_in(clerk, office)
    today = timezone.localdate()
    staff = UserFactory(username="stats-staff", is_staff=True)
    assert stats_for(user=staff, date_from=today, date_to=today)["by_channel"] == {"online": 1, "counter": 1,
                                                                                    "api": 0}
    amr = case_of(app, "amr-licence").office_id
    assert channel_counts(office_id=amr, date_from=today, date_to=today) == {"online": 1, "counter": 1, "api": 0}
    assert channel_counts(office_id=amr, date_from=date(2000, 1, 1), date_to=date(2000, 1, 2)) == {
        "online": 0, "counter": 0, "api": 0}
    assert app.applicant.id_number == id_number_for(501, birth="19850315")
