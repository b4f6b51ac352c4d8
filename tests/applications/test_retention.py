"""Retention (applications/retention.py) under a frozen clock: untouched drafts are reminded once,
then deleted with their files; decided applications' files go when every procedure using the
material has kept it as long as the catalog says (the longest wins; none said: for ever). Every
deletion leaves a purge record; the sweep is idempotent. Calendar time, any weekday."""
from __future__ import annotations

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

from govflow.applications import retention
from govflow.applications.models import (
    Application,
    ApplicationStatus,
    Document,
    PurgeReason,
    PurgeRecord,
    TimelineEntry,
)
from govflow.applications.selectors import application_timeline
from govflow.catalog.io import export_catalog
from govflow.catalog.models import Procedure
from govflow.catalog.services import import_catalog
from govflow.notifications.models import OutboxMessage

from ..conftest import load_demo_document
from ..stories import approve, case_of, draft, submitted, upload

pytestmark = pytest.mark.django_db

#: A Saturday: retention counts calendar days and years, whatever the day.
T0 = timezone.make_aware(timezone.datetime(2026, 12, 5, 10, 0))
BUSINESS = ("amr-licence", "psb-seal-filing", "tax-registration", "hrss-employer-insurance", "hpf-employer-account")
#: amr-licence keeps its materials 1 year, tax-registration says nothing (for ever), the others 3.
YEARS = {"amr-licence": 1, "psb-seal-filing": 3, "hrss-employer-insurance": 3, "hpf-employer-account": 3}


@pytest.fixture
def retention_catalog(demo_catalog):
    """The demo catalog again (after ``demo_catalog``, which ``clerks`` imports), with retentions."""
    doc = load_demo_document()
    for procedure in doc["procedures"]:
        if procedure["code"] in YEARS:
            procedure["retention"] = {"years": YEARS[procedure["code"]]}
    import_catalog(doc)


def sweep(when, django_capture_on_commit_callbacks):
    with time_machine.travel(when, tick=False), django_capture_on_commit_callbacks(execute=True):
        return retention.sweep()


# -- drafts --------------------------------------------------------------------------------------


def test_an_untouched_draft_is_reminded_once_then_deleted_with_its_files(
        demo_catalog, citizen_alice, settings, django_capture_on_commit_callbacks):
    settings.GOVFLOW_DRAFT_RETENTION_DAYS, settings.GOVFLOW_DRAFT_REMINDER_DAYS = 90, 7
    with time_machine.travel(T0, tick=False):
        old = draft(citizen_alice, "newborn")
        kept = draft(citizen_alice, "newborn")
        submitted_app = submitted(citizen_alice, "business-startup")
    names = [d.file.name for d in old.documents.all()]
    assert names and all(default_storage.exists(n) for n in names)

    assert sweep(T0 + timedelta(days=82), django_capture_on_commit_callbacks)["reminded"] == 0
    assert sweep(T0 + timedelta(days=84), django_capture_on_commit_callbacks)["reminded"] == 2
    reminders = OutboxMessage.objects.filter(event="draft.expiring")
    assert reminders.count() == 2 and reminders.filter(application=old, recipient=citizen_alice).exists()
    old.refresh_from_db()
    assert old.retention_reminded_at == T0 + timedelta(days=84) and old.updated_at == T0  # no change of the draft
    assert sweep(T0 + timedelta(days=85), django_capture_on_commit_callbacks) == \
        {"reminded": 0, "drafts_deleted": 0, "files_purged": 0}
    # Alice continues one draft after the reminder: it starts over.
    with time_machine.travel(T0 + timedelta(days=86), tick=False):
        upload(kept, citizen_alice, "baby_photo", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64, "photo.jpg")

    # Day 90 passed, but the reminder is not a week old yet: nothing goes.
    assert sweep(T0 + timedelta(days=90, hours=12), django_capture_on_commit_callbacks)["drafts_deleted"] == 0
    counts = sweep(T0 + timedelta(days=91, hours=1), django_capture_on_commit_callbacks)
    assert counts["drafts_deleted"] == 1
    assert not Application.objects.filter(pk=old.pk).exists()
    assert not Document.objects.filter(application_id=old.pk).exists()
    assert not any(default_storage.exists(n) for n in names)
    record = PurgeRecord.objects.get()
    assert (record.reason, record.application_id_ref, record.documents, record.files) == (
        PurgeReason.DRAFT_UNTOUCHED, old.pk, len(names), len(names))
    assert citizen_alice.id_number not in str(record.detail) and "陈丽" not in str(record.detail)
    assert Application.objects.filter(pk=kept.pk).exists()
    assert Application.objects.get(pk=submitted_app.pk).status != ApplicationStatus.DRAFT
    # Again: nothing more.
    assert sweep(T0 + timedelta(days=91, hours=2), django_capture_on_commit_callbacks)["drafts_deleted"] == 0
    # The continued draft is reminded anew 83 days after its change, and goes a week later.
    assert sweep(T0 + timedelta(days=86 + 84), django_capture_on_commit_callbacks)["reminded"] == 1
    assert sweep(T0 + timedelta(days=86 + 92), django_capture_on_commit_callbacks)["drafts_deleted"] == 1
    assert PurgeRecord.objects.count() == 2


def test_drafts_are_kept_when_the_setting_says_zero(demo_catalog, citizen_alice, settings,
                                                    django_capture_on_commit_callbacks):
    settings.GOVFLOW_DRAFT_RETENTION_DAYS = 0
    with time_machine.travel(T0, tick=False):
        app = draft(citizen_alice, "newborn")
    assert sweep(T0 + timedelta(days=1000), django_capture_on_commit_callbacks)["drafts_deleted"] == 0
    assert Application.objects.filter(pk=app.pk).exists()


# -- decided applications' files -------------------------------------------------------------------


def test_files_go_when_every_procedure_using_them_kept_them_long_enough(
        retention_catalog, citizen_alice, clerks, django_capture_on_commit_callbacks):
    with time_machine.travel(T0, tick=False):
        app = submitted(citizen_alice, "business-startup")
        for code in BUSINESS:
            approve(app, code, clerks[code.split("-")[0]])
    app.refresh_from_db()
    assert app.status == ApplicationStatus.COMPLETED
    files = {d.material_code: d.file.name for d in app.documents.all()}

    assert sweep(T0 + timedelta(days=364), django_capture_on_commit_callbacks)["files_purged"] == 0
    # A year and a day: what only the licence used (kept a year) goes; a material the 3-year
    # procedures use too is kept; one tax-registration uses (no retention) is kept for ever.
    one_year = T0 + timedelta(days=366)
    assert sweep(one_year, django_capture_on_commit_callbacks)["files_purged"] == 2
    purged = dict(Document.objects.filter(application=app).values_list("material_code", "purged_at"))
    assert {code for code, at in purged.items() if at} == {"articles_of_association", "investor_id_docs"}
    assert not default_storage.exists(files["articles_of_association"])
    assert default_storage.exists(files["legal_rep_id_card"])
    assert sweep(one_year + timedelta(hours=1), django_capture_on_commit_callbacks)["files_purged"] == 0

    counts = sweep(T0 + timedelta(days=3 * 365 + 2), django_capture_on_commit_callbacks)
    assert counts["files_purged"] == 2  # legal_rep_id_card, employee_roster
    left = Document.objects.filter(application=app, purged_at__isnull=True)
    assert [d.material_code for d in left] == ["premises_proof"] and left[0].file
    assert sweep(T0 + timedelta(days=50 * 365), django_capture_on_commit_callbacks)["files_purged"] == 0

    records = PurgeRecord.objects.filter(reason=PurgeReason.RETENTION_ENDED).order_by("at")
    assert [r.documents for r in records] == [2, 2] and records[0].application_number == app.number
    entries = list(application_timeline(app).filter(kind="document.purged"))
    assert len(entries) == 2 and entries[0].data["materials"] == ["articles_of_association", "investor_id_docs"]

    # The status page says when instead of a link; the old link is a 404.
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(citizen_alice)
    page = client.get(reverse("application", args=[app.pk])).content.decode()
    assert "data-purged" in page and "deleted on" in page
    gone = Document.objects.get(application=app, material_code="articles_of_association")
    assert client.get(reverse("application-document", args=[app.pk, gone.pk])).status_code == 404
    api = APIClient()
    api.force_authenticate(citizen_alice)
    urls = {d["material"]: d["url"] for d in api.get(f"/api/v1/applications/{app.pk}/").json()["documents"]}
    assert urls["articles_of_association"] is None and urls["premises_proof"]
    # Nor does the workbench serve it (a decided case's page lists no materials).
    clerk = Client(HTTP_ACCEPT_LANGUAGE="en")
    clerk.force_login(clerks["amr"])
    task_id = case_of(app, "amr-licence").task_id
    assert clerk.get(reverse("workbench:document", args=[task_id, gone.pk])).status_code == 404


def test_an_open_application_keeps_its_files(retention_catalog, citizen_alice, clerks,
                                             django_capture_on_commit_callbacks):
    with time_machine.travel(T0, tick=False):
        app = submitted(citizen_alice, "business-startup")
        approve(app, "amr-licence", clerks["amr"])
    assert sweep(T0 + timedelta(days=5 * 365), django_capture_on_commit_callbacks)["files_purged"] == 0
    assert not Document.objects.filter(purged_at__isnull=False).exists()
    assert not TimelineEntry.objects.filter(kind="document.purged").exists()


def test_the_sweep_reads_a_bounded_number_of_queries_per_application(
        demo_catalog, citizen_alice, settings, django_capture_on_commit_callbacks):
    settings.GOVFLOW_DRAFT_RETENTION_DAYS, settings.GOVFLOW_DRAFT_REMINDER_DAYS = 90, 7

    def queries(made: timedelta, n: int, when: timedelta) -> int:
        with time_machine.travel(T0 + made, tick=False):
            for _ in range(n):
                draft(citizen_alice, "newborn")
        with CaptureQueriesContext(connection) as ctx:
            counts = sweep(T0 + when, django_capture_on_commit_callbacks)
        assert counts["reminded"] == n
        return len(ctx.captured_queries)

    one = queries(timedelta(0), 1, timedelta(days=84))
    # Three more to remind, and the first looked at again (reminded already: nothing to do).
    four = queries(timedelta(days=1), 3, timedelta(days=85))
    # 12 queries on SQLite, 13 on PostgreSQL (its row locks); the point is the linear bound.
    assert one <= 14 and four <= 4 * one, (one, four)


def test_the_catalog_round_trip_keeps_the_retention(retention_catalog):
    assert Procedure.objects.get(code="amr-licence").retention_years == 1
    assert Procedure.objects.get(code="tax-registration").retention_years is None
    doc = export_catalog()
    procedures = {p["code"]: p for p in doc["procedures"]}
    assert procedures["amr-licence"]["retention"] == {"years": 1}
    assert "retention" not in procedures["tax-registration"]
    bad = load_demo_document()
    bad["procedures"][0]["retention"] = {"years": 0}
    with pytest.raises(Exception) as caught:
        import_catalog(bad)
    assert "retention" in str(caught.value) or "years" in str(caught.value)
    assert Procedure.objects.get(code="amr-licence").retention_years == 1
