"""Organisations, agents and authorisations (代办) over the REST API, and applications made for a
principal (``acting_as``)."""
from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from govflow.accounts.models import User
from govflow.applications.models import Application
from govflow.catalog.services import import_catalog
from govflow.parties.models import Authorisation, OrganisationRole

from ..factories import CitizenFactory, id_number_for
from ..party_world import (
    ACME_USCC,
    OTHER_USCC,
    authorise,
    business_draft,
    catalog_for_organisations,
    grant_agent,
    organisation,
    principal_of,
)
from ..stories import PDF_BYTES

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    import_catalog(catalog_for_organisations())
    lena, andy, oscar, pat, gary = (CitizenFactory(username=n) for n in ("lena", "andy", "oscar", "pat", "gary"))
    acme = organisation("杭州示例科技有限公司", ACME_USCC, lena)
    other = organisation("另一家公司", OTHER_USCC, CitizenFactory(username="olga"))
    andys = grant_agent(acme, lena, andy)
    grant_agent(other, User.objects.get(username="olga"), oscar)
    mandate = authorise(gary, pat)
    return {"lena": lena, "andy": andy, "oscar": oscar, "pat": pat, "gary": gary, "acme": acme, "other": other,
            "andys": andys, "mandate": mandate}


def _later(days: int = 30) -> str:
    return (timezone.now() + timedelta(days=days)).isoformat()


# -- organisations --------------------------------------------------------------------------------


def test_the_caller_sees_the_organisations_they_act_for_with_their_role(api, world):
    body = api(world["andy"]).get("/api/v1/organisations/").json()
    assert body["count"] == 1
    item = body["results"][0]
    assert item["id"] == world["acme"].pk and item["uscc"] == ACME_USCC and item["acting_as"] == f"org:{item['id']}"
    assert item["my_role"]["role"] == "agent" and item["my_role"]["expires_at"]
    assert item["division"]["code"] == "330106"
    assert api(world["pat"]).get("/api/v1/organisations/").json()["count"] == 0


def test_the_legal_representative_sees_every_role_and_an_agent_their_own(api, world):
    url = f"/api/v1/organisations/{world['acme'].pk}/"
    roles = api(world["lena"]).get(url).json()["roles"]
    assert sorted(r["role"] for r in roles) == ["agent", "legal_representative"]
    assert all(r["live"] for r in roles)
    agent = next(r for r in roles if r["role"] == "agent")
    assert agent["person"] == {"id": world["andy"].pk, "name": world["andy"].name}
    assert agent["granted_by"]["id"] == world["lena"].pk
    assert [r["person"]["id"] for r in api(world["andy"]).get(url).json()["roles"]] == [world["andy"].pk]


@pytest.mark.parametrize("who", ["oscar", "pat"])
def test_another_organisation_is_a_404(api, world, who):
    assert api(world[who]).get(f"/api/v1/organisations/{world['acme'].pk}/").status_code == 404
    response = api(world[who]).post(f"/api/v1/organisations/{world['acme'].pk}/agents/",
                                    {"id_number": world["pat"].id_number, "expires_at": _later()}, format="json")
    assert response.status_code == 404


def test_the_legal_representative_grants_an_agent(api, world):
    response = api(world["lena"]).post(f"/api/v1/organisations/{world['acme'].pk}/agents/",
                                       {"id_number": world["pat"].id_number, "expires_at": _later()}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["person"]["id"] == world["pat"].pk and response.json()["role"] == "agent"
    assert api(world["pat"]).get("/api/v1/organisations/").json()["count"] == 1


def test_an_agent_may_not_grant(api, world):
    response = api(world["andy"]).post(f"/api/v1/organisations/{world['acme'].pk}/agents/",
                                       {"id_number": world["pat"].id_number, "expires_at": _later()}, format="json")
    assert response.status_code == 403
    assert not OrganisationRole.objects.filter(user=world["pat"]).exists()


@pytest.mark.parametrize(("body", "field"), [
    ({"id_number": "330106199001010000", "expires_at": None}, "expires_at"),
    ({"id_number": "not an id", "expires_at": "later"}, "expires_at"),
    ({"id_number": "330106199001010001"}, "expires_at"),
    ({"id_number": "123", "expires_at": "2020-01-01T00:00:00+08:00"}, "id_number"),
    ({"id_number": id_number_for(901), "expires_at": "2099-01-01T00:00:00+08:00"}, "id_number"),  # no account
])
def test_a_bad_grant_is_a_400_naming_the_field(api, world, body, field):
    before = OrganisationRole.objects.count()
    response = api(world["lena"]).post(f"/api/v1/organisations/{world['acme'].pk}/agents/", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert OrganisationRole.objects.count() == before


def test_a_past_expiry_is_a_400(api, world):
    response = api(world["lena"]).post(f"/api/v1/organisations/{world['acme'].pk}/agents/",
                                       {"id_number": world["pat"].id_number,
                                        "expires_at": "2020-01-01T00:00:00+08:00"}, format="json")
    assert response.status_code == 400 and "expires_at" in response.json()


def test_revoking_an_agent_ends_their_access_at_once(api, world):
    app = business_draft(world["andy"], principal_of(world["andy"], f"org:{world['acme'].pk}"))
    assert api(world["andy"]).get(f"/api/v1/applications/{app.pk}/").status_code == 200
    url = f"/api/v1/organisations/{world['acme'].pk}/agents/{world['andys'].pk}/"
    assert api(world["lena"]).delete(url).status_code == 204
    assert api(world["lena"]).delete(url).status_code == 409  # already revoked
    assert api(world["andy"]).get(f"/api/v1/applications/{app.pk}/").status_code == 404
    assert api(world["andy"]).get("/api/v1/organisations/").json()["count"] == 0
    role = OrganisationRole.objects.get(pk=world["andys"].pk)
    assert role.revoked_by == world["lena"] and role.revoked_at is not None
    # the legal representative still sees the record
    roles = api(world["lena"]).get(f"/api/v1/organisations/{world['acme'].pk}/").json()["roles"]
    assert [r["live"] for r in roles if r["id"] == role.pk] == [False]


def test_an_agent_may_give_up_their_own_role_but_no_one_elses(api, world):
    pats = grant_agent(world["acme"], world["lena"], world["pat"])
    base = f"/api/v1/organisations/{world['acme'].pk}/agents/"
    legal = OrganisationRole.objects.get(organisation=world["acme"], user=world["lena"])
    assert api(world["andy"]).delete(f"{base}{pats.pk}/").status_code == 404
    assert api(world["andy"]).delete(f"{base}{legal.pk}/").status_code == 404
    assert api(world["lena"]).delete(f"{base}{legal.pk}/").status_code == 409  # changed by an administrator
    assert api(world["andy"]).delete(f"{base}{world['andys'].pk}/").status_code == 204
    assert api(world["oscar"]).delete(f"{base}{pats.pk}/").status_code == 404


def test_an_expired_agent_is_no_longer_one(api, world):
    with time_machine.travel(timezone.now() + timedelta(days=366)):
        assert api(world["andy"]).get("/api/v1/organisations/").json()["count"] == 0
        assert api(world["andy"]).get(f"/api/v1/organisations/{world['acme'].pk}/").status_code == 404


# -- authorisations -----------------------------------------------------------------------------------


def _authorisation_body(**overrides) -> dict:
    body = {"subject_id_number": id_number_for(321, birth="20240101"), "subject_name": "张小明",
            "relation": "parent", "one_thing": "newborn", "scope": "application", "expires_at": _later(),
            "evidence": SimpleUploadedFile("出生证明.pdf", PDF_BYTES, content_type="application/pdf")}
    return {**body, **overrides}


def test_an_agent_records_an_authorisation_with_its_evidence(api, world):
    response = api(world["gary"]).post("/api/v1/authorisations/", _authorisation_body(), format="multipart")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["agent"]["id"] == world["gary"].pk and body["subject"]["name"] == "张小明"
    assert body["live"] and body["acting_as"] == f"for:{body['id']}" and body["one_thing"] == "newborn"
    assert body["evidence"]["filename"] == "出生证明.pdf" and body["evidence"]["content_type"] == "application/pdf"
    subject = User.objects.get(pk=body["subject"]["id"])
    assert subject.profile_only  # no account yet: an unverified profile


def test_authorisations_held_and_given(api, world):
    held = api(world["gary"]).get("/api/v1/authorisations/?side=agent").json()
    given = api(world["pat"]).get("/api/v1/authorisations/?side=subject").json()
    assert [a["id"] for a in held["results"]] == [a["id"] for a in given["results"]] == [world["mandate"].pk]
    assert given["results"][0]["acting_as"] is None  # the subject does not act under it
    assert api(world["pat"]).get("/api/v1/authorisations/?side=agent").json()["count"] == 0
    assert api(world["oscar"]).get("/api/v1/authorisations/").json()["count"] == 0
    assert api(world["pat"]).get("/api/v1/authorisations/?side=both").status_code == 400


@pytest.mark.parametrize(("overrides", "status", "field"), [
    ({"relation": "friend"}, 400, "relation"),
    ({"one_thing": "no-such"}, 400, "one_thing"),
    ({"expires_at": "2020-01-01T00:00:00+08:00"}, 400, "expires_at"),
    ({"subject_id_number": "123"}, 400, "subject_id_number"),
    ({"evidence": SimpleUploadedFile("a.gif", b"GIF89a" + bytes(40), content_type="image/gif")}, 415, None),
    ({"evidence": SimpleUploadedFile("a.txt", b"hello", content_type="text/plain")}, 415, None),
])
def test_a_bad_authorisation_is_refused_and_records_nothing(api, world, overrides, status, field):
    before = Authorisation.objects.count()
    response = api(world["gary"]).post("/api/v1/authorisations/", _authorisation_body(**overrides),
                                       format="multipart")
    assert response.status_code == status, response.content
    if field:
        assert field in response.json()
    assert Authorisation.objects.count() == before


def test_an_authorisation_for_oneself_is_a_400(api, world):
    body = _authorisation_body(subject_id_number=world["gary"].id_number, subject_name=world["gary"].name)
    assert api(world["gary"]).post("/api/v1/authorisations/", body, format="multipart").status_code == 400


def test_an_authorisation_in_json_is_a_415(api, world):
    body = {k: v for k, v in _authorisation_body().items() if k != "evidence"}
    assert api(world["gary"]).post("/api/v1/authorisations/", body, format="json").status_code == 415


def test_the_subject_revokes_and_the_agent_loses_access(api, world):
    app = business_draft(world["gary"], principal_of(world["gary"], f"for:{world['mandate'].pk}"))
    assert api(world["gary"]).get(f"/api/v1/applications/{app.pk}/").status_code == 200
    url = f"/api/v1/authorisations/{world['mandate'].pk}/revoke/"
    assert api(world["oscar"]).post(url).status_code == 404
    response = api(world["pat"]).post(url)
    assert response.status_code == 200
    assert response.json()["live"] is False and response.json()["revoked_by"]["id"] == world["pat"].pk
    assert api(world["gary"]).post(url).status_code == 409
    assert api(world["gary"]).get(f"/api/v1/applications/{app.pk}/").status_code == 404
    assert api(world["pat"]).get(f"/api/v1/applications/{app.pk}/").status_code == 200


# -- applications for a principal ------------------------------------------------------------------------


def test_an_agent_applies_for_the_organisation(api, world):
    key = f"org:{world['acme'].pk}"
    response = api(world["andy"]).post("/api/v1/applications/", {"one_thing": "business-startup",
                                                                 "acting_as": key}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["applicant"] == {"kind": "organisation", "id": world["acme"].pk, "name": "杭州示例科技有限公司"}
    assert body["submitted_by"] == {"id": world["andy"].pk, "name": world["andy"].name}
    assert body["channel"] == "api"
    # The organisation's list, for every holder; not anybody's own list.
    for who in ("andy", "lena"):
        listed = api(world[who]).get(f"/api/v1/applications/?acting_as={key}").json()
        assert [a["id"] for a in listed["results"]] == [body["id"]]
        assert api(world[who]).get("/api/v1/applications/").json()["count"] == 0
    assert api(world["oscar"]).get(f"/api/v1/applications/?acting_as={key}").status_code == 404
    assert api(world["lena"]).get(f"/api/v1/applications/{body['id']}/").json()["applicant"]["kind"] == "organisation"


def test_an_agent_applies_for_a_person_under_an_authorisation(api, world):
    key = f"for:{world['mandate'].pk}"
    response = api(world["gary"]).post("/api/v1/applications/", {"one_thing": "business-startup",
                                                                 "acting_as": key}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["applicant"] == {"kind": "person", "id": world["pat"].pk, "name": world["pat"].name}
    assert body["submitted_by"]["id"] == world["gary"].pk
    assert Application.objects.get(pk=body["id"]).authorisation_id == world["mandate"].pk
    assert [a["id"] for a in api(world["gary"]).get(f"/api/v1/applications/?acting_as={key}").json()["results"]] \
        == [body["id"]]
    # the person sees it among their own
    assert [a["id"] for a in api(world["pat"]).get("/api/v1/applications/").json()["results"]] == [body["id"]]


@pytest.mark.parametrize(("acting_as", "status"), [
    ("org:999999", 404), ("for:999999", 404), ("person:1", 400), ("org:", 400), ("org:abc", 400),
    ("anyone", 400), ("org:1:2", 400), ("org:99999999999999999999", 400), (7, 400), ("me", 201),
])
def test_acting_as_is_checked(api, world, acting_as, status):
    response = api(world["gary"]).post("/api/v1/applications/", {"one_thing": "business-startup",
                                                                 "acting_as": acting_as}, format="json")
    assert response.status_code == status, response.content
    if status == 400:
        assert "acting_as" in response.json()
    assert Application.objects.count() == (1 if status == 201 else 0)


def test_someone_elses_principal_is_a_404(api, world):
    for who, key in (("oscar", f"org:{world['acme'].pk}"), ("pat", f"for:{world['mandate'].pk}"),
                     ("andy", f"for:{world['mandate'].pk}")):
        response = api(world[who]).post("/api/v1/applications/", {"one_thing": "business-startup",
                                                                  "acting_as": key}, format="json")
        assert response.status_code == 404, (who, key)
        assert api(world[who]).get(f"/api/v1/applications/?acting_as={key}").status_code == 404
    assert not Application.objects.exists()


def test_an_organisation_may_not_apply_for_a_persons_one_thing(api, world):
    response = api(world["andy"]).post("/api/v1/applications/", {"one_thing": "newborn",
                                                                 "acting_as": f"org:{world['acme'].pk}"},
                                       format="json")
    assert response.status_code == 400 and "one_thing" in response.json()


def test_the_lists_cost_a_bounded_number_of_queries(api, world, django_assert_max_num_queries):
    for n in range(3):
        grant_agent(world["other"], User.objects.get(username="olga"), CitizenFactory(username=f"extra{n}"))
        authorise(world["gary"], CitizenFactory(username=f"subject{n}"))
    key = f"org:{world['acme'].pk}"
    for _ in range(3):
        business_draft(world["andy"], principal_of(world["andy"], key), materials=False)
    client = api(world["lena"])
    with django_assert_max_num_queries(8):
        assert client.get(f"/api/v1/applications/?acting_as={key}").json()["count"] == 3
    with django_assert_max_num_queries(4):
        client.get("/api/v1/organisations/")
    with django_assert_max_num_queries(4):
        client.get(f"/api/v1/organisations/{world['acme'].pk}/")
    with django_assert_max_num_queries(4):
        assert api(world["gary"]).get("/api/v1/authorisations/").json()["count"] == 4
