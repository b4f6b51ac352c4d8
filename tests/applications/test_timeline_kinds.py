"""The registry of timeline kinds: the lists the API and the webhooks document, the words each
reader sees, and an entry of every kind the services write on a real application."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.utils import translation

from govflow.applications.models import TimelineEntry
from govflow.applications.timeline import DEPARTMENT_KINDS, KINDS, PUBLIC_TIMELINE_KINDS, citizen_text, staff_label

from ..stories import approve, submitted

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _documented(path: str, start: str, end: str) -> list[str]:
    text = (DOCS / path).read_text(encoding="utf-8")
    part = text[text.index(start):]
    return re.findall(r"`([a-z]+\.[a-z_]+)`", part[:part.index(end)])


def test_the_public_kinds_are_the_api_contracts_list_in_its_order():
    assert list(PUBLIC_TIMELINE_KINDS) == _documented("api.md", "oldest first:", "It names departments")


def test_the_kinds_sent_to_departments_are_the_documented_webhook_events():
    assert DEPARTMENT_KINDS == set(_documented("webhooks.md", "is one event:", "An event is recorded"))
    assert DEPARTMENT_KINDS <= set(PUBLIC_TIMELINE_KINDS)


def test_every_public_kind_has_words_for_the_staff_and_for_the_applicant_in_both_languages():
    for code in PUBLIC_TIMELINE_KINDS:
        assert KINDS[code].label is not None and KINDS[code].citizen_text is not None, code
        with translation.override("zh-hans"):
            assert re.search(r"[\u4e00-\u9fff]", staff_label(code)), code
            assert re.search(r"[\u4e00-\u9fff]", citizen_text(code, procedure="p", department="d")), code


def test_the_applicants_words_name_the_procedure_and_the_department():
    with translation.override("en"):
        assert citizen_text("case.approved", procedure="Licence", department="AMR") == "Licence: approved by AMR"
        assert citizen_text("application.withdrawn") == "You withdrew the application"


def test_a_kind_without_words_shows_as_its_string():
    assert staff_label("task.retried") == "task.retried" and "task.retried" not in PUBLIC_TIMELINE_KINDS
    assert staff_label("something.new") == citizen_text("something.new") == "something.new"


@pytest.mark.django_db
def test_every_kind_a_real_application_writes_is_registered(citizen_alice, clerks):
    app = submitted(citizen_alice, "business-startup")
    approve(app, "amr-licence", clerks["amr"])
    kinds = set(TimelineEntry.objects.filter(application=app).values_list("kind", flat=True))
    assert {"application.submitted", "case.queued", "case.claimed", "case.approved"} <= kinds
    assert kinds <= set(KINDS)


@pytest.mark.django_db
def test_a_reassignment_is_its_own_kind_by_the_supervisor_from_and_to_and_the_applicant_reads_it_once(
        citizen_alice, clerks, clerk_dan_amr, supervisor_sue_amr):
    from django.test import Client
    from django.urls import reverse

    from govflow.applications.services import deciding

    from ..stories import case_of

    app = submitted(citizen_alice, "business-startup")
    case = case_of(app, "amr-licence")
    deciding.task_claim(case=case, user=clerks["amr"])
    deciding.task_assign(case=case, user=supervisor_sue_amr, assignee=clerk_dan_amr)

    entries = list(TimelineEntry.objects.filter(application=app, case=case).order_by("at", "id"))
    assert [e.kind for e in entries] == ["case.queued", "case.claimed", "case.reassigned"]
    moved = entries[-1]
    assert moved.actor == supervisor_sue_amr
    assert moved.data["from"]["id"] == clerks["amr"].pk and moved.data["to"]["id"] == clerk_dan_amr.pk

    citizen = Client(HTTP_ACCEPT_LANGUAGE="en")
    citizen.force_login(citizen_alice)
    page = citizen.get(reverse("application", args=[app.pk])).content.decode()
    assert page.count("started the review") == 1
    assert page.count("passed to another clerk at") == 1
    assert clerk_dan_amr.username not in page and (clerk_dan_amr.name or "@@") not in page

    clerk = Client(HTTP_ACCEPT_LANGUAGE="en")
    clerk.force_login(clerk_dan_amr)
    task = clerk.get(reverse("workbench:task", args=[case_of(app, "amr-licence").task_id])).content.decode()
    dan = clerk_dan_amr.name or clerk_dan_amr.username
    bob = clerks["amr"].name or clerks["amr"].username
    assert "Reassigned" in task and f"from {bob} to {dan}" in task


@pytest.mark.django_db
def test_an_unclaimed_task_given_to_a_clerk_reads_as_the_review_starting(citizen_alice, clerk_dan_amr,
                                                                       supervisor_sue_amr):
    from govflow.applications.services import deciding

    from ..stories import case_of

    app = submitted(citizen_alice, "business-startup")
    deciding.task_assign(case=case_of(app, "amr-licence"), user=supervisor_sue_amr, assignee=clerk_dan_amr)
    entry = TimelineEntry.objects.get(application=app, kind="case.reassigned")
    assert entry.data["from"] is None
    with translation.override("en"):
        assert citizen_text(entry.kind, procedure="Licence", department="AMR", data=entry.data) == (
            "Licence: a clerk at AMR started the review")
