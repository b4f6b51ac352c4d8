"""Routing (属地管理): which office a case goes to, table-driven over the procedure's level, the
application's division and whether the competent office exists; and the same rule end-to-end
through ``application_submit`` on the demo catalog, where a missing office refuses the submission
before anything is written."""
from __future__ import annotations

import pytest
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from govflow.applications.models import Application, ApplicationStatus, Case, Document, TimelineEntry
from govflow.applications.services import drafting, submitting
from govflow.catalog import jurisdictions
from govflow.catalog.models import Department, Division, Office
from govflow.notifications.models import OutboxMessage

from ..factories import CitizenFactory
from ..stories import draft

pytestmark = pytest.mark.django_db

@pytest.fixture(autouse=True)
def _english():
    """The domain's messages are asserted in English (the site's default language is Chinese)."""
    with translation.override("en"):
        yield


XIHU, SHANGCHENG, HANGZHOU, ZHEJIANG = "330106", "330102", "330100", "330000"
PLACES = (ZHEJIANG, HANGZHOU, SHANGCHENG, XIHU)


@pytest.fixture
def amr():
    """Zhejiang → Hangzhou → {Xihu, Shangcheng} from the bundled file, and one market regulation
    office at each of the four divisions."""
    jurisdictions.save_divisions(e for e in jurisdictions.read_divisions_file(jurisdictions.BUNDLED_DIVISIONS)
                                 if e["code"] in PLACES)
    department = Department.objects.create(code="amr", name={"en": "Market Regulation", "zh-hans": "市场监督管理局"})
    for division in Division.objects.filter(code__in=PLACES):
        Office.objects.create(code=f"amr-{division.code}", department=department, division=division,
                              name=jurisdictions.office_name(department, division))
    return department


def need(department: Department, level: str, procedure: str = "amr-licence") -> jurisdictions.Need:
    return jurisdictions.Need(procedure=procedure, department_id=department.pk, department_code=department.code,
                              level=level)


#: (procedure level, application's division) → the division whose office is competent. No row
#: falls back: a county procedure of a county goes to that county, never to the city above it.
COMPETENT = {
    ("county", XIHU): XIHU, ("county", SHANGCHENG): SHANGCHENG,
    ("county", HANGZHOU): HANGZHOU, ("county", ZHEJIANG): ZHEJIANG,
    ("city", XIHU): HANGZHOU, ("city", SHANGCHENG): HANGZHOU,
    ("city", HANGZHOU): HANGZHOU, ("city", ZHEJIANG): ZHEJIANG,
    ("province", XIHU): ZHEJIANG, ("province", SHANGCHENG): ZHEJIANG,
    ("province", HANGZHOU): ZHEJIANG, ("province", ZHEJIANG): ZHEJIANG,
}
ROUTING_TABLE = [(level, where, present, competent)
                 for (level, where), competent in COMPETENT.items() for present in (True, False)]


@pytest.mark.parametrize(("level", "where", "present", "competent"), ROUTING_TABLE,
                         ids=[f"{lv}-{w}-{'present' if p else 'absent'}" for lv, w, p, _c in ROUTING_TABLE])
def test_a_procedure_goes_to_the_office_of_its_level_above_the_application_or_is_refused(
        amr, level, where, present, competent, django_assert_num_queries):
    if not present:
        # Only the competent office goes: every other level still has one, and none is used instead.
        Office.objects.filter(code=f"amr-{competent}").delete()
    division = Division.objects.get(code=where)
    if present:
        with django_assert_num_queries(2):  # the division's lineage, then the offices
            routed = jurisdictions.route(division, [need(amr, level)])
        assert {p: o.code for p, o in routed.items()} == {"amr-licence": f"amr-{competent}"}
        return
    with pytest.raises(jurisdictions.NoCompetentOffice) as refused:
        jurisdictions.route(division, [need(amr, level)])
    assert [(m.procedure, m.department, m.division) for m in refused.value.missing] == [
        ("amr-licence", "amr", competent)]
    assert refused.value.status == 400
    assert f"amr at {competent}" in refused.value.errors["division"][0]


def test_every_missing_office_is_named_at_once(amr):
    tax = Department.objects.create(code="tax", name={"en": "Taxation"})
    Office.objects.filter(code="amr-330100").delete()
    needs = [need(amr, "county", "amr-licence"), need(amr, "city", "amr-annual-report"),
             need(tax, "county", "tax-registration")]
    with pytest.raises(jurisdictions.NoCompetentOffice) as refused:
        jurisdictions.route(Division.objects.get(code=XIHU), needs)
    assert [(m.procedure, m.department, m.division) for m in refused.value.missing] == [
        ("amr-annual-report", "amr", HANGZHOU), ("tax-registration", "tax", XIHU)]
    assert len(refused.value.errors["division"]) == 2


def test_offices_of_another_department_at_the_same_place_do_not_count(amr):
    tax = Department.objects.create(code="tax", name={"en": "Taxation"})
    Office.objects.create(code="tax-330106", department=tax, division=Division.objects.get(code=XIHU), name={})
    Office.objects.filter(code="amr-330106").delete()
    with pytest.raises(jurisdictions.NoCompetentOffice) as refused:
        jurisdictions.route(Division.objects.get(code=XIHU), [need(amr, "county")])
    assert [(m.department, m.division) for m in refused.value.missing] == [("amr", XIHU)]


def test_coverage_gaps_name_the_same_offices_route_refuses(amr):
    Office.objects.filter(code__in=["amr-330102", "amr-330000"]).delete()
    needs = [need(amr, "county", "amr-licence"), need(amr, "province", "amr-province-filing")]
    gaps = jurisdictions.coverage_gaps(needs, Division.objects.filter(code__in=PLACES))
    assert [(g.procedure, g.division) for g in gaps] == [
        ("amr-licence", ZHEJIANG), ("amr-province-filing", ZHEJIANG), ("amr-licence", SHANGCHENG)]
    for division in Division.objects.filter(code__in=PLACES):
        try:
            jurisdictions.route(division, needs)
        except jurisdictions.NoCompetentOffice as exc:
            assert {(m.procedure, m.division) for m in exc.missing} <= {(g.procedure, g.division) for g in gaps}


# -- end to end, on the demo catalog -------------------------------------------------------------


@pytest.fixture
def shangcheng_citizen(demo_catalog):
    return CitizenFactory(username="sc-citizen", residence=Division.objects.get(code=SHANGCHENG))


def offices_of(app: Application) -> dict[str, str]:
    return dict(Case.objects.filter(application=app).values_list("procedure_code", "office__code"))


def test_a_shangcheng_business_goes_to_shangcheng_offices_and_the_city_for_social_insurance(shangcheng_citizen):
    app = draft(shangcheng_citizen, "business-startup")
    assert app.division.code == SHANGCHENG  # where the applicant lives
    app = submitting.application_submit(application=app, user=shangcheng_citizen)
    assert offices_of(app) == {
        "amr-licence": "amr-330102", "psb-seal-filing": "psb-330102", "tax-registration": "tax-330102",
        "hrss-employer-insurance": "hrss-330100",  # a city-level procedure
        "hpf-employer-account": "hpf-330102",
    }
    assert Application.objects.get(pk=app.pk).division.code == SHANGCHENG
    # Each case keeps its department beside its office.
    assert all(c.department_id == c.office.department_id for c in Case.objects.filter(application=app)
               .select_related("office"))


def test_a_xihu_newborn_goes_to_xihu_and_hangzhou(citizen_alice, demo_catalog):
    app = submitting.application_submit(application=draft(citizen_alice, "newborn"), user=citizen_alice)
    assert app.division.code == XIHU  # no residence: the default division
    assert offices_of(app) == {
        "health-birth-certificate": "health-330106", "psb-household-registration": "psb-330106",
        "mi-newborn-insurance": "mi-330100", "hrss-social-security-card": "hrss-330100",
    }


def test_the_division_chosen_on_the_draft_decides(citizen_alice, demo_catalog):
    app = draft(citizen_alice, "business-startup")
    drafting.application_update(application=app, user=citizen_alice, division=SHANGCHENG)
    app = submitting.application_submit(application=app, user=citizen_alice)
    assert offices_of(app)["amr-licence"] == "amr-330102"


def test_an_application_of_the_city_itself_goes_to_its_city_office_or_is_refused(citizen_alice, demo_catalog):
    """Applied for at Hangzhou (no district): the county-level market regulation case goes to the
    city's own office, amr-330100; tax has no office at the city, and that refuses it."""
    app = drafting.application_create(user=citizen_alice, one_thing_code="business-startup", division=HANGZHOU)
    app = draft_materials(app, citizen_alice)
    with pytest.raises(jurisdictions.NoCompetentOffice) as refused:
        submitting.application_submit(application=app, user=citizen_alice)
    assert {(m.department, m.division) for m in refused.value.missing} == {
        ("psb", HANGZHOU), ("tax", HANGZHOU), ("hpf", HANGZHOU)}
    for code in ("psb", "tax", "hpf"):
        Office.objects.create(code=f"{code}-330100", department=Department.objects.get(code=code),
                              division=Division.objects.get(code=HANGZHOU), name={})
    app = submitting.application_submit(application=app, user=citizen_alice)
    assert offices_of(app)["amr-licence"] == "amr-330100"
    assert offices_of(app)["tax-registration"] == "tax-330100"


def draft_materials(app: Application, user) -> Application:
    from ..stories import BUSINESS_ANSWERS, BUSINESS_MATERIALS, upload

    drafting.application_update(application=app, user=user, data=dict(BUSINESS_ANSWERS))
    for code, content in BUSINESS_MATERIALS.items():
        upload(app, user, code, content)
    return Application.objects.get(pk=app.pk)


# -- refused before anything is written ------------------------------------------------------------


def counts() -> dict[str, int]:
    return {"cases": Case.objects.count(), "timeline": TimelineEntry.objects.count(),
            "outbox": OutboxMessage.objects.count(), "documents": Document.objects.count(),
            "applications": Application.objects.count()}


@pytest.mark.parametrize(("missing", "procedure", "employees"), [
    # the first step; without employees the employee roster is not needed (a submission deletes it)
    ("amr-330102", "amr-licence", False),
    ("hrss-330100", "hrss-employer-insurance", True),  # a city-level step further down
])
def test_a_missing_office_refuses_the_submission_and_nothing_is_written(shangcheng_citizen, missing, procedure,
                                                                        employees,
                                                                        django_capture_on_commit_callbacks):
    from ..background import register_webhook
    from ..stories import BUSINESS_ANSWERS

    register_webhook("amr", "https://amr.example.org/hook")  # a case event would be queued for it
    Office.objects.filter(code=missing).delete()
    app = draft(shangcheng_citizen, "business-startup", answers={**BUSINESS_ANSWERS, "has_employees": employees})
    files = list(Document.objects.filter(application=app).values_list("file", flat=True))
    before = counts()
    with django_capture_on_commit_callbacks(execute=True) as callbacks, \
            CaptureQueriesContext(connection) as queries, pytest.raises(jurisdictions.NoCompetentOffice) as refused:
        submitting.application_submit(application=app, user=shangcheng_citizen)
    # Refused before the first write, not rolled back after it.
    assert [q["sql"] for q in queries.captured_queries
            if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))] == []
    department, division = missing.split("-")
    assert [(m.procedure, m.department, m.division) for m in refused.value.missing] == [
        (procedure, department, division)]
    assert callbacks == []  # no file deleted, no message sent after a commit
    assert counts() == before
    app.refresh_from_db()
    assert (app.status, app.number, app.submitted_at, app.process_id) == (ApplicationStatus.DRAFT, None, None, None)
    assert app.division.code == SHANGCHENG
    assert sorted(Document.objects.filter(application=app).values_list("file", flat=True)) == sorted(files)
    assert all(default_storage.exists(name) for name in files)


def test_the_refused_draft_goes_through_once_the_office_is_opened(shangcheng_citizen):
    amr = Office.objects.get(code="amr-330102")
    amr.delete()
    app = draft(shangcheng_citizen, "business-startup")
    with pytest.raises(jurisdictions.NoCompetentOffice):
        submitting.application_submit(application=app, user=shangcheng_citizen)
    Office.objects.create(code="amr-330102", department=Department.objects.get(code="amr"),
                          division=Division.objects.get(code=SHANGCHENG), name={})
    app = submitting.application_submit(application=app, user=shangcheng_citizen)
    assert app.number and offices_of(app)["amr-licence"] == "amr-330102"
