"""eForms of every published version, and ``formData.eFormId`` on a new application file."""
from __future__ import annotations

import pytest

from govflow.applications.models import Application
from govflow.catalog.models import OneThing
from govflow.catalog.services import publish_one_thing
from govflow.govstack import ids
from govflow.govstack.models import Alias, AliasKind

SERVICE = "/services/{serviceId}/applications"


@pytest.fixture
def two_versions(demo_catalog):
    """The newborn one thing published a second time (version 2 current, version 1 older)."""
    newborn = OneThing.objects.get(code="newborn")
    OneThing.objects.filter(pk=newborn.pk).update(committed_days=newborn.committed_days + 1)
    assert publish_one_thing(one_thing=newborn).number == 2
    return newborn


@pytest.mark.django_db
def test_an_older_versions_eform_is_served_not_latest(two_versions, govstack):
    anyone = govstack(None, header=None)
    old, current = ids.eform_id("newborn", 1), ids.eform_id("newborn", 2)
    forms = anyone.get("/services/{serviceId}/eForms", params={"serviceId": ids.service_id("newborn")}).json()
    assert [(f["eFormId"], f["version"], f["latest"]) for f in forms] == [(current, "2", True), (old, "1", False)]
    older = anyone.get("/eForms/{eFormId}", params={"eFormId": old})
    assert older.status_code == 200
    assert (older.json()["eFormId"], older.json()["version"], older.json()["latest"]) == (old, "1", False)
    assert older.json()["schema"]["type"] == "object"
    assert anyone.get("/eForms/{eFormId}", params={"eFormId": current}).json()["latest"] is True
    assert anyone.get("/eForms/{eFormId}", params={"eFormId": ids.eform_id("newborn", 3)}).status_code == 404


@pytest.mark.django_db
def test_the_eform_id_of_a_new_file_must_be_the_services_current_one(two_versions, govstack, citizen_alice):
    alice = govstack(citizen_alice)

    def start(eform_id):
        return alice.post(SERVICE, params={"serviceId": ids.service_id("newborn")},
                          body={"applicantId": "me", "formData": {"eFormId": eform_id, "data": {}}})

    for eform_id in (ids.eform_id("newborn", 1), ids.eform_id("business-startup", 1), "n0t-an-ef0rm", 7, ""):
        refused = start(eform_id)
        assert refused.status_code == 400, eform_id
        assert "eFormId" in refused.json()["errors"]["formData"]
    assert ids.eform_id("newborn", 2) in start(ids.eform_id("newborn", 1)).json()["message"]  # names the current one
    assert not Application.objects.exists()
    created = start(ids.eform_id("newborn", 2))
    assert created.status_code == 200
    assert created.json()["applicationData"]["formData"]["eFormId"] == ids.eform_id("newborn", 2)
    Alias.objects.create(kind=AliasKind.EFORM, external_id="d98a205a-679b-485b-823d-7a32a391e744", one_thing=two_versions)
    assert start("d98a205a-679b-485b-823d-7a32a391e744").status_code == 200
    assert Application.objects.count() == 2


@pytest.mark.django_db
def test_the_eform_id_sent_with_a_file_must_be_its_own(demo_catalog, govstack, citizen_alice):
    """A file stays on the version it was started on: sending it names that version's eForm, or none."""
    alice = govstack(citizen_alice)
    file_id = alice.post(SERVICE, params={"serviceId": ids.service_id("newborn")},
                         body={"applicantId": "me"}).json()["fileId"]
    newborn = OneThing.objects.get(code="newborn")
    OneThing.objects.filter(pk=newborn.pk).update(committed_days=newborn.committed_days + 1)
    publish_one_thing(one_thing=newborn)

    def send(eform_id):
        return alice.put("/applications/{fileId}", params={"fileId": file_id},
                         body={"applicantId": "me", "formData": {"eFormId": eform_id, "data": {}}})

    for eform_id in (ids.eform_id("newborn", 2), "d98a205a-679b-485b-823d-7a32a391e744", "nope"):
        refused = send(eform_id)
        assert refused.status_code == 400 and "eFormId" in refused.json()["errors"]["formData"], eform_id
    assert ids.eform_id("newborn", 1) in send(ids.eform_id("newborn", 2)).json()["message"]  # names the file's own
    assert Application.objects.get(pk=file_id).status == "draft"
    # Its own eForm passes that check (the submission then says what the draft still lacks).
    own = send(ids.eform_id("newborn", 1))
    assert own.status_code in (200, 400) and "eFormId" not in str(own.json().get("errors", {}).get("formData", ""))
