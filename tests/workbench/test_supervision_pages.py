"""The reform's figures and ratings pages (/workbench/stats/reform/, /workbench/stats/ratings/) and
the public ratings page of a one thing (/one-things/<code>/ratings/), over the National Day story
(tests/stats/holiday.py ``rated``)."""
from __future__ import annotations

import re

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from govflow.catalog.models import Office

from ..factories import MembershipFactory, UserFactory
from ..stats import holiday

pytestmark = pytest.mark.django_db

PERIOD = "date_from=2026-09-14&date_to=2026-10-14"


@pytest.fixture
def supervisor(demo_catalog):
    user = UserFactory(username="super-amr-xh")
    MembershipFactory(user=user, office=Office.objects.get(code="amr-330106"), role="supervisor")
    return user


@pytest.fixture
def story(citizen_alice, clerks, supervisor):
    return holiday.rated(alice=citizen_alice, clerks=clerks, supervisor=supervisor)


@pytest.fixture
def on_today():
    with time_machine.travel(holiday.TODAY, tick=False):
        yield


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_reform_page_shows_totals_and_per_application(as_user, story, supervisor, on_today):
    html = as_user(supervisor).get(f"/workbench/stats/reform/?{PERIOD}").content.decode()
    row = re.search(r'<tr data-one-thing="business-startup">(.*?)</tr>', html, re.S).group(1)
    # 2 applications; saved in total (per application): 8 (4), 46 (23), 14 (7), 10 (5), 84 (42)
    assert text(row).split() == ["Start", "a", "business", "2", "8", "(4.0)", "46", "(23.0)", "14", "(7.0)",
                                 "10", "(5.0)", "84", "(42.0)"]


def test_the_reform_page_counts_the_instruments_apart(as_user, story, supervisor, on_today):
    from govflow.applications.models import Application, Document

    completed = list(Application.objects.filter(status="completed", pk__in=[a.pk for a in story.values()]))
    assert len(completed) == 2
    Document.objects.filter(pk=completed[0].documents.first().pk).update(status="commitment")
    Application.objects.filter(pk=completed[1].pk).update(origin="grant")
    html = as_user(supervisor).get(f"/workbench/stats/reform/?{PERIOD}", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    table = re.search(r'<table[^>]*data-instruments>(.*?)</table>', html, re.S).group(1)
    assert re.search(r"<tbody>(.*?)</tbody>", table, re.S).group(1).split() != []
    assert text(re.search(r"<tbody>(.*?)</tbody>", table, re.S).group(1)).split() == ["0", "1", "0", "1"]


def test_the_ratings_page(as_user, story, supervisor, on_today):
    response = as_user(supervisor).get(f"/workbench/stats/ratings/?{PERIOD}")
    assert response.status_code == 200
    html = response.content.decode()
    offices = re.search(r'data-ratings="office">(.*?)</table>', html, re.S).group(1)
    # a supervisor of Xihu's Market Regulation sees their office only; 2 ratings: one 1, one 5
    assert text(re.search(r"<tbody>(.*?)</tbody>", offices, re.S).group(1)).split()[-11:] == [
        "2", "1", "0", "0", "0", "1", "3.0", "1", "1", "0", "(0%)"]
    bad = text(re.search(r"data-bad-ratings>(.*?)</table>", html, re.S).group(1))
    assert story["Q"].number in bad and "已致电申请人说明假期安排" in bad and "super-amr-xh" in bad


@pytest.mark.parametrize("path", ["/workbench/stats/reform/", "/workbench/stats/ratings/"])
def test_bad_filters_are_400_and_clerks_403(as_user, story, supervisor, clerks, on_today, path):
    assert as_user(supervisor).get(f"{path}?date_from=2026-10-14&date_to=2026-01-01").status_code == 400
    assert as_user(supervisor).get(f"{path}?office=tax-330106").status_code == 400  # not theirs
    assert as_user(clerks["amr"]).get(path).status_code == 403


def test_the_public_ratings_page_has_counts_and_no_personal_data(story, citizen_alice, supervisor, on_today):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/one-things/business-startup/ratings/")
    assert response.status_code == 200
    html = response.content.decode()
    rows = re.findall(r'<tr><th scope="row">(\d)</th><td>(\d+)</td></tr>', html)
    assert rows == [("5", "1"), ("4", "0"), ("3", "0"), ("2", "0"), ("1", "1")]
    assert "100% of the bad ones answered" in text(html)
    for personal in (story["Q"].number, story["T"].number, "节前提交", "已致电", citizen_alice.username,
                     supervisor.username, "很快"):
        assert personal not in html
    assert len(captured) <= 6
    assert client.get("/one-things/no-such-thing/ratings/").status_code == 404


def csv_rows(response) -> list[list[str]]:
    import csv
    import io

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def test_every_table_downloads_as_csv(as_user, story, supervisor, on_today):
    client = as_user(supervisor)
    heatmap = csv_rows(client.get(f"/workbench/stats/?{PERIOD}&by=month&download=csv"))
    assert heatmap[0][:5] == ["department", "procedure", "period_start", "period_end", "decided"]
    assert heatmap[1:] == [
        ["amr", "amr-licence", "2026-09-14", "2026-09-30", "1", "1", "1.0", "1", ""],
        ["amr", "amr-licence", "2026-10-01", "2026-10-14", "3", "2", "0.6667", "1", ""],
        ["amr", "amr-licence", "2026-09-14", "2026-10-14", "4", "3", "0.75", "1", "1"],
    ]
    reform = csv_rows(client.get(f"/workbench/stats/reform/?{PERIOD}&download=csv"))
    assert reform[1] == ["business-startup", "2", "8", "46", "14", "10", "84", "4.0", "23.0", "7.0", "5.0", "42.0"]
    assert reform[2][:2] == ["all", "2"]
    by_office = csv_rows(client.get(f"/workbench/stats/ratings/?{PERIOD}&download=office"))
    assert by_office[1][1:] == ["2", "1", "0", "0", "0", "1", "3.0", "1", "1", "0", "0.0"]
    bad = csv_rows(client.get(f"/workbench/stats/ratings/?{PERIOD}&download=bad"))
    assert bad[1][0] == story["Q"].number and bad[1][-4:] == ["1", "", "", ""]  # contact not said


def test_a_comment_cannot_become_a_spreadsheet_formula(as_user, story, supervisor, on_today):
    from govflow.applications.models import Evaluation

    Evaluation.objects.filter(application=story["Q"]).update(comment="=HYPERLINK(\"http://x\")")
    bad = csv_rows(as_user(supervisor).get(f"/workbench/stats/ratings/?{PERIOD}&download=bad"))
    assert bad[1][3] == "'=HYPERLINK(\"http://x\")"


def xlsx_rows(response) -> list[list]:
    import io

    from openpyxl import load_workbook

    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"].startswith("attachment; filename=") and ".xlsx" in response[
        "Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def _same(value):
    """A cell as a comparable value: numbers as numbers (a spreadsheet reads 1.0 as 1), else text."""
    if value is None or value == "":
        return ""
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)


def test_every_table_downloads_as_xlsx_with_the_csv_numbers(as_user, story, supervisor, on_today):
    client = as_user(supervisor)
    for path in (f"/workbench/stats/?{PERIOD}&by=month&download=csv", f"/workbench/stats/reform/?{PERIOD}&download=csv",
                 f"/workbench/stats/time/?{PERIOD}&download=csv", f"/workbench/stats/ratings/?{PERIOD}&download=office",
                 f"/workbench/stats/ratings/?{PERIOD}&download=bad"):
        as_csv = csv_rows(client.get(path))
        as_xlsx = xlsx_rows(client.get(path + "&format=xlsx"))
        assert [[_same(v) for v in row] for row in as_xlsx] == [[_same(v) for v in row] for row in as_csv], path
    heatmap = xlsx_rows(client.get(f"/workbench/stats/?{PERIOD}&by=month&download=csv&format=xlsx"))
    assert heatmap[1][:6] == ["amr", "amr-licence", "2026-09-14", "2026-09-30", 1, 1]  # numbers stay numbers


def test_an_xlsx_cell_is_never_a_formula(as_user, story, supervisor, on_today):
    from govflow.applications.models import Evaluation

    Evaluation.objects.filter(application=story["Q"]).update(comment="=HYPERLINK(\"http://x\")")
    response = as_user(supervisor).get(f"/workbench/stats/ratings/?{PERIOD}&download=bad&format=xlsx")
    import io

    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(response.content)).active
    cell = sheet.cell(row=2, column=4)
    assert cell.value == "=HYPERLINK(\"http://x\")" and cell.data_type == "s"
