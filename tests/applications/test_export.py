"""Download my data (applications/export.py): the archive holds everything of the person and
nothing of anyone else; only its owner downloads it, for a day; requests are limited; the build
reads a number of queries that does not grow with the number of applications."""
from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from govflow.applications import access, export
from govflow.applications.models import (
    AccessRecord,
    Application,
    DataExport,
    DataExportStatus,
    Document,
    TimelineEntry,
)
from govflow.notifications.models import OutboxMessage

from ..stories import BUSINESS_ANSWERS, approve, case_of, draft, submitted

pytestmark = pytest.mark.django_db

CAROLS_COMPANY = "卡罗尔的秘密公司"


def web(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def api(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


@pytest.fixture
def world(citizen_alice, citizen_carol, clerks):
    """Alice: a business startup with the licence approved (a clerk read it), and a newborn draft.
    Carol: an application of her own, read by the same clerk."""
    clerk = clerks["amr"]
    mine = submitted(citizen_alice, "business-startup")
    approve(mine, "amr-licence", clerk)
    web(clerk).get(reverse("workbench:task", args=[case_of(mine, "amr-licence").task_id]))
    # A staff-only entry on Alice's timeline: never in her archive.
    TimelineEntry.objects.create(application=mine, kind="task.retried", actor=clerk, message="STAFF-ONLY-NOTE")
    mine_draft = draft(citizen_alice, "newborn")
    carols = submitted(citizen_carol, "business-startup", answers={**BUSINESS_ANSWERS, "company_name": CAROLS_COMPANY})
    services_read = case_of(carols, "amr-licence")
    access.record(reader=clerk, interface="workbench", purpose="queue", case=services_read)
    return {"mine": mine, "draft": mine_draft, "carols": carols, "clerk": clerk}


def _request(client, django_capture_on_commit_callbacks, url="/accounts/my-data/"):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(url)


def _archive(response) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def test_the_archive_holds_everything_of_mine_and_nothing_of_anyone_else(
        world, citizen_alice, django_capture_on_commit_callbacks):
    client = web(citizen_alice)
    response = _request(client, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    done = DataExport.objects.get(user=citizen_alice)
    assert done.status == DataExportStatus.READY
    assert done.expires_at == done.ready_at + timedelta(hours=24)
    assert OutboxMessage.objects.filter(recipient=citizen_alice, event="export.ready").count() == 1
    page = client.get("/accounts/my-data/").content.decode()
    assert reverse("my-data-file", args=[done.token]) in page

    archive = _archive(client.get(reverse("my-data-file", args=[done.token])))
    data = json.loads(archive.read("data.json"))
    assert data["profile"]["id_number"] == citizen_alice.id_number  # their own, in full
    assert {a["id"] for a in data["applications"]} == {world["mine"].pk, world["draft"].pk}
    mine = next(a for a in data["applications"] if a["id"] == world["mine"].pk)
    assert mine["answers"]["company_name"] == BUSINESS_ANSWERS["company_name"]
    assert {c["procedure"]["code"]: c["status"] for c in mine["cases"]}["amr-licence"] == "approved"
    assert {r["code"] for r in mine["results"]} >= {"uscc"}
    kinds = [e["kind"] for e in mine["timeline"]]
    assert "application.submitted" in kinds and "case.approved" in kinds and "task.retried" not in kinds
    # Every uploaded file, byte for byte, of both applications.
    documents = Document.objects.filter(application__applicant=citizen_alice).exclude(file="")
    listed = {d["file"] for a in data["applications"] for d in a["documents"] if d["file"]}
    assert len(listed) == documents.count() and listed <= set(archive.namelist())
    for app in data["applications"]:
        for d in app["documents"]:
            stored = Document.objects.get(application_id=app["id"], material_code=d["material"])
            with stored.file.open("rb") as f:
                assert archive.read(d["file"]) == f.read()
    # The access records are exactly those of "who used my information".
    assert len(data["access_records"]) == access.records_for_citizen(citizen_alice).count() >= 1
    assert {r["application"] for r in data["access_records"]} == {world["mine"].pk}
    # Nothing of Carol's, nor staff notes, anywhere in the archive.
    everything = b"".join(archive.read(name) for name in archive.namelist()).decode("utf-8", "replace")
    assert CAROLS_COMPANY not in everything and "STAFF-ONLY-NOTE" not in everything
    assert world["carols"].number not in everything
    done.refresh_from_db()
    assert done.downloads == 1 and done.downloaded_at is not None


def test_only_the_owner_downloads_it_and_only_for_a_day(world, citizen_alice, citizen_carol,
                                                        django_capture_on_commit_callbacks):
    response = _request(api(citizen_alice), django_capture_on_commit_callbacks, "/api/v1/me/export/")
    assert response.status_code == 202
    pk = response.json()["id"]
    done = DataExport.objects.get(pk=pk)
    body = api(citizen_alice).get(f"/api/v1/me/export/{pk}/").json()
    assert body["status"] == "ready" and body["file"].endswith(f"/api/v1/me/export/{pk}/file")
    # Anyone else: it does not exist.
    assert api(citizen_carol).get(f"/api/v1/me/export/{pk}/").status_code == 404
    assert api(citizen_carol).get(f"/api/v1/me/export/{pk}/file").status_code == 404
    assert web(citizen_carol).get(reverse("my-data-file", args=[done.token])).status_code == 404
    assert api(world["clerk"]).get(f"/api/v1/me/export/{pk}/file").status_code == 404
    assert api(citizen_alice).get("/api/v1/me/export/x/").status_code == 404
    ok = api(citizen_alice).get(f"/api/v1/me/export/{pk}/file")
    assert ok.status_code == 200 and ok["Content-Type"] == "application/zip"
    assert "data.json" in _archive(ok).namelist()

    with time_machine.travel(done.expires_at + timedelta(seconds=1), tick=False):
        assert api(citizen_alice).get(f"/api/v1/me/export/{pk}/file").status_code == 410
        assert web(citizen_alice).get(reverse("my-data-file", args=[done.token])).status_code == 410
        name = done.file.name
        assert default_storage.exists(name)
        with django_capture_on_commit_callbacks(execute=True):
            assert export.expire() == 1
        assert export.expire() == 0  # idempotent
    done.refresh_from_db()
    assert done.status == DataExportStatus.EXPIRED and not done.file
    assert not default_storage.exists(name)
    assert api(citizen_alice).get(f"/api/v1/me/export/{pk}/file").status_code == 410


def test_one_request_at_a_time_and_one_an_hour(citizen_alice, django_capture_on_commit_callbacks):
    first = export.request_export(user=citizen_alice)  # not built: the commit never came
    assert first.status == DataExportStatus.PENDING
    response = api(citizen_alice).post("/api/v1/me/export/")
    assert response.status_code == 409
    export.build(first.pk)
    response = api(citizen_alice).post("/api/v1/me/export/")
    assert response.status_code == 429
    page = web(citizen_alice).post("/accounts/my-data/")
    assert page.status_code == 429 and "a short while ago" in page.content.decode()
    assert DataExport.objects.filter(user=citizen_alice).count() == 1
    with time_machine.travel(timezone.now() + timedelta(minutes=61)):
        assert _request(api(citizen_alice), django_capture_on_commit_callbacks,
                        "/api/v1/me/export/").status_code == 202
    assert DataExport.objects.filter(user=citizen_alice, status="ready").count() == 2
    assert export.build(first.pk) is None  # built already: left alone


def test_the_portal_asks_with_a_post_only(citizen_alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(citizen_alice)
    assert client.post("/accounts/my-data/").status_code == 403  # no CSRF token
    assert Client().get("/accounts/my-data/").status_code == 302  # sign in first
    assert not DataExport.objects.exists()


def test_the_build_reads_a_fixed_number_of_queries(citizen_alice, clerks):
    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            data, files = export.collect(citizen_alice)
        assert len(data["applications"]) == Application.objects.filter(applicant=citizen_alice).count()
        return len(ctx.captured_queries)

    app = submitted(citizen_alice, "business-startup")
    approve(app, "amr-licence", clerks["amr"])
    one = queries()
    for _ in range(3):
        approve(submitted(citizen_alice, "business-startup"), "amr-licence", clerks["amr"])
        draft(citizen_alice, "newborn")
    assert queries() == one <= 14
    assert AccessRecord.objects.count() == 0


def test_a_lost_request_is_handed_over_again_and_a_failed_one_may_be_asked_again(citizen_alice):
    lost = export.request_export(user=citizen_alice)  # its commit never came: no worker heard of it
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        export.expire()
        assert DataExport.objects.get(pk=lost.pk).status == DataExportStatus.PENDING
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        export.expire()  # the hourly job hands it over again (Celery is eager here)
    assert DataExport.objects.get(pk=lost.pk).status == DataExportStatus.READY

    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        again = export.request_export(user=citizen_alice)
        DataExport.objects.filter(pk=again.pk).update(status=DataExportStatus.FAILED, error="OSError")
        # A failed build does not count against the rate limit.
        assert export.request_export(user=citizen_alice).status == DataExportStatus.PENDING
    with time_machine.travel(timezone.now() + timedelta(hours=9)):
        export.expire()  # pending for six hours and more: given up, the person may ask again
    assert DataExport.objects.filter(user=citizen_alice, status=DataExportStatus.FAILED).count() == 2
