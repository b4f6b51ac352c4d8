"""Jurisdictions in the designer (issue #15): the dry run names the offices missing wherever a one
thing is offered, and catalog editors of a division change only their local catalog.

The demo catalog: both one things are offered province-wide (330000); offices are open at Xihu
(330106) and Shangcheng (330102) for the county-level departments, at Hangzhou (330100) for amr,
hrss and mi. So an application routed at the province itself, or at Hangzhou for a county-level
procedure, finds no office.
"""
from __future__ import annotations

import json

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext

from govflow.catalog.jurisdictions import default_division
from govflow.catalog.models import Department, Division, DivisionLevel, Office, OneThing, OneThingVersion, Procedure

from ..admin_forms import bilingual, form_data, inline
from ..admin_reason import give_reason
from ..factories import MembershipFactory
from .test_admin import _staff, saved, url

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


# -- catalog editors of a division -----------------------------------------------------------------

EDITOR_PERMS = ("catalog.view_onething", "catalog.add_onething", "catalog.change_onething",
                "catalog.view_procedure", "catalog.view_field", "catalog.view_material", "catalog.view_department")


def _editor(username: str, division_code: str, *perms: str):
    user = _staff(username, *EDITOR_PERMS, *perms)
    user.catalog_division = Division.objects.get(code=division_code)
    user.save()
    return user


def _local_one_thing(division: Division, code: str = "xihu-seal") -> dict:
    procedures = dict(Procedure.objects.values_list("code", "pk"))
    return {
        "code": code, **bilingual("name", "Open a shop in Xihu", "西湖开店"), **bilingual("description", ""),
        "committed_days": 3, "division": division.pk, "route_by": "",
        **inline("steps", [
            {"procedure": procedures["amr-licence"], "after": [], "when": "", "position": 0},
            {"procedure": procedures["psb-seal-filing"], "after": ["amr-licence"], "when": "", "position": 1}]),
    }


def test_a_division_editor_composes_and_publishes_a_local_one_thing(client, demo_catalog):
    xihu = Division.objects.get(code="330106")
    editor = _editor("editor-xihu", "330106")
    client.force_login(editor)

    form = client.get(url("catalog_onething_add")).context["adminform"].form
    assert list(form.fields["division"].queryset.values_list("code", flat=True)) == ["330106"]
    assert form.fields["division"].initial == xihu.pk
    saved(client.post(url("catalog_onething_add"), _local_one_thing(xihu)))
    local = OneThing.objects.get(code="xihu-seal")
    assert local.division == xihu
    assert list(local.steps.values_list("procedure__code", flat=True)) == ["amr-licence", "psb-seal-filing"]
    mine = client.get(url("catalog_onething_changelist"), {"mine": "1"})
    assert [o.code for o in mine.context["cl"].result_list] == ["xihu-seal"]

    preview = client.get(url("catalog_onething_preview", local.pk))
    assert "Every division is covered" in preview.content.decode()  # Xihu has an amr and a psb office
    assert "Publish version 1" in client.get(_publish("xihu-seal")).content.decode()
    assert client.post(_publish("xihu-seal")).status_code == 302
    local.refresh_from_db()
    assert local.is_published and local.current_version.published_by == editor
    assert client.post(url("catalog_onething_unpublish", local.pk)).status_code == 302
    local.refresh_from_db()
    assert not local.is_published


def test_a_division_editor_cannot_move_a_one_thing_outside_their_division(client, demo_catalog):
    xihu = Division.objects.get(code="330106")
    province = Division.objects.get(code="330000")
    client.force_login(_editor("editor-xihu", "330106"))
    saved(client.post(url("catalog_onething_add"), _local_one_thing(xihu)))
    local = OneThing.objects.get(code="xihu-seal")
    change = url("catalog_onething_change", local.pk)

    data = form_data(client.get(change).content, "onething_form")
    data["division"] = [str(province.pk)]
    response = client.post(change, data)

    assert response.status_code == 200
    assert "division" in response.context["adminform"].form.errors
    local.refresh_from_db()
    assert local.division == xihu
    response = client.post(url("catalog_onething_add"), _local_one_thing(province, code="zj-seal"))
    assert response.status_code == 200 and "division" in response.context["adminform"].form.errors
    assert not OneThing.objects.filter(code="zj-seal").exists()


def test_a_division_editor_sees_province_wide_one_things_read_only(client, demo_catalog):
    client.force_login(_editor("editor-xihu", "330106"))
    one_thing = OneThing.objects.get(code="business-startup")
    change = url("catalog_onething_change", one_thing.pk)
    listing = client.get(url("catalog_onething_changelist")).content.decode()
    assert "business-startup" in listing and "newborn" in listing  # every one thing is visible

    page = client.get(change)
    assert page.status_code == 200 and page.context["has_change_permission"] is False
    html = page.content.decode()
    assert "Read-only for you: this one thing is offered in Zhejiang Province" in html
    assert _publish() not in html and url("catalog_onething_unpublish", one_thing.pk) not in html
    assert client.post(change, form_data(page.content)).status_code == 403

    OneThing.objects.filter(pk=one_thing.pk).update(committed_days=4)  # a draft change to publish
    html = client.get(change).content.decode()
    assert "The draft passes every check." in html and _publish() not in html
    assert "Publish version" not in client.get(_publish()).content.decode()
    assert client.post(_publish()).status_code == 403
    assert client.post(url("catalog_onething_unpublish", one_thing.pk)).status_code == 403
    one_thing.refresh_from_db()
    assert one_thing.is_published and one_thing.current_version.number == 1
    assert OneThingVersion.objects.filter(one_thing=one_thing).count() == 1


def test_the_unpublish_action_leaves_one_things_outside_the_editors_division_alone(client, demo_catalog):
    xihu = Division.objects.get(code="330106")
    client.force_login(_editor("editor-xihu", "330106"))
    saved(client.post(url("catalog_onething_add"), _local_one_thing(xihu)))
    assert client.post(_publish("xihu-seal")).status_code == 302
    chosen = list(OneThing.objects.values_list("pk", flat=True))

    response = client.post(url("catalog_onething_changelist"), {
        "action": "unpublish_selected", "_selected_action": chosen, "index": 0})

    assert response.status_code == 302
    assert dict(OneThing.objects.values_list("code", "is_published")) == {
        "business-startup": True, "newborn": True, "enterprise-change": True, "xihu-seal": False}
    assert any("3 selected one things are outside" in str(m) for m in get_messages(response.wsgi_request))


def test_a_division_editor_may_not_import_a_catalog(client, demo_catalog):
    """An import may change and republish one things anywhere. It needs changing departments too,
    which makes an administrator catalog-wide: a division editor never has what it takes."""
    almost = [f"catalog.{action}_{model}" for model in ("department", "field", "material", "procedure")
              for action in ("add", "change") if (action, model) != ("change", "department")]
    client.force_login(_editor("editor-xihu", "330106", *almost))
    assert client.get(url("catalog_onething_import")).status_code == 403
    assert client.post(url("catalog_onething_import"), {"text": "{}"}).status_code == 403
    assert url("catalog_onething_import") not in client.get(url("catalog_onething_changelist")).content.decode()


def test_a_division_editor_uses_procedures_but_changes_them_only_by_the_department_rule(client, demo_catalog):
    editor = _editor("editor-xihu", "330106")
    client.force_login(editor)
    amr_licence = Procedure.objects.get(code="amr-licence")
    page = client.get(url("catalog_procedure_change", amr_licence.pk))
    assert page.status_code == 200 and page.context["has_change_permission"] is False
    assert client.post(url("catalog_procedure_change", amr_licence.pk), form_data(page.content)).status_code == 403

    # With procedure permissions and an amr membership, the department administrator's rule applies.
    editor = _editor("editor-xihu-amr", "330106", "catalog.change_procedure")
    MembershipFactory(user=editor, department=Department.objects.get(code="amr"))
    client.force_login(editor)
    own = client.get(url("catalog_procedure_change", amr_licence.pk))
    assert own.context["has_change_permission"] is True
    data = form_data(own.content, "procedure_form")
    data["committed_days"] = ["2"]
    saved(client.post(url("catalog_procedure_change", amr_licence.pk), data))
    assert Procedure.objects.get(code="amr-licence").committed_days == 2
    tax = Procedure.objects.get(code="tax-registration")
    assert client.get(url("catalog_procedure_change", tax.pk)).context["has_change_permission"] is False


def test_an_editor_of_a_city_chooses_among_its_districts(client, demo_catalog):
    client.force_login(_editor("editor-hz", "330100"))
    form = client.get(url("catalog_onething_add")).context["adminform"].form
    assert sorted(form.fields["division"].queryset.values_list("code", flat=True)) == ["330100", "330102", "330106"]
    assert form.fields["division"].initial == default_division().pk  # Xihu lies in Hangzhou

    client.force_login(_editor("editor-sc", "330102"))
    form = client.get(url("catalog_onething_add")).context["adminform"].form
    assert list(form.fields["division"].queryset.values_list("code", flat=True)) == ["330102"]
    assert form.fields["division"].initial == Division.objects.get(code="330102").pk


@pytest.mark.parametrize("how", ["superuser", "change_department"])
def test_catalog_wide_administrators_are_never_limited_by_a_division(client, demo_catalog, how):
    everything = [f"catalog.{action}_{model}" for model in ("department", "field", "material", "procedure")
                  for action in ("add", "change")]
    user = _editor(f"wide-{how}", "330106", *everything)
    if how == "superuser":
        user.is_superuser = True
        user.save()
    client.force_login(user)
    one_thing = OneThing.objects.get(code="business-startup")

    page = client.get(url("catalog_onething_change", one_thing.pk))
    assert page.context["has_change_permission"] is True
    assert "Read-only for you" not in page.content.decode()
    form = client.get(url("catalog_onething_add")).context["adminform"].form
    assert form.fields["division"].queryset.count() == Division.objects.count()
    assert client.get(url("catalog_onething_import")).status_code == 200
    OneThing.objects.filter(pk=one_thing.pk).update(committed_days=4)
    assert client.post(_publish()).status_code == 302
    assert OneThing.objects.get(pk=one_thing.pk).current_version.number == 2


def test_the_superuser_gives_the_catalog_division_on_the_users_page(admin_client, designer, client, demo_catalog):
    editor = _staff("editor", *EDITOR_PERMS)
    change = url("accounts_user_change", editor.pk)
    give_reason(admin_client, designer)
    data = form_data(admin_client.get(change).content, "user_form")
    data["catalog_division"] = [str(Division.objects.get(code="330106").pk)]
    saved(admin_client.post(change, data))
    editor.refresh_from_db()
    assert editor.catalog_division.code == "330106"

    # A support desk that may change users cannot give or take it: it is a privilege.
    support = _staff("support", "accounts.view_user", "accounts.change_user")
    client.force_login(support)
    give_reason(client, support)
    citizen = _staff("someone")
    citizen.is_staff = False
    citizen.save()
    page = client.get(url("accounts_user_change", citizen.pk))
    assert "catalog_division" not in page.context["adminform"].form.fields
    data = form_data(page.content, "user_form")
    data["catalog_division"] = [str(Division.objects.get(code="330106").pk)]
    saved(client.post(url("accounts_user_change", citizen.pk), data))
    citizen.refresh_from_db()
    assert citizen.catalog_division is None


def test_the_catalog_divisions_in_the_user_admin_are_found_by_name(admin_client, demo_catalog):
    response = admin_client.get("/admin/autocomplete/", {"app_label": "accounts", "model_name": "user",
                                                          "field_name": "catalog_division", "term": "Xihu"})
    assert response.status_code == 200
    assert [r["id"] for r in json.loads(response.content)["results"]] == [
        str(Division.objects.get(code="330106").pk)]
