"""Who may see and act on an application: the one access rule (``applications.selectors.acting_q``)
as a matrix of actors × applications × every application endpoint of the API and every portal
page that shows or changes an application.

The applications (``KINDS``), each in the state an endpoint needs (a draft, a submitted one, one
corrected and ready to resubmit, a completed one), all of business-startup (open to persons and
organisations here):

=============  ==========================================================================
self           pat's, made by pat online
by_agent       pat's, made by gary under his live authorisation (代办, every application of
               the one thing)
by_expired     pat's, made by eve under an authorisation that has expired since
by_revoked     pat's, made by ron under an authorisation pat has revoked since
org            Acme's (杭州示例科技有限公司), made by its agent andy
counter        pat's, taken at the Xihu service-hall counter (gsc-330106) by cora
=============  ==========================================================================

The actors (``ACTORS``): pat, the person herself; gary, eve and ron, the agents with a valid, an
expired and a revoked authorisation from pat; lena, Acme's legal representative; andy, Acme's
agent; axel and rita, Acme's agents whose roles expired / were revoked; oscar, the agent of
another company; cora, a counter clerk of the office that took the counter application; cody, a
counter clerk of another office (amr-330102); bob, an AMR clerk of the office handling the
applications' first case; carol, a citizen with nothing to do with any of them.

``ACCESS`` says, per application, who may act on it: they get the endpoint's success status,
everyone else a 404 (never a 403: another's application does not exist for them), and a refused
write changes nothing. The clock is pinned (time_machine): the world is built ten days ago, when
eve's authorisation and axel's role were still valid; they expired five days ago.

Exceptions, each explained where it is declared:

- a document's file through the API is also served to a clerk whose office has a live case on the
  application listing that material (bob, for the AMR material; tests/api/test_authorization_matrix.py);
- a certificate's holder decides alone whether their name shows on its verification page: an
  agent of a person and the counter clerk, who may otherwise act, are refused (403, ``refused``);
- the lists: ``GET /applications/`` is the caller's own (``me``), or one principal's
  (``?acting_as=org:<id>`` / ``for:<authorisation id>``), a principal the caller may not act for
  being a 404 (``LIST_CELLS``).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from govflow.accounts.models import Role
from govflow.applications.models import (
    Application,
    ApplicationStatus,
    Certificate,
    CertificateTemplate,
    Document,
    IssuedOutput,
    TimelineEntry,
)
from govflow.applications.services import deciding, submitting
from govflow.catalog.models import Department, Output
from govflow.catalog.services import import_catalog
from govflow.parties import services as parties

from .factories import CitizenFactory, MembershipFactory, UserFactory
from .party_world import (
    ACME_USCC,
    OTHER_USCC,
    authorise,
    business_draft,
    catalog_for_organisations,
    counter_clerk,
    grant_agent,
    office_of,
    organisation,
    principal_of,
)
from .stories import PDF_BYTES, approve, case_of, upload

pytestmark = pytest.mark.django_db

ACTORS = ("pat", "gary", "eve", "ron", "lena", "andy", "axel", "rita", "oscar", "cora", "cody", "bob", "carol")
KINDS = ("self", "by_agent", "by_expired", "by_revoked", "org", "counter")
STATES = ("draft", "submitted", "corrected", "completed")

#: Who may act on each application ("x": may; ".": 404).
#             pat gary eve ron lena andy axel rita oscar cora cody bob carol
ACCESS_TABLE = {
    "self":       "x   .    .   .   .    .    .    .    .     .    .    .   .",
    "by_agent":   "x   x    .   .   .    .    .    .    .     .    .    .   .",
    "by_expired": "x   .    .   .   .    .    .    .    .     .    .    .   .",
    "by_revoked": "x   .    .   .   .    .    .    .    .     .    .    .   .",
    "org":        ".   .    .   .   x    x    .    .    .     .    .    .   .",
    "counter":    "x   .    .   .   .    .    .    .    .     x    .    .   .",
}
ACCESS = {kind: dict(zip(ACTORS, (c == "x" for c in cells.split()), strict=True))
          for kind, cells in ACCESS_TABLE.items()}

#: When the world is built (ten days before now) and when eve's authorisation and axel's role end.
BUILT_AGO = timedelta(days=10)
EXPIRES_AFTER = timedelta(days=5)


# -- the world ---------------------------------------------------------------------------------------------


@dataclass
class World:
    people: dict
    apps: dict[tuple[str, str], int]  # (kind, state) -> application id
    docs: dict[tuple[str, str], int]  # (kind, state) -> the id of its AMR-only document
    outputs: dict[tuple[str, str], int]  # (kind, state) -> the id of its certified output (uscc), once issued
    principals: dict[str, str]  # kind -> the acting_as key of the actor who made it
    acme: int


def _complete(app: Application, clerks: dict) -> None:
    for procedure in ("amr-licence", "psb-seal-filing", "tax-registration", "hrss-employer-insurance",
                      "hpf-employer-account"):
        approve(app, procedure, clerks[procedure.split("-")[0]])


def _build() -> World:
    import_catalog(catalog_for_organisations())
    # The business licence's code gets an electronic certificate (docs/papers.md).
    CertificateTemplate.objects.create(output=Output.objects.get(code="uscc"), title="营业执照",
                                       body="{{ holder_name }} {{ output_value }}")
    names = ("pat", "gary", "eve", "ron", "lena", "andy", "axel", "rita", "oscar", "carol", "olga")
    people = {name: CitizenFactory(username=f"m-{name}") for name in names}
    gsc = office_of("gsc")
    people["cora"] = counter_clerk("m-cora", gsc)
    people["cody"] = counter_clerk("m-cody", office_of("amr", "330102"))
    clerks = {}
    for code in ("amr", "psb", "tax", "hrss", "hpf"):
        clerks[code] = UserFactory(username=f"m-clerk-{code}")
        MembershipFactory(user=clerks[code], department=Department.objects.get(code=code), role=Role.CLERK)
    people["bob"] = clerks["amr"]
    p = people

    acme = organisation("杭州示例科技有限公司", ACME_USCC, p["lena"])
    other = organisation("另一家公司", OTHER_USCC, p["olga"])
    grant_agent(acme, p["lena"], p["andy"])
    grant_agent(acme, p["lena"], p["axel"], days=EXPIRES_AFTER.days)
    ritas = grant_agent(acme, p["lena"], p["rita"])
    grant_agent(other, p["olga"], p["oscar"])
    mandates = {"gary": authorise(p["gary"], p["pat"]),
                "eve": authorise(p["eve"], p["pat"], days=EXPIRES_AFTER.days),
                "ron": authorise(p["ron"], p["pat"])}

    makers = {  # kind -> (who makes it, acting_as, counter office)
        "self": ("pat", "me", None), "by_agent": ("gary", f"for:{mandates['gary'].pk}", None),
        "by_expired": ("eve", f"for:{mandates['eve'].pk}", None),
        "by_revoked": ("ron", f"for:{mandates['ron'].pk}", None), "org": ("andy", f"org:{acme.pk}", None),
        "counter": ("cora", None, gsc),
    }
    apps, docs, outputs = {}, {}, {}
    for kind, (maker, key, counter) in makers.items():
        user = p[maker]
        if counter is not None:
            from govflow.parties.selectors import Principal

            principal = Principal("person", person=p["pat"])
        else:
            principal = principal_of(user, key)
        for state in STATES:
            app = business_draft(user, principal, counter_office=counter)
            if state != "draft":
                app = submitting.application_submit(application=app, user=user)
            if state == "corrected":
                amr = case_of(app, "amr-licence")
                deciding.task_claim(case=amr, user=clerks["amr"])
                deciding.task_complete(case=amr, user=clerks["amr"], decision="request_correction",
                                       corrections={"fields": ["registered_address"], "materials": ["premises_proof"],
                                                    "message": "请核对住所证明"})
                upload(Application.objects.get(pk=app.pk), user, "premises_proof", PDF_BYTES + b"%new")
            if state == "completed":
                _complete(app, clerks)
            apps[kind, state] = app.pk
            docs[kind, state] = Document.objects.get(application=app, material_code="articles_of_association").pk
            outputs[kind, state] = (IssuedOutput.objects.filter(application=app, code="uscc")
                                    .values_list("pk", flat=True).first() or 0)
    # Rita's role and ron's authorisation are revoked; eve's and axel's lapse on their own.
    parties.role_revoke(role=ritas, actor=p["lena"])
    parties.authorisation_revoke(authorisation=mandates["ron"], actor=p["pat"])
    statuses = dict(Application.objects.values_list("pk", "status"))
    assert {statuses[apps[k, "completed"]] for k in KINDS} == {ApplicationStatus.COMPLETED}
    assert {statuses[apps[k, "corrected"]] for k in KINDS} == {ApplicationStatus.CORRECTION_REQUESTED}
    assert Certificate.objects.filter(output_id__in=[outputs[k, "completed"] for k in KINDS]).count() == len(KINDS)
    return World(people=people, apps=apps, docs=docs, outputs=outputs,
                 principals={kind: key for kind, (_m, key, _c) in makers.items() if key}, acme=acme.pk)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Built once for the module, ten days ago, in a transaction rolled back when the module is
    done; every cell runs in a savepoint of it (pytest-django's ``db``), rolled back on its own."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            with time_machine.travel(timezone.now() - BUILT_AGO, tick=True):
                built = _build()
        except BaseException as exc:
            transaction.set_rollback(True)
            outer.__exit__(type(exc), exc, exc.__traceback__)
            raise
    try:
        yield built
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


# -- the endpoints -----------------------------------------------------------------------------------------


def _upload_body() -> dict:
    return {"data": {"material": "premises_proof",
                     "file": SimpleUploadedFile("p.pdf", PDF_BYTES + b"%v2", content_type="application/pdf")},
            "format": "multipart"}


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    path: str  # {id}: the application, {doc}: its AMR-only document
    state: str
    ok: int  # the status of a success
    portal: bool = False
    body: Callable[[], dict] | None = None
    writes: bool = False
    #: Actors allowed beyond ACCESS, whatever the application (see the module's docstring).
    also: frozenset[str] = frozenset()
    #: Actors who may act on the application but whom this endpoint's own rule refuses (403).
    refused: frozenset[str] = frozenset()


API = "/api/v1/applications/{id}"
ENDPOINTS = [
    Endpoint("detail", "GET", API + "/", "submitted", 200),
    Endpoint("patch", "PATCH", API + "/", "draft", 200, writes=True,
             body=lambda: {"data": {"data": {"company_name": "改名后的有限公司"}}, "format": "json"}),
    Endpoint("delete", "DELETE", API + "/", "draft", 204, writes=True),
    Endpoint("upload", "POST", API + "/documents/", "draft", 201, writes=True, body=_upload_body),
    # bob's office has a live case listing this material: a clerk's download (tasks' documents).
    Endpoint("download", "GET", API + "/documents/{doc}/file", "submitted", 200, also=frozenset({"bob"})),
    Endpoint("download (draft)", "GET", API + "/documents/{doc}/file", "draft", 200),
    Endpoint("submit", "POST", API + "/submit/", "draft", 200, writes=True),
    Endpoint("resubmit", "POST", API + "/resubmit/", "corrected", 200, writes=True),
    Endpoint("withdraw", "POST", API + "/withdraw/", "submitted", 200, writes=True),
    Endpoint("evaluation", "POST", API + "/evaluation/", "completed", 201, writes=True,
             body=lambda: {"data": {"score": 4, "comment": "好"}, "format": "json"}),
    Endpoint("timeline (completed)", "GET", API + "/", "completed", 200),
    Endpoint("certificate", "GET", API + "/outputs/uscc/certificate", "completed", 200),
    # Apply again on an approved application: who may act on it learns it cannot be started again
    # (409; nothing changes), anyone else gets 404. Starting again a refused or withdrawn one:
    # tests/applications/test_apply_again.py.
    Endpoint("apply again (approved)", "POST", API + "/apply-again/", "completed", 409),
    # The portal's pages of one application.
    Endpoint("page", "GET", "/applications/{id}/", "submitted", 200, portal=True),
    Endpoint("page document", "GET", "/applications/{id}/documents/{doc}/", "submitted", 200, portal=True),
    Endpoint("guide", "GET", "/applications/{id}/guide/", "draft", 200, portal=True),
    Endpoint("form", "GET", "/applications/{id}/form/", "draft", 200, portal=True),
    Endpoint("form save", "POST", "/applications/{id}/form/", "draft", 302, portal=True, writes=True,
             body=lambda: {"data": {"company_name": "门户改名有限公司", "action": "save"}}),
    Endpoint("materials", "GET", "/applications/{id}/materials/", "draft", 200, portal=True),
    Endpoint("check", "GET", "/applications/{id}/check/", "draft", 200, portal=True),
    Endpoint("submit page", "POST", "/applications/{id}/submit/", "draft", 302, portal=True, writes=True,
             body=lambda: {"data": {"submit_key": "matrix"}}),
    Endpoint("receipt", "GET", "/applications/{id}/receipt/", "submitted", 200, portal=True),
    Endpoint("receipt pdf", "GET", "/applications/{id}/receipt.pdf", "submitted", 200, portal=True),
    Endpoint("certificate pdf", "GET", "/applications/{id}/outputs/{output}/certificate.pdf", "completed", 200,
             portal=True),
    # Only the holder (the person, or whoever holds a live role in the company) decides whether their
    # name shows on the verification page: not a person's agent (gary), nor the counter clerk (cora).
    Endpoint("certificate name", "POST", "/applications/{id}/outputs/{output}/certificate/name/", "completed", 302,
             portal=True, writes=True, body=lambda: {"data": {"show_name": "yes"}},
             refused=frozenset({"gary", "cora"})),
    Endpoint("correct and resubmit", "POST", "/applications/{id}/correct/", "corrected", 302, portal=True,
             writes=True, body=lambda: {"data": {"registered_address": "浙江省杭州市西湖区文三路 200 号",
                                                 "action": "resubmit"}}),
    # 容缺受理: handing in a material to follow. Sent without a file, those who may act get the page
    # back with the error (400); anyone else, not found.
    Endpoint("hand in (no file)", "POST", "/applications/{id}/hand-in/", "submitted", 400, portal=True,
             body=lambda: {"data": {"material": "premises_proof"}}),
    Endpoint("withdraw page", "GET", "/applications/{id}/withdraw/", "submitted", 200, portal=True),
    Endpoint("withdraw confirm", "POST", "/applications/{id}/withdraw/", "submitted", 302, portal=True, writes=True),
    Endpoint("delete page", "GET", "/applications/{id}/delete/", "draft", 200, portal=True),
    Endpoint("apply again page (approved)", "POST", "/applications/{id}/apply-again/", "completed", 302,
             portal=True),
    Endpoint("evaluate", "POST", "/applications/{id}/evaluate/", "completed", 302, portal=True, writes=True,
             body=lambda: {"data": {"score": "5", "comment": ""}}),
]

#: Cells where a page disagrees with the rule today: (endpoint, kind, actor) -> (the status it
#: answers, why). Each is a fault outside this change; fixing it makes its cell fail here, and the
#: entry goes.
#: None is known now (the portal's document view and receipt were the last two).
KNOWN_GAPS: dict[tuple[str, str, str], tuple[int, str]] = {}


def expected(endpoint: Endpoint, kind: str, actor: str) -> int:
    """What the rule says: the endpoint's success for who may act (and its ``also``), else 404."""
    if ACCESS[kind][actor] and actor in endpoint.refused:
        return 403
    return endpoint.ok if ACCESS[kind][actor] or actor in endpoint.also else 404


def _state_of(app_id: int) -> tuple:
    return (Application.objects.filter(pk=app_id).values_list("status", "data", "updated_at", "submitted_by_id")
            .first(), sorted(Document.objects.filter(application_id=app_id).values_list("sha256", flat=True)),
            TimelineEntry.objects.filter(application_id=app_id).count())


def _send(endpoint: Endpoint, world: World, kind: str, actor: str):
    app_id = world.apps[kind, endpoint.state]
    url = endpoint.path.format(id=app_id, doc=world.docs[kind, endpoint.state],
                               output=world.outputs[kind, endpoint.state])
    user = world.people[actor]
    if endpoint.portal:
        client = Client(raise_request_exception=False)
        client.force_login(user)
    else:
        client = APIClient(raise_request_exception=False)
        client.force_authenticate(user)
    kwargs = endpoint.body() if endpoint.body else {}
    return getattr(client, endpoint.method.lower())(url, **kwargs)


def _cell(endpoint: Endpoint, world: World, kind: str, actor: str) -> str | None:
    """One request, in a savepoint rolled back afterwards; what is wrong with it, or None."""
    app_id = world.apps[kind, endpoint.state]
    status, gap = expected(endpoint, kind, actor), KNOWN_GAPS.get((endpoint.name, kind, actor))
    wanted = gap[0] if gap else status
    with transaction.atomic():
        before = _state_of(app_id)
        response = _send(endpoint, world, kind, actor)
        after = _state_of(app_id)
        transaction.set_rollback(True)
    if response.status_code != wanted:
        return (f"{response.status_code}, expected {wanted}{f' ({gap[1]})' if gap else ''} "
                f"{response.get('Location', '')} {getattr(response, 'content', b'')[:120]!r}")
    if gap:
        return None
    if status == 302 and f"/applications/{app_id}/" not in response["Location"]:
        return f"redirected to {response['Location']}"  # the portal's writes go back to the application
    if (status in (403, 404) or not endpoint.writes) and after != before:
        return f"{status}, but the application changed"
    if status not in (403, 404) and endpoint.writes and after == before:
        return f"{status}, but nothing changed"
    if status == 200 and not endpoint.portal and endpoint.path.endswith("{id}/"):
        body = response.json()
        if body["id"] != app_id or body["applicant"]["kind"] != ("organisation" if kind == "org" else "person"):
            return f"shows {body['id']} for {body['applicant']}"
    return None


ROWS = [pytest.param(endpoint, kind, id=f"{endpoint.method} {endpoint.name} of {kind}")
        for endpoint in ENDPOINTS for kind in KINDS]


@pytest.mark.parametrize(("endpoint", "kind"), ROWS)
def test_who_may_act_on_an_application(world, endpoint: Endpoint, kind: str):
    """One row: every actor on one endpoint of one application, each request rolled back; every
    cell that disagrees with the table is reported at once."""
    wrong = {actor: problem for actor in ACTORS if (problem := _cell(endpoint, world, kind, actor))}
    assert not wrong, f"{endpoint.method} {endpoint.path} ({endpoint.state}) of {kind}:\n" + "\n".join(
        f"  as {actor}: {problem}" for actor, problem in wrong.items())


def test_a_write_records_who_acted_and_on_whose_behalf(world):
    """An agent's submission is recorded as theirs, for the person: submitted_by and the timeline."""
    app_id = world.apps["by_agent", "draft"]
    client = APIClient()
    client.force_authenticate(world.people["gary"])
    body = client.post(f"/api/v1/applications/{app_id}/submit/").json()
    assert body["submitted_by"]["id"] == world.people["gary"].pk
    assert body["applicant"] == {"kind": "person", "id": world.people["pat"].pk, "name": world.people["pat"].name}
    entry = TimelineEntry.objects.get(application_id=app_id, kind="application.submitted")
    assert entry.actor_id == world.people["gary"].pk
    assert entry.data["on_behalf_of"]["id"] == world.people["pat"].pk


# -- the lists ----------------------------------------------------------------------------------------------

#: ``GET /applications/?acting_as=<the principal the application was made as>`` (``me`` for pat's own):
#: "+" listed, "-" not listed, "404" a principal the caller may not act for.
#               pat  gary eve  ron  lena andy axel rita oscar cora cody bob  carol
LIST_TABLE = {
    "self":       "+    -    -    -    -    -    -    -    -     -    -    -    -",
    "by_agent":   "404  +    404  404  404  404  404  404  404   404  404  404  404",
    "by_expired": "404  404  404  404  404  404  404  404  404   404  404  404  404",
    "by_revoked": "404  404  404  404  404  404  404  404  404   404  404  404  404",
    "org":        "404  404  404  404  +    +    404  404  404   404  404  404  404",
}
#: ``GET /applications/`` (the caller's own): pat sees every application made for her, whoever
#: made it and whichever way (an agent, the counter); nobody else sees any of them.
OWN_LIST = {kind: {actor: "+" if actor == "pat" and kind != "org" else "-" for actor in ACTORS} for kind in KINDS}

LIST_CELLS = ([pytest.param(kind, actor, cell, True, id=f"acting_as {kind} as {actor} -> {cell}")
               for kind, row in LIST_TABLE.items() for actor, cell in zip(ACTORS, row.split(), strict=True)]
              + [pytest.param(kind, actor, cell, False, id=f"own list {kind} as {actor} -> {cell}")
                 for kind, row in OWN_LIST.items() for actor, cell in row.items()])


@pytest.mark.parametrize(("kind", "actor", "cell", "acting"), LIST_CELLS)
def test_whose_applications_a_list_shows(world, kind: str, actor: str, cell: str, acting: bool):
    client = APIClient()
    client.force_authenticate(world.people[actor])
    key = world.principals.get(kind, "me") if acting else None
    response = client.get("/api/v1/applications/", {"acting_as": key, "page_size": 100} if key else {"page_size": 100})
    if cell == "404":
        assert response.status_code == 404, response.content
        return
    assert response.status_code == 200, response.content
    shown = {item["id"] for item in response.json()["results"]}
    mine = {world.apps[kind, state] for state in STATES}
    assert (mine <= shown) if cell == "+" else not (mine & shown), f"{actor} lists {sorted(shown)}"


def test_the_table_names_every_application_endpoint_and_portal_page():
    """Every API route and portal page of one application is a row (those that only redirect
    elsewhere, like the receipt's print, included)."""
    from govflow.api.urls import urlpatterns as api_patterns
    from govflow.portal.urls import urlpatterns as portal_patterns

    api_routes = {str(p.pattern) for p in api_patterns if str(p.pattern).startswith("applications/<int:pk>")}
    covered_api = {e.path.replace("/api/v1/applications/{id}", "applications/<int:pk>")
                   .replace("{doc}", "<int:doc_pk>").replace("/outputs/uscc/", "/outputs/<slug:code>/")
                   for e in ENDPOINTS if not e.portal}
    assert api_routes == covered_api
    portal = {str(p.pattern) for p in portal_patterns if str(p.pattern).startswith("applications/<int:pk>")}
    covered_portal = {e.path.lstrip("/").replace("{id}", "<int:pk>").replace("{doc}", "<int:doc_pk>")
                      .replace("{output}", "<int:output_pk>") for e in ENDPOINTS if e.portal}
    assert portal == covered_portal


def test_the_people_are_who_the_docstring_says(world):
    """The clock: eve's authorisation and axel's role were valid when the world was built and are
    expired now; ron's authorisation and rita's role are revoked."""
    from govflow.parties.models import Authorisation, OrganisationRole

    p = world.people
    eves = Authorisation.objects.get(agent=p["eve"])
    assert eves.revoked_at is None and eves.expires_at < timezone.now() and not eves.is_live()
    assert Authorisation.objects.get(agent=p["ron"]).revoked_at is not None
    assert Authorisation.objects.get(agent=p["gary"]).is_live()
    axels = OrganisationRole.objects.get(user=p["axel"])
    assert axels.revoked_at is None and not axels.is_live()
    assert OrganisationRole.objects.get(user=p["rita"]).revoked_at is not None


# -- who read whose data (issue 20) ------------------------------------------------------------------------

#: Who sees who read Acme's data: its legal representative only (its agents act for it in one
#: thing at a time and do not oversee it); to anyone else the page does not exist (404).
ORG_READS = {actor: actor == "lena" for actor in ACTORS}


@pytest.mark.parametrize("actor", ACTORS)
def test_who_may_see_who_read_an_organisations_data(world, actor: str):
    user = world.people[actor]
    api = APIClient()
    api.force_authenticate(user)
    web = Client()
    web.force_login(user)
    expected = 200 if ORG_READS[actor] else 404
    assert api.get(f"/api/v1/organisations/{world.acme}/access-records/").status_code == expected
    assert web.get(f"/organisations/{world.acme}/access-records/").status_code == expected


@pytest.mark.parametrize("actor", ACTORS)
def test_nobody_here_may_search_the_access_records(world, actor: str):
    """The search of everyone's reads is for supervisors and auditors: none of these people (the
    clerks and counter clerks included) may open it."""
    web = Client()
    web.force_login(world.people[actor])
    assert web.get("/workbench/access-records/").status_code == 403
def test_a_persons_data_archive_is_theirs_alone(world, db, django_capture_on_commit_callbacks):
    """Download my data (applications/export.py) is not an application's: only the person herself
    reads her archive. Everyone else of the matrix — her live agent and the counter clerk, who may
    act on her applications, included — gets a 404; the agent's own archive holds none of the
    applications he made for her (they are hers)."""
    import io
    import json
    import zipfile

    from govflow.applications.models import DataExport

    def api(name: str) -> APIClient:
        client = APIClient(raise_request_exception=False)
        client.force_authenticate(world.people[name])
        return client

    with django_capture_on_commit_callbacks(execute=True):
        assert api("pat").post("/api/v1/me/export/").status_code == 202
        assert api("gary").post("/api/v1/me/export/").status_code == 202
    pats = DataExport.objects.get(user=world.people["pat"])
    for actor in ACTORS:
        detail = api(actor).get(f"/api/v1/me/export/{pats.pk}/")
        download = api(actor).get(f"/api/v1/me/export/{pats.pk}/file")
        portal = Client(raise_request_exception=False)
        portal.force_login(world.people[actor])
        page = portal.get(f"/accounts/my-data/{pats.token}/")
        want = 200 if actor == "pat" else 404
        assert (detail.status_code, download.status_code, page.status_code) == (want, want, want), actor
    garys = DataExport.objects.get(user=world.people["gary"])
    archive = zipfile.ZipFile(io.BytesIO(b"".join(api("gary").get(f"/api/v1/me/export/{garys.pk}/file")
                                                  .streaming_content)))
    assert json.loads(archive.read("data.json"))["applications"] == []
    pat_ids = {a["id"] for a in json.loads(zipfile.ZipFile(io.BytesIO(b"".join(
        api("pat").get(f"/api/v1/me/export/{pats.pk}/file").streaming_content))).read("data.json"))["applications"]}
    assert {world.apps["by_agent", state] for state in STATES} <= pat_ids
    assert not {world.apps["org", state] for state in STATES} & pat_ids
