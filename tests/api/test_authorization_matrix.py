"""The authorization matrix of the REST API, generated from one table.

Each row of ``TABLE`` is one (endpoint, method) and, in ``ROLES`` order, the status each role
gets for a request that is otherwise valid: the row's ``world`` builds the objects it needs (a
draft owned by the owner for PATCH, a queued amr task for claim, a task the clerk holds for
complete, ...) so that the status reflects who is asking, not a bad body. Every cell is one
test (``POST tasks/{id}/claim/ as other_citizen -> 404``).

Each cell also checks:

- a ``401`` names its scheme in ``WWW-Authenticate`` (``Token`` for the API; the signed
  department callback names its own signature scheme);
- a ``401``/``403``/``404`` is JSON with a ``detail``;
- ``200+`` / ``200-``: a list that must / must not show the row's object;
- a row's own ``check`` of a success (``/stats/``: the departments a supervisor or staff sees);
- nothing changed (applications, cases, timeline, documents, tasks, tokens, users, outbox,
  idempotency records ...) unless the row writes and the request succeeded, in which case
  something must have changed, so that the snapshot is shown to be able to see the write.

Three more tests check the table itself: it covers every (endpoint, method) of the URLconf
under ``/api/v1/`` plus ``/healthz``; every row has a cell that succeeds (so its request is
valid), except the unsigned callback, whose request is shown valid once signed.

The roles (the contract's, plus three columns that answer questions it leaves open):

==================  ==========================================================================
anonymous           no credentials
owner               alice, the citizen who owns the application
other_citizen       carol, another citizen
clerk               bob, clerk of amr (the department of the application's first case); in
                    the ``claimed`` world he holds the amr task; in ``clerks_own`` he filed
                    the application himself
peer_clerk          dan, another clerk of amr who does not hold the task (extra column)
supervisor          sue, supervisor of amr
other_clerk         tom, clerk of tax, whose case on the application is ``waiting`` until
                    amr approves (``queued`` in the ``amr_approved`` world)
other_supervisor    tina, supervisor of tax (extra column)
staff               ``is_staff`` user with no department membership (an administrator)
==================  ==========================================================================

Decisions where the contract is silent (the table follows the implemented behaviour):

- Staff are not department members: ``/tasks/`` is ``403`` for them as for citizens (tasks are
  worked by department members; administrators grant themselves a membership in the admin if
  they must act), the applications of others are ``404``, ``/stats/`` is ``200`` (contract).
- A supervisor sees, claims, releases and assigns the tasks of their own departments only; a
  supervisor of another department gets ``404`` like any clerk of it. A supervisor may claim a
  queued task (they are a member) but may not decide a task someone else holds (``403``).
- A peer clerk of the right department may see and claim a queued task, but releasing or
  deciding a task another clerk holds is ``403``, and assigning is for supervisors (``403``).
- Role checks come before object lookups: a citizen or staff asking for any task id gets
  ``403``, never a ``404`` that would reveal whether the task exists.
- Documents (contract: the owner, or a clerk whose department has a case on the application
  that is neither ``waiting`` nor ``cancelled`` and whose procedure lists the material): a
  supervisor counts as a clerk of their department; a department whose case is only
  ``waiting`` sees nothing yet, and after a withdrawal (every case ``cancelled``) no clerk sees
  the documents any more; a decided (``approved``) case keeps its access; staff get ``404``.
- A clerk may not claim a task on an application they filed (``403``, contract); a peer or the
  supervisor may.
- Clerks and staff may file applications of their own (``201``); through ``/applications/`` they
  see only their own, never those their department works on (contract: "so does a clerk").
- Logging in (``POST auth/token/``), registering and the catalog, divisions, schema, docs and
  healthz are open to every role: ``200``/``201``. (Which one things the catalog lists depends on
  the caller's division: tests/api/test_jurisdictions_api.py; here everybody is in the default
  division and the demo's one things are province-wide.)
- Organisations and authorisations (``world_organisation``): alice is an organisation's legal
  representative and carol its agent. Both see it; only alice grants (carol: ``403``, she can
  see the organisation); each may end carol's role; anyone else gets ``404``, clerks and staff
  included (they hold no role in it). Anyone signed in may record an authorisation to apply for
  another person (``201``); only its subject (alice) or its agent revokes it.
- ``POST cases/{id}/decision/`` takes no user credentials at all: the department's signature is
  the only credential, so an unsigned request is ``401`` for every role (a clerk's token does not
  stand in for it), with ``WWW-Authenticate: GovflowSignature ...``. The same request signed is
  accepted (``test_the_callback_request_is_valid_once_signed``).
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import URLPattern, resolve
from knox.models import AuthToken
from viewflow.workflow.models import Task

from govflow.accounts.models import Membership, Role, User
from govflow.api.callbacks import signature_header
from govflow.api.models import IdempotencyRecord, InboundEvent
from govflow.applications.models import (
    Application,
    ApplicationStatus,
    Case,
    CaseStatus,
    Certificate,
    CertificateTemplate,
    CorrectionRequest,
    Delivery,
    Document,
    Evaluation,
    IssuedOutput,
    Offer,
    OfferMode,
    Origin,
    TimelineEntry,
)
from govflow.applications.services import citizen_actions, deciding
from govflow.catalog.models import Department, OneThing, Output
from govflow.catalog.services import import_catalog
from govflow.notifications.models import OutboxMessage
from govflow.parties.models import Authorisation, OrganisationRole

from ..conftest import load_demo_document
from ..delivery_world import POST, change_submitted, register_company
from ..factories import CitizenFactory, MembershipFactory, UserFactory, id_number_for
from ..stories import OUTPUTS, PDF_BYTES, approve, case_of, draft, submitted, upload

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "owner", "other_citizen", "clerk", "peer_clerk", "supervisor", "other_clerk",
         "other_supervisor", "staff")
PASSWORD = "govflow-test-pw"  # the factories' password
SECRET = "amr-webhook-secret-for-the-matrix"


# -- the worlds a row needs ----------------------------------------------------------------------

@dataclass
class World:
    people: dict[str, User | None]
    app: Application | None = None
    task: int | None = None  # the amr case's open task id
    case: int | None = None  # the amr case id
    docs: dict[str, int] = field(default_factory=dict)  # the application's documents by material
    org: int | None = None  # the organisation of the "organisation" world
    delivery: int | None = None  # the physical result of the "delivering" world


def _member(username: str, department: str, role: str = Role.CLERK) -> User:
    user = UserFactory(username=username)
    MembershipFactory(user=user, department=Department.objects.get(code=department), role=role)
    return user


def _with_app(world: World, app: Application) -> World:
    world.app = app
    world.docs = dict(Document.objects.filter(application=app).values_list("material_code", "pk"))
    if app.status != ApplicationStatus.DRAFT:
        case = case_of(app, "amr-licence")
        world.case, world.task = case.pk, case.task_id
    return world


def world_catalog(world: World) -> World:
    return world


def world_draft(world: World) -> World:
    return _with_app(world, draft(world.people["owner"], "business-startup"))


def world_submitted(world: World) -> World:
    world = _with_app(world, submitted(world.people["owner"], "business-startup"))
    assert Case.objects.get(pk=world.case).status == CaseStatus.QUEUED
    return world


def world_claimed(world: World) -> World:
    world = world_submitted(world)
    deciding.task_claim(case=Case.objects.get(pk=world.case), user=world.people["clerk"])
    return world


def world_correction(world: World) -> World:
    world = world_claimed(world)
    deciding.task_complete(case=Case.objects.get(pk=world.case), user=world.people["clerk"],
                           decision="request_correction",
                           corrections={"fields": ["registered_address"], "materials": ["premises_proof"],
                                        "message": "The premises proof does not match the address."})
    assert Application.objects.get(pk=world.app.pk).status == ApplicationStatus.CORRECTION_REQUESTED
    return world


def world_corrected(world: World) -> World:
    """Correction requested and the marked material uploaded again: ready to resubmit."""
    world = world_correction(world)
    upload(Application.objects.get(pk=world.app.pk), world.people["owner"], "premises_proof", PDF_BYTES + b"%new")
    return world


def world_completed(world: World) -> World:
    app = submitted(world.people["owner"], "business-startup")
    approve(app, "amr-licence", world.people["clerk"])
    for procedure, department in (("psb-seal-filing", "psb"), ("tax-registration", "tax"),
                                  ("hrss-employer-insurance", "hrss"), ("hpf-employer-account", "hpf")):
        approve(app, procedure, _member(f"helper-{department}", department))
    app.refresh_from_db()
    assert app.status == ApplicationStatus.COMPLETED
    world.app = app
    return world


def world_certified(world: World) -> World:
    """amr approved the licence, whose code (uscc) has a certificate template: its certificate is issued."""
    CertificateTemplate.objects.create(output=Output.objects.get(code="uscc"), title="营业执照", body="{{ serial }}")
    world = world_amr_approved(world)
    assert Certificate.objects.filter(output__application=world.app).exists()
    return world


def world_amr_approved(world: World) -> World:
    """amr approved the licence; tax's case (whose procedure lists premises_proof) is now queued."""
    world = world_submitted(world)
    approve(world.app, "amr-licence", world.people["clerk"])
    assert case_of(world.app, "tax-registration").status == CaseStatus.QUEUED
    return world


def world_withdrawn(world: World) -> World:
    world = world_submitted(world)
    citizen_actions.application_withdraw(application=world.app, user=world.people["owner"])
    assert case_of(world.app, "amr-licence").status == CaseStatus.CANCELLED
    return world


def world_clerks_own(world: World) -> World:
    """The application was filed by the amr clerk himself (as a citizen), not by the owner."""
    return _with_app(world, submitted(world.people["clerk"], "business-startup"))


def world_signed(world: World) -> World:
    """A queued amr case whose department has a secret: only the signature is missing."""
    Department.objects.filter(code="amr").update(webhook_secret=SECRET)
    return world_submitted(world)


def world_tokens(world: World) -> World:
    for user in world.people.values():
        if user is not None:
            AuthToken.objects.create(user=user)
    return world


def world_organisation(world: World) -> World:
    """alice is the legal representative of an organisation whose agent is carol; gary holds an
    authorisation to apply for alice (its id as ``world.task``, the role's as ``world.case``)."""
    from ..party_world import ACME_USCC, authorise, grant_agent, organisation

    people = world.people
    acme = organisation("杭州示例科技有限公司", ACME_USCC, people["owner"])
    world.case = grant_agent(acme, people["owner"], people["other_citizen"]).pk
    world.org = acme.pk
    CitizenFactory(username="gina", id_number=id_number_for(640, birth="19800101"))  # to be granted a role
    gary = CitizenFactory(username="gary")
    world.task = authorise(gary, people["owner"], one_thing="newborn").pk
    return world


def world_offer(world: World) -> World:
    """alice has an offer (proactive services): a complete pre-filled newborn draft waiting for her to
    confirm (its id as ``world.task``); the application as ``world.app``."""
    app = draft(world.people["owner"], "newborn")
    Application.objects.filter(pk=app.pk).update(origin=Origin.OFFER)
    offer = Offer.objects.create(one_thing=app.one_thing, applicant=world.people["owner"], mode=OfferMode.OFFER,
                                 event_source="import:matrix", event_id="row-1", application=app)
    world.app, world.task = app, offer.pk
    return world


def world_delivering(world: World) -> World:
    """alice's company changed its name; amr (bob) approved it: the new paper licence is being
    prepared, to be posted to her."""
    app = change_submitted(world.people["owner"], register_company(world.people["owner"]), delivery=POST)
    approve(app, "amr-change-registration", world.people["clerk"])
    world.app = app
    world.delivery = Delivery.objects.get(application=app).pk
    return world


def world_registration(world: World, settings) -> World:
    settings.GOVFLOW_REGISTER_RATE = 10_000  # the per-address limit is not what this row is about
    return world


WORLDS: dict[str, Callable[..., World]] = {
    "catalog": world_catalog, "draft": world_draft, "submitted": world_submitted, "claimed": world_claimed,
    "correction": world_correction, "corrected": world_corrected, "completed": world_completed, "amr_approved": world_amr_approved,
    "certified": world_certified,
    "withdrawn": world_withdrawn, "clerks_own": world_clerks_own, "signed": world_signed,
    "tokens": world_tokens, "registration": world_registration, "organisation": world_organisation,
    "offer": world_offer, "delivering": world_delivering,
}


# -- request bodies --------------------------------------------------------------------------------

def body_create(world: World, role: str) -> dict:
    return {"data": {"one_thing": "business-startup", "data": {"company_name": "矩阵测试有限公司"}}, "format": "json",
            "HTTP_IDEMPOTENCY_KEY": f"matrix-create-{role}"}


def body_submit(world: World, role: str) -> dict:
    """With an Idempotency-Key: a refused submit must not leave a record behind either."""
    return {"HTTP_IDEMPOTENCY_KEY": f"matrix-submit-{role}"}


def body_patch_draft(world: World, role: str) -> dict:
    return {"data": {"data": {"company_name": "改名后的有限公司"}}, "format": "json"}


def body_patch_division(world: World, role: str) -> dict:
    return {"data": {"division": "330102"}, "format": "json"}


def body_patch_correction(world: World, role: str) -> dict:
    return {"data": {"data": {"registered_address": "浙江省杭州市西湖区文三路 200 号"}}, "format": "json"}


def body_upload(world: World, role: str) -> dict:
    file = SimpleUploadedFile("premises.pdf", PDF_BYTES + b"% second version\n", content_type="application/pdf")
    return {"data": {"material": "premises_proof", "file": file}, "format": "multipart"}


def body_evaluation(world: World, role: str) -> dict:
    return {"data": {"score": 5, "comment": "Quick and clear."}, "format": "json"}


def body_assign(world: World, role: str) -> dict:
    return {"data": {"user": world.people["peer_clerk"].username}, "format": "json"}


def body_approve(world: World, role: str) -> dict:
    return {"data": {"decision": "approve", "outputs": OUTPUTS["amr-licence"], "comment": "Licence issued."},
            "format": "json"}


def body_posted(world: World, role: str) -> dict:
    return {"data": {"state": "posted", "tracking_number": "SF1234567890"}, "format": "json"}


def body_callback(world: World, role: str) -> dict:
    return {"data": {"decision": "approve", "outputs": OUTPUTS["amr-licence"], "comment": "Licence issued.",
                     "event_id": f"matrix-{role}"}, "format": "json"}


def body_grant(world: World, role: str) -> dict:
    return {"data": {"id_number": id_number_for(640, birth="19800101"), "expires_at": "2099-12-31T00:00:00+08:00"}, "format": "json"}


def body_authorisation(world: World, role: str) -> dict:
    serial = 660 + ROLES.index(role)
    return {"data": {"subject_id_number": id_number_for(serial, birth="20250101"), "subject_name": "张小明",
                     "relation": "parent", "one_thing": "newborn", "expires_at": "2099-12-31T00:00:00+08:00",
                     "evidence": SimpleUploadedFile("证明.pdf", PDF_BYTES, content_type="application/pdf")},
            "format": "multipart"}


def body_login(world: World, role: str) -> dict:
    """The caller's own credentials (anonymous logs in as the owner): any caller may log in."""
    user = world.people[role] or world.people["owner"]
    return {"data": {"username": user.username, "password": PASSWORD}, "format": "json"}


def body_accept(world: World, role: str) -> dict:
    return {"data": {}, "format": "json"}


def body_push(world: World, role: str) -> dict:
    return {"data": {"name": "matrix", "rows": [{"event_id": "row-1", "id_number": world.people["owner"].id_number}]},
            "format": "json"}


def body_register(world: World, role: str) -> dict:
    serial = 700 + ROLES.index(role)
    return {"data": {"username": f"new-{role}", "password": "Matrix-Passphrase-2026!", "name": "新用户",
                     "id_number": id_number_for(serial, birth="19750315"), "phone": f"139{serial:08d}",
                     "email": f"new-{role}@example.org"}, "format": "json"}


# -- checks of what a successful response shows ------------------------------------------------------

def stats_scope(response, world: World, role: str) -> None:
    """Supervisors see their own departments' figures only; staff see every department."""
    shown = [d["department"]["code"] for d in response.json()["by_department"]]
    everything = sorted(Department.objects.values_list("code", flat=True))
    assert shown == {"supervisor": ["amr"], "other_supervisor": ["tax"], "staff": everything}[role]


# -- the table -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Row:
    method: str
    path: str  # under /api/v1/ unless it starts with "/"; {id} is the row's target, {doc_id} the document
    world: str
    cells: dict[str, str]
    target: str | None = None  # "app" | "task" | "case" | "org" | "delivery": what {id} stands for
    body: Callable[[World, str], dict] | None = None
    writes: bool = False
    listed: str | None = None  # "app" | "task" | "delivery": the object a "200+"/"200-" cell looks for
    check: Callable[..., None] | None = None  # (response, world, role) for every 2xx cell
    challenge: str = "Token"
    material: str = "articles_of_association"  # {doc_id}: the document of this material (amr's alone)
    note: str = ""

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}{f' ({self.note})' if self.note else ''}"

    def url(self, world: World | None = None) -> str:
        ids = {"app": 1, "task": 1, "case": 1, "doc": 1, "org": 1, "delivery": 1} if world is None else {
            "app": world.app.pk if world.app else None, "task": world.task, "case": world.case,
            "doc": world.docs.get(self.material), "org": world.org, "delivery": world.delivery}
        path = self.path.format(id=ids[self.target] if self.target else None, doc_id=ids["doc"], org=ids["org"])
        return path if path.startswith("/") else f"/api/v1/{path}"


def row(method: str, path: str, world: str, cells: str, **kwargs) -> Row:
    statuses = cells.split()
    assert len(statuses) == len(ROLES), f"{method} {path}: {len(statuses)} cells for {len(ROLES)} roles"
    return Row(method, path, world, dict(zip(ROLES, statuses, strict=True)), **kwargs)


APP, TASK, CASE, ORG, DELIVERY = "app", "task", "case", "org", "delivery"
W = {"writes": True}

TABLE: list[Row] = [
    # method, path, world,                                 anon owner other clerk peer  sup  oclerk osup staff
    row("GET", "applications/", "submitted",               "401 200+ 200- 200- 200- 200- 200- 200- 200-", listed=APP),
    row("POST", "applications/", "catalog",                "401 201  201  201  201  201  201  201  201",
        body=body_create, **W),
    row("GET", "applications/{id}/", "submitted",          "401 200  404  404  404  404  404  404  404", target=APP),
    row("PATCH", "applications/{id}/", "draft",            "401 200  404  404  404  404  404  404  404", target=APP,
        body=body_patch_draft, note="draft", **W),
    row("PATCH", "applications/{id}/", "draft",            "401 200  404  404  404  404  404  404  404", target=APP,
        body=body_patch_division, note="draft, moved to another division", **W),
    row("PATCH", "applications/{id}/", "correction",       "401 200  404  404  404  404  404  404  404", target=APP,
        body=body_patch_correction, note="correction_requested", **W),
    row("DELETE", "applications/{id}/", "draft",           "401 204  404  404  404  404  404  404  404", target=APP,
        **W),
    row("POST", "applications/{id}/documents/", "draft",   "401 201  404  404  404  404  404  404  404", target=APP,
        body=body_upload, **W),
    row("GET", "applications/{id}/documents/{doc_id}/file", "submitted",
                                                           "401 200  404  200  200  200  404  404  404", target=APP),
    row("GET", "applications/{id}/documents/{doc_id}/file", "submitted",
                                                           "401 200  404  200  200  200  404  404  404", target=APP,
        material="premises_proof", note="also tax's material; tax's case waiting"),
    row("GET", "applications/{id}/documents/{doc_id}/file", "amr_approved",
                                                           "401 200  404  200  200  200  200  200  404", target=APP,
        material="premises_proof", note="also tax's material; tax's case queued"),
    row("GET", "applications/{id}/documents/{doc_id}/file", "withdrawn",
                                                           "401 200  404  404  404  404  404  404  404", target=APP,
        note="withdrawn: every case cancelled"),
    row("GET", "applications/{id}/outputs/uscc/certificate", "certified",
                                                           "401 200  404  404  404  404  404  404  404", target=APP,
        note="a certificate: whoever may act on the application (acting_q), not the clerks"),
    row("POST", "applications/{id}/submit/", "draft",      "401 200  404  404  404  404  404  404  404", target=APP,
        body=body_submit, **W),
    row("GET", "deferral-terms/", "catalog",                "401 200  200  200  200  200  200  200  200"),
    row("POST", "applications/{id}/resubmit/", "corrected",
                                                           "401 200  404  404  404  404  404  404  404", target=APP,
        **W),
    row("POST", "applications/{id}/withdraw/", "submitted",
                                                           "401 200  404  404  404  404  404  404  404", target=APP,
        **W),
    row("POST", "applications/{id}/apply-again/", "withdrawn",
                                                           "401 201  404  404  404  404  404  404  404", target=APP,
        **W),
    row("POST", "applications/{id}/evaluation/", "completed",
                                                           "401 201  404  404  404  404  404  404  404", target=APP,
        body=body_evaluation, **W),
    row("GET", "tasks/?queue=department", "submitted",     "401 403  403  200+ 200+ 200+ 200- 200- 403", listed=TASK),
    row("GET", "tasks/?queue=mine", "claimed",             "401 403  403  200+ 200- 200- 200- 200- 403", listed=TASK),
    row("GET", "tasks/{id}/", "submitted",                 "401 403  403  200  200  200  404  404  403", target=TASK),
    row("POST", "tasks/{id}/claim/", "submitted",          "401 403  403  200  200  200  404  404  403", target=TASK,
        **W),
    row("POST", "tasks/{id}/claim/", "clerks_own",         "401 403  403  403  200  200  404  404  403", target=TASK,
        note="application filed by the clerk", **W),
    row("POST", "tasks/{id}/release/", "claimed",          "401 403  403  200  403  200  404  404  403", target=TASK,
        **W),
    row("POST", "tasks/{id}/assign/", "submitted",         "401 403  403  403  403  200  404  404  403", target=TASK,
        body=body_assign, **W),
    row("POST", "tasks/{id}/complete/", "claimed",         "401 403  403  200  403  403  404  404  403", target=TASK,
        body=body_approve, **W),
    # Physical results (the "delivering" world): amr's members move them on, as in the workbench.
    row("GET", "deliveries/", "delivering",                "401 403  403  200+ 200+ 200+ 200- 200- 403", listed=DELIVERY),
    row("GET", "deliveries/{id}/", "delivering",           "401 403  403  200  200  200  404  404  403",
        target=DELIVERY),
    row("POST", "deliveries/{id}/advance/", "delivering",  "401 403  403  200  200  200  404  404  403",
        target=DELIVERY, body=body_posted, **W),
    # Organisations: alice is the legal representative, carol (other_citizen) the agent; {id} is the
    # organisation, {org}/agents/{id}/ carol's role. Authorisations: gary applies for alice ({id}).
    # Who read my data (issue 20): everyone signed in has their own list, of their own data only.
    row("GET", "me/access-records/", "submitted",         "401 200  200  200  200  200  200  200  200"),
    row("GET", "organisations/{id}/access-records/", "organisation",
                                                           "401 200  404  404  404  404  404  404  404", target=ORG,
        note="who read the organisation's data: its legal representative only"),
    # Download my data: everyone signed in may ask for an archive of their own data; nobody reads
    # an export that is not theirs (tests/test_authorization_matrix.py takes one person's archive
    # through every actor: 404 for all but her).
    row("POST", "me/export/", "catalog",                   "401 202  202  202  202  202  202  202  202"),
    row("GET", "me/export/999999999/", "catalog",          "401 404  404  404  404  404  404  404  404",
        note="no such export"),
    row("GET", "me/export/999999999/file", "catalog",      "401 404  404  404  404  404  404  404  404",
        note="no such export"),
    row("GET", "organisations/", "organisation",          "401 200  200  200  200  200  200  200  200"),
    row("GET", "organisations/{id}/", "organisation",      "401 200  200  404  404  404  404  404  404", target=ORG),
    row("POST", "organisations/{id}/agents/", "organisation",
                                                           "401 201  403  404  404  404  404  404  404", target=ORG,
        body=body_grant, **W),
    row("DELETE", "organisations/{org}/agents/{id}/", "organisation",
                                                           "401 204  204  404  404  404  404  404  404", target=CASE,
        note="the agent's role", **W),
    row("GET", "authorisations/", "organisation",          "401 200  200  200  200  200  200  200  200"),
    row("POST", "authorisations/", "organisation",         "401 201  201  201  201  201  201  201  201",
        body=body_authorisation, **W),
    row("POST", "authorisations/{id}/revoke/", "organisation",
                                                           "401 200  404  404  404  404  404  404  404", target=TASK,
        note="alice is its subject", **W),
    row("GET", "stats/?from=2026-01-01&to=2026-12-31", "submitted",
                                                           "401 403  403  403  403  200  403  200  200",
        check=stats_scope),
    row("GET", "one-things/", "catalog",                   "200 200  200  200  200  200  200  200  200"),
    row("GET", "one-things/business-startup/", "catalog",  "200 200  200  200  200  200  200  200  200"),
    row("GET", "divisions/", "catalog",                    "200 200  200  200  200  200  200  200  200"),
    row("GET", "divisions/?parent=330100", "catalog",      "200 200  200  200  200  200  200  200  200"),
    row("POST", "auth/token/", "catalog",                  "200 200  200  200  200  200  200  200  200",
        body=body_login, **W),
    row("DELETE", "auth/token/", "tokens",                 "401 204  204  204  204  204  204  204  204", **W),
    row("POST", "auth/register/", "registration",          "201 201  201  201  201  201  201  201  201",
        body=body_register, **W),
    row("POST", "cases/{id}/decision/", "signed",          "401 401  401  401  401  401  401  401  401", target=CASE,
        body=body_callback, challenge="GovflowSignature", note="unsigned", **W),
    # Proactive services: alice's offer ({id}); the eligibility push takes a department's signature only.
    row("GET", "offers/", "offer",                         "401 200+ 200- 200- 200- 200- 200- 200- 200-", listed=TASK),
    row("GET", "offers/{id}/", "offer",                    "401 200  404  404  404  404  404  404  404", target=TASK),
    row("POST", "offers/{id}/accept/", "offer",            "401 200  404  404  404  404  404  404  404", target=TASK,
        body=body_accept, **W),
    row("POST", "offers/{id}/decline/", "offer",           "401 200  404  404  404  404  404  404  404", target=TASK,
        **W),
    row("POST", "events/", "catalog",                      "401 401  401  401  401  401  401  401  401",
        body=body_push, challenge="GovflowSignature", note="unsigned", **W),
    row("GET", "schema/", "catalog",                       "200 200  200  200  200  200  200  200  200"),
    row("GET", "docs/", "catalog",                         "200 200  200  200  200  200  200  200  200"),
    row("GET", "/healthz", "catalog",                      "200 200  200  200  200  200  200  200  200"),
]

CELLS = [(r, role, r.cells[role]) for r in TABLE for role in ROLES]


# -- what must not change --------------------------------------------------------------------------

def snapshot() -> dict[str, list]:
    """Every row a request of the matrix could write, with the columns that matter."""
    return {
        "application": list(Application.objects.order_by("pk").values_list(
            "pk", "status", "outcome", "number", "data", "version_id", "division_id", "submitted_at",
            "completed_at")),
        "case": list(Case.objects.order_by("pk").values_list(
            "pk", "status", "owner_id", "office_id", "task_id", "due_date", "outputs", "corrections", "decided_at")),
        "task": list(Task.objects.order_by("pk").values_list("pk", "status", "owner_id")),
        "timeline": list(TimelineEntry.objects.order_by("pk").values_list("pk", "kind", "case_id")),
        "document": list(Document.objects.order_by("pk").values_list("pk", "material_code", "sha256")),
        "correction": list(CorrectionRequest.objects.order_by("pk").values_list("pk", "resolved_at")),
        "evaluation": list(Evaluation.objects.order_by("pk").values_list("pk", "score")),
        "output": list(IssuedOutput.objects.order_by("pk").values_list("pk", "code", "value")),
        "user": list(User.objects.order_by("pk").values_list("pk", "username", "is_active", "is_staff")),
        "membership": list(Membership.objects.order_by("pk").values_list("pk", "user_id", "office_id", "role")),
        "token": sorted(AuthToken.objects.values_list("user_id", "digest")),
        "inbound": list(InboundEvent.objects.order_by("pk").values_list("pk", "event_id")),
        "idempotency": list(IdempotencyRecord.objects.order_by("pk").values_list("pk", "key")),
        "outbox": list(OutboxMessage.objects.order_by("pk").values_list("pk")),
        "org_role": list(OrganisationRole.objects.order_by("pk").values_list("pk", "revoked_at", "expires_at")),
        "authorisation": list(Authorisation.objects.order_by("pk").values_list("pk", "revoked_at")),
        "offer": list(Offer.objects.order_by("pk").values_list("pk", "state", "application_id")),
        "delivery": list(Delivery.objects.order_by("pk").values_list("pk", "state", "tracking_number")),
    }


# -- the people -------------------------------------------------------------------------------------

def _create_people() -> dict[str, User | None]:
    import_catalog(load_demo_document())
    return {
        "anonymous": None,
        "owner": CitizenFactory(username="alice"),
        "other_citizen": CitizenFactory(username="carol"),
        "clerk": _member("bob-amr", "amr"),
        "peer_clerk": _member("dan-amr", "amr"),
        "supervisor": _member("sue-amr", "amr", Role.SUPERVISOR),
        "other_clerk": _member("tom-tax", "tax"),
        "other_supervisor": _member("tina-tax", "tax", Role.SUPERVISOR),
        "staff": UserFactory(username="staff-sam", is_staff=True),
    }


@pytest.fixture(scope="module")
def people(django_db_setup, django_db_blocker):
    """The demo catalog and the people, created once for the whole module.

    They live in a transaction opened here and rolled back when the module is done, so
    nothing is left for other modules; each cell runs in a savepoint inside it (pytest-django's
    ``db``) and is rolled back on its own. Importing the catalog for each of the ~300 cells
    would triple the module's time on PostgreSQL.
    """
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            people = _create_people()
        except BaseException as exc:
            transaction.set_rollback(True)
            outer.__exit__(type(exc), exc, exc.__traceback__)
            raise
    try:
        yield people
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def build(row_: Row, people: dict, settings) -> World:
    builder = WORLDS[row_.world]
    world = World(people=people)
    return builder(world, settings) if row_.world == "registration" else builder(world)


def send(api, row_: Row, world: World, role: str):
    client = api(world.people[role])
    kwargs = row_.body(world, role) if row_.body else {}
    return getattr(client, row_.method.lower())(row_.url(world), **kwargs)


# -- the matrix -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("row_", "role", "expected"), CELLS,
                         ids=[f"{r.label} as {role} -> {expected}" for r, role, expected in CELLS])
def test_authorization_matrix(api, people, settings, row_: Row, role: str, expected: str):
    world = build(row_, people, settings)
    before = snapshot()

    response = send(api, row_, world, role)

    status = int(expected[:3])
    assert response.status_code == status, (
        f"{row_.label} as {role}: {response.status_code} {getattr(response, 'content', b'')[:300]!r}")
    if status == 401:
        assert response["WWW-Authenticate"].startswith(row_.challenge)
    if status in (401, 403, 404):
        assert response["Content-Type"].startswith("application/json")
        assert isinstance(response.json().get("detail"), str)
    if expected[3:] in ("+", "-"):
        wanted = {APP: world.app.pk if world.app else None, TASK: world.task,
                  DELIVERY: world.delivery}[row_.listed]
        shown = [item["id"] for item in response.json()["results"]]
        assert (wanted in shown) is (expected[3:] == "+"), f"{row_.label} as {role} lists {shown}"
    if row_.check and 200 <= status < 300:
        row_.check(response, world, role)

    after = snapshot()
    if row_.writes and 200 <= status < 300:
        assert after != before, f"{row_.label} as {role} succeeded but the snapshot saw no change"
    else:
        changed = sorted(name for name in before if before[name] != after[name])
        assert not changed, f"{row_.label} as {role} -> {status} changed {changed}"


# -- the table itself -------------------------------------------------------------------------------

def _routes_of_the_api() -> set[tuple[str, str]]:
    """(url name, METHOD) for every endpoint under /api/v1/, read from the URLconf."""
    from govflow.api.urls import urlpatterns

    routes = set()
    for pattern in urlpatterns:
        assert isinstance(pattern, URLPattern)
        view = pattern.callback.cls
        routes |= {(pattern.name, method.upper()) for method in ("get", "post", "put", "patch", "delete")
                   if hasattr(view, method)}
    return routes | {("healthz", "GET")}


def test_the_table_covers_every_endpoint_and_method():
    covered = {(resolve(r.url().split("?")[0]).url_name, r.method) for r in TABLE}
    assert covered == _routes_of_the_api()


def test_every_row_is_shown_valid_by_a_role_that_succeeds():
    """A row whose cells are all refusals would not show that its request is otherwise valid;
    the unsigned callback and eligibility push are shown valid by the next tests, an export's status
    and file by ``tests/test_authorization_matrix.py::test_a_persons_data_archive_is_theirs_alone``
    (its owner reads both; everyone else gets these rows' 404)."""
    refused_everywhere = [r.label for r in TABLE if not any(c.startswith("2") for c in r.cells.values())]
    assert refused_everywhere == ["GET me/export/999999999/ (no such export)",
                                  "GET me/export/999999999/file (no such export)",
                                  "POST cases/{id}/decision/ (unsigned)", "POST events/ (unsigned)"]


def test_the_callback_request_is_valid_once_signed(api, people, settings):
    callback = next(r for r in TABLE if r.path.startswith("cases/"))
    world = build(callback, people, settings)
    raw = json.dumps(body_callback(world, "anonymous")["data"]).encode()
    response = api(None).post(callback.url(world), raw, content_type="application/json",
                              HTTP_X_GOVFLOW_SIGNATURE=signature_header(SECRET, raw))
    assert response.status_code == 200, response.content
    assert Case.objects.get(pk=world.case).status == CaseStatus.APPROVED


def test_the_eligibility_push_is_valid_once_signed(api, people, settings):
    push = next(r for r in TABLE if r.path == "events/")
    world = build(push, people, settings)
    OneThing.objects.filter(code="newborn").update(triggers=[{"on": "import:matrix", "mode": "offer"}])
    Department.objects.filter(code="health").update(webhook_secret=SECRET)
    raw = json.dumps(body_push(world, "anonymous")["data"]).encode()
    response = api(None).post(push.url(world), raw, content_type="application/json",
                              HTTP_X_GOVFLOW_SIGNATURE=signature_header(SECRET, raw))
    assert response.status_code == 200, response.content
    assert Offer.objects.get(event_id="row-1").applicant == world.people["owner"]
