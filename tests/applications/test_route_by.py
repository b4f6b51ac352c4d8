"""``route_by``: a one thing whose applications are handled where an answer says (a company's
registered district), not where the applicant chose. Built from a small catalog document."""
from __future__ import annotations

import copy

import pytest
from django.utils import translation

from govflow.applications.models import Application, ApplicationStatus, Case, TimelineEntry
from govflow.applications.services import drafting, submitting
from govflow.catalog import jurisdictions
from govflow.catalog.models import Division
from govflow.catalog.services import import_catalog
from govflow.errors import InvalidInput

from ..factories import CitizenFactory

pytestmark = pytest.mark.django_db

@pytest.fixture(autouse=True)
def _english():
    """The domain's messages are asserted in English (the site's default language is Chinese)."""
    with translation.override("en"):
        yield



def _name(zh: str, en: str) -> dict:
    return {"zh-hans": zh, "en": en}


#: Hangzhou's market regulation: a one thing offered in Hangzhou, routed by the company's district.
DOCUMENT = {
    "format": "govflow.catalog/1",
    "divisions": [
        {"code": "330000", "name": _name("浙江省", "Zhejiang Province"), "level": "province", "parent": None},
        {"code": "330100", "name": _name("杭州市", "Hangzhou"), "level": "city", "parent": "330000"},
        {"code": "330102", "name": _name("上城区", "Shangcheng District"), "level": "county", "parent": "330100"},
        {"code": "330106", "name": _name("西湖区", "Xihu District"), "level": "county", "parent": "330100"},
        {"code": "330200", "name": _name("宁波市", "Ningbo"), "level": "city", "parent": "330000"},
        {"code": "330203", "name": _name("海曙区", "Haishu District"), "level": "county", "parent": "330200"},
    ],
    "departments": [{"code": "amr", "name": _name("市场监督管理局", "Market Regulation")}],
    "offices": [
        {"code": "amr-330102", "department": "amr", "division": "330102", "name": _name("上城区市场监管局", "Shangcheng AMR")},
        {"code": "amr-330106", "department": "amr", "division": "330106", "name": _name("西湖区市场监管局", "Xihu AMR")},
        {"code": "amr-330203", "department": "amr", "division": "330203", "name": _name("海曙区市场监管局", "Haishu AMR")},
    ],
    "fields": [
        {"code": "company_name", "label": _name("企业名称", "Company name"), "type": "string", "max_length": 100},
        {"code": "company_division", "label": _name("企业登记地", "Where the company is registered"),
         "type": "division"},
    ],
    "procedures": [
        {"code": "amr-change", "department": "amr", "name": _name("变更登记", "Change of registration"),
         "statutory_days": 15, "committed_days": 3,
         "fields": [{"field": "company_name", "required": True},
                    {"field": "company_division", "required": False}]},
    ],
    "one_things": [
        {"code": "company-change", "name": _name("企业变更一件事", "Change a company"), "committed_days": 3,
         "division": "330100", "route_by": "company_division", "steps": [{"procedure": "amr-change"}]},
    ],
}


def document() -> dict:
    return copy.deepcopy(DOCUMENT)


@pytest.fixture
def catalog():
    import_catalog(document())


@pytest.fixture
def xihu_citizen(catalog):
    """Lives in Xihu: drafts start there."""
    return CitizenFactory(username="xihu-founder", residence=Division.objects.get(code="330106"))


def apply(user, **answers) -> Application:
    app = drafting.application_create(user=user, one_thing_code="company-change",
                                      data={"company_name": "杭州变更有限公司", **answers})
    assert app.division.code == "330106"
    return app


def office_of(app: Application) -> str:
    return Case.objects.select_related("office").get(application=app).office.code


def test_the_answer_decides_where_the_application_is_handled(xihu_citizen):
    app = submitting.application_submit(application=apply(xihu_citizen, company_division="330102"), user=xihu_citizen)
    assert office_of(app) == "amr-330102"
    assert Application.objects.get(pk=app.pk).division.code == "330102"  # the routed division is kept


def test_without_an_answer_the_chosen_division_decides(xihu_citizen):
    app = submitting.application_submit(application=apply(xihu_citizen), user=xihu_citizen)
    assert office_of(app) == "amr-330106"
    assert app.division.code == "330106"


def test_the_answer_wins_over_a_division_chosen_on_the_draft(xihu_citizen):
    app = apply(xihu_citizen, company_division="330106")
    drafting.application_update(application=app, user=xihu_citizen, division="330102")
    app = submitting.application_submit(application=app, user=xihu_citizen)
    assert office_of(app) == "amr-330106"


def refused(user, app: Application) -> InvalidInput:
    before = (Case.objects.count(), TimelineEntry.objects.count())
    with pytest.raises(InvalidInput) as caught:
        submitting.application_submit(application=app, user=user)
    app.refresh_from_db()
    assert (app.status, app.number) == (ApplicationStatus.DRAFT, None)
    assert (Case.objects.count(), TimelineEntry.objects.count()) == before
    assert caught.value.status == 400
    return caught.value


@pytest.mark.parametrize(("answer", "why"), [
    ("330199", "Unknown division"),  # well formed, but no such division
    ("330203", "is outside it"),  # Haishu, Ningbo: it exists and has an office, but not in Hangzhou
    ("330200", "is outside it"),  # Ningbo itself
    ("330000", "is outside it"),  # the province above Hangzhou
])
def test_an_answer_naming_an_unknown_division_or_one_outside_the_area_is_refused_on_the_field(
        xihu_citizen, answer, why):
    error = refused(xihu_citizen, apply(xihu_citizen, company_division=answer))
    assert why in error.message
    assert list(error.errors) == ["data"] and list(error.errors["data"]) == ["company_division"]


def test_a_malformed_answer_is_refused_when_given(xihu_citizen):
    with pytest.raises(InvalidInput) as caught:
        apply(xihu_citizen, company_division="Xihu")
    assert list(caught.value.errors["data"]) == ["company_division"]


def test_an_answer_whose_district_has_no_office_names_the_missing_one(xihu_citizen):
    Division.objects.create(code="330105", name=_name("拱墅区", "Gongshu District"), level="county",
                            parent=Division.objects.get(code="330100"), path="/330000/330100/330105/")
    error = refused(xihu_citizen, apply(xihu_citizen, company_division="330105"))
    assert isinstance(error, jurisdictions.NoCompetentOffice)
    assert [(m.department, m.division) for m in error.missing] == [("amr", "330105")]


def test_a_draft_may_not_start_or_move_outside_the_area(xihu_citizen):
    for code in ("330203", "330000"):
        with pytest.raises(InvalidInput) as caught:
            drafting.application_create(user=xihu_citizen, one_thing_code="company-change", division=code)
        assert list(caught.value.errors) == ["division"]
    app = apply(xihu_citizen)
    with pytest.raises(InvalidInput):
        drafting.application_update(application=app, user=xihu_citizen, division="330203")
    with pytest.raises(InvalidInput):
        drafting.application_update(application=app, user=xihu_citizen, division="330199")
    app.refresh_from_db()
    assert app.division.code == "330106"


def test_a_citizen_living_outside_the_area_starts_at_the_one_things_division(catalog):
    ningbo = CitizenFactory(username="ningbo-founder", residence=Division.objects.get(code="330203"))
    app = drafting.application_create(user=ningbo, one_thing_code="company-change", data={"company_name": "甬"})
    assert app.division.code == "330100"
    app = submitting.application_submit(application=drafting.application_update(
        application=app, user=ningbo, data={"company_division": "330106"}), user=ningbo)
    assert office_of(app) == "amr-330106"


# -- the importer's checks of route_by, divisions and offices ---------------------------------------


def import_errors(doc: dict) -> dict[str, str]:
    from govflow.catalog.io import CatalogValidationError

    with pytest.raises(CatalogValidationError) as caught:
        import_catalog(doc)
    return {e.path: e.message for e in caught.value.errors}


def test_route_by_must_name_a_field_the_one_thing_asks():
    doc = document()
    doc["fields"].append({"code": "branch_division", "label": _name("分支机构所在地", "Branch"), "type": "division"})
    doc["one_things"][0]["route_by"] = "branch_division"
    assert import_errors(doc) == {"$.one_things[0].route_by": "field 'branch_division' is not asked by this one thing"}
    doc["one_things"][0]["route_by"] = "no_such_field"
    assert import_errors(doc) == {"$.one_things[0].route_by": "field 'no_such_field' is not asked by this one thing"}


def test_route_by_must_name_a_field_of_type_division():
    doc = document()
    doc["one_things"][0]["route_by"] = "company_name"
    assert import_errors(doc) == {"$.one_things[0].route_by": "field 'company_name' is not of type 'division'"}


def test_a_refused_document_writes_nothing():
    doc = document()
    doc["one_things"][0]["route_by"] = "company_name"
    import_errors(doc)
    assert not Division.objects.exists()
    from govflow.catalog.models import Department, Office, OneThing

    assert not (Department.objects.exists() or Office.objects.exists() or OneThing.objects.exists())


@pytest.mark.parametrize(("change", "path", "message"), [
    (lambda d: d["offices"][0].__setitem__("division", "330199"), "$.offices[0].division",
     "unknown division '330199'"),
    (lambda d: d["one_things"][0].__setitem__("division", "330299"), "$.one_things[0].division",
     "unknown division '330299'"),
    (lambda d: d["offices"][0].__setitem__("department", "tax"), "$.offices[0].department",
     "unknown department 'tax'"),
    (lambda d: d["offices"][1].__setitem__("division", "330102"), "$.offices[1].division",
     "department 'amr' already has an office at division 330102"),
    (lambda d: d["offices"][1].__setitem__("code", "amr-330102"), "$.offices[1].code",
     "duplicate office code 'amr-330102'"),
    (lambda d: d["divisions"][2].__setitem__("parent", "330199"), "$.divisions",
     "unknown parent 330199"),
    (lambda d: d["divisions"][2].__setitem__("parent", "330102"), "$.divisions[2].parent",
     "a division cannot be its own parent"),
])
def test_unknown_divisions_and_offices_are_reported_at_their_path(change, path, message):
    doc = document()
    change(doc)
    errors = import_errors(doc)
    assert path in errors, errors
    assert message in errors[path]


def test_an_existing_division_need_not_be_listed_again(catalog):
    doc = document()
    del doc["divisions"]
    doc["offices"].append({"code": "amr-330100", "department": "amr", "division": "330100", "name": _name("杭州", "HZ")})
    result = import_catalog(doc)
    assert result.created["offices"] == 1


def test_a_second_office_of_a_department_at_a_stored_place_is_refused(catalog):
    doc = document()
    doc["offices"][0]["code"] = "amr-shangcheng"  # amr-330102 is stored there already
    assert "already has office 'amr-330102' at division 330102" in import_errors(doc)["$.offices[0].code"]
