"""Who read whose data, for supervisors and auditors (issue 20): the search page's scope (a city
supervisor sees the districts below, not another department; an auditor holds
``applications.view_accessrecord``), its exact filters, its cost whatever the size of the log, its
CSV, the audit record a search of one person writes; and the alerts on unusual reading, under a
pinned clock: the threshold's edge, reads outside one's cases, idempotent re-runs, and only the
supervisors of the reader's office told."""
from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from govflow.applications import access, access_oversight
from govflow.applications.models import AccessAlert, AccessRecord, CaseStatus
from govflow.catalog.models import Office
from govflow.notifications.models import OutboxMessage

from .factories import CitizenFactory, MembershipFactory, UserFactory
from .workbench.bulk import queued_cases

pytestmark = pytest.mark.django_db

URL = "/workbench/access-records/"
#: A Monday morning in Hangzhou; nothing here depends on working days.
NOW = timezone.make_aware(timezone.datetime(2026, 12, 7, 10, 0))


def member(username: str, office: str, role: str = "clerk", **extra):
    user = UserFactory(username=username, **extra)
    MembershipFactory(user=user, office=Office.objects.get(code=office), role=role)
    return user


def web(user) -> Client:
    """Signed in no earlier than the pages are read (an hour after ``NOW``): a staff session
    signed in at an earlier suite clock (``GOVFLOW_TEST_NOW``) would have expired by then."""
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    with time_machine.travel(max(timezone.now(), NOW + timedelta(hours=1)), tick=False):
        client.force_login(user)
    return client


def auditor(username: str = "audrey"):
    user = UserFactory(username=username, is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_accessrecord", content_type__app_label="applications"))
    return user


def read(reader, office: str | None, person, *, purpose="held_case", interface="workbench", at=None, case=None,
         what=None):
    office_id = Office.objects.get(code=office).pk if office else None
    with time_machine.travel(at or NOW, tick=False):
        return access.record(reader=reader, interface=interface, purpose=purpose, office_id=office_id,
                             person_id=person.pk, case=case, what=what or {"fields": ["company_name"]})


@pytest.fixture
def people(demo_catalog):
    return {
        "city": member("super-amr-hz", "amr-330100", role="supervisor"),
        "xihu": member("super-amr-xh", "amr-330106", role="supervisor"),
        "shangcheng": member("super-amr-sc", "amr-330102", role="supervisor"),
        "xihu-clerk": member("clerk-amr-xh", "amr-330106", staff_number="A-0042", name="王小明"),
        "shangcheng-clerk": member("clerk-amr-sc", "amr-330102"),
        "psb-supervisor": member("super-psb", "psb-330106", role="supervisor"),
        "psb-clerk": member("clerk-psb", "psb-330106"),
        "alice": CitizenFactory(username="alice", name="张三"),
        "carol": CitizenFactory(username="carol", name="李四"),
    }


@pytest.fixture
def reads(people):
    p = people
    rows = {
        "xihu": read(p["xihu-clerk"], "amr-330106", p["alice"]),
        "shangcheng": read(p["shangcheng-clerk"], "amr-330102", p["carol"], at=NOW - timedelta(days=2)),
        "psb": read(p["psb-clerk"], "psb-330106", p["alice"], purpose="queue", interface="api"),
        "admin": read(UserFactory(username="root", is_superuser=True, is_staff=True), None, p["carol"],
                      purpose="support", interface="admin"),
    }
    return rows


def shown(client, **params) -> set[int]:
    """The ids of the reads a search shows (one page is enough here)."""
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        response = client.get(URL, params)
    assert response.status_code == 200, response.content[:500]
    return {row.pk for row, _whose in response.context["rows"]}


# -- who may search what ---------------------------------------------------------------------------


def test_supervisors_see_the_offices_they_oversee_and_auditors_everything(people, reads):
    ids = {name: row.pk for name, row in reads.items()}
    assert shown(web(people["city"])) == {ids["xihu"], ids["shangcheng"]}  # the districts below
    assert shown(web(people["xihu"])) == {ids["xihu"]}
    assert shown(web(people["psb-supervisor"])) == {ids["psb"]}
    assert shown(web(auditor())) == set(ids.values())  # the administrators' support reads too


@pytest.mark.parametrize("who", ["xihu-clerk", "alice", "staff"])
def test_clerks_citizens_and_staff_without_the_permission_are_refused(people, reads, who):
    user = UserFactory(username="plain-staff", is_staff=True) if who == "staff" else people[who]
    assert web(user).get(URL).status_code == 403


def test_anonymous_visitors_go_to_the_login_page():
    response = Client().get(URL)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_nav_links_the_page_for_supervisors_and_auditors_only(people, reads):
    assert URL in web(people["xihu"]).get("/workbench/board/").content.decode()
    assert URL not in web(people["xihu-clerk"]).get("/workbench/").content.decode()


# -- filters ---------------------------------------------------------------------------------------


def test_filters_match_exactly(people, reads):
    client = web(auditor())
    ids = {name: row.pk for name, row in reads.items()}
    alice = people["alice"]
    assert shown(client, reader="A-0042") == {ids["xihu"]}  # a staff number
    assert shown(client, reader="clerk-psb") == {ids["psb"]}  # a username
    assert shown(client, citizen=alice.id_number) == {ids["xihu"], ids["psb"]}
    # The search itself is a read of Alice's data, which the next search finds (an auditor sees every read).
    audit = AccessRecord.objects.get(purpose="audit").pk
    assert shown(client, citizen=alice.id_number.lower()) == {ids["xihu"], ids["psb"], audit}  # an X check digit
    assert shown(client, citizen=alice.id_number[:10], purpose="held_case") == set()  # never a partial match
    assert shown(client, citizen="carol") == {ids["shangcheng"], ids["admin"]}
    assert shown(client, office="amr-330102") == {ids["shangcheng"]}
    assert shown(client, purpose="support") == {ids["admin"]}
    assert shown(client, reader="A-0042", citizen="carol") == set()  # filters combine
    assert shown(client, interface="api") == {ids["psb"]}
    day = (NOW - timedelta(days=2)).date().isoformat()
    assert shown(client, date_from=day, date_to=day) == {ids["shangcheng"]}


def test_an_office_outside_the_supervisors_scope_is_a_400(people, reads):
    client = web(people["xihu"])
    assert client.get(URL, {"office": "amr-330102"}).status_code == 400
    assert client.get(URL, {"date_from": "2026-12-07", "date_to": "2026-12-01"}).status_code == 400
    assert client.get(URL, {"date_from": "yesterday"}).status_code == 400
    assert not AccessRecord.objects.filter(purpose="audit").exists()


def test_searching_one_persons_reads_is_recorded_as_a_read_of_their_data(people, reads):
    supervisor = people["xihu"]
    web(supervisor).get(URL, {"reader": "A-0042"})
    assert not AccessRecord.objects.filter(purpose="audit").exists()
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        web(supervisor).get(URL, {"citizen": people["alice"].id_number})
    row = AccessRecord.objects.get(purpose="audit")
    assert (row.reader, row.person, row.interface) == (supervisor, people["alice"], "workbench")
    # Alice sees it on her own page.
    assert "An audit of who read the data" in web(people["alice"]).get(reverse("access-records")).content.decode()


def _queries(client, **params) -> int:
    with CaptureQueriesContext(connection) as ctx, time_machine.travel(NOW + timedelta(hours=1), tick=False):
        assert client.get(URL, params).status_code == 200
    return len(ctx.captured_queries)


def test_a_page_costs_the_same_with_4_and_with_300_reads(people, reads, django_assert_max_num_queries):
    client = web(people["city"])
    few = _queries(client)
    few_filtered = _queries(client, reader="A-0042", citizen=people["alice"].id_number, purpose="held_case")
    others = [CitizenFactory() for _ in range(5)]
    with access.recording():
        for n in range(300):
            read(people["xihu-clerk" if n % 2 else "shangcheng-clerk"], "amr-330106" if n % 2 else "amr-330102",
                 others[n % 5], at=NOW - timedelta(minutes=n))
    assert _queries(client) == few
    assert _queries(client, page=3) == few
    assert _queries(client, reader="A-0042", citizen=people["alice"].id_number, purpose="held_case") == few_filtered
    # session, user, permissions (2), supervised?, the offices, staff, count, the alerts, the page; with a
    # citizen filter the audit record's person and organisation, and its insert
    assert few <= 10 and few_filtered <= 13


def test_the_result_downloads_as_csv(people, reads):
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        response = web(people["city"]).get(URL, {"download": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert lines[0][:3] == ["at", "reader", "staff_number"]
    assert sorted(line[1] for line in lines[1:]) == ["clerk-amr-sc", "clerk-amr-xh"]
    # A person is shown by name and masked id number, never the whole number.
    assert all(people["alice"].id_number not in line[4] for line in lines[1:])


# -- alerts ------------------------------------------------------------------------------------------


@pytest.fixture
def threshold(settings):
    settings.GOVFLOW_ACCESS_ALERT_DISTINCT_CITIZENS = 3
    return 3


def _read_many(reader, office: str, count: int, at=NOW):
    for person in [CitizenFactory() for _ in range(count)]:
        read(reader, office, person, at=at)


def scan(at=NOW):
    with time_machine.travel(at, tick=False):
        return access_oversight.scan()


def test_reading_more_people_than_the_threshold_alerts_the_offices_supervisors_once(people, threshold):
    clerk = people["xihu-clerk"]
    _read_many(clerk, "amr-330106", threshold)  # exactly the threshold: no alert
    read(clerk, "amr-330106", people["alice"], at=NOW - timedelta(days=3))  # another day
    assert scan() == 0 and not AccessAlert.objects.exists()
    _read_many(clerk, "amr-330106", 1)
    assert scan() == 1
    alert = AccessAlert.objects.get()
    assert (alert.reader, alert.kind, alert.count, alert.day, alert.office.code) == (
        clerk, "many_citizens", threshold + 1, NOW.date(), "amr-330106")
    told = OutboxMessage.objects.filter(event="access.alert")
    assert {m.recipient.username for m in told} == {"super-amr-xh"}  # not Shangcheng's, not PSB's, not the city's
    assert told.get().payload["alert"] == alert.pk
    # Again, and with more reads the same day: nobody is told twice.
    _read_many(clerk, "amr-330106", 2)
    assert scan(NOW + timedelta(hours=2)) == 0
    assert AccessAlert.objects.count() == 1 and told.count() == 1


def test_a_day_is_a_local_day(people, threshold):
    """Reads either side of midnight in Hangzhou are two days (yesterday is scanned too)."""
    clerk = people["xihu-clerk"]
    midnight = timezone.make_aware(timezone.datetime(2026, 12, 7, 0, 0))
    _read_many(clerk, "amr-330106", 2, at=midnight - timedelta(minutes=5))
    _read_many(clerk, "amr-330106", 2, at=midnight + timedelta(minutes=5))
    assert scan() == 0
    _read_many(clerk, "amr-330106", 2, at=midnight - timedelta(minutes=1))
    assert scan() == 1 and AccessAlert.objects.get().day == (midnight - timedelta(days=1)).date()


def test_reads_outside_the_cases_one_holds_alert(people, demo_catalog, citizen_alice):
    clerk, colleague = people["xihu-clerk"], member("clerk-amr-xh2", "amr-330106")
    xihu = Office.objects.get(code="amr-330106")
    theirs = queued_cases(1, applicant=citizen_alice, office=xihu, owner=colleague)[0]
    own = queued_cases(1, applicant=citizen_alice, office=xihu, owner=clerk)[0]
    type(own).objects.filter(pk=own.pk).update(status=CaseStatus.APPROVED)
    # Their own decided case, and a supervisor's look at a colleague's case: their work.
    read(clerk, "amr-330106", citizen_alice, purpose="office_case", case=own)
    read(people["xihu"], "amr-330106", citizen_alice, purpose="office_case", case=theirs)
    assert scan() == 0
    read(clerk, "amr-330106", citizen_alice, purpose="office_case", case=theirs)
    read(clerk, "amr-330106", citizen_alice, purpose="office_case", case=theirs, at=NOW + timedelta(minutes=1))
    assert scan(NOW + timedelta(minutes=5)) == 1
    alert = AccessAlert.objects.get()
    assert (alert.reader, alert.kind, alert.count) == (clerk, "outside_cases", 2)
    assert {m.recipient for m in OutboxMessage.objects.filter(event="access.alert")} == {people["xihu"]}


def test_alerts_are_listed_for_their_offices_supervisors_and_lead_to_their_reads(people, threshold):
    clerk = people["xihu-clerk"]
    _read_many(clerk, "amr-330106", threshold + 1)
    read(people["shangcheng-clerk"], "amr-330102", people["alice"])  # not behind the alert
    scan()
    alert = AccessAlert.objects.get()
    page = web(people["xihu"]).get(URL).content.decode()
    assert 'data-alert="many_citizens"' in page and f"?alert={alert.pk}" in page
    assert 'data-alert=' not in web(people["shangcheng"]).get(URL).content.decode()
    behind = shown(web(people["city"]), alert=alert.pk, date_from=NOW.date().isoformat(),
                   date_to=NOW.date().isoformat())
    assert behind == set(AccessRecord.objects.filter(reader=clerk).values_list("pk", flat=True))
    # Another office's alert leads a supervisor to nothing.
    assert shown(web(people["shangcheng"]), alert=alert.pk) == set()


def test_the_alert_notification_renders_in_both_languages(people, threshold):
    from govflow.notifications.rendering import render

    _read_many(people["xihu-clerk"], "amr-330106", threshold + 1)
    scan()
    message = OutboxMessage.objects.get(event="access.alert")
    english = render(message, type(people["xihu"])(username="x", language="en"))
    assert "王小明 (A-0042)" in english.subject and f"?alert={message.payload['alert']}" in english.body
    chinese = render(message, type(people["xihu"])(username="x", language="zh-hans"))
    assert chinese.subject.startswith("查阅预警")
