"""容缺受理 and department systems: a deferred material handed in is sent to the webhook of each
case that needs it (``material.provided``, docs/webhooks.md)."""
from __future__ import annotations

import io

import pytest

from govflow.applications.models import TimelineEntry
from govflow.applications.services import uploading
from govflow.catalog.models import Department
from govflow.notifications.models import OutboxMessage

from ..stories import PDF_BYTES, case_of
from .conftest import BIRTH, newborn_draft, submit_deferring

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("notification_settings")]


def test_the_material_handed_in_is_sent_to_the_department_of_the_case_that_needs_it(
        citizen_alice, clerks, demo_catalog, frozen):
    Department.objects.filter(code__in=["health", "psb"]).update(webhook_url="https://example.org/hook",
                                                                 webhook_secret="s" * 16)
    app = submit_deferring(newborn_draft(citizen_alice), citizen_alice)
    assert not OutboxMessage.objects.filter(kind="webhook", event="material.provided").exists()

    uploading.document_upload(application=app, user=citizen_alice, material_code="delivery_record",
                             file=io.BytesIO(PDF_BYTES), filename="record.pdf")

    hook = OutboxMessage.objects.get(kind="webhook", event="material.provided")  # health's case only
    entry = TimelineEntry.objects.get(application=app, kind="material.provided")
    case = case_of(app, BIRTH)
    assert hook.payload["type"] == "material.provided" and hook.payload["case"]["id"] == case.pk
    assert hook.payload["case"]["department"] == "health"
    assert hook.payload["material"] == {"code": "delivery_record", "due_date": entry.data["due_date"]}
    assert hook.payload["occurred_at"] == entry.at.isoformat()
    # One entry on the applicant's timeline, whatever the number of departments told.
    assert entry.case is None


def test_without_a_webhook_nothing_is_sent(citizen_alice, clerks, demo_catalog, frozen):
    app = submit_deferring(newborn_draft(citizen_alice), citizen_alice)
    uploading.document_upload(application=app, user=citizen_alice, material_code="delivery_record",
                             file=io.BytesIO(PDF_BYTES), filename="record.pdf")
    assert not OutboxMessage.objects.filter(kind="webhook").exists()
    assert TimelineEntry.objects.filter(application=app, kind="material.provided").count() == 1
