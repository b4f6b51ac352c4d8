"""The expected finish is fixed at submission, from the one thing's committed working days, and
reads the same everywhere (portal receipt, status page and list, counter receipt, API, workbench),
whatever happens to the cases afterwards and whenever it is printed again."""
from __future__ import annotations

import datetime as dt
import importlib
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from govflow.applications.models import Application
from govflow.applications.services import citizen_actions, deciding, drafting
from govflow.catalog.models import CalendarDay

from ..counter_story import counter_clerk, counter_office, walk_in
from ..stories import approve, case_of, submitted

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


def pages_showing(app: Application, user) -> dict[str, str]:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return {
        "receipt": client.get(reverse("receipt", args=[app.pk])).content.decode(),
        "status": client.get(reverse("application", args=[app.pk])).content.decode(),
        "list": client.get(reverse("applications")).content.decode(),
    }


def api_finish(app: Application, user) -> str | None:
    client = APIClient()
    client.force_authenticate(user)
    return client.get(f"/api/v1/applications/{app.pk}/").json()["expected_finish"]


def test_a_friday_submission_is_promised_the_committed_days_later_and_the_date_never_moves(
        citizen_alice, clerks):
    with time_machine.travel(at(2026, 11, 27, 10, 0), tick=False):  # a Friday
        app = submitted(citizen_alice, "newborn")  # newborn commits to 5 working days
    promised = dt.date(2026, 12, 4)  # Mon 30, Tue 1, Wed 2, Thu 3, Fri 4
    assert app.expected_finish == promised

    # The cases move on, a correction round pauses one, time passes: the promise stays.
    with time_machine.travel(at(2026, 11, 30, 9, 0), tick=False):
        approve(app, "health-birth-certificate", clerks["health"])
    with time_machine.travel(at(2026, 12, 2, 9, 0), tick=False):
        case = case_of(app, "psb-household-registration")
        deciding.task_claim(case=case, user=clerks["psb"])
        deciding.task_complete(case=case, user=clerks["psb"], decision="request_correction",
                               corrections={"fields": ["household_address"], "message": "Check the address."})
    with time_machine.travel(at(2026, 12, 8, 9, 0), tick=False):
        citizen_actions.application_resubmit(application=app, user=citizen_alice)
        app.refresh_from_db()
        assert app.expected_finish == promised
        # Every page, every reprint, the API and the clerk's task page show the same date.
        for name, body in pages_showing(app, citizen_alice).items():
            assert "2026-12-04" in body, name
        assert api_finish(app, citizen_alice) == "2026-12-04"
        clerk = Client(HTTP_ACCEPT_LANGUAGE="en")
        clerk.force_login(clerks["psb"])
        task = case_of(app, "psb-household-registration").task_id
        assert "2026-12-04" in clerk.get(reverse("workbench:task", args=[task])).content.decode()
    with time_machine.travel(at(2027, 1, 15, 9, 0), tick=False):  # a reprint weeks later
        assert "2026-12-04" in pages_showing(app, citizen_alice)["receipt"]


def test_a_weekend_submission_counts_from_the_next_working_day(citizen_alice, demo_catalog):
    with time_machine.travel(at(2026, 11, 28, 23, 30), tick=False):  # Saturday night
        app = submitted(citizen_alice, "business-startup")  # 3 working days
    assert app.expected_finish == dt.date(2026, 12, 2)  # Mon 30, Tue 1, Wed 2


def test_a_submission_in_a_public_holiday_skips_it_and_counts_a_make_up_working_day(citizen_alice, demo_catalog):
    # National Day 2026: 1–7 October off (the weekdays among them are exceptions), Saturday the
    # 10th worked instead (调休).
    for day in (1, 2, 5, 6, 7):
        CalendarDay.objects.update_or_create(date=dt.date(2026, 10, day),
                                             defaults={"is_working_day": False, "name": "国庆节"})
    CalendarDay.objects.update_or_create(date=dt.date(2026, 10, 10), defaults={"is_working_day": True,
                                                                              "name": "调休上班"})
    with time_machine.travel(at(2026, 10, 3, 11, 0), tick=False):  # in the holiday
        app = submitted(citizen_alice, "newborn")  # 5 working days
    # Thu 8, Fri 9, Sat 10 (worked), Mon 12, Tue 13
    assert app.expected_finish == dt.date(2026, 10, 13)


def test_late_evening_utc_is_already_the_next_day_in_shanghai(citizen_alice, demo_catalog):
    # 17:30 UTC on Sunday is 01:30 on Monday in Shanghai: counted from Monday.
    with time_machine.travel(dt.datetime(2026, 11, 29, 17, 30, tzinfo=dt.UTC), tick=False):
        app = submitted(citizen_alice, "business-startup")
    assert app.expected_finish == dt.date(2026, 12, 3)  # Tue 1, Wed 2, Thu 3


def test_the_counter_receipt_shows_the_same_stored_date(demo_catalog):
    office = counter_office()
    clerk = counter_clerk()
    with time_machine.travel(at(2026, 11, 27, 10, 0), tick=False):
        app, _code = walk_in(clerk, office)
    app.refresh_from_db()
    assert app.expected_finish == dt.date(2026, 12, 2)  # Friday + 3 working days
    with time_machine.travel(at(2026, 12, 1, 10, 0), tick=False):
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        client.force_login(clerk)
        receipt = client.get(reverse("workbench:counter-receipt", args=[app.pk])).content.decode()
    assert "2026-12-02" in receipt


def test_the_migration_fixes_the_date_of_applications_submitted_before(citizen_alice, demo_catalog):
    with time_machine.travel(at(2026, 11, 28, 10, 0), tick=False):  # a Saturday
        app = submitted(citizen_alice, "newborn")
    draft_app = drafting.application_create(user=citizen_alice, one_thing_code="business-startup")
    # What the old code stored: the latest case due date, moved by every change.
    Application.objects.filter(pk=app.pk).update(expected_finish=dt.date(2026, 12, 31))
    migration = importlib.import_module("govflow.applications.migrations.0014_expected_finish_and_apply_again")

    migration.fix_expected_finish(apps, None)

    app.refresh_from_db()
    draft_app.refresh_from_db()
    assert app.expected_finish == dt.date(2026, 12, 4)  # from the submission day: Mon 30 … Fri 4
    assert draft_app.expected_finish is None
