"""Aliases: the ids a client already uses (here the GovStack conformance suite's) resolve to one things."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from govflow.govstack import ids
from govflow.govstack.models import Alias

ALIASES = Path(__file__).resolve().parents[2] / "docs" / "govstack-conformance-aliases.json"
SUITE_SERVICE = "f7d33db0-2809-484e-a780-76b7ccd4ecbf"
SUITE_EFORM = "d98a205a-679b-485b-823d-7a32a391e744"


@pytest.mark.django_db
def test_the_conformance_ids_resolve_once_loaded(demo_catalog, govstack, citizen_alice):
    alice = govstack(citizen_alice)
    assert alice.get("/services/{serviceId}", params={"serviceId": SUITE_SERVICE}).status_code == 404
    call_command("govstack_aliases", str(ALIASES))
    call_command("govstack_aliases", str(ALIASES))  # loading again changes nothing
    assert Alias.objects.count() == 3
    service = alice.get("/services/{serviceId}", params={"serviceId": SUITE_SERVICE}).json()
    assert service["id"] == ids.service_id("newborn")  # answers carry govflow's own ids
    assert alice.get("/services/{serviceId}/eForms", params={"serviceId": SUITE_SERVICE}).status_code == 200
    form = alice.get("/eForms/{eFormId}", params={"eFormId": SUITE_EFORM}).json()
    assert form["eFormId"] == ids.eform_id("newborn", 1) and "baby_name" in form["schema"]["properties"]
    created = alice.post("/services/{serviceId}/applications", params={"serviceId": SUITE_SERVICE},
                         body={"applicantId": str(citizen_alice.pk)})
    assert created.status_code == 200 and created.json()["serviceId"] == ids.service_id("newborn")


@pytest.mark.django_db
@pytest.mark.parametrize("document", [[], {"services": {"x": "no-such-one-thing"}}, {"services": {"x": 5}},
                                      {"other": {}}])
def test_bad_alias_files_change_nothing(demo_catalog, tmp_path, document):
    path = tmp_path / "aliases.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("govstack_aliases", str(path))
    assert not Alias.objects.exists()
