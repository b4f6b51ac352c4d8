"""Aliases: the ids a client already uses (here the GovStack conformance suite's) resolve to one things."""
from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from govflow.catalog.calendar import local_date
from govflow.govstack import ids
from govflow.govstack.models import Alias

from ..factories import UserFactory
from ..stories import approve, submitted
from .test_clients_and_errors import NEWBORN_ORDER

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



@pytest.mark.django_db
def test_statistics_registration_name_takes_service_ids_and_aliases(demo_catalog, govstack, clerks, settings):
    """``registrationName`` of statistics: a code, a name, govflow's service id, or an alias of one."""
    settings.GOVFLOW_AUTOMATIC_STEPS = False
    app = submitted(UserFactory(username="applicant"), "newborn")
    for procedure in NEWBORN_ORDER:
        approve(app, procedure, clerks[procedure.split("-")[0]])
    call_command("govstack_aliases", str(ALIASES))
    today = local_date(timezone.now())
    staff = govstack(UserFactory(username="staffer", is_staff=True))

    def processed(name: str):
        response = staff.call("get", "/data/statistics", document="statistics", query={
            "startDate": (today - timedelta(days=1)).isoformat(), "endDate": today.isoformat(),
            "registrationName": name})
        if response.status_code != 200:
            return response.status_code
        assert [row["references"]["registrationName"] for row in response.json()] == [name]  # echoed as asked
        return [row["processed"] for row in response.json()]

    newborn = next(s for s in staff.get("/services").json() if s["id"] == ids.service_id("newborn"))
    for name in ("newborn", newborn["name"], ids.service_id("newborn"), SUITE_SERVICE):
        assert processed(name) == [1], name
    assert processed(ids.service_id("business-startup")) == [0]
    for name in ("f7d33db0-0000-0000-0000-000000000000", SUITE_EFORM, "x" * 101):  # an eForm's alias names no service
        assert processed(name) == 404, name
    assert processed("a\u0000b") == 400  # refused before any view
