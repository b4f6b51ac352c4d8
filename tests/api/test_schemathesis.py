"""Property-based run of the whole REST API against its own OpenAPI schema (schemathesis 4).

Every operation of ``/api/v1/schema/`` gets generated requests, valid and invalid: schemathesis'
coverage phase (boundary and type-violating values, missing fields, unexpected methods and
content types), then fuzzing with ``MAX_EXAMPLES`` Hypothesis examples, derandomized. They go
in-process to the Django WSGI application with ``Authorization: Token <key>``: as a citizen, as
a clerk, as a supervisor (tasks and statistics) and anonymously (fuzzing only). A run fails on
any 5xx, on a status code the schema does not document, on a body that does not match the
documented schema and on a content type the schema does not name.

The database holds a realistic world, built once for the module (:func:`world`): the demo
catalog; the citizen ``alice`` with a complete and an incomplete draft, a submitted application,
one whose task the clerk ``bob`` holds, one waiting for her correction, a completed one, a
withdrawn one, one in review at another department and one handled in Shangcheng (its AMR task
another office's for the Xihu clerks); ``carol``'s applications (someone else's: 404); AMR clerks
and a supervisor. Generated requests meet it three ways:

- half of the fuzzed path parameters are replaced by ids of its objects (mine, someone else's,
  another department's, a document of one of them);
- the coverage phase's cases, built before any world exists, get real ids instead of their
  valid-but-meaningless ones (ids that are not integers stay), so their bodies get past the 404;
- half of the fuzzed requests become a coherent real request (:attr:`World.scenarios`): submit
  the complete draft, upload a PDF to a draft, approve bob's task with valid outputs, log in
  with the right password, register with a valid id number... merged into the generated body.

:data:`MUST_SUCCEED` then checks that the real paths did run (a 2xx was seen), so a world or a
hook that stopped working cannot leave a run that only ever met 404s and 400s.

Every request runs in a savepoint rolled back afterwards, so each example meets the same world
(revoking one's token, deleting a draft or a login lockout do not leak into the next one) and
the run is reproducible.

Nothing is excluded. ``POST /auth/token/`` may lock a username out (a documented ``429``), but
failed attempts are rolled back with each request. ``POST /cases/{id}/decision/`` never carries
a valid department signature, so it answers ``401`` (or ``400``/``404``/``413``), which is still
checked against the schema; signed callbacks are tested in ``test_callbacks.py``.
``GOVFLOW_SCHEMATHESIS_EXAMPLES=200`` runs deeper.
"""
from __future__ import annotations

import os
import re
import zlib
from collections import defaultdict
from dataclasses import dataclass

import hypothesis
import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase
from hypothesis import strategies as st
from knox.models import AuthToken
from rest_framework.test import APIClient
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from govflow.accounts.models import Role
from govflow.applications.models import Application, ApplicationStatus, Case
from govflow.applications.services import citizen_actions, deciding, drafting, submitting
from govflow.catalog.models import Department
from govflow.catalog.services import import_catalog

from ..factories import CitizenFactory, MembershipFactory, UserFactory, id_number_for
from ..party_world import (
    ACME_USCC,
    OTHER_USCC,
    authorise,
    catalog_for_organisations,
    grant_agent,
    organisation,
    principal_of,
)
from ..stories import JPEG_BYTES, OUTPUTS, PDF_BYTES, approve, case_of, draft, submitted, upload

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance]
#: Fuzzing examples per operation and role; the coverage phase adds its own deterministic cases.
MAX_EXAMPLES = int(os.environ.get("GOVFLOW_SCHEMATHESIS_EXAMPLES", "20"))
PASSWORD = "govflow-test-pw"  # the factories' password

CONFIG = schemathesis.Config.from_dict({
    "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
})
#: The fixtures are not reset between examples on purpose: each request runs in a savepoint rolled back afterwards.
SETTINGS = hypothesis.settings(
    max_examples=MAX_EXAMPLES, derandomize=True, database=None, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large,
                           HealthCheck.large_base_example, HealthCheck.function_scoped_fixture])

schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", get_wsgi_application(), config=CONFIG)

#: Operations that must have answered 2xx at least once in a role's run: the real paths ran.
MUST_SUCCEED = {
    "citizen": {
        "GET /api/v1/applications/", "POST /api/v1/applications/", "GET /api/v1/applications/{id}/",
        "PATCH /api/v1/applications/{id}/", "DELETE /api/v1/applications/{id}/",
        "POST /api/v1/applications/{id}/documents/", "GET /api/v1/applications/{id}/documents/{doc_pk}/file",
        "POST /api/v1/applications/{id}/submit/", "POST /api/v1/applications/{id}/resubmit/",
        "POST /api/v1/applications/{id}/withdraw/", "POST /api/v1/applications/{id}/evaluation/",
        "POST /api/v1/auth/token/", "DELETE /api/v1/auth/token/", "POST /api/v1/auth/register/",
        "GET /api/v1/one-things/", "GET /api/v1/one-things/{code}/", "GET /api/v1/divisions/",
        "GET /api/v1/organisations/", "GET /api/v1/organisations/{id}/", "POST /api/v1/organisations/{id}/agents/",
        "DELETE /api/v1/organisations/{id}/agents/{role_pk}/", "GET /api/v1/authorisations/",
        "POST /api/v1/authorisations/", "POST /api/v1/authorisations/{id}/revoke/",
    },
    "clerk": {
        "GET /api/v1/tasks/", "GET /api/v1/tasks/{id}/", "POST /api/v1/tasks/{id}/claim/",
        "POST /api/v1/tasks/{id}/release/", "POST /api/v1/tasks/{id}/complete/",
        "GET /api/v1/applications/{id}/documents/{doc_pk}/file",
    },
    "supervisor": {"GET /api/v1/stats/", "GET /api/v1/tasks/", "POST /api/v1/tasks/{id}/assign/"},
    "anonymously": set(),
}


# -- the world --------------------------------------------------------------------------------------------------


@dataclass
class World:
    tokens: dict[str, str]
    #: Real path parameters by path prefix (the first that matches).
    path_parameters: dict[str, list[dict]]
    #: Coherent real requests by operation label: (path parameters, fields merged into the body).
    scenarios: dict[str, list[tuple[dict, dict | None]]]
    #: Named objects, for the plain tests at the end.
    ids: dict[str, int]


def _clerk(username: str, department: str, role: str = Role.CLERK):
    user = UserFactory(username=username)
    MembershipFactory(user=user, department=Department.objects.get(code=department), role=role)
    return user


def _build_world() -> World:
    import_catalog(catalog_for_organisations())
    alice, carol = CitizenFactory(username="alice"), CitizenFactory(username="carol")
    bob = _clerk("bob-amr", "amr")
    _clerk("dan-amr", "amr")  # a colleague to assign to
    sue = _clerk("sue-amr", "amr", role=Role.SUPERVISOR)
    clerks = {code: _clerk(f"clerk-{code}", code) for code in ("amr", "psb", "tax", "hrss", "hpf", "health", "mi")}

    complete_draft = draft(alice, "business-startup")  # submit → 200
    # Submitted by its scenario only: the PATCH scenarios above blank an answer of complete_draft,
    # which, run first, leaves it refused (400) whatever the order the operations run in.
    ready_draft = draft(alice, "business-startup")
    incomplete_draft = drafting.application_create(user=alice, one_thing_code="newborn",
                                                   data={"baby_name": "小宝"})  # submit → 400
    queued = submitted(alice, "business-startup")  # amr-licence in the AMR queue
    held = submitted(alice, "business-startup")  # amr-licence held by bob
    deciding.task_claim(case=case_of(held, "amr-licence"), user=bob)
    correction = submitted(alice, "newborn")  # waiting for alice
    health = case_of(correction, "health-birth-certificate")
    deciding.task_claim(case=health, user=clerks["health"])
    deciding.task_complete(case=health, user=clerks["health"], decision="request_correction",
                           corrections={"fields": ["gestational_weeks"], "materials": ["delivery_record"],
                                        "message": "请核对孕周"})
    corrected = submitted(alice, "newborn")  # alice uploaded the marked material again: resubmit → 200
    deciding.task_claim(case=case_of(corrected, "health-birth-certificate"), user=clerks["health"])
    deciding.task_complete(case=case_of(corrected, "health-birth-certificate"), user=clerks["health"],
                           decision="request_correction",
                           corrections={"materials": ["delivery_record"], "message": "请重新上传"})
    upload(corrected, alice, "delivery_record", PDF_BYTES + b"%new")
    completed = submitted(alice, "business-startup")
    for procedure in ("amr-licence", "psb-seal-filing", "tax-registration", "hrss-employer-insurance",
                      "hpf-employer-account"):
        approve(completed, procedure, clerks[procedure.split("-")[0]])
    withdrawn = submitted(alice, "newborn")
    citizen_actions.application_withdraw(application=withdrawn, user=alice)
    elsewhere = submitted(alice, "newborn")  # in review at another department
    deciding.task_claim(case=case_of(elsewhere, "health-birth-certificate"), user=clerks["health"])
    carols = [draft(carol, "newborn"), submitted(carol, "business-startup")]  # someone else's
    # handled in Shangcheng: its amr task is another office's for bob (Xihu)
    in_shangcheng = draft(alice, "business-startup")
    drafting.application_update(application=in_shangcheng, user=alice, division="330102")
    in_shangcheng = submitting.application_submit(application=in_shangcheng, user=alice)

    # alice is an organisation's legal representative, carol its agent; gary applies for alice, alice for carol
    acme = organisation("杭州示例科技有限公司", ACME_USCC, alice)
    carols_role = grant_agent(acme, alice, carol)
    other = organisation("另一家公司", OTHER_USCC, CitizenFactory(username="olga"))
    garys = authorise(CitizenFactory(username="gary"), alice, one_thing="newborn")
    alices = authorise(alice, carol, one_thing="newborn")
    for_acme = drafting.application_create(user=alice, one_thing_code="business-startup",
                                           principal=principal_of(alice, f"org:{acme.pk}"))

    apps = [complete_draft, incomplete_draft, queued, held, correction, corrected, completed, withdrawn, elsewhere,
            in_shangcheng, *carols, for_acme]
    statuses = dict(Application.objects.filter(pk__in=[a.pk for a in apps]).values_list("pk", "status"))
    assert statuses[completed.pk] == ApplicationStatus.COMPLETED
    assert statuses[correction.pk] == ApplicationStatus.CORRECTION_REQUESTED
    cases = list(Case.objects.filter(application__in=apps).order_by("pk"))
    held_task, queued_task = case_of(held, "amr-licence").task_id, case_of(queued, "amr-licence").task_id
    shangcheng_task = case_of(in_shangcheng, "amr-licence").task_id
    other_tasks = [c.task_id for c in cases
                   if c.task_id and c.task_id not in (held_task, queued_task, shangcheng_task)][:4]

    def app(application):
        return {"id": application.pk}

    def task(task_id):
        return {"id": task_id}

    return World(
        tokens={user.username: AuthToken.objects.create(user=user)[1] for user in (alice, bob, sue)},
        path_parameters={
            "/api/v1/applications/{id}/documents/{doc_pk}/": [
                {"id": d.application_id, "doc_pk": d.pk} for a in apps for d in a.documents.all()],
            "/api/v1/applications/{id}/": [app(a) for a in apps],
            "/api/v1/tasks/{id}/": [task(t) for t in (held_task, queued_task, shangcheng_task, *other_tasks)],
            "/api/v1/cases/{id}/": [{"id": c.pk} for c in cases[:6]],
            "/api/v1/organisations/{id}/agents/{role_pk}/": [{"id": acme.pk, "role_pk": carols_role.pk},
                                                             {"id": acme.pk, "role_pk": 1}],
            "/api/v1/organisations/{id}/": [{"id": acme.pk}, {"id": other.pk}],
            "/api/v1/authorisations/{id}/": [{"id": garys.pk}, {"id": alices.pk}],
        },
        scenarios={
            # (acting_as named, so that a generated one does not turn every real request into a 400)
            "POST /api/v1/applications/": [({}, {"one_thing": "newborn", "acting_as": "me"}),
                                           ({}, {"one_thing": "business-startup", "acting_as": "me"}),
                                           ({}, {"one_thing": "newborn", "data": {"baby_name": "小宝"},
                                                 "acting_as": "me"}),
                                           ({}, {"one_thing": "newborn", "division": "330102", "acting_as": "me"}),
                                           ({}, {"one_thing": "business-startup", "acting_as": f"org:{acme.pk}"}),
                                           ({}, {"one_thing": "newborn", "division": "999999"})],  # 400
            "PATCH /api/v1/applications/{id}/": [
                (app(complete_draft), {"data": {"company_name": None}}),
                (app(complete_draft), {"division": "330102"}),
                (app(incomplete_draft), {"division": "330102", "data": {"gestational_weeks": 40}}),
                (app(queued), {"division": "330102"}),  # submitted: 409
                (app(incomplete_draft), {"data": {"gestational_weeks": 40}}),
                (app(correction), {"data": {"gestational_weeks": 40}}),
                (app(correction), {"data": {"baby_name": "改名"}}),  # not marked: 400
            ],
            "DELETE /api/v1/applications/{id}/": [(app(incomplete_draft), None), (app(queued), None)],
            "POST /api/v1/applications/{id}/documents/": [
                (app(incomplete_draft), {"material": "delivery_record", "file": PDF_BYTES}),
                (app(correction), {"material": "delivery_record", "file": PDF_BYTES}),
                (app(complete_draft), {"material": "premises_proof", "file": PDF_BYTES}),
                (app(complete_draft), {"material": "premises_proof", "file": JPEG_BYTES}),  # not accepted: 415
                (app(complete_draft), {"material": "premises_proof", "commitment": True}),  # 告知承诺制: signed
            ],
            # business-startup issues nothing physical: no delivery choice (a generated one may not be valid).
            # Nothing deferred (容缺受理): a generated list of materials to follow names none of this draft's.
            "POST /api/v1/applications/{id}/submit/": [(app(ready_draft), {"delivery": None, "defer": [],
                                                                          "accept_deferral_terms": False}),
                                                        (app(complete_draft), {"delivery": None, "defer": [],
                                                                               "accept_deferral_terms": False}),
                                                        (app(incomplete_draft), None)],
            "POST /api/v1/applications/{id}/resubmit/": [(app(corrected), None), (app(correction), None),
                                                         (app(queued), None)],
            "POST /api/v1/applications/{id}/withdraw/": [(app(queued), None), (app(completed), None)],
            "POST /api/v1/applications/{id}/evaluation/": [
                (app(completed), {"score": 1, "comment": "太慢"}), (app(completed), {"score": 5}),
                (app(queued), {"score": 3})],
            "POST /api/v1/tasks/{id}/claim/": [(task(queued_task), None), (task(held_task), None)],
            "POST /api/v1/tasks/{id}/release/": [(task(held_task), None), (task(queued_task), None)],
            "POST /api/v1/tasks/{id}/complete/": [
                (task(held_task), {"decision": "approve", "outputs": OUTPUTS["amr-licence"]}),
                (task(held_task), {"decision": "reject", "comment": "不符合《市场主体登记管理条例》第十二条"}),
                (task(held_task), {"decision": "request_correction",
                                   "corrections": {"fields": ["company_name"], "materials": [], "message": "请补正"}}),
            ],
            "POST /api/v1/tasks/{id}/assign/": [(task(held_task), {"user": "dan-amr"}),
                                                (task(queued_task), {"user": "alice"})],
            "POST /api/v1/auth/token/": [({}, {"username": "alice", "password": PASSWORD}),
                                         ({}, {"username": "alice", "password": "wrong"})],
            "POST /api/v1/auth/register/": [
                ({}, {"username": "newcomer", "password": "a-Long-enough-passphrase-42", "name": "新市民",
                      "id_number": id_number_for(777, birth="19950505"), "phone": "13912345678"}),
                ({}, {"id_number": carol.id_number}),
            ],
            "GET /api/v1/one-things/{code}/": [({"code": "newborn"}, None), ({"code": "business-startup"}, None)],
            "POST /api/v1/organisations/{id}/agents/": [
                ({"id": acme.pk}, {"id_number": carol.id_number, "expires_at": "2099-01-01T00:00:00+08:00"}),
                ({"id": other.pk}, {"id_number": carol.id_number, "expires_at": "2099-01-01T00:00:00+08:00"})],
            "DELETE /api/v1/organisations/{id}/agents/{role_pk}/": [({"id": acme.pk, "role_pk": carols_role.pk}, None)],
            "POST /api/v1/authorisations/": [
                ({}, {"subject_id_number": id_number_for(778, birth="20250505"), "subject_name": "张小明",
                      "relation": "parent", "one_thing": "newborn", "expires_at": "2099-01-01T00:00:00+08:00",
                      "evidence": PDF_BYTES}),
                ({}, {"subject_id_number": carol.id_number, "subject_name": carol.name, "relation": "other",
                      "one_thing": "business-startup", "scope": "one_thing",
                      "expires_at": "2099-01-01T00:00:00+08:00", "evidence": JPEG_BYTES})],
            "POST /api/v1/authorisations/{id}/revoke/": [({"id": garys.pk}, None), ({"id": alices.pk}, None)],
            # Tasks bob may read: the one he holds and one in his queue. Fuzzed ids may, by chance, name
            # only other offices' tasks (a whole-suite run under GOVFLOW_TEST_NOW once met only 404s
            # here: the message above now lists what was tried), and MUST_SUCCEED needs one.
            "GET /api/v1/tasks/{id}/": [(task(held_task), None), (task(queued_task), None)],
            # Documents bob (and alice, their owner) may download: the pairs drawn at random from all
            # documents may, by chance, never name one (seen once in CI), and MUST_SUCCEED needs one.
            "GET /api/v1/applications/{id}/documents/{doc_pk}/file": [
                ({"id": held.pk, "doc_pk": d.pk}, None) for d in held.documents.all() if _downloadable(bob, d)],
        },
        ids={"complete_draft": complete_draft.pk, "document": complete_draft.documents.first().pk},
    )


def _downloadable(user, document) -> bool:
    from django.http import Http404

    from govflow.applications.selectors import document_for_user

    try:
        document_for_user(user, document.application_id, document.pk)
    except Http404:
        return False
    return True


#: The current module's world, read by the hooks below when examples are drawn.
_WORLD: list[World] = []


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Built once for all the tests of this module, in a transaction rolled back at the end."""
    with django_db_blocker.unblock(), transaction.atomic():
        _WORLD.append(_build_world())
        try:
            yield _WORLD[-1]
        finally:
            _WORLD.clear()
            transaction.set_rollback(True)


def _real_path_parameters(path: str) -> list[dict]:
    for prefix, values in (_WORLD[-1].path_parameters.items() if _WORLD else ()):
        if path.startswith(prefix):
            return values
    return []


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    """Half of the time the path names an object of the world."""
    path = context.operation.path
    if not _real_path_parameters(path) or not isinstance(path_parameters, dict):
        return st.just(path_parameters)
    # The object is looked up when the example is drawn (this hook runs for each drawn example, and
    # so does flatmap_case): xdist may build this module's world again, with new ids, in a worker
    # that ran other modules in between.
    return st.one_of(st.just(path_parameters), st.integers(min_value=0, max_value=63).map(
        lambda i: {**path_parameters, **_pick(path, i)}))


def _pick(path: str, i: int) -> dict:
    pool = _real_path_parameters(path)
    return pool[i % len(pool)] if pool else {}


def _play(case, scenario: tuple[dict, dict | None]):
    path_parameters, fields = scenario
    if path_parameters:
        case.path_parameters = {**(case.path_parameters or {}), **path_parameters}
    if fields:
        case.body = {**(case.body if isinstance(case.body, dict) else {}), **fields}
        # The documents endpoint takes a file (multipart) or a commitment (JSON): send each as it must go.
        if any(isinstance(value, bytes) for value in fields.values()):
            case.media_type = "multipart/form-data"
        elif "commitment" in fields:
            case.media_type = "application/json"
            case.body = {key: value for key, value in case.body.items() if key in ("material", "commitment")}
    return case


@schema.hook
def flatmap_case(context, case):
    """Half of the time the request becomes a real one of the world (merged into what was generated)."""
    scenarios = _WORLD[-1].scenarios.get(context.operation.label) if _WORLD else None
    if not scenarios:
        return st.just(case)
    return st.one_of(st.just(case), st.sampled_from(scenarios).map(lambda scenario: _play(case, scenario)))


# -- the runs ---------------------------------------------------------------------------------------------------


@pytest.fixture
def served(db, world, request):
    """Serve requests in-process on the test's database connection; afterwards, check that the
    operation succeeded at least once if it must (see ``MUST_SUCCEED``).

    Django closes "old" connections at the start and end of every request; inside the test's
    transaction that would close the connection the test runs in (Django's test client
    disconnects the same handlers).
    """
    seen: dict[str, set[int]] = defaultdict(set)
    tried: dict[str, list] = defaultdict(list)
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield seen, tried
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    role = request.function.__name__.rsplit("_", 1)[-1]
    for label, codes in seen.items():
        if label in MUST_SUCCEED[role]:
            assert any(200 <= code < 300 for code in codes), (
                f"{label} never succeeded as {role}: {sorted(codes)}; path parameters tried: {tried[label][:40]}; "
                f"the world's: {_real_path_parameters(label.split(' ', 1)[1])}")


def _with_real_ids(case) -> None:
    """The coverage phase's cases are built before the world exists, so their valid ids name
    nothing and their bodies would never get past the 404: give them real ids instead (chosen
    by the case's content, so that a replay picks the same). Ids that are not integers stay."""
    if case.meta is None or case.meta.phase.name.value != "coverage" or not case.path_parameters:
        return
    if not all(type(value) is int or (isinstance(value, str) and re.fullmatch(r"[0-9]+", value))
               for value in case.path_parameters.values()):  # the coverage phase sends them serialised
        return
    pool = _real_path_parameters(case.operation.path)
    if pool:
        index = zlib.crc32(repr((case.method, case.query, case.headers, case.body)).encode()) % len(pool)
        case.path_parameters = {**case.path_parameters, **pool[index]}


def _call_and_validate(case, token: str | None, served: tuple[dict, dict]) -> None:
    """One request in a savepoint rolled back afterwards: every example meets the same world."""
    cache.clear()  # rate limits (registration) start afresh too
    _with_real_ids(case)
    headers = {"Authorization": f"Token {token}"} if token else {}
    with transaction.atomic():
        response = case.call(headers=headers)
        transaction.set_rollback(True)
    seen, tried = served
    label = f"{case.method.upper()} {case.operation.path}"  # the coverage phase tries other methods too
    seen[label].add(response.status_code)
    tried[label].append((case.path_parameters, response.status_code))
    case.validate_response(response, checks=CHECKS, headers=headers)


@schema.parametrize()
@SETTINGS
def test_the_api_conforms_to_its_schema_for_a_citizen(case, world, served):
    _call_and_validate(case, world.tokens["alice"], served)


@schema.parametrize()
@SETTINGS
def test_the_api_conforms_to_its_schema_for_a_clerk(case, world, served):
    _call_and_validate(case, world.tokens["bob-amr"], served)


@schema.include(path_regex=r"^/api/v1/(tasks|stats)/").parametrize()
@SETTINGS
def test_the_api_conforms_to_its_schema_for_a_supervisor(case, world, served):
    _call_and_validate(case, world.tokens["sue-amr"], served)


@schema.parametrize()
@hypothesis.settings(SETTINGS, max_examples=8, phases=[Phase.generate])  # no coverage phase: nearly all 401s
def test_the_api_conforms_to_its_schema_anonymously(case, world, served):
    _call_and_validate(case, None, served)


# -- what the run found, pinned -------------------------------------------------------------------------------


@pytest.fixture
def alice_client(db, world):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {world.tokens['alice']}")
    return client


def _json_404(response) -> None:
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert set(response.json()) == {"detail"}


def test_a_page_out_of_range_is_a_documented_json_404(alice_client):
    _json_404(alice_client.get("/api/v1/applications/?page=0"))
    _json_404(alice_client.get("/api/v1/one-things/?page=99"))
    operations = schema.raw_schema["paths"]
    for path in ("/api/v1/applications/", "/api/v1/one-things/", "/api/v1/tasks/"):
        assert "application/json" in operations[path]["get"]["responses"]["404"]["content"]


def test_a_path_that_matches_no_endpoint_is_a_json_404_too(alice_client, world):
    _json_404(alice_client.get("/api/v1/applications/abc/"))
    _json_404(alice_client.post("/api/v1/applications/-1/submit/"))
    _json_404(alice_client.get(f"/api/v1/applications/{world.ids['complete_draft']}/documents/x/file"))
    assert alice_client.get("/no-such-page/")["Content-Type"].startswith("text/html")  # the portal's own 404


def test_documents_are_documented_with_the_types_they_are_served_as(alice_client, world):
    response = alice_client.get(f"/api/v1/applications/{world.ids['complete_draft']}/documents/"
                                f"{world.ids['document']}/file")
    assert response.status_code == 200
    documented = schema.raw_schema["paths"]["/api/v1/applications/{id}/documents/{doc_pk}/file"]["get"]
    assert set(documented["responses"]["200"]["content"]) == {"application/pdf", "image/jpeg", "image/png"}
    assert response["Content-Type"] in documented["responses"]["200"]["content"]


def test_an_incomplete_application_reports_both_data_and_materials(alice_client, world):
    from govflow.accounts.models import User

    alice = User.objects.get(username="alice")
    answers_only = draft(alice, "business-startup", materials={})
    response = alice_client.post(f"/api/v1/applications/{answers_only.pk}/submit/")
    assert response.status_code == 400
    assert response.json()["data"] == {} and "articles_of_association" in response.json()["materials"]

    materials_only = draft(alice, "newborn", answers={})
    body = alice_client.post(f"/api/v1/applications/{materials_only.pk}/submit/").json()
    assert body["materials"] == [] and body["data"]
