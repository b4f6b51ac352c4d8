"""Jurisdictions in the designer (issue #15): the dry run names the offices missing wherever a one
thing is offered.

The demo catalog: both one things are offered province-wide (330000); offices are open at Xihu
(330106) and Shangcheng (330102) for the county-level departments, at Hangzhou (330100) for amr,
hrss and mi. So an application routed at the province itself, or at Hangzhou for a county-level
procedure, finds no office.
"""
from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from govflow.catalog.jurisdictions import default_division
from govflow.catalog.models import Department, Division, DivisionLevel, Office, OneThing, Procedure

from .test_admin import url

pytestmark = pytest.mark.django_db

#: Where business-startup finds no office in the demo: the province for everything, Hangzhou for
#: its county-level procedures (amr has a Hangzhou office; hrss is city-level and has one too).
DEMO_GAPS = [
    ("330000", [("amr", "amr-licence"), ("hpf", "hpf-employer-account"), ("hrss", "hrss-employer-insurance"),
                ("psb", "psb-seal-filing"), ("tax", "tax-registration")]),
    ("330100", [("hpf", "hpf-employer-account"), ("psb", "psb-seal-filing"), ("tax", "tax-registration")]),
]


def _gaps(response) -> list:
    return [(g.division, [(m.department, m.procedure) for m in g.missing]) for g in response.context["coverage"]]


def _preview(code: str = "business-startup") -> str:
    return url("catalog_onething_preview", OneThing.objects.get(code=code).pk)


def _publish(code: str = "business-startup") -> str:
    return url("catalog_onething_publish", OneThing.objects.get(code=code).pk)


def _open_every_missing_office() -> None:
    for division, missing in DEMO_GAPS:
        for department, _procedure in missing:
            Office.objects.create(code=f"{department}-{division}", department=Department.objects.get(code=department),
                                  division=Division.objects.get(code=division), name={"en": f"{department} {division}"})


# -- the dry run: where an office is missing ------------------------------------------------------


def test_the_preview_names_each_missing_office_by_division(admin_client, demo_catalog):
    response = admin_client.get(_preview())

    assert _gaps(response) == DEMO_GAPS
    page = response.content.decode()
    assert "Offices are missing in 2 divisions" in page
    assert ("No office of Administration for Market Regulation (<code>amr</code>) here, needed for "
            "Business licence registration (<code>amr-licence</code>)") in page
    shangcheng = Division.objects.get(code="330102")
    amr = Department.objects.get(code="amr")
    assert "<code>330102</code>" not in page  # Shangcheng has every office it needs

    Office.objects.get(code="amr-330102").delete()
    response = admin_client.get(_preview())

    assert _gaps(response) == [*DEMO_GAPS, ("330102", [("amr", "amr-licence")])]
    page = response.content.decode()
    assert "Shangcheng District <code>330102</code>" in page
    # A link that opens the missing office, filled in.
    assert (f"/admin/catalog/office/add/?code=amr-330102&amp;department={amr.pk}&amp;division={shangcheng.pk}"
            in page)


def test_with_every_office_open_every_division_is_covered(admin_client, demo_catalog):
    _open_every_missing_office()

    response = admin_client.get(_preview())

    assert response.context["coverage"] == []
    assert "Every division is covered" in response.content.decode()
    dry_run = admin_client.post(_preview(), {"has_employees": "yes"})
    assert "Every division is covered" in dry_run.content.decode()
    assert "office is missing" not in admin_client.get(_publish()).content.decode()


def test_the_dry_run_tells_which_missing_offices_the_sample_answers_do_not_need(admin_client, demo_catalog):
    page = admin_client.post(_preview(), {"has_employees": "no"}).content.decode()

    assert "With these answers 3 of 5 steps apply" in page
    hrss = page.index("(<code>hrss-employer-insurance</code>)")
    assert page[hrss:page.index("</li>", hrss)].count("does not apply to the answers tried") == 1
    amr = page.index("(<code>amr-licence</code>)")
    assert "does not apply" not in page[amr:page.index("</li>", amr)]


def test_the_dry_run_reads_the_procedures_live_level(admin_client, demo_catalog):
    """A draft change of a procedure's level shows before it is published."""
    Procedure.objects.filter(code__in=["psb-seal-filing", "tax-registration", "hpf-employer-account"]).update(
        level=DivisionLevel.CITY)  # Hangzhou has no psb, tax or hpf office; the districts' are not used any more
    gaps = dict(_gaps(admin_client.get(_preview())))
    assert gaps["330100"] == [("hpf", "hpf-employer-account"), ("psb", "psb-seal-filing"),
                              ("tax", "tax-registration")]
    assert "330106" not in gaps and "330102" not in gaps


def test_the_publish_page_warns_of_missing_offices_but_publishing_is_not_blocked(admin_client, demo_catalog):
    Procedure.objects.filter(code="tax-registration").update(committed_days=2)  # something to publish

    page = admin_client.get(_publish()).content.decode()

    assert "8 offices are missing where this one thing is offered (2 divisions)" in page
    assert f'{_preview()}#govflow-coverage' in page
    assert "Publish version 2" in page
    assert admin_client.post(_publish()).status_code == 302
    assert OneThing.objects.get(code="business-startup").current_version.number == 2


def _many_divisions(n: int) -> None:
    """``n`` county-level divisions below Xihu (so each needs its own offices: all missing)."""
    xihu = default_division()
    Division.objects.bulk_create([
        Division(code=f"330106{i:03d}", name={"en": f"Town {i}"}, level=DivisionLevel.COUNTY, parent=xihu,
                 path=f"{xihu.path}330106{i:03d}/") for i in range(1, n + 1)])


def _queries(client, method: str, path: str, data: dict | None = None) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as ctx:
        response = getattr(client, method)(path, data or {})
    assert response.status_code == 200
    return len(ctx.captured_queries), response


def test_the_preview_and_the_publish_page_cost_the_same_queries_with_100_more_divisions(
        admin_client, demo_catalog):
    few = {
        "preview": _queries(admin_client, "get", _preview())[0],
        "dry run": _queries(admin_client, "post", _preview(), {"has_employees": "yes"})[0],
        "publish": _queries(admin_client, "get", _publish())[0],
    }
    _many_divisions(100)

    many, response = _queries(admin_client, "get", _preview())
    assert len(response.context["coverage"]) == 102  # the province, Hangzhou and each town
    assert many == few["preview"]
    assert _queries(admin_client, "post", _preview(), {"has_employees": "yes"})[0] == few["dry run"]
    publish, response = _queries(admin_client, "get", _publish())
    assert publish == few["publish"]
    assert "408 offices are missing where this one thing is offered (102 divisions)" in response.content.decode()
    assert few["preview"] <= 30 and few["publish"] <= 25
