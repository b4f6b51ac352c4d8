"""Signed decisions from department systems: POST /api/v1/cases/{id}/decision/."""
from __future__ import annotations

import json
import time

import pytest
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from govflow.accounts.models import Membership, User
from govflow.api.callbacks import signature, signature_header, verify_signature
from govflow.api.models import InboundEvent
from govflow.applications.models import ApplicationStatus, CaseStatus, TimelineEntry
from govflow.applications.services import citizen_actions, deciding, drafting
from govflow.catalog.models import Department

from ..stories import OUTPUTS, case_of, statuses, submitted
from ..threads import run_together

pytestmark = pytest.mark.django_db

SECRET = "amr-webhook-secret-0123456789"
APPROVE = {"decision": "approve", "outputs": OUTPUTS["amr-licence"], "comment": "licence issued"}


@pytest.fixture
def amr_secret(demo_catalog):
    Department.objects.filter(code="amr").update(webhook_secret=SECRET)
    return SECRET


@pytest.fixture
def app(citizen_alice, demo_catalog, amr_secret):
    return submitted(citizen_alice, "business-startup")


def url(case_or_id) -> str:
    return f"/api/v1/cases/{getattr(case_or_id, 'pk', case_or_id)}/decision/"


def send(case_or_id, body, *, secret=SECRET, timestamp=None, header=None, raw=None, client=None):
    raw = raw if raw is not None else json.dumps(body, ensure_ascii=False).encode("utf-8")
    if header is None and secret is not None:
        header = signature_header(secret, raw, timestamp)
    extra = {} if header is None else {"HTTP_X_GOVFLOW_SIGNATURE": header}
    return (client or Client()).post(url(case_or_id), raw, content_type="application/json", **extra)


def approve_body(event_id="evt-1", **overrides):
    return {**APPROVE, "event_id": event_id, **overrides}


def assert_unchanged(app, case):
    case.refresh_from_db()
    assert case.status == CaseStatus.QUEUED and case.owner_id is None
    assert not TimelineEntry.objects.filter(application=app, kind__in=["case.claimed", "case.approved"]).exists()


# -- accepted -----------------------------------------------------------------------------------

def test_a_signed_approval_decides_the_case_as_the_department_system(app):
    case = case_of(app, "amr-licence")

    response = send(case, approve_body())

    assert response.status_code == 200, response.content
    assert response.json() == {"case": case.pk, "status": "approved",
                               "application": {"id": app.pk, "number": app.number, "status": "in_progress"}}
    case.refresh_from_db()
    system = User.objects.get(username="dept-amr-system")
    assert case.status == CaseStatus.APPROVED and case.outputs == OUTPUTS["amr-licence"]
    assert case.decided_by == system and case.comment == "licence issued"
    history = list(TimelineEntry.objects.filter(case=case).order_by("at", "id").values_list("kind", "actor"))
    assert history[-2:] == [("case.claimed", system.pk), ("case.approved", system.pk)]
    # The cases that waited for the licence are now in their departments' queues.
    assert statuses(app)["tax-registration"] == CaseStatus.QUEUED
    assert InboundEvent.objects.filter(department=case.department, event_id="evt-1").exists()


def test_the_department_system_account_never_logs_in(app):
    send(case_of(app, "amr-licence"), approve_body())

    system = User.objects.get(username="dept-amr-system")
    assert not system.has_usable_password() and not system.is_staff and not system.is_superuser
    assert list(Membership.objects.filter(user=system).values_list("department__code", "role")) == [("amr", "clerk")]


def test_a_signed_rejection_and_a_correction_request_work_too(citizen_alice, citizen_carol, demo_catalog, amr_secret):
    first = submitted(citizen_alice, "business-startup")
    second = submitted(citizen_carol, "business-startup")

    rejected = send(case_of(first, "amr-licence"),
                    {"decision": "reject", "comment": "名称不符合《企业名称登记管理规定》第十一条", "event_id": "r-1"})
    corrected = send(case_of(second, "amr-licence"),
                     {"decision": "request_correction", "event_id": "c-1",
                      "corrections": {"fields": ["business_scope"], "materials": [], "message": "经营范围不规范"}})

    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert corrected.status_code == 200 and corrected.json()["status"] == "correction_requested"
    first.refresh_from_db()
    assert first.status == ApplicationStatus.COMPLETED and first.outcome == "rejected"


def test_a_case_returned_to_the_system_after_correction_can_be_decided_again(citizen_alice, demo_catalog, amr_secret):
    app = submitted(citizen_alice, "business-startup")
    case = case_of(app, "amr-licence")
    send(case, {"decision": "request_correction", "event_id": "c-1",
                "corrections": {"fields": ["business_scope"], "materials": [], "message": "经营范围不规范"}})
    drafting.application_update(application=app, user=citizen_alice, data={"business_scope": "软件开发"})
    citizen_actions.application_resubmit(application=app, user=citizen_alice)
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_REVIEW and case.owner.username == "dept-amr-system"

    response = send(case, approve_body("a-1"))

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "approved"


def test_a_timestamp_just_within_the_tolerance_is_accepted(app):
    response = send(case_of(app, "amr-licence"), approve_body(), timestamp=int(time.time()) - 290)
    assert response.status_code == 200


def test_one_valid_signature_among_several_is_enough_while_rolling_a_secret(app):
    raw = json.dumps(approve_body()).encode()
    t = int(time.time())
    header = f"t={t},v1={signature('the-old-secret', raw, t)},v1={signature(SECRET, raw, t)}"

    assert send(case_of(app, "amr-licence"), None, raw=raw, header=header).status_code == 200


def test_sessions_tokens_and_csrf_play_no_part(app, clerks):
    client = Client(enforce_csrf_checks=True)
    client.force_login(clerks["amr"])

    assert send(case_of(app, "amr-licence"), approve_body(), client=client).status_code == 200


def test_event_ids_are_per_department(citizen_alice, demo_catalog, amr_secret):
    Department.objects.filter(code="tax").update(webhook_secret="tax-secret")
    app = submitted(citizen_alice, "business-startup")
    send(case_of(app, "amr-licence"), approve_body("same-id"))

    response = send(case_of(app, "tax-registration"),
                    {"decision": "approve", "outputs": OUTPUTS["tax-registration"], "event_id": "same-id"},
                    secret="tax-secret")

    assert response.status_code == 200, response.content


# -- refused: 401 and nothing changed ------------------------------------------------------------

@pytest.mark.parametrize("header", [
    None,
    "",
    "garbage",
    "t=,v1=",
    "v1=" + "0" * 64,
    "t=notanumber,v1=" + "0" * 64,
    "t=1" + "0" * 500 + ",v1=" + "0" * 64,
    "t={now},v1=" + "0" * 64,
    "t={now},v1=" + "Z" * 64,
    "t={now}",
    "t={now},v1=" + "a" * 100_000,
])
def test_a_missing_or_bad_signature_is_a_401(app, header):
    case = case_of(app, "amr-licence")
    if header is not None:
        header = header.replace("{now}", str(int(time.time())))

    response = send(case, approve_body(), header=header, secret=None)

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("GovflowSignature")
    assert_unchanged(app, case)
    assert not InboundEvent.objects.exists()


def test_a_signature_with_another_secret_is_a_401(app):
    case = case_of(app, "amr-licence")
    assert send(case, approve_body(), secret="guessed").status_code == 401
    assert_unchanged(app, case)


def test_a_tampered_body_is_a_401(app):
    case = case_of(app, "amr-licence")
    signed = json.dumps(approve_body(comment="ok")).encode()
    header = signature_header(SECRET, signed)
    tampered = json.dumps(approve_body(comment="ok!")).encode()

    assert send(case, None, raw=tampered, header=header).status_code == 401
    assert_unchanged(app, case)


# A few seconds beyond the 300 s tolerance: the timestamp is whole seconds and the request itself
# takes time on a loaded machine, so exactly 301 s could land back inside the window.
@pytest.mark.parametrize("offset", [-310, 310, -86_400])
def test_a_signature_too_old_or_from_the_future_is_a_401(app, offset):
    case = case_of(app, "amr-licence")

    response = send(case, approve_body(), timestamp=int(time.time()) + offset)

    assert response.status_code == 401
    assert_unchanged(app, case)


def test_a_department_without_a_secret_accepts_nothing(app):
    Department.objects.filter(code="amr").update(webhook_secret="")
    case = case_of(app, "amr-licence")

    assert send(case, approve_body(), secret="").status_code == 401
    assert send(case, approve_body(), header=f"t={int(time.time())},v1={signature('', b'{}', 0)}").status_code == 401
    assert_unchanged(app, case)


def test_a_deactivated_system_account_is_a_401(citizen_alice, citizen_carol, demo_catalog, amr_secret):
    first = submitted(citizen_alice, "business-startup")
    second = submitted(citizen_carol, "business-startup")
    assert send(case_of(first, "amr-licence"), approve_body("e-1")).status_code == 200
    User.objects.filter(username="dept-amr-system").update(is_active=False)

    response = send(case_of(second, "amr-licence"), approve_body("e-2"))

    assert response.status_code == 401
    assert_unchanged(second, case_of(second, "amr-licence"))
    assert not InboundEvent.objects.filter(event_id="e-2").exists()


def test_a_replayed_event_id_is_a_401_and_decides_nothing(citizen_alice, citizen_carol, demo_catalog, amr_secret):
    first = submitted(citizen_alice, "business-startup")
    second = submitted(citizen_carol, "business-startup")
    assert send(case_of(first, "amr-licence"), approve_body("evt-1")).status_code == 200

    again = send(case_of(first, "amr-licence"), approve_body("evt-1"))
    elsewhere = send(case_of(second, "amr-licence"), approve_body("evt-1"))

    assert again.status_code == 401 and elsewhere.status_code == 401
    assert_unchanged(second, case_of(second, "amr-licence"))
    assert TimelineEntry.objects.filter(application=first, kind="case.approved").count() == 1


# -- refused by the rules: the event id is not used up -------------------------------------------

@pytest.mark.parametrize("outputs", [{}, {"uscc": "not-a-code"}, {"uscc": OUTPUTS["amr-licence"]["uscc"], "x": "1"},
                                     {"uscc": ["a"]}, "text"])
def test_wrong_outputs_are_a_400_and_do_not_burn_the_event_id(app, outputs):
    case = case_of(app, "amr-licence")

    response = send(case, approve_body(outputs=outputs))

    assert response.status_code == 400, response.content
    assert "outputs" in response.json()
    assert_unchanged(app, case)
    assert not InboundEvent.objects.exists()
    assert send(case, approve_body()).status_code == 200  # the same event id, now right


@pytest.mark.parametrize("body", [
    {"decision": "approve", "outputs": OUTPUTS["amr-licence"]},  # no event_id
    {"decision": "approve", "outputs": OUTPUTS["amr-licence"], "event_id": ""},
    {"decision": "approve", "outputs": OUTPUTS["amr-licence"], "event_id": "e" * 201},
    {"decision": "approve", "outputs": OUTPUTS["amr-licence"], "event_id": ["e"]},
    {"decision": "sign", "event_id": "e-1"},
    {"decision": "reject", "comment": "", "event_id": "e-1"},
    {"decision": "request_correction", "event_id": "e-1"},
    {"decision": "request_correction", "event_id": "e-1",
     "corrections": {"fields": ["baby_name"], "materials": [], "message": "x"}},
    [],
    "approve",
])
def test_invalid_bodies_are_a_400(app, body):
    case = case_of(app, "amr-licence")

    response = send(case, body)

    assert response.status_code == 400, response.content
    assert_unchanged(app, case)
    assert not InboundEvent.objects.exists()


@pytest.mark.parametrize("raw", [b"{", b"\xff\xfe", b"", b"null"])
def test_a_signed_body_that_is_not_json_is_a_400(app, raw):
    case = case_of(app, "amr-licence")
    assert send(case, None, raw=raw).status_code == 400
    assert_unchanged(app, case)


def test_an_unsigned_body_that_is_not_json_is_a_401(app):
    assert send(case_of(app, "amr-licence"), None, raw=b"{", secret=None).status_code == 401


def test_a_case_a_clerk_holds_is_a_409_and_keeps_the_event_id(app, clerks):
    case = case_of(app, "amr-licence")
    deciding.task_claim(case=case, user=clerks["amr"])

    response = send(case, approve_body())

    assert response.status_code == 409
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_REVIEW and case.owner == clerks["amr"]
    assert not InboundEvent.objects.exists()


@pytest.mark.parametrize("procedure", ["tax-registration"])
def test_a_case_not_awaiting_a_decision_is_a_409(citizen_alice, demo_catalog, procedure):
    Department.objects.filter(code="tax").update(webhook_secret="tax-secret")
    app = submitted(citizen_alice, "business-startup")  # tax waits for the licence
    case = case_of(app, procedure)

    response = send(case, {"decision": "approve", "outputs": OUTPUTS[procedure], "event_id": "e-1"},
                    secret="tax-secret")

    assert response.status_code == 409
    assert case_of(app, procedure).status == CaseStatus.WAITING
    assert not InboundEvent.objects.exists()


def test_a_decided_case_is_a_409(app):
    case = case_of(app, "amr-licence")
    send(case, approve_body("e-1"))

    assert send(case, approve_body("e-2")).status_code == 409


@pytest.mark.parametrize("case_id", ["999999", "9" * 30])
def test_an_unknown_case_with_a_valid_signature_is_a_404(app, case_id):
    assert send(case_id, approve_body()).status_code == 404


@pytest.mark.parametrize("case_id", ["999999", "0", "9" * 30])
@pytest.mark.parametrize("secret", [None, "guessed"])
def test_without_a_valid_signature_an_unknown_case_gets_the_same_401_as_a_known_one(app, case_id, secret):
    """Nobody learns which cases exist without a department's secret."""
    known = send(case_of(app, "amr-licence"), approve_body(), secret=secret)
    unknown = send(case_id, approve_body(), secret=secret)

    assert known.status_code == unknown.status_code == 401
    assert known.content == unknown.content
    assert known["WWW-Authenticate"] == unknown["WWW-Authenticate"]
    assert_unchanged(app, case_of(app, "amr-licence"))


def test_a_valid_signature_of_another_department_is_a_404_and_changes_nothing(app):
    Department.objects.filter(code="tax").update(webhook_secret="tax-secret")
    case = case_of(app, "amr-licence")

    response = send(case, approve_body(), secret="tax-secret")

    assert response.status_code == 404
    assert_unchanged(app, case)
    assert not InboundEvent.objects.exists()


def test_a_body_over_the_upload_limit_is_a_413(app):
    raw = json.dumps(approve_body(comment="x" * 3_000_000)).encode()
    assert send(case_of(app, "amr-licence"), None, raw=raw).status_code == 413


def test_other_methods_are_refused(app):
    assert APIClient().get(url(case_of(app, "amr-licence"))).status_code == 405


def test_verify_signature_unit():
    body = b'{"a":1}'
    now = 1_800_000_000
    good = f"t={now},v1={signature('s', body, now)}"
    assert verify_signature("s", good, body, now=now)
    assert verify_signature("s", good.replace(",", " , "), body, now=now + 300)
    assert not verify_signature("s", good, body, now=now + 301)
    assert not verify_signature("s", good, body + b" ", now=now)
    assert not verify_signature("", good, body, now=now)
    assert not verify_signature("s", None, body, now=now)


# -- real concurrency (PostgreSQL) ---------------------------------------------------------------

@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="real concurrency needs PostgreSQL")
def test_one_event_sent_twice_at_once_is_accepted_once(citizen_alice, citizen_carol, demo_catalog, amr_secret):
    first = submitted(citizen_alice, "business-startup")
    second = submitted(citizen_carol, "business-startup")
    targets = [case_of(first, "amr-licence"), case_of(second, "amr-licence")]
    results = run_together([lambda target=target: send(target, approve_body("evt-race")).status_code
                            for target in targets])

    assert sorted(results) == [200, 401], results
    assert InboundEvent.objects.filter(event_id="evt-race").count() == 1
    assert TimelineEntry.objects.filter(kind="case.approved").count() == 1
    assert User.objects.filter(username="dept-amr-system").count() == 1


def test_what_govflow_signs_outbound_verifies_inbound():
    """One scheme both ways: a department can answer with the code it uses to check our webhooks."""
    from govflow.notifications import webhooks

    body = json.dumps({"event_id": "1", "type": "case.queued"}).encode()
    now = int(time.time())
    assert webhooks.signature_header("s", body, now) == signature_header("s", body, now)
    assert verify_signature("s", webhooks.signature_header("s", body), body)


# -- offices with a system of their own ------------------------------------------------------------

OFFICE_SECRET = "xihu-amr-own-secret-0123456789"


def test_an_office_with_its_own_system_decides_its_cases_with_its_secret_and_the_department_no_longer_does(
        citizen_alice, demo_catalog, amr_secret):
    """Whoever receives a case's events decides it: the office's own system when it registered one."""
    from govflow.catalog.models import Office

    Office.objects.filter(code="amr-330106").update(webhook_url="https://xihu-amr.example.org/hook",
                                                    webhook_secret=OFFICE_SECRET)
    app = submitted(citizen_alice, "business-startup")  # Xihu: the licence is amr-330106's
    case = case_of(app, "amr-licence")

    assert send(case, approve_body("evt-dept"), secret=SECRET).status_code == 404  # the department's secret
    assert_unchanged(app, case)
    assert send(case, approve_body("evt-other"), secret="not-anyones-secret-0123456789").status_code == 401

    response = send(case, approve_body("evt-office"), secret=OFFICE_SECRET)
    assert response.status_code == 200, response.content
    case.refresh_from_db()
    assert case.status == CaseStatus.APPROVED and case.decided_by.username == "dept-amr-system"
    assert Membership.objects.filter(user=case.decided_by, office__code="amr-330106").exists()


def test_an_offices_secret_decides_nothing_of_another_office(citizen_alice, demo_catalog, amr_secret):
    from govflow.catalog.models import Office

    Office.objects.filter(code="amr-330102").update(webhook_url="https://sc-amr.example.org/hook",
                                                    webhook_secret=OFFICE_SECRET)
    app = submitted(citizen_alice, "business-startup")  # Xihu, whose office has no system of its own
    case = case_of(app, "amr-licence")

    assert send(case, approve_body("evt-sc"), secret=OFFICE_SECRET).status_code == 404
    assert_unchanged(app, case)
    assert send(case, approve_body("evt-dept"), secret=SECRET).status_code == 200  # the department's still does
