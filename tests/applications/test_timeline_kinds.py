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
