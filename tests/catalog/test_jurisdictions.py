"""The place rules of govflow/catalog/jurisdictions.py that routing does not exercise: the division
tree (saving, moving, refusing cycles), the default division, division look-ups, oversight, where a
one thing is offered; and an office's department, which never changes. (Routing itself, table-driven:
tests/applications/test_routing.py.)"""
from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from govflow.catalog import jurisdictions
from govflow.catalog.io import CatalogValidationError
from govflow.catalog.models import Department, Division, Office, OneThing
from govflow.catalog.services import import_catalog
from govflow.errors import InvalidInput

pytestmark = pytest.mark.django_db


def name(text: str) -> dict:
    return {"zh-hans": text, "en": text}


def bundled(*codes: str) -> list[dict]:
    return [e for e in jurisdictions.read_divisions_file(jurisdictions.BUNDLED_DIVISIONS) if e["code"] in codes]


def paths() -> dict[str, str]:
    return dict(Division.objects.values_list("code", "path"))


# -- the tree ------------------------------------------------------------------------------------


def test_children_may_come_before_their_parents_and_levels_follow_the_depth():
    counts = jurisdictions.save_divisions([
        {"code": "990101", "name": name("区"), "parent": "990100"},
        {"code": "990100", "name": name("市"), "parent": "990000"},
        {"code": "990000", "name": name("省"), "parent": None},
    ])
    assert counts == {"created": 3, "updated": 0}
    assert paths() == {"990000": "/990000/", "990100": "/990000/990100/", "990101": "/990000/990100/990101/"}
    assert dict(Division.objects.values_list("code", "level")) == {
        "990000": "province", "990100": "city", "990101": "county"}
    assert jurisdictions.save_divisions([{"code": "990100", "name": name("市"), "parent": "990000"}]) == {
        "created": 0, "updated": 0}  # as stored


def test_moving_a_division_rewrites_the_paths_below_it():
    jurisdictions.save_divisions(bundled("330000", "330100", "330102", "330106", "330200"))
    # (a redistricting, for the test's sake) Hangzhou moves below Ningbo, its districts with it
    assert jurisdictions.save_divisions([{"code": "330100", "name": name("杭州"), "parent": "330200"}])["updated"] == 1
    assert paths()["330106"] == "/330000/330200/330100/330106/"
    assert paths()["330102"] == "/330000/330200/330100/330102/"
    assert Division.objects.get(code="330200").contains(Division.objects.get(code="330106"))


@pytest.mark.parametrize(("entries", "message"), [
    ([{"code": "990001", "name": name("a"), "parent": "990002"},
      {"code": "990002", "name": name("b"), "parent": "990001"}], "cycle"),
    ([{"code": "990001", "name": name("a"), "parent": "990001"}], "cycle"),
    ([{"code": "990001", "name": name("a"), "parent": "999999"}], "unknown parent 999999"),
    ([{"code": "330100", "name": name("杭州"), "parent": "330106"}], "lies below it"),
    ([{"code": "33010", "name": name("short")}], "6 to 12 digits"),
    ([{"code": 330100, "name": name("number")}], "6 to 12 digits"),
    ([{"code": "990001", "name": name("a"), "level": "town"}], "level"),
    ([{"code": "990001", "name": "a"}], "an object of labels"),
    ([{"code": "990001", "name": name("a")}, {"code": "990001", "name": name("b")}], "appears twice"),
])
def test_a_wrong_tree_is_refused_and_nothing_is_written(entries, message):
    jurisdictions.save_divisions(bundled("330000", "330100", "330106"))
    before = paths()
    with pytest.raises(jurisdictions.DivisionsError) as refused:
        jurisdictions.save_divisions(entries)
    assert any(message in e for e in refused.value.errors), refused.value.errors
    assert paths() == before


def test_the_default_division_is_made_with_its_ancestors_when_first_needed(settings):
    assert not Division.objects.exists()
    xihu = jurisdictions.default_division()
    assert (xihu.code, xihu.lineage, xihu.level) == ("330106", ["330000", "330100", "330106"], "county")
    assert jurisdictions.default_division() == xihu and Division.objects.count() == 3
    settings.GOVFLOW_DEFAULT_DIVISION = "110101"  # not in the bundled file: a root named by its code
    other = jurisdictions.default_division()
    assert (other.lineage, other.name, other.parent) == (["110101"], {"zh-hans": "110101", "en": "110101"}, None)


@pytest.mark.parametrize("code", [None, "", 330106, "330199", "xihu", ["330106"], "330106\n"])
def test_an_unknown_division_code_is_a_field_error(code):
    jurisdictions.default_division()
    with pytest.raises(InvalidInput) as refused:
        jurisdictions.division_by_code(code, field="residence")
    assert list(refused.value.errors) == ["residence"]


def test_ancestors_and_subtree():
    jurisdictions.save_divisions(bundled("330000", "330100", "330102", "330106", "330200"))
    xihu = Division.objects.get(code="330106")
    assert [d.code for d in jurisdictions.ancestors(xihu)] == ["330106", "330100", "330000"]
    hangzhou = Division.objects.get(code="330100")
    assert sorted(jurisdictions.subtree(hangzhou).values_list("code", flat=True)) == ["330100", "330102", "330106"]
    assert [d.code for d in jurisdictions.children_of("330100")] == ["330102", "330106"]
    assert [d.code for d in jurisdictions.children_of(None)] == ["330000"]


# -- oversight and where a one thing is offered ---------------------------------------------------


@pytest.fixture
def offices():
    jurisdictions.save_divisions([*bundled("330000", "330100", "330102", "330106", "330200"),
                                  {"code": "330203", "name": name("海曙区"), "parent": "330200"}])
    made = {}
    for dept in ("amr", "tax"):
        department = Department.objects.create(code=dept, name=name(dept))
        for code in ("330000", "330100", "330102", "330106", "330200", "330203"):
            made[f"{dept}-{code}"] = Office.objects.create(code=f"{dept}-{code}", department=department,
                                                           division=Division.objects.get(code=code), name=name(code))
    return made


@pytest.mark.parametrize(("own", "overseen"), [
    (["amr-330100"], ["amr-330100", "amr-330102", "amr-330106"]),  # the city: itself and its districts
    (["amr-330106"], ["amr-330106"]),  # a district: itself only, not its sibling nor the city
    (["amr-330000"], ["amr-330000", "amr-330100", "amr-330102", "amr-330106", "amr-330200", "amr-330203"]),
    (["amr-330106", "tax-330200"], ["amr-330106", "tax-330200", "tax-330203"]),  # never another department's
    ([], []),
])
def test_a_supervisor_oversees_their_departments_offices_at_and_below_their_division(offices, own, overseen,
                                                                                     django_assert_num_queries):
    ids = [offices[code].pk for code in own]
    with django_assert_num_queries(1):
        found = jurisdictions.overseen_office_ids(ids)
    by_pk = {o.pk: code for code, o in offices.items()}
    assert sorted(by_pk[pk] for pk in found) == sorted(overseen)


def test_a_one_thing_is_offered_in_its_division_and_below(offices):
    hangzhou, xihu, ningbo, zhejiang = (Division.objects.get(code=c) for c in ("330100", "330106", "330200", "330000"))
    for code, division in (("province-wide", zhejiang), ("hangzhou-only", hangzhou), ("xihu-only", xihu)):
        OneThing.objects.create(code=code, name=name(code), committed_days=1, division=division)

    def visible(division):
        return sorted(OneThing.objects.filter(jurisdictions.one_things_visible_in(division))
                      .values_list("code", flat=True))

    assert visible(xihu) == ["hangzhou-only", "province-wide", "xihu-only"]
    assert visible(Division.objects.get(code="330102")) == ["hangzhou-only", "province-wide"]
    assert visible(ningbo) == ["province-wide"]
    assert visible(None) == ["province-wide"]  # anonymous: what is offered at a root
    jurisdictions.check_within(hangzhou, xihu)
    jurisdictions.check_within(hangzhou, hangzhou)
    for outside in (ningbo, zhejiang):
        with pytest.raises(InvalidInput) as refused:
            jurisdictions.check_within(hangzhou, outside)
        assert list(refused.value.errors) == ["division"]


# -- an office's department never changes -------------------------------------------------------------


def test_an_office_cannot_move_to_another_department_but_may_move_to_another_division(offices):
    Office.objects.filter(code="tax-330106").delete()  # no clash at the place: only the move is wrong
    office = offices["amr-330106"]
    office.department = Department.objects.get(code="tax")
    with pytest.raises(ValidationError) as refused:
        office.full_clean()
    assert list(refused.value.message_dict) == ["department"]
    jurisdictions.save_divisions([{"code": "330105", "name": name("拱墅区"), "parent": "330100"}])
    office = Office.objects.get(code="amr-330106")
    office.division = Division.objects.get(code="330105")  # e.g. a division code corrected
    office.full_clean()
    Office(code="tax-new", department=Department.objects.get(code="tax"),
           division=Division.objects.get(code="330105"), name=name("new")).full_clean()  # a new one: no move


def test_an_import_moving_an_office_to_another_department_is_refused(demo_catalog):
    from .test_io import demo_document

    doc = demo_document()
    index = next(i for i, o in enumerate(doc["offices"]) if o["code"] == "amr-330100")
    doc["offices"][index]["department"] = "tax"  # tax has no office at Hangzhou: no clash to stop it
    before = dict(Office.objects.values_list("code", "department__code"))
    members = dict(Office.objects.filter(code="amr-330100").values_list("code", "department_id"))
    with pytest.raises(CatalogValidationError) as refused:
        import_catalog(doc)
    messages = {e.path: e.message for e in refused.value.errors}
    assert "office 'amr-330100' belongs to department 'amr'" in messages[f"$.offices[{index}].department"], messages
    assert dict(Office.objects.values_list("code", "department__code")) == before
    assert dict(Office.objects.filter(code="amr-330100").values_list("code", "department_id")) == members
