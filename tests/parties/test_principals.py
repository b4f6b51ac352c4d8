"""Who applies: applications for an organisation, for another person (代办), and the one access
rule that decides who may see and act on them (``applications.selectors.acting_q``)."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
import time_machine
from django.http import Http404
from django.utils import timezone

from govflow.accounts.models import Role
from govflow.applications import selectors
from govflow.applications.models import Application, Channel, IssuedOutput, TimelineEntry
from govflow.applications.services import deciding, drafting, submitting
from govflow.catalog.models import Office
from govflow.errors import InvalidInput, NotAllowed, NotFound
from govflow.notifications.models import OutboxMessage
from govflow.parties import services as parties
from govflow.parties.models import AuthorisationScope, OrganisationRole, Relation
from govflow.parties.selectors import MYSELF, Principal, principal_for, principals_for

from ..factories import CitizenFactory, MembershipFactory, UserFactory, id_number_for
from ..party_world import business_draft, catalog_for_organisations
from ..stories import BUSINESS_ANSWERS, OUTPUTS, PDF_BYTES, case_of

pytestmark = pytest.mark.django_db

USCC = "91330106MA2B7K5L1F"
OTHER_USCC = "91350100M000100Y43"


@pytest.fixture
def catalog(db):
    """The demo catalog with business-startup open to persons and organisations alike."""
    from govflow.catalog.services import import_catalog

    import_catalog(catalog_for_organisations())


@pytest.fixture
def people(catalog):
    legal, agent, other = CitizenFactory(), CitizenFactory(), CitizenFactory()
    company = parties.organisation_register(actor=legal, name="杭州示例科技有限公司", uscc=USCC,
                                            legal_representative_name=legal.name, division="330106",
                                            legal_representative=legal, verified=True)
    role = parties.agent_grant(organisation=company, actor=legal, agent_id_number=agent.id_number,
                               expires_at=timezone.now() + timedelta(days=30))
    return {"legal": legal, "agent": agent, "other": other, "company": company, "role": role}


def _org_draft(user, company) -> Application:
    return business_draft(user, principal_for(user, f"org:{company.pk}"))


def _mandate(agent, subject, *, one_thing="business-startup", scope=AuthorisationScope.APPLICATION, days=30):
    return parties.authorisation_create(agent=agent, subject_id_number=subject.id_number, subject_name=subject.name,
                                        relation=Relation.RELATIVE, one_thing_code=one_thing, scope=scope,
                                        expires_at=timezone.now() + timedelta(days=days),
                                        evidence=io.BytesIO(PDF_BYTES), evidence_filename="委托书.pdf")


# -- organisations -------------------------------------------------------------------------------


def test_the_legal_representative_and_the_agent_act_for_the_company(people):
    legal, agent, company = people["legal"], people["agent"], people["company"]
    assert [p.key for p in principals_for(agent)] == ["me", f"org:{company.pk}"]

    app = _org_draft(agent, company)
    app = submitting.application_submit(application=app, user=legal)

    app.refresh_from_db()
    assert (app.organisation, app.applicant, app.submitted_by, app.channel) == (company, None, legal, Channel.ONLINE)
    assert app.party_ref() == {"kind": "organisation", "id": company.pk, "name": "杭州示例科技有限公司"}
    assert selectors.application_for_citizen(agent, app.pk) == app
    org_list = selectors.applications_for_citizen(user=agent, principal=principal_for(agent, f"org:{company.pk}"))
    assert list(org_list) == [app]
    assert list(selectors.applications_for_citizen(user=agent)) == []  # not among the agent's own
    with pytest.raises(Http404):
        selectors.application_for_citizen(people["other"], app.pk)
    # The submission names who acted and for whom; both role holders are told.
    entry = TimelineEntry.objects.get(application=app, kind="application.submitted")
    assert entry.actor == legal and entry.data["on_behalf_of"]["kind"] == "organisation"
    told = set(OutboxMessage.objects.filter(application=app, event="application.submitted")
               .values_list("recipient__username", flat=True))
    assert told == {legal.username, agent.username}


def test_a_revoked_agent_loses_the_company_at_once(people):
    agent, company = people["agent"], people["company"]
    app = _org_draft(agent, company)

    parties.role_revoke(role=people["role"], actor=people["legal"])

    with pytest.raises(Http404):
        selectors.application_for_citizen(agent, app.pk)
    with pytest.raises(NotFound):
        drafting.application_update(application=app, user=agent, data={"seal_count": 3})
    with pytest.raises(NotFound):
        principal_for(agent, f"org:{company.pk}")
    assert [p.key for p in principals_for(agent)] == ["me"]


def test_an_expired_agent_loses_the_company(people):
    app = _org_draft(people["agent"], people["company"])

    with time_machine.travel(timezone.now() + timedelta(days=31), tick=False):
        with pytest.raises(Http404):
            selectors.application_for_citizen(people["agent"], app.pk)
        assert selectors.application_for_citizen(people["legal"], app.pk) == app


def test_only_the_legal_representative_grants_agents(people):
    with pytest.raises(NotAllowed):
        parties.agent_grant(organisation=people["company"], actor=people["agent"],
                            agent_id_number=people["other"].id_number, expires_at=timezone.now() + timedelta(days=1))
    with pytest.raises(InvalidInput) as exc:
        parties.agent_grant(organisation=people["company"], actor=people["legal"],
                            agent_id_number=people["other"].id_number, expires_at=timezone.now() - timedelta(days=1))
    assert "expires_at" in exc.value.errors
    assert not OrganisationRole.objects.filter(user=people["other"]).exists()


def test_a_uscc_with_a_wrong_check_character_is_refused(catalog):
    user = CitizenFactory()
    with pytest.raises(InvalidInput) as exc:
        parties.organisation_register(actor=user, name="某公司", uscc=USCC[:-1] + "G",
                                      legal_representative_name="某人", division="330106")
    assert set(exc.value.errors) == {"uscc"}


def test_an_organisation_application_holds_its_outputs(people):
    clerk = UserFactory()
    MembershipFactory(user=clerk, office=Office.objects.get(code="amr-330106"))
    app = submitting.application_submit(application=_org_draft(people["agent"], people["company"]),
                                      user=people["agent"])
    case = case_of(app, "amr-licence")
    deciding.task_claim(case=case, user=clerk)
    deciding.task_complete(case=case, user=clerk, decision="approve", outputs=OUTPUTS["amr-licence"])

    output = IssuedOutput.objects.get(application=app, code="uscc")
    assert (output.organisation, output.holder) == (people["company"], None)


def test_a_person_one_thing_refuses_an_organisation(people):
    with pytest.raises(InvalidInput) as exc:
        drafting.application_create(user=people["legal"], one_thing_code="newborn",
                                    principal=principal_for(people["legal"], f"org:{people['company'].pk}"))
    assert "one_thing" in exc.value.errors


# -- acting for another person (代办) ----------------------------------------------------------------


def test_an_agent_applies_for_another_person_who_sees_it(catalog):
    agent, subject = CitizenFactory(), CitizenFactory()
    mandate = _mandate(agent, subject)
    told = OutboxMessage.objects.get(event="authorisation.granted")
    assert told.recipient == subject

    principal = principal_for(agent, f"for:{mandate.pk}")
    app = drafting.application_create(user=agent, one_thing_code="business-startup",
                                      data=dict(BUSINESS_ANSWERS), principal=principal)

    assert (app.applicant, app.authorisation, app.submitted_by) == (subject, mandate, agent)
    assert selectors.application_for_citizen(subject, app.pk) == app
    assert selectors.application_for_citizen(agent, app.pk) == app
    assert list(selectors.applications_for_citizen(user=subject)) == [app]
    assert list(selectors.applications_for_citizen(user=agent, principal=principal)) == [app]
    # A one-application authorisation is spent.
    with pytest.raises(InvalidInput):
        drafting.application_create(user=agent, one_thing_code="business-startup", principal=principal)


def test_the_subject_revokes_and_the_agent_loses_access(catalog):
    agent, subject = CitizenFactory(), CitizenFactory()
    mandate = _mandate(agent, subject, scope=AuthorisationScope.ONE_THING)
    app = drafting.application_create(user=agent, one_thing_code="business-startup",
                                      principal=principal_for(agent, f"for:{mandate.pk}"))

    parties.authorisation_revoke(authorisation=mandate, actor=subject)

    with pytest.raises(Http404):
        selectors.application_for_citizen(agent, app.pk)
    assert selectors.application_for_citizen(subject, app.pk) == app
    with pytest.raises(NotFound):
        principal_for(agent, f"for:{mandate.pk}")
    with pytest.raises(NotFound):  # nobody else may revoke it either
        parties.authorisation_revoke(authorisation=mandate, actor=CitizenFactory())


def test_an_authorisation_covers_only_its_one_thing(catalog):
    agent, subject = CitizenFactory(), CitizenFactory()
    mandate = _mandate(agent, subject, one_thing="newborn")
    with pytest.raises(InvalidInput):
        drafting.application_create(user=agent, one_thing_code="business-startup",
                                    principal=principal_for(agent, f"for:{mandate.pk}"))


def test_an_authorisation_needs_evidence_of_an_accepted_type(catalog):
    agent, subject = CitizenFactory(), CitizenFactory()
    with pytest.raises(Exception) as exc:
        parties.authorisation_create(agent=agent, subject_id_number=subject.id_number, subject_name=subject.name,
                                     relation=Relation.RELATIVE, one_thing_code="newborn",
                                     expires_at=timezone.now() + timedelta(days=1),
                                     evidence=io.BytesIO(b"plain text"), evidence_filename="x.txt")
    assert getattr(exc.value, "status", None) == 415
    with pytest.raises(InvalidInput) as exc:
        parties.authorisation_create(agent=agent, subject_id_number="330106199001011234", subject_name="某人",
                                     relation="friend", one_thing_code="nope", expires_at=None, evidence=None)
    assert {"relation", "one_thing", "expires_at", "evidence"} <= set(exc.value.errors)


def test_a_subject_without_an_account_gets_an_unverified_profile(catalog):
    agent = CitizenFactory()
    mandate = parties.authorisation_create(
        agent=agent, subject_id_number=id_number_for(901, birth="19400101"), subject_name="张老伯",
        relation=Relation.CHILD, one_thing_code="newborn", expires_at=timezone.now() + timedelta(days=5),
        evidence=io.BytesIO(PDF_BYTES))
    subject = mandate.subject
    assert subject.profile_only and not subject.has_usable_password() and subject.name == "张老伯"
    assert not OutboxMessage.objects.filter(event="authorisation.granted").exists()  # no channel to tell


# -- the counter and the channels ---------------------------------------------------------------------


def test_only_a_counter_clerk_of_the_office_takes_counter_applications(catalog):
    office = Office.objects.get(code="amr-330106")
    counter = UserFactory()
    MembershipFactory(user=counter, office=office, role=Role.COUNTER)
    walk_in = parties.person_for_counter(id_number=id_number_for(902), name="赵先生", phone="13911112222")
    principal = Principal("person", person=walk_in)

    app = drafting.application_create(user=counter, one_thing_code="business-startup", principal=principal,
                                      channel=Channel.COUNTER, counter_office=office)

    assert (app.applicant, app.submitted_by, app.channel, app.counter_office) == (walk_in, counter, "counter", office)
    assert selectors.application_for_citizen(counter, app.pk) == app
    other_counter = UserFactory()
    MembershipFactory(user=other_counter, office=Office.objects.get(code="amr-330102"), role=Role.COUNTER)
    with pytest.raises(Http404):
        selectors.application_for_citizen(other_counter, app.pk)
    with pytest.raises(NotAllowed):
        drafting.application_create(user=other_counter, one_thing_code="business-startup", principal=principal,
                                    channel=Channel.COUNTER, counter_office=office)
    with pytest.raises(NotAllowed):  # without a counter, nobody applies for a person unauthorised
        drafting.application_create(user=counter, one_thing_code="business-startup", principal=principal)
    # A counter clerk handles no cases: their queue is empty.
    assert selectors.office_ids_for(counter) == []


def test_applying_for_oneself_is_unchanged(catalog):
    person = CitizenFactory()
    app = drafting.application_create(user=person, one_thing_code="newborn", principal=MYSELF)
    assert (app.applicant, app.organisation, app.submitted_by, app.channel) == (person, None, person, "online")
    assert app.party_ref() == {"kind": "person", "id": person.pk, "name": person.name}


def test_a_clerk_may_not_handle_a_case_of_a_company_they_act_for(people):
    clerk = people["other"]
    MembershipFactory(user=clerk, office=Office.objects.get(code="amr-330106"))
    parties.agent_grant(organisation=people["company"], actor=people["legal"], agent_id_number=clerk.id_number,
                        expires_at=timezone.now() + timedelta(days=3))
    app = submitting.application_submit(application=_org_draft(people["agent"], people["company"]),
                                      user=people["agent"])

    with pytest.raises(NotAllowed):
        deciding.task_claim(case=case_of(app, "amr-licence"), user=clerk)
