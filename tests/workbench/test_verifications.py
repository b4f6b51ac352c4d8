"""告知承诺制 in the workbench: the office's queue of commitments to verify (bounded queries), the
page with the text and the PDF, recording true or false, and other offices' clerks kept out."""
from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from govflow.applications.models import RefusalEntry, Verification

from ..commitment_story import approved, committed_application, with_rate
from ..pdf_text import pdf_text
from ..stories import case_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def every_one(demo_catalog):
    with_rate(1)


def queue_queries(client) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("workbench:verifications"))
    assert response.status_code == 200
    return len(ctx.captured_queries), response.content.decode()


def test_the_queue_lists_the_offices_verifications_in_bounded_queries(as_user, citizen_alice, clerks, every_one):
    amr = as_user(clerks["amr"])
    first = approved(citizen_alice, clerks["amr"])
    one, html = queue_queries(amr)
    assert first.number in html and html.count("data-verification=") == 1
    for _ in range(4):
        approved(citizen_alice, clerks["amr"])
    five, html = queue_queries(amr)
    assert html.count("data-verification=") == 5
    assert five == one, "no per-row queries"
    assert one <= 5, one  # measured: 5, the same for 1 and 5 rows
    # Another department's clerk sees none, and cannot open one.
    tax = as_user(clerks["tax"])
    assert "data-verification=" not in tax.get(reverse("workbench:verifications")).content.decode()
    pk = Verification.objects.first().pk
    assert tax.get(reverse("workbench:verification", args=[pk])).status_code == 404
    assert tax.get(reverse("workbench:verification-pdf", args=[pk])).status_code == 404
    assert tax.post(reverse("workbench:verification", args=[pk]), {"outcome": "false", "note": "x"}).status_code == 404


def test_the_page_shows_the_commitment_and_records_a_false_one(as_user, citizen_alice, clerks, every_one):
    app = approved(citizen_alice, clerks["amr"])
    verification = Verification.objects.get()
    amr = as_user(clerks["amr"])
    url = reverse("workbench:verification", args=[verification.pk])
    html = amr.get(url).content.decode()
    assert verification.commitment.text["en"][:60] in html and "data-commitment-pdf" in html
    pdf = amr.get(reverse("workbench:verification-pdf", args=[verification.pk]))
    assert pdf.status_code == 200 and app.number in pdf_text(b"".join(pdf.streaming_content))

    missing_note = amr.post(url, {"outcome": "false", "note": ""})
    assert missing_note.status_code == 200 and "Say what the verification found" in missing_note.content.decode()
    assert Verification.objects.get().outcome == "pending"

    done = amr.post(url, {"outcome": "false", "note": "The lease is forged."})
    assert done.status_code == 302 and done["Location"] == reverse("workbench:verifications")
    assert Verification.objects.get().outcome == "false" and RefusalEntry.objects.count() == 1
    again = amr.post(url, {"outcome": "true"})
    assert again.status_code == 302  # refused with a message, nothing changes
    assert Verification.objects.get().outcome == "false"
    listed = amr.get(reverse("workbench:verifications") + "?done=1").content.decode()
    assert app.number in listed
    assert app.number not in amr.get(reverse("workbench:verifications")).content.decode()


def test_the_task_page_marks_the_signed_commitment_and_opens_its_pdf(as_user, citizen_alice, clerks, every_one):
    app = committed_application(citizen_alice)
    case = case_of(app, "amr-licence")
    amr = as_user(clerks["amr"])
    html = amr.get(reverse("workbench:task", args=[case.task_id])).content.decode()
    assert "data-commitment" in html and "signed commitment instead" in html
    document = app.documents.get(material_code="premises_proof")
    pdf = amr.get(reverse("workbench:document", args=[case.task_id, document.pk]))
    assert pdf.status_code == 200 and app.number in pdf_text(b"".join(pdf.streaming_content))
