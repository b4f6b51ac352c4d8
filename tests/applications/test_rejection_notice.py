"""A refusal names the remedies the catalog sets per procedure (行政复议 / 行政诉讼: where, within
how long, counted from the decision): on the status page, in the API and in the notification."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from govflow.applications.services import deciding
from govflow.catalog.models import OneThing, Procedure
from govflow.catalog.remedies import add_months
from govflow.catalog.services import publish_one_thing

from ..stories import case_of, submitted

pytestmark = pytest.mark.django_db

DECIDED = dt.datetime(2026, 8, 31, 15, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_months_end_on_the_same_day_or_the_last_day_of_a_shorter_month():
    assert add_months(dt.date(2026, 8, 31), 6) == dt.date(2027, 2, 28)
    assert add_months(dt.date(2026, 3, 10), 6) == dt.date(2026, 9, 10)
    assert add_months(dt.date(2026, 11, 30), 3) == dt.date(2027, 2, 28)


def refuse(app, clerk, reason="出生地不在本辖区"):
    case = case_of(app, "health-birth-certificate")
    deciding.task_claim(case=case, user=clerk)
    deciding.task_complete(case=case, user=clerk, decision="reject", comment=reason)


def test_a_refusal_names_the_catalogs_remedies_with_their_last_days_everywhere(
        citizen_alice, clerks, django_capture_on_commit_callbacks):
    Procedure.objects.filter(code="health-birth-certificate").update(
        reconsideration_body={"en": "Xihu District People's Government", "zh-hans": "西湖区人民政府"},
        reconsideration_days=60, litigation_court={"en": "Xihu District People's Court", "zh-hans": "西湖区人民法院"},
        litigation_months=6)
    publish_one_thing(one_thing=OneThing.objects.get(code="newborn"))
    with time_machine.travel(DECIDED - dt.timedelta(days=3), tick=False):
        app = submitted(citizen_alice, "newborn")
    with time_machine.travel(DECIDED, tick=False), django_capture_on_commit_callbacks(execute=True):
        refuse(app, clerks["health"])

    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(citizen_alice)
    page = client.get(reverse("application", args=[app.pk])).content.decode()
    assert "data-rejection-notice" in page and "出生地不在本辖区" in page
    assert ("apply to Xihu District People&#x27;s Government for administrative reconsideration within 60 days "
            "of the decision (by 2026-10-30)") in page
    assert "administrative lawsuit before Xihu District People&#x27;s Court within 6 months" in page
    assert "(by 2027-02-28)" in page

    api = APIClient(HTTP_ACCEPT_LANGUAGE="zh-hans")
    api.force_authenticate(citizen_alice)
    [refusal] = api.get(f"/api/v1/applications/{app.pk}/").json()["rejections"]
    assert refusal == {
        "procedure": "health-birth-certificate", "department": refusal["department"], "reason": "出生地不在本辖区",
        "decided_on": "2026-08-31", "revoked": False,
        "reconsideration": {"body": "西湖区人民政府", "days": 60, "until": "2026-10-30"},
        "litigation": {"court": "西湖区人民法院", "months": 6, "until": "2027-02-28"}}

    email = next(m for m in mail.outbox if "未予通过" in m.subject and "出生" in m.subject)
    assert "60 日内（2026年10月30日前）向西湖区人民政府申请行政复议" in email.body
    assert "6 个月内（2027年2月28日前）向西湖区人民法院提起行政诉讼" in email.body


def test_without_a_named_body_the_law_s_defaults_are_said(citizen_alice, clerks):
    Procedure.objects.filter(code="health-birth-certificate").update(reconsideration_body={}, litigation_court={})
    publish_one_thing(one_thing=OneThing.objects.get(code="newborn"))
    app = submitted(citizen_alice, "newborn")
    refuse(app, clerks["health"])
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.force_authenticate(citizen_alice)
    [refusal] = api.get(f"/api/v1/applications/{app.pk}/").json()["rejections"]
    assert refusal["reconsideration"]["days"] == 60 and refusal["litigation"]["months"] == 6
    assert refusal["reconsideration"]["body"].startswith("the administrative reconsideration body competent for")
    assert refusal["litigation"]["court"] == "the competent people's court"


def test_an_application_without_a_refusal_has_no_notice(citizen_alice, demo_catalog):
    app = submitted(citizen_alice, "newborn")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(citizen_alice)
    assert "data-rejection-notice" not in client.get(reverse("application", args=[app.pk])).content.decode()
