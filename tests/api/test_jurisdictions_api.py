"""Jurisdictions over HTTP (issue #15): the divisions, where an application is handled, which one
things a person is offered, and that each office sees its own cases only.

The demo's places: Zhejiang 330000 → Hangzhou 330100 → Xihu 330106 (the default division) and
Shangcheng 330102; amr has an office at each district and at Hangzhou.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from govflow.accounts.models import Role, User
from govflow.api.callbacks import signature_header
from govflow.api.models import IdempotencyRecord, InboundEvent
from govflow.applications.models import Application, ApplicationStatus, Case, Document, TimelineEntry
from govflow.applications.services import deciding, drafting, submitting
from govflow.catalog import jurisdictions
from govflow.catalog.models import Department, Division, Office, OneThing

from ..factories import CitizenFactory, MembershipFactory, UserFactory
from ..stories import OUTPUTS, case_of, draft

pytestmark = pytest.mark.django_db

XIHU, SHANGCHENG, HANGZHOU, ZHEJIANG = "330106", "330102", "330100", "330000"


def _queries(client, url: str, **headers) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **headers)
    return len(ctx.captured_queries), response


def submitted_in(user, one_thing: str, division: str) -> Application:
    """A complete draft moved to ``division``, then submitted (its cases go to that division's offices)."""
    app = draft(user, one_thing)
    drafting.application_update(application=app, user=user, division=division)
    return submitting.application_submit(application=app, user=user)


def member(username: str, office: str, role: str = Role.CLERK):
    user = UserFactory(username=username)
    MembershipFactory(user=user, office=Office.objects.get(code=office), role=role)
    return user


# -- GET /divisions/ ---------------------------------------------------------------------------------

def test_without_parent_the_roots_are_listed(api, demo_catalog):
    count, response = _queries(api(None), "/api/v1/divisions/")
    assert response.status_code == 200, response.content
    assert response.json() == [{"code": ZHEJIANG, "name": "Zhejiang Province", "level": "province", "parent": None}]
    assert count == 1


def test_a_divisions_children_by_code_in_the_request_language(api, demo_catalog):
    body = api(None).get(f"/api/v1/divisions/?parent={HANGZHOU}", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert body == [{"code": SHANGCHENG, "name": "上城区", "level": "county", "parent": HANGZHOU},
                    {"code": XIHU, "name": "西湖区", "level": "county", "parent": HANGZHOU}]
    english = api(None).get(f"/api/v1/divisions/?parent={HANGZHOU}").json()
    assert [d["name"] for d in english] == ["Shangcheng District", "Xihu District"]
    assert api(None).get("/api/v1/divisions/?parent=").json()[0]["code"] == ZHEJIANG  # empty: the roots


def test_a_division_without_children_has_an_empty_list(api, demo_catalog):
    count, response = _queries(api(None), f"/api/v1/divisions/?parent={XIHU}")
    assert response.status_code == 200 and response.json() == []
    assert count == 2  # the children, then whether the parent exists


@pytest.mark.parametrize("parent", ["999999", "330107", "3301060000", "330106\n"])
def test_an_unknown_parent_is_a_400_naming_it(api, demo_catalog, parent):
    response = api(None).get("/api/v1/divisions/", {"parent": parent})
    assert response.status_code == 400, response.content
    assert response.json() == {"parent": ["Unknown division."]}


@pytest.mark.parametrize("parent", ["abc", "33010", "3301061234567", "33 01 06", "330106 ", "-330106", "３３０１０６",
                                    "x" * 300, "'; DROP TABLE catalog_division; --"])
def test_a_malformed_parent_is_a_400_without_a_query(api, demo_catalog, parent):
    count, response = _queries(api(None), "/api/v1/divisions/", data={"parent": parent})
    assert response.status_code == 400, response.content
    assert list(response.json()) == ["parent"] and response.json()["parent"]
    assert count == 0


def test_the_divisions_cost_one_query_however_many_children(api, demo_catalog):
    one, _ = _queries(api(None), f"/api/v1/divisions/?parent={ZHEJIANG}")
    jurisdictions.save_divisions([{"code": f"3301{n:02d}", "name": {"en": f"D{n}"}, "parent": HANGZHOU}
                                  for n in range(20, 80)])
    many, response = _queries(api(None), f"/api/v1/divisions/?parent={HANGZHOU}")
    assert len(response.json()) == 62
    assert one == many == 1


def test_anyone_may_list_divisions_and_anonymous_answers_may_be_cached(api, citizen_alice, clerks):
    anonymous = api(None).get("/api/v1/divisions/")
    assert anonymous.status_code == 200
    assert "no-store" not in anonymous.get("Cache-Control", "")
    for user in (citizen_alice, clerks["amr"]):
        assert api(user).get(f"/api/v1/divisions/?parent={ZHEJIANG}").json()[0]["code"] == HANGZHOU


# -- an application's division -------------------------------------------------------------------------

def test_a_new_draft_is_at_the_residence_else_the_default_division(api, demo_catalog):
    alice = CitizenFactory(username="alice")  # no residence
    sam = CitizenFactory(username="sam", residence=Division.objects.get(code=SHANGCHENG))
    for user, expected in ((alice, {"code": XIHU, "name": "Xihu District"}),
                           (sam, {"code": SHANGCHENG, "name": "Shangcheng District"})):
        response = api(user).post("/api/v1/applications/", {"one_thing": "newborn"}, format="json")
        assert response.status_code == 201, response.content
        assert response.json()["division"] == expected
    zh = api(sam).get("/api/v1/applications/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()["results"][0]
    assert zh["division"] == {"code": SHANGCHENG, "name": "上城区"}


def test_a_draft_may_start_in_a_chosen_division(api, citizen_alice, demo_catalog):
    response = api(citizen_alice).post("/api/v1/applications/", {"one_thing": "newborn", "division": SHANGCHENG},
                                       format="json")
    assert response.status_code == 201, response.content
    assert response.json()["division"]["code"] == SHANGCHENG
    assert Application.objects.get(pk=response.json()["id"]).division.code == SHANGCHENG


@pytest.mark.parametrize("division", ["999999", "abc", "", "x" * 64, 330199])
def test_creating_in_an_unknown_division_is_a_400_naming_division(api, citizen_alice, demo_catalog, division):
    response = api(citizen_alice).post("/api/v1/applications/", {"one_thing": "newborn", "division": division},
                                       format="json")
    assert response.status_code == 400, response.content
    assert list(response.json()) == ["division"]
    assert not Application.objects.exists()


def _offered_only_in(code: str, where: str) -> None:
    OneThing.objects.filter(code=code).update(division=Division.objects.get(code=where))


def test_creating_outside_where_the_one_thing_is_offered_is_a_400(api, citizen_alice, demo_catalog):
    _offered_only_in("newborn", XIHU)
    response = api(citizen_alice).post("/api/v1/applications/", {"one_thing": "newborn", "division": SHANGCHENG},
                                       format="json")
    assert response.status_code == 400, response.content
    assert list(response.json()) == ["division"]
    assert not Application.objects.exists()


def test_patching_a_drafts_division_moves_it(api, citizen_alice, demo_catalog):
    app = drafting.application_create(user=citizen_alice, one_thing_code="newborn", data={"baby_name": "小宝"})
    url = f"/api/v1/applications/{app.pk}/"
    client = api(citizen_alice)

    response = client.patch(url, {"division": SHANGCHENG}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["division"] == {"code": SHANGCHENG, "name": "Shangcheng District"}
    assert response.json()["data"] == {"baby_name": "小宝"}  # answers untouched

    response = client.patch(url, {"division": XIHU, "data": {"gestational_weeks": 39}}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["division"]["code"] == XIHU
    assert response.json()["data"] == {"baby_name": "小宝", "gestational_weeks": 39}
    assert Application.objects.get(pk=app.pk).division.code == XIHU


@pytest.mark.parametrize(("body", "field"), [
    ({"division": "999999"}, "division"), ({"division": "abc"}, "division"), ({"division": None}, "division"),
    ({"division": ["330102"]}, "division"), ({"division": SHANGCHENG, "data": {"nope": 1}}, "data"),
    ({}, "non_field_errors"),
])
def test_a_bad_patch_is_a_400_naming_the_field_and_changes_nothing(api, citizen_alice, demo_catalog, body, field):
    app = drafting.application_create(user=citizen_alice, one_thing_code="newborn", data={"baby_name": "小宝"})
    response = api(citizen_alice).patch(f"/api/v1/applications/{app.pk}/", body, format="json")
    assert response.status_code == 400, response.content
    assert list(response.json()) == [field]
    app.refresh_from_db()
    assert (app.division.code, app.data) == (XIHU, {"baby_name": "小宝"})


def test_moving_outside_where_the_one_thing_is_offered_is_a_400(api, citizen_alice, demo_catalog):
    _offered_only_in("newborn", XIHU)
    app = drafting.application_create(user=citizen_alice, one_thing_code="newborn")
    response = api(citizen_alice).patch(f"/api/v1/applications/{app.pk}/", {"division": SHANGCHENG}, format="json")
    assert response.status_code == 400, response.content
    assert list(response.json()) == ["division"]
    assert Application.objects.get(pk=app.pk).division.code == XIHU


def test_a_submitted_application_cannot_move_409(api, citizen_alice, demo_catalog):
    app = submitted_in(citizen_alice, "newborn", XIHU)
    response = api(citizen_alice).patch(f"/api/v1/applications/{app.pk}/", {"division": SHANGCHENG}, format="json")
    assert response.status_code == 409, response.content
    app.refresh_from_db()
    assert app.division.code == XIHU
    assert set(Case.objects.filter(application=app).values_list("office__division__code", flat=True)) <= {
        XIHU, HANGZHOU}


def test_another_citizens_draft_cannot_be_moved(api, citizen_alice, citizen_carol, demo_catalog):
    app = drafting.application_create(user=citizen_alice, one_thing_code="newborn")
    response = api(citizen_carol).patch(f"/api/v1/applications/{app.pk}/", {"division": SHANGCHENG}, format="json")
    assert response.status_code == 404
    assert Application.objects.get(pk=app.pk).division.code == XIHU


def test_cases_show_the_office_competent_for_the_division(api, citizen_alice, demo_catalog):
    app = submitted_in(citizen_alice, "newborn", SHANGCHENG)
    body = api(citizen_alice).get(f"/api/v1/applications/{app.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert body["division"] == {"code": SHANGCHENG, "name": "上城区"}
    offices = {c["procedure"]["code"]: c["office"] for c in body["cases"]}
    assert offices["health-birth-certificate"] == {"code": "health-330102", "name": "上城区卫生健康委员会",
                                                   "division": SHANGCHENG}
    assert offices["psb-household-registration"]["code"] == "psb-330102"
    assert offices["mi-newborn-insurance"]["division"] == HANGZHOU  # a city-level procedure


# -- a submission nobody is competent for --------------------------------------------------------------

def test_a_submission_without_a_competent_office_is_a_400_naming_it_and_writes_nothing(api, citizen_alice,
                                                                                      demo_catalog):
    app = draft(citizen_alice, "business-startup")
    drafting.application_update(application=app, user=citizen_alice, division=SHANGCHENG)
    missing = Office.objects.get(code="tax-330102")
    kept = {"department": missing.department, "division": missing.division, "name": missing.name}
    missing.delete()
    client = api(citizen_alice)
    url = f"/api/v1/applications/{app.pk}/submit/"

    response = client.post(url, HTTP_IDEMPOTENCY_KEY="submit-once")

    assert response.status_code == 400, response.content
    assert list(response.json()) == ["division"]
    [message] = response.json()["division"]
    assert "tax" in message and SHANGCHENG in message and "Shangcheng District" in message
    assert "tax-registration" in message
    app.refresh_from_db()
    assert (app.status, app.number, app.submitted_at) == (ApplicationStatus.DRAFT, None, None)
    assert not Case.objects.filter(application=app).exists()
    assert not TimelineEntry.objects.filter(application=app).exists()
    assert not IdempotencyRecord.objects.exists()

    Office.objects.create(code="tax-330102", **kept)  # the office is opened: the same request now goes through
    response = client.post(url, HTTP_IDEMPOTENCY_KEY="submit-once")
    assert response.status_code == 200, response.content
    tax = next(c for c in response.json()["cases"] if c["procedure"]["code"] == "tax-registration")
    assert tax["office"]["code"] == "tax-330102"


# -- which one things a person is offered --------------------------------------------------------------

@pytest.fixture
def local_one_things(demo_catalog):
    """business-startup and enterprise-change stay province-wide; newborn is offered in Shangcheng only."""
    _offered_only_in("newborn", SHANGCHENG)


#: The demo's province-wide one things (besides newborn), in the order the list shows them.
WIDE = ["business-startup", "enterprise-change"]


def _codes(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [o["code"] for o in response.json()["results"]]


def test_anonymous_callers_see_the_province_wide_one_things_only(api, local_one_things):
    assert _codes(api(None).get("/api/v1/one-things/")) == WIDE
    assert api(None).get("/api/v1/one-things/business-startup/").status_code == 200
    response = api(None).get("/api/v1/one-things/newborn/")
    assert response.status_code == 404 and response.json() == {"detail": "Not found."}


def test_a_person_sees_the_one_things_of_their_division_and_above(api, local_one_things):
    xihu = CitizenFactory(username="xi")  # no residence: the default division, Xihu
    shangcheng = CitizenFactory(username="sc", residence=Division.objects.get(code=SHANGCHENG))
    hangzhou = CitizenFactory(username="hz", residence=Division.objects.get(code=HANGZHOU))
    assert _codes(api(xihu).get("/api/v1/one-things/")) == WIDE
    assert _codes(api(shangcheng).get("/api/v1/one-things/")) == [*WIDE, "newborn"]
    assert _codes(api(hangzhou).get("/api/v1/one-things/")) == WIDE  # below is not above
    assert api(shangcheng).get("/api/v1/one-things/newborn/").status_code == 200
    for person in (xihu, hangzhou):
        assert api(person).get("/api/v1/one-things/newborn/").status_code == 404

    _offered_only_in("newborn", HANGZHOU)  # city-wide: both districts and the city itself
    for person in (xihu, shangcheng, hangzhou):
        assert _codes(api(person).get("/api/v1/one-things/")) == [*WIDE, "newborn"]
    assert _codes(api(None).get("/api/v1/one-things/")) == WIDE


def test_answers_that_depend_on_the_caller_vary_by_credentials(api, citizen_alice, local_one_things):
    anonymous = api(None).get("/api/v1/one-things/")
    assert "no-store" not in anonymous.get("Cache-Control", "")
    assert {"authorization", "cookie"} <= {v.strip().lower() for v in anonymous["Vary"].split(",")}
    signed_in = api(citizen_alice).get("/api/v1/one-things/newborn/")
    assert signed_in.status_code == 404 and "no-store" in signed_in["Cache-Control"]


def test_the_list_for_a_person_costs_the_same_for_1_and_for_50(api, local_one_things):
    from govflow.catalog.services import import_catalog

    from ..conftest import load_demo_document

    person = CitizenFactory(username="sc", residence=Division.objects.get(code=SHANGCHENG))
    nobody = CitizenFactory(username="xi")

    def as_read(user):  # as authentication reads a user for each request: the residence not loaded yet
        return api(User.objects.get(pk=user.pk))

    url = "/api/v1/one-things/?page_size=100"
    counts = {"person": _queries(as_read(person), url)[0], "no residence": _queries(as_read(nobody), url)[0],
              "anonymous": _queries(api(None), url)[0]}
    doc = load_demo_document()
    newborn = next(o for o in doc["one_things"] if o["code"] == "newborn")
    doc["one_things"] = [{**newborn, "code": f"newborn-{i:02d}", "division": SHANGCHENG} for i in range(49)]
    import_catalog(doc)
    many, response = _queries(as_read(person), url)
    assert response.json()["count"] == 52
    # the person's division (their residence, or the default), the count, the page
    assert counts == {"person": many, "no residence": 3, "anonymous": 2}
    assert many == 3
    assert _queries(as_read(nobody), url)[1].json()["count"] == 2


# -- each office its own queue -------------------------------------------------------------------------

@pytest.fixture
def district_clerks(demo_catalog):
    return {"xihu": member("clerk-amr", "amr-330106"), "shangcheng": member("clerk-amr-sc", "amr-330102")}


def test_each_district_office_queues_its_own_cases(api, citizen_alice, district_clerks):
    in_xihu = submitted_in(citizen_alice, "business-startup", XIHU)
    in_shangcheng = submitted_in(citizen_alice, "business-startup", SHANGCHENG)
    expected = {"xihu": (in_xihu, "amr-330106", XIHU), "shangcheng": (in_shangcheng, "amr-330102", SHANGCHENG)}
    for name, clerk in district_clerks.items():
        app, office, division = expected[name]
        tasks = api(clerk).get("/api/v1/tasks/?queue=department").json()["results"]
        assert [(t["application"]["id"], t["office"]["code"], t["office"]["division"]) for t in tasks] == [
            (app.pk, office, division)], name

    sc_task = case_of(in_shangcheng, "amr-licence").task_id
    assert api(district_clerks["shangcheng"]).post(f"/api/v1/tasks/{sc_task}/claim/").status_code == 200
    mine = api(district_clerks["shangcheng"]).get("/api/v1/tasks/?queue=mine").json()["results"]
    assert [(t["id"], t["office"]["code"]) for t in mine] == [(sc_task, "amr-330102")]
    assert api(district_clerks["xihu"]).get("/api/v1/tasks/?queue=mine").json()["results"] == []


# -- another office's task is a 404, at every task and case URL --------------------------------------

@dataclass(frozen=True)
class Place:
    division: str
    office: str


PLACES = {"xihu": Place(XIHU, "amr-330106"), "shangcheng": Place(SHANGCHENG, "amr-330102")}


@dataclass
class Scene:
    app: Application
    case: Case
    people: dict[str, object]  # "clerk", "peer", "supervisor" of the case's office; "foreign_*" of the other


@dataclass(frozen=True)
class Url:
    method: str
    path: str  # {task}, {case}, {app}, {doc}
    state: str  # "queued": the amr case waits in its office's queue; "held": its office's clerk holds it
    actor: str  # who of the case's own office succeeds: "clerk" | "supervisor"
    own: int  # what that actor gets
    body: Callable[[Scene], dict] | None = None

    def url(self, scene: Scene) -> str:
        doc = Document.objects.get(application=scene.app, material_code="articles_of_association").pk
        return "/api/v1/" + self.path.format(task=scene.case.task_id, case=scene.case.pk, app=scene.app.pk, doc=doc)


URLS = [
    Url("GET", "tasks/{task}/", "queued", "clerk", 200),
    Url("POST", "tasks/{task}/claim/", "queued", "clerk", 200),
    Url("POST", "tasks/{task}/release/", "held", "clerk", 200),
    Url("POST", "tasks/{task}/assign/", "queued", "supervisor", 200,
        body=lambda scene: {"user": scene.people["peer"].username}),
    Url("POST", "tasks/{task}/complete/", "held", "clerk", 200,
        body=lambda scene: {"decision": "approve", "outputs": OUTPUTS["amr-licence"], "comment": "ok"}),
    Url("GET", "applications/{app}/documents/{doc}/file", "queued", "clerk", 200),
    # A clerk's token is no credential for a department system's callback: 401 for everybody,
    # whichever office (signed callbacks are checked per department in test_callbacks.py).
    Url("POST", "cases/{case}/decision/", "queued", "clerk", 401,
        body=lambda scene: {"decision": "approve", "outputs": OUTPUTS["amr-licence"], "event_id": "x-1"}),
]


def test_the_table_covers_every_task_and_case_url():
    from govflow.api.urls import urlpatterns

    task_and_case = {str(p.pattern) for p in urlpatterns
                     if str(p.pattern).startswith(("tasks/<", "cases/<", "applications/<int:pk>/documents/<"))}
    covered = {u.path.replace("{task}", "<int:pk>").replace("{case}", "<int:pk>").replace("{app}", "<int:pk>")
               .replace("{doc}", "<int:doc_pk>") for u in URLS}
    assert task_and_case == covered


def _state() -> list:
    return [list(Case.objects.order_by("pk").values_list("pk", "status", "owner_id", "office_id", "outputs")),
            list(TimelineEntry.objects.order_by("pk").values_list("pk", "kind")),
            list(InboundEvent.objects.values_list("pk"))]


@pytest.mark.parametrize("home", ["shangcheng", "xihu"])
@pytest.mark.parametrize("row", URLS, ids=[f"{u.method} {u.path} ({u.state})" for u in URLS])
def test_another_offices_task_is_404_at_every_url(api, citizen_alice, demo_catalog, home, row):
    """The amr case of an application handled in ``home``: the other district's amr clerk,
    colleague and supervisor get 404 (and change nothing); its own office's ``row.actor`` succeeds."""
    away = "xihu" if home == "shangcheng" else "shangcheng"
    people = {"clerk": member(f"clerk-{home}", PLACES[home].office),
              "peer": member(f"peer-{home}", PLACES[home].office),
              "supervisor": member(f"super-{home}", PLACES[home].office, Role.SUPERVISOR),
              "foreign_clerk": member(f"clerk-{away}", PLACES[away].office),
              "foreign_supervisor": member(f"super-{away}", PLACES[away].office, Role.SUPERVISOR)}
    app = submitted_in(citizen_alice, "business-startup", PLACES[home].division)
    case = case_of(app, "amr-licence")
    assert case.office.code == PLACES[home].office
    if row.state == "held":
        deciding.task_claim(case=case, user=people["clerk"])
    scene = Scene(app=app, case=case_of(app, "amr-licence"), people=people)
    kwargs = {"data": row.body(scene), "format": "json"} if row.body else {}

    for outsider in ("foreign_clerk", "foreign_supervisor"):
        before = _state()
        response = getattr(api(people[outsider]), row.method.lower())(row.url(scene), **kwargs)
        expected = 401 if row.path.startswith("cases/") else 404
        assert response.status_code == expected, (outsider, getattr(response, "content", b""))
        assert response.json().get("detail")
        assert _state() == before, outsider

    response = getattr(api(people[row.actor]), row.method.lower())(row.url(scene), **kwargs)
    assert response.status_code == row.own, getattr(response, "content", b"")


@pytest.mark.parametrize("home", ["shangcheng", "xihu"])
def test_a_signed_callback_decides_a_case_of_either_office_of_its_department(api, citizen_alice, demo_catalog,
                                                                             home):
    """The department's signature is the credential, whichever of its offices has the case."""
    secret = "amr-secret-for-the-districts-test"
    Department.objects.filter(code="amr").update(webhook_secret=secret)
    app = submitted_in(citizen_alice, "business-startup", PLACES[home].division)
    case = case_of(app, "amr-licence")
    raw = json.dumps({"decision": "approve", "outputs": OUTPUTS["amr-licence"], "event_id": f"ok-{home}"}).encode()
    response = api(None).post(f"/api/v1/cases/{case.pk}/decision/", raw, content_type="application/json",
                              HTTP_X_GOVFLOW_SIGNATURE=signature_header(secret, raw))
    assert response.status_code == 200, response.content
    assert Case.objects.get(pk=case.pk).status == "approved"


def test_a_task_is_assigned_within_its_office_only(api, citizen_alice, demo_catalog):
    supervisor = member("super-amr-sc", "amr-330102", Role.SUPERVISOR)
    colleague, elsewhere = member("clerk-amr-sc", "amr-330102"), member("clerk-amr", "amr-330106")
    task = case_of(submitted_in(citizen_alice, "business-startup", SHANGCHENG), "amr-licence").task_id
    url = f"/api/v1/tasks/{task}/assign/"
    response = api(supervisor).post(url, {"user": elsewhere.username}, format="json")
    assert response.status_code == 400 and list(response.json()) == ["user"]
    response = api(supervisor).post(url, {"user": colleague.username}, format="json")
    assert response.status_code == 200 and response.json()["owner"] == colleague.username
