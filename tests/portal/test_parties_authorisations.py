"""Acting for another person (代办) in the portal: recording an authorisation with its evidence,
applying under it, the subject seeing and revoking it, the evidence behind an access check, and
notifications of roles and authorisations in both languages."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from govflow.accounts.models import User
from govflow.applications.models import Application
from govflow.applications.services import drafting, submitting
from govflow.catalog.models import Department
from govflow.notifications import rendering
from govflow.notifications.models import OutboxMessage
from govflow.parties.models import Authorisation, AuthorisationScope, Relation
from govflow.parties.selectors import principal_for
from govflow.parties.services import authorisation_create
from govflow.portal.acting import SESSION_KEY
from tests.factories import CitizenFactory, MembershipFactory, UserFactory, id_number_for
from tests.stories import JPEG_BYTES, NEWBORN_ANSWERS, NEWBORN_MATERIALS, PDF_BYTES, PNG_BYTES, upload

from .conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def family(either_catalog):
    parent = CitizenFactory(username="parent", name="张伟")
    child = CitizenFactory(username="child", name="张小明")
    stranger = CitizenFactory(username="stranger", name="陈七")
    return {"parent": parent, "child": child, "stranger": stranger}


def _future(days: int = 30) -> str:
    return (timezone.localdate() + timedelta(days=days)).isoformat()


def _form(subject, **changes) -> dict:
    data = {"subject_name": subject.name, "subject_id_number": subject.id_number, "relation": Relation.PARENT,
            "one_thing": "newborn", "scope": AuthorisationScope.ONE_THING, "expires_on": _future(),
            "evidence": SimpleUploadedFile("出生医学证明.pdf", PDF_BYTES, content_type="application/pdf")}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def _mandate(agent, subject, *, one_thing="newborn", scope=AuthorisationScope.ONE_THING) -> Authorisation:
    import io

    return authorisation_create(agent=agent, subject_id_number=subject.id_number, subject_name=subject.name,
                                relation=Relation.PARENT, one_thing_code=one_thing, scope=scope,
                                expires_at=timezone.now() + timedelta(days=30), evidence=io.BytesIO(PDF_BYTES),
                                evidence_filename="出生医学证明.pdf")


def _newborn_for(agent, mandate) -> Application:
    app = drafting.application_create(user=agent, one_thing_code="newborn", data=dict(NEWBORN_ANSWERS),
                                      principal=principal_for(agent, f"for:{mandate.pk}"))
    for code, content in NEWBORN_MATERIALS.items():
        upload(app, agent, code, content)
    return app


# -- recording an authorisation ------------------------------------------------------------------


def test_recording_an_authorisation_lets_the_agent_act_for_the_person(family):
    parent, child = family["parent"], family["child"]
    client = client_for(parent)
    assert client.get(reverse("authorisation-new")).status_code == 200

    response = client.post(reverse("authorisation-new"), _form(child))

    assert response.status_code == 302 and response["Location"] == reverse("authorisations")
    mandate = Authorisation.objects.get()
    assert (mandate.agent, mandate.subject, mandate.relation, mandate.scope, mandate.one_thing.code) == (
        parent, child, "parent", "one_thing", "newborn")
    assert timezone.localtime(mandate.expires_at).date().isoformat() == _future()
    assert (mandate.evidence_filename, mandate.evidence_content_type) == ("出生医学证明.pdf", "application/pdf")
    told = OutboxMessage.objects.get(recipient=child, event="authorisation.granted")
    assert told.payload["one_thing"] == "newborn"
    listing = client.get(reverse("authorisations"))
    assert [a.pk for a in listing.context["held"]] == [mandate.pk]
    assert f'value="for:{mandate.pk}"' in listing.content.decode()
    assert "For 张小明" in listing.content.decode()


def test_a_person_without_an_account_gets_a_profile(family):
    client = client_for(family["parent"])
    number = id_number_for(901, birth="20250101")

    response = client.post(reverse("authorisation-new"),
                           _form(family["child"], subject_name="张小宝", subject_id_number=number))

    assert response.status_code == 302
    baby = User.objects.get(id_number=number)
    assert baby.profile_only and not baby.has_usable_password() and baby.name == "张小宝"


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"subject_id_number": "330106199001010010"}, "subject_id_number", "valid resident ID"),
    ({"subject_name": ""}, "subject_name", "required"),
    ({"expires_on": "PAST"}, "expires_on", "in the future"),
    ({"expires_on": "not a date"}, "expires_on", "real date"),
    ({"relation": "boss"}, "relation", "valid choice"),
    ({"scope": None}, "scope", "what the authorisation covers"),
    ({"one_thing": "nope"}, "one_thing", "Choose the service"),
    ({"one_thing": "business-startup", "subject_name": "改名"}, "subject_name", "does not match"),
    ({"evidence": None}, "evidence", "Upload the evidence"),
    ({"subject_id_number": "SELF"}, "subject_id_number", "without an authorisation"),
])
def test_a_bad_authorisation_is_refused_clearly_and_changes_nothing(family, changes, field, message):
    parent = family["parent"]
    if changes.get("expires_on") == "PAST":
        changes["expires_on"] = _future(-1)
    if changes.get("subject_id_number") == "SELF":
        changes.update(subject_id_number=parent.id_number, subject_name=parent.name)
    users = User.objects.count()

    response = client_for(parent).post(reverse("authorisation-new"), _form(family["child"], **changes))

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert message in " ".join(errors.get(field, [])), errors
    assert response.context["error_items"]
    assert not Authorisation.objects.exists()
    assert User.objects.count() == users
    assert not OutboxMessage.objects.filter(event="authorisation.granted").exists()


def test_evidence_of_the_wrong_type_is_refused_and_nothing_is_recorded(family):
    users = User.objects.count()
    text = SimpleUploadedFile("note.pdf", b"just some text, not a PDF", content_type="application/pdf")

    response = client_for(family["parent"]).post(
        reverse("authorisation-new"),
        _form(family["child"], subject_id_number=id_number_for(902), subject_name="新人", evidence=text))

    assert response.status_code == 415
    assert "PDF, PNG or JPEG" in " ".join(response.context["form"].errors["evidence"])
    assert not Authorisation.objects.exists()
    assert User.objects.count() == users  # not even the new person's profile


@pytest.mark.parametrize(("name", "content"), [("photo.png", PNG_BYTES), ("scan.jpg", JPEG_BYTES)])
def test_images_are_accepted_as_evidence(family, name, content):
    response = client_for(family["parent"]).post(
        reverse("authorisation-new"), _form(family["child"], evidence=SimpleUploadedFile(name, content)))

    assert response.status_code == 302
    assert Authorisation.objects.get().evidence_filename == name


# -- applying under it ----------------------------------------------------------------------------


def test_the_agent_applies_for_the_person_who_sees_it_in_their_own_list(family):
    parent, child = family["parent"], family["child"]
    mandate = _mandate(parent, child)
    client = client_for(parent)
    client.post(reverse("acting-as"), {"principal": f"for:{mandate.pk}"})
    assert client.session[SESSION_KEY] == f"for:{mandate.pk}"

    # Only the authorised one thing: another is marked and refused.
    home = client.get(reverse("home"))
    cards = {c.code: c for c in home.context["one_things"]}
    assert cards["business-startup"].refusal == "Your authorisation does not cover this one thing."
    assert cards["newborn"].refusal == ""
    assert client.get(reverse("apply", args=["business-startup"])).status_code == 403

    response = client.post(reverse("apply", args=["newborn"]), {"registration_with": "father", "action": "save"})
    app = Application.objects.get()
    assert response.status_code == 302
    assert (app.applicant, app.submitted_by, app.authorisation) == (child, parent, mandate)
    assert [r["application"].pk for r in client.get(reverse("applications")).context["rows"]] == [app.pk]

    child_client = client_for(child)
    assert [r["application"].pk for r in child_client.get(reverse("applications")).context["rows"]] == [app.pk]
    page = child_client.get(reverse("application", args=[app.pk]))
    assert page.context["party"]["submitted_by"] == "张伟" and page.context["party"]["for_you"]
    html = page.content.decode()
    assert "Applied by" in html and reverse("authorisation-evidence", args=[mandate.pk]) in html


def test_the_timeline_names_the_agent_on_each_applicant_side_step(family):
    parent, child = family["parent"], family["child"]
    app = _newborn_for(parent, _mandate(parent, child))
    submitting.application_submit(application=app, user=parent)

    page = client_for(child).get(reverse("application", args=[app.pk]))

    submitted = next(e for e in page.context["timeline"] if e["kind"] == "application.submitted")
    assert submitted["by"] == "张伟 for 张小明"


def test_the_subject_revokes_and_the_agent_loses_access_at_once(family):
    parent, child = family["parent"], family["child"]
    mandate = _mandate(parent, child)
    app = _newborn_for(parent, mandate)
    agent_client = client_for(parent)
    agent_client.post(reverse("acting-as"), {"principal": f"for:{mandate.pk}"})
    child_client = client_for(child)

    given = child_client.get(reverse("authorisations"))
    assert [a.pk for a in given.context["given"]] == [mandate.pk]
    assert "Revoke this authorisation" in given.content.decode()
    response = child_client.post(reverse("authorisation-revoke", args=[mandate.pk]))

    assert response.status_code == 302
    mandate.refresh_from_db()
    assert mandate.revoked_by == child
    told = OutboxMessage.objects.get(recipient=parent, event="authorisation.revoked")
    assert told.payload["revoked_by"] == "subject"
    page = agent_client.get(reverse("applications"))
    assert page.context["rows"] == []
    assert "no longer act for 张小明" in page.content.decode()
    assert agent_client.get(reverse("application", args=[app.pk])).status_code == 404
    # The person keeps their application; the revoked authorisation stays on record for both.
    assert child_client.get(reverse("application", args=[app.pk])).status_code == 200
    assert "Revoked" in agent_client.get(reverse("authorisations")).content.decode()
    # Revoking again changes nothing and says so.
    again = child_client.post(reverse("authorisation-revoke", args=[mandate.pk]), follow=True)
    assert "ended already" in again.content.decode()


def test_the_agent_gives_up_an_authorisation(family):
    parent, child = family["parent"], family["child"]
    mandate = _mandate(parent, child)

    response = client_for(parent).post(reverse("authorisation-revoke", args=[mandate.pk]))

    assert response.status_code == 302
    mandate.refresh_from_db()
    assert mandate.revoked_by == parent
    assert OutboxMessage.objects.get(recipient=child, event="authorisation.revoked").payload["revoked_by"] == "agent"


def test_another_persons_authorisation_is_not_found(family):
    mandate = _mandate(family["parent"], family["child"])
    stranger = client_for(family["stranger"])

    assert stranger.post(reverse("authorisation-revoke", args=[mandate.pk])).status_code == 404
    assert stranger.get(reverse("authorisation-evidence", args=[mandate.pk])).status_code == 404
    assert stranger.post(reverse("acting-as"), {"principal": f"for:{mandate.pk}"}).status_code == 302
    assert SESSION_KEY not in stranger.session
    assert stranger.get(reverse("authorisations")).context["held"] == []
    mandate.refresh_from_db()
    assert mandate.revoked_at is None


def test_an_expired_authorisation_loses_access(family):
    import time_machine

    parent, child = family["parent"], family["child"]
    mandate = _mandate(parent, child)
    app = _newborn_for(parent, mandate)
    Authorisation.objects.filter(pk=mandate.pk).update(expires_at=timezone.now() + timedelta(hours=1))

    with time_machine.travel(timezone.now() + timedelta(hours=2), tick=False):
        client = client_for(parent)
        assert client.get(reverse("application", args=[app.pk])).status_code == 404
        assert "Expired" in client.get(reverse("authorisations")).content.decode()
        assert "Revoke" not in client.get(reverse("authorisations")).content.decode().split('id="held"')[1]


# -- the evidence ------------------------------------------------------------------------------------


def test_the_evidence_is_served_to_the_agent_the_subject_and_the_clerks_of_its_cases_only(family):
    parent, child = family["parent"], family["child"]
    mandate = _mandate(parent, child)
    app = _newborn_for(parent, mandate)
    submitting.application_submit(application=app, user=parent)
    case = app.cases.exclude(status="waiting").select_related("office").first()
    clerk = UserFactory(username="clerk-of-case")
    MembershipFactory(user=clerk, office=case.office, department=case.office.department)
    elsewhere = UserFactory(username="clerk-elsewhere")
    other_department = Department.objects.exclude(pk=case.department_id).exclude(
        pk__in=app.cases.values("department_id")).first()
    MembershipFactory(user=elsewhere, department=other_department)
    url = reverse("authorisation-evidence", args=[mandate.pk])

    for user in (parent, child, clerk):
        response = client_for(user).get(url)
        assert response.status_code == 200, user
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Security-Policy"] == "sandbox"
        assert b"".join(response.streaming_content) == PDF_BYTES
    counter = UserFactory(username="counter-of-case")
    MembershipFactory(user=counter, office=case.office, department=case.office.department, role="counter")
    for user in (elsewhere, counter, family["stranger"]):
        assert client_for(user).get(url).status_code == 404
    assert client_for(parent).get(reverse("authorisation-evidence", args=[99999])).status_code == 404


# -- notifications ---------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_every_party_event_has_texts_in_both_languages(family, language):
    from govflow.parties import services as parties

    parent, child = family["parent"], family["child"]
    company = parties.organisation_register(actor=parent, name="某某有限公司", uscc="91330106MA2B7K5L1F",
                                            legal_representative_name=parent.name, division="330106",
                                            legal_representative=parent)
    role = parties.agent_grant(organisation=company, actor=parent, agent_id_number=child.id_number,
                               expires_at=timezone.now() + timedelta(days=10))
    parties.role_revoke(role=role, actor=parent)
    mandate = _mandate(child, parent)
    parties.authorisation_revoke(authorisation=mandate, actor=parent)
    parties.authorisation_revoke(authorisation=_mandate(parent, child), actor=parent)

    events = set()
    for message in OutboxMessage.objects.filter(
            Q(event__startswith="organisation.") | Q(event__startswith="authorisation.")).select_related("recipient"):
        recipient = message.recipient
        recipient.language = language
        rendered = rendering.render(message, recipient)
        events.add(message.event)
        assert rendered.subject and rendered.body and rendered.sms, message.event
        assert "{{" not in rendered.body and "{%" not in rendered.body
        text = rendered.subject + rendered.body + rendered.sms
        if message.event.startswith("organisation."):
            assert "某某有限公司" in text
        else:
            assert ("出生一件事" if language == "zh-hans" else "Welcome a newborn") in text
        if message.event.endswith("granted"):
            assert str((timezone.localdate() + timedelta(days=10 if "organisation" in message.event else 30)).day) \
                in rendered.body
    assert events == {"organisation.agent_granted", "organisation.agent_revoked", "authorisation.granted",
                      "authorisation.revoked"}
