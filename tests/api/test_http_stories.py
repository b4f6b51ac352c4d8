"""The two demo one things end to end over HTTP, as a phone app would drive them.

The stories use real token authentication: the citizen registers through
``POST /api/v1/auth/register/``, everybody trades a username and password for a token at
``POST /api/v1/auth/token/`` and sends ``Authorization: Token …``; nothing is forced. After every
request the test runs what the request's commit would have set off (``transaction.on_commit``:
outbox deliveries, notifications, automatic steps, removal of replaced files), as production does.
"""
from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from govflow.notifications.models import OutboxMessage, OutboxStatus

from ..factories import id_number_for
from ..stories import (
    BUSINESS_ANSWERS,
    BUSINESS_MATERIALS,
    JPEG_BYTES,
    NEWBORN_ANSWERS,
    NEWBORN_MATERIALS,
    OUTPUTS,
    PDF_BYTES,
    PNG_BYTES,
)

pytestmark = pytest.mark.django_db

CLERK_PASSWORD = "govflow-test-pw"  # UserFactory's password for the clerks of tests/conftest.py
CITIZEN_PASSWORD = "Lantern-river-4711"
NUMBER = re.compile(r"^GF-(\d{4})-(\d{6,})$")
EXTENSION = {PDF_BYTES: "pdf", PNG_BYTES: "png", JPEG_BYTES: "jpg"}


@pytest.fixture(autouse=True)
def _tokens_outlive_the_story(settings):
    """A story spans days on the travelled clock; its people stay logged in (tokens expire in 10 hours)."""
    settings.REST_KNOX = {**settings.REST_KNOX, "TOKEN_TTL": timedelta(days=60)}


class Http:
    """One person's API client: token authentication, and the commit's effects after each request."""

    def __init__(self, commit, token: str | None = None):
        self.client = APIClient()
        self.commit = commit
        if token:
            self.client.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    def _send(self, method: str, url: str, data=None, fmt: str = "json"):
        with self.commit(execute=True):
            return getattr(self.client, method)(url, data, format=fmt)

    def get(self, url, data=None):
        with self.commit(execute=True):
            return self.client.get(url, data)

    def post(self, url, data=None):
        return self._send("post", url, data)

    def patch(self, url, data=None):
        return self._send("patch", url, data)

    def delete(self, url):
        return self._send("delete", url)

    def upload(self, app_id: int, material: str, content: bytes):
        file = SimpleUploadedFile(f"{material}.{EXTENSION[content]}", content)
        return self._send("post", f"/api/v1/applications/{app_id}/documents/", {"material": material, "file": file},
                          fmt="multipart")


@pytest.fixture
def http(django_capture_on_commit_callbacks):
    """``http(token)`` → an :class:`Http` client (no token: anonymous)."""
    return lambda token=None: Http(django_capture_on_commit_callbacks, token)


def log_in(http, username: str, password: str) -> Http:
    response = http().post("/api/v1/auth/token/", {"username": username, "password": password})
    assert response.status_code == 200, response.content
    assert set(response.json()) == {"token", "expiry"}
    return http(response.json()["token"])


def register(http, username: str, serial: int) -> Http:
    """Self-registration, then a token; returns the citizen's client."""
    response = http().post("/api/v1/auth/register/", {
        "username": username, "password": CITIZEN_PASSWORD, "name": "林一件", "phone": "13812345678",
        "id_number": id_number_for(serial, birth="19910214"), "email": f"{username}@example.org"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["username"] == username and body["id_number"] != id_number_for(serial, birth="19910214")
    assert http().get("/api/v1/applications/").status_code == 401
    return log_in(http, username, CITIZEN_PASSWORD)


@pytest.fixture
def staff(http, clerks):
    """Each demo department's clerk, signed in with their password; recognisable names."""
    result = {}
    for code, clerk in clerks.items():
        clerk.name = f"经办人{code.upper()}甲"
        clerk.save(update_fields=["name"])
        result[code] = log_in(http, clerk.username, CLERK_PASSWORD)
    return result


def only_task(clerk: Http, queue: str = "department") -> dict:
    body = clerk.get("/api/v1/tasks/", {"queue": queue}).json()
    assert body["count"] == 1, body
    return body["results"][0]


def claim(clerk: Http, task_id: int) -> dict:
    response = clerk.post(f"/api/v1/tasks/{task_id}/claim/")
    assert response.status_code == 200, response.content
    return response.json()


def complete(clerk: Http, task_id: int, body: dict, expected: int = 200) -> dict:
    response = clerk.post(f"/api/v1/tasks/{task_id}/complete/", body)
    assert response.status_code == expected, response.content
    return response.json()


def approve(clerk: Http, task_id: int, procedure: str) -> dict:
    return complete(clerk, task_id, {"decision": "approve", "outputs": OUTPUTS[procedure], "comment": "准予办理"})


def case_statuses(app: dict) -> dict[str, str]:
    return {c["procedure"]["code"]: c["status"] for c in app["cases"]}


def check_submitted(app: dict, procedures: list[str]) -> None:
    """The contract's fixed parts of a just-submitted application: only the first step is queued."""
    assert app["status"] == "submitted" and app["outcome"] is None
    match = NUMBER.match(app["number"])
    assert match and int(match.group(1)) == timezone.localdate().year, app["number"]
    assert app["submitted_at"] and app["expected_finish"]
    assert [c["procedure"]["code"] for c in app["cases"]] == procedures
    assert [c["status"] for c in app["cases"]] == ["queued"] + ["waiting"] * (len(procedures) - 1)
    assert app["cases"][0]["due_date"] and all(c["due_date"] is None for c in app["cases"][1:])
    assert all(c["corrections"] is None and c["outputs"] == {} for c in app["cases"])
    assert [e["kind"] for e in app["timeline"]] == ["application.submitted", "case.queued"]


def check_no_clerk_named(app: dict, clerks: dict, *extra: str) -> None:
    """The citizen's view names departments, never the people who handled the case."""
    text = json.dumps(app, ensure_ascii=False)
    for clerk in clerks.values():
        assert clerk.username not in text and clerk.name not in text
    for name in extra:
        assert name not in text


def check_downloads(citizen: Http, app: dict, allowed: Http, refused: list[Http], material: str,
                    content: bytes) -> None:
    doc = next(d for d in app["documents"] if d["material"] == material)
    response = citizen.get(doc["url"])
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == content
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox"
    assert not response["Content-Disposition"].startswith("attachment")  # PDF, PNG and JPEG may show inline
    assert allowed.get(doc["url"]).status_code == 200
    for other in refused:
        assert other.get(doc["url"]).status_code == 404
    assert Http(citizen.commit).get(doc["url"]).status_code == 401


def check_timestamps(app: dict) -> None:
    """Times are ISO 8601 with the offset of Asia/Shanghai."""
    stamps = [app["submitted_at"], app["evaluation"]["created_at"], *(e["at"] for e in app["timeline"]),
              *(d["uploaded_at"] for d in app["documents"])]
    assert {datetime.fromisoformat(t).utcoffset() for t in stamps} == {timedelta(hours=8)}
    ats = [datetime.fromisoformat(e["at"]) for e in app["timeline"]]
    assert ats == sorted(ats)


def check_outbox(app: dict, email: str, expected: list[tuple[str, str]]) -> None:
    """Everything the commits set off was carried out (nothing pending, nothing dead), and the
    citizen heard of each step by email, with the application's number."""
    rows = OutboxMessage.objects.filter(application_id=app["id"]).order_by("id")
    # Proactive services' events (an output issued, the application completed) are carried out too,
    # creating nothing here: no demo trigger listens to them (tests/proactive).
    assert [(r.kind, r.event) for r in rows if r.kind != "proactive_event"] == expected
    assert {(r.status, r.last_error) for r in rows} == {(OutboxStatus.SENT, "")}
    notifications = sum(kind == "notification" for kind, _ in expected)
    assert len(mail.outbox) == notifications
    assert all(m.to == [email] and app["number"] in m.subject for m in mail.outbox)


def evaluate(citizen: Http, app_id: int) -> None:
    url = f"/api/v1/applications/{app_id}/evaluation/"
    response = citizen.post(url, {"score": 5, "comment": "一次办好"})
    assert response.status_code == 201, response.content
    assert response.json()["score"] == 5 and response.json()["comment"] == "一次办好"
    assert citizen.post(url, {"score": 4}).status_code == 409


# -- 开办企业一件事 ---------------------------------------------------------------------------------

BUSINESS_STEPS = ["amr-licence", "psb-seal-filing", "tax-registration", "hrss-employer-insurance",
                  "hpf-employer-account"]
PARALLEL = BUSINESS_STEPS[1:]


@pytest.fixture
def tuesday():
    """A working Tuesday morning in Hangzhou (no holiday that week or the next); time runs on."""
    with time_machine.travel(datetime(2026, 3, 10, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=True) as clock:
        yield clock


def test_business_startup_over_http(tuesday, http, staff, clerks):
    citizen = register(http, "founder-wang", serial=501)

    # The catalog: the merged form, the materials and the conditional steps.
    one_thing = http().get("/api/v1/one-things/business-startup/").json()  # the catalog needs no sign-in
    assert one_thing["guide"] == ["has_employees"]
    assert set(BUSINESS_ANSWERS) <= set(one_thing["form_schema"]["properties"])
    materials = {m["code"]: m for m in one_thing["materials"]}
    required = sorted(code for code, m in materials.items() if m["required"])
    assert required == ["articles_of_association", "investor_id_docs", "legal_rep_id_card", "premises_proof"]
    assert materials["employee_roster"]["required"] is False  # only if the steps that need it apply
    assert {s["procedure"]: s["when"] for s in one_thing["steps"]} == {
        "amr-licence": None, "psb-seal-filing": None, "tax-registration": None,
        "hrss-employer-insurance": "has_employees", "hpf-employer-account": "has_employees"}

    # A draft: the guide answer first, the rest by PATCH; every material required whatever the answers.
    created = citizen.post("/api/v1/applications/", {"one_thing": "business-startup",
                                                     "data": {"has_employees": True}})
    assert created.status_code == 201, created.content
    app = created.json()
    app_id, url = app["id"], f"/api/v1/applications/{app['id']}/"
    assert (app["status"], app["number"], app["version"]) == ("draft", None, one_thing["version"])
    assert (app["submitted_at"], app["expected_finish"], app["cases"], app["timeline"]) == (None, None, [], [])
    rest = {k: v for k, v in BUSINESS_ANSWERS.items() if k not in ("has_employees", "finance_contact_phone")}
    patched = citizen.patch(url, {"data": rest})
    assert patched.status_code == 200, patched.content
    assert patched.json()["data"] == {"has_employees": True, **rest}
    for code in required:
        assert citizen.upload(app_id, code, BUSINESS_MATERIALS[code]).status_code == 201

    # Submitting incomplete: the missing answer, and a material the employee steps make required.
    refused = citizen.post(f"{url}submit/")
    assert refused.status_code == 400
    body = refused.json()
    assert set(body) == {"data", "materials"}
    assert list(body["data"]) == ["finance_contact_phone"] and body["materials"] == ["employee_roster"]
    assert all(isinstance(m, str) for m in body["data"]["finance_contact_phone"])
    assert citizen.get(url).json()["status"] == "draft"

    assert citizen.patch(url, {"data": {"finance_contact_phone": "13900139000"}}).status_code == 200
    assert citizen.upload(app_id, "employee_roster", BUSINESS_MATERIALS["employee_roster"]).status_code == 201
    response = citizen.post(f"{url}submit/")
    assert response.status_code == 200, response.content
    app = response.json()
    check_submitted(app, BUSINESS_STEPS)  # has_employees: all five steps apply
    # The licence is due the next working day; the housing fund (2 days) after it finishes last.
    assert (app["cases"][0]["due_date"], app["expected_finish"]) == ("2026-03-11", "2026-03-13")
    assert citizen.post(f"{url}submit/").status_code == 409

    # Market Regulation takes it and asks for a correction.
    for code in ("psb", "tax", "hrss", "hpf", "health", "mi"):
        assert staff[code].get("/api/v1/tasks/?queue=department").json()["count"] == 0
    amr = staff["amr"]
    task = only_task(amr)
    assert task["application"] == {"id": app_id, "number": app["number"]}
    assert (task["procedure"]["code"], task["department"]["code"], task["status"], task["owner"]) == (
        "amr-licence", "amr", "queued", None)
    assert citizen.get("/api/v1/tasks/").status_code == 403
    claimed = claim(amr, task["id"])
    assert (claimed["status"], claimed["owner"]) == ("in_review", "clerk-amr")
    assert amr.post(f"/api/v1/tasks/{task['id']}/claim/").status_code == 409
    assert citizen.get(url).json()["status"] == "in_progress"
    detail = amr.get(f"/api/v1/tasks/{task['id']}/").json()
    assert detail["data"]["company_name"] == BUSINESS_ANSWERS["company_name"]
    assert "bank_account_no" not in detail["data"]  # only what licensing needs
    assert {d["material"] for d in detail["documents"]} == set(required)

    bad = complete(amr, task["id"], {"decision": "request_correction",
                                     "corrections": {"fields": ["has_employees"], "message": "x"}}, expected=400)
    assert "corrections" in bad
    decided = complete(amr, task["id"], {"decision": "request_correction", "corrections": {
        "fields": ["registered_address"], "materials": ["premises_proof"],
        "message": "住所证明与登记地址不一致，请更正"}})
    assert decided["status"] == "correction_requested"
    assert decided["application"] == {"id": app_id, "number": app["number"], "status": "correction_requested"}
    assert amr.get("/api/v1/tasks/?queue=mine").json()["count"] == 0

    # The citizen corrects exactly what was marked, two working days later (Thursday).
    tuesday.shift(timedelta(days=2))
    app = citizen.get(url).json()
    assert app["status"] == "correction_requested"
    licence = app["cases"][0]
    assert licence["status"] == "correction_requested"
    assert licence["corrections"] == {"fields": ["registered_address"], "materials": ["premises_proof"],
                                      "message": "住所证明与登记地址不一致，请更正"}
    assert citizen.patch(url, {"data": {"company_name": "别的名字有限公司"}}).status_code == 400
    assert citizen.upload(app_id, "articles_of_association", PDF_BYTES).status_code == 409
    new_address = "浙江省杭州市西湖区文三路 200 号"
    assert citizen.patch(url, {"data": {"registered_address": new_address}}).status_code == 200
    old_doc = next(d for d in app["documents"] if d["material"] == "premises_proof")
    replaced = citizen.upload(app_id, "premises_proof", PNG_BYTES)
    assert replaced.status_code == 201
    app = citizen.get(url).json()
    assert app["data"]["registered_address"] == new_address
    assert app["data"]["company_name"] == BUSINESS_ANSWERS["company_name"]
    proofs = [d for d in app["documents"] if d["material"] == "premises_proof"]
    assert [d["id"] for d in proofs] == [replaced.json()["id"]] and proofs[0]["sha256"] != old_doc["sha256"]
    assert citizen.get(old_doc["url"]).status_code == 404

    resubmitted = citizen.post(f"{url}resubmit/")
    assert resubmitted.status_code == 200, resubmitted.content
    assert resubmitted.json()["status"] == "in_progress"
    assert case_statuses(resubmitted.json())["amr-licence"] == "in_review"
    # The two working days spent with the citizen do not count against the department.
    assert resubmitted.json()["cases"][0]["due_date"] == "2026-03-13"
    assert citizen.post(f"{url}resubmit/").status_code == 409

    # Back to the same clerk, who approves (a malformed credit code first).
    assert amr.get("/api/v1/tasks/?queue=department").json()["count"] == 0
    task = only_task(amr, "mine")
    assert (task["status"], task["owner"], task["application"]["id"]) == ("in_review", "clerk-amr", app_id)
    assert amr.get(f"/api/v1/tasks/{task['id']}/").json()["data"]["registered_address"] == new_address
    bad = complete(amr, task["id"], {"decision": "approve", "outputs": {"uscc": "91330106-NOT-A-CODE"}},
                   expected=400)
    assert set(bad["outputs"]) == {"uscc"}
    assert case_statuses(citizen.get(url).json())["amr-licence"] == "in_review"
    decided = approve(amr, task["id"], "amr-licence")
    assert decided["status"] == "approved" and decided["application"]["status"] == "in_progress"

    # Four departments in parallel, each with its own task; the licence's code flows on.
    app = citizen.get(url).json()
    assert case_statuses(app) == {"amr-licence": "approved", **{code: "queued" for code in PARALLEL}}
    assert app["cases"][0]["outputs"] == OUTPUTS["amr-licence"]
    assert {c["procedure"]["code"]: c["due_date"] for c in app["cases"][1:]} == {
        "psb-seal-filing": "2026-03-13", "tax-registration": "2026-03-13", "hrss-employer-insurance": "2026-03-13",
        "hpf-employer-account": "2026-03-16"}  # queued on Thursday; two working days skip the weekend
    # The correction round made the housing fund finish later than promised; the promise stays.
    assert app["expected_finish"] == "2026-03-13"
    tasks = {code: only_task(staff[code.split("-")[0]]) for code in PARALLEL}
    assert {code: t["procedure"]["code"] for code, t in tasks.items()} == {code: code for code in PARALLEL}
    tax_view = staff["tax"].get(f"/api/v1/tasks/{tasks['tax-registration']['id']}/").json()
    assert tax_view["data"]["uscc"] == OUTPUTS["amr-licence"]["uscc"]
    for code in PARALLEL:
        clerk = staff[code.split("-")[0]]
        claim(clerk, tasks[code]["id"])
        decided = approve(clerk, tasks[code]["id"], code)
        assert decided["status"] == "approved"
        expected_status = "completed" if code == PARALLEL[-1] else "in_progress"
        assert decided["application"]["status"] == expected_status

    app = citizen.get(url).json()
    assert (app["status"], app["outcome"]) == ("completed", "approved")
    assert {c["procedure"]["code"]: c["outputs"] for c in app["cases"]} == {code: OUTPUTS[code]
                                                                             for code in BUSINESS_STEPS}
    assert citizen.get("/api/v1/applications/?status=completed").json()["count"] == 1
    evaluate(citizen, app_id)

    # One timeline across the departments, oldest first.
    app = citizen.get(url).json()
    assert app["evaluation"]["score"] == 5
    timeline = [(e["kind"], e["department"]["code"] if e["department"] else None) for e in app["timeline"]]
    assert timeline == [
        ("application.submitted", None),
        ("case.queued", "amr"),
        ("case.claimed", "amr"),
        ("case.correction_requested", "amr"),
        ("application.resubmitted", None),
        ("case.approved", "amr"),
        ("case.queued", "psb"), ("case.queued", "tax"), ("case.queued", "hrss"), ("case.queued", "hpf"),
        ("case.claimed", "psb"), ("case.approved", "psb"),
        ("case.claimed", "tax"), ("case.approved", "tax"),
        ("case.claimed", "hrss"), ("case.approved", "hrss"),
        ("case.claimed", "hpf"), ("case.approved", "hpf"),
        ("application.completed", None),
        ("evaluation.created", None),
    ]
    assert all(e["department"]["name"] for e in app["timeline"] if e["department"])
    check_timestamps(app)
    check_no_clerk_named(app, clerks)
    check_outbox(app, "founder-wang@example.org", [
        ("notification", "application.submitted"), ("notification", "case.correction_requested"),
        *[("notification", "case.approved")] * 5, ("notification", "application.completed")])

    # Documents: the owner, and a clerk whose procedure uses the material; nobody else.
    check_downloads(citizen, app, allowed=staff["hrss"], refused=[staff["tax"], staff["health"]],
                    material="employee_roster", content=BUSINESS_MATERIALS["employee_roster"])
    check_downloads(citizen, app, allowed=staff["amr"], refused=[staff["mi"]], material="premises_proof",
                    content=PNG_BYTES)

    # Signing out revokes the token.
    assert citizen.delete("/api/v1/auth/token/").status_code == 204
    assert citizen.get(url).status_code == 401


# -- 出生一件事 -------------------------------------------------------------------------------------

NEWBORN_STEPS = ["health-birth-certificate", "psb-household-registration", "mi-newborn-insurance",
                 "hrss-social-security-card"]


@pytest.mark.parametrize("automatic", [True, False], ids=["automatic-insurance", "clerk-decides-insurance"])
def test_newborn_over_http(http, staff, clerks, settings, automatic):
    settings.GOVFLOW_AUTOMATIC_STEPS = automatic
    citizen = register(http, "parent-chen", serial=502)

    one_thing = citizen.get("/api/v1/one-things/newborn/").json()
    assert one_thing["guide"] == [] and all(s["when"] is None for s in one_thing["steps"])
    assert [s["procedure"] for s in one_thing["steps"]] == NEWBORN_STEPS
    assert set(NEWBORN_ANSWERS) <= set(one_thing["form_schema"]["properties"])
    required = sorted(m["code"] for m in one_thing["materials"] if m["required"])
    assert required == sorted(NEWBORN_MATERIALS)

    first = {k: NEWBORN_ANSWERS[k] for k in ("baby_name", "baby_sex", "birth_date")}
    created = citizen.post("/api/v1/applications/", {"one_thing": "newborn", "data": first})
    assert created.status_code == 201, created.content
    app_id, url = created.json()["id"], f"/api/v1/applications/{created.json()['id']}/"
    rest = {k: v for k, v in NEWBORN_ANSWERS.items() if k not in first and k != "card_bank"}
    assert citizen.patch(url, {"data": rest}).status_code == 200
    assert citizen.patch(url, {"data": {"favourite_colour": "blue"}}).status_code == 400
    for code in required:
        if code != "baby_photo":
            assert citizen.upload(app_id, code, NEWBORN_MATERIALS[code]).status_code == 201

    refused = citizen.post(f"{url}submit/")
    assert refused.status_code == 400
    body = refused.json()
    assert set(body) == {"data", "materials"} and body["materials"] == ["baby_photo"]
    assert list(body["data"]) == ["card_bank"] and all(isinstance(m, str) for m in body["data"]["card_bank"])
    assert citizen.patch(url, {"data": {"card_bank": "icbc"}}).status_code == 200
    assert citizen.upload(app_id, "baby_photo", NEWBORN_MATERIALS["baby_photo"]).status_code == 201
    response = citizen.post(f"{url}submit/")
    assert response.status_code == 200, response.content
    app = response.json()
    check_submitted(app, NEWBORN_STEPS)

    # The hospital's health commission asks for a better delivery record and the exact weight.
    health = staff["health"]
    task = only_task(health)
    assert (task["procedure"]["code"], task["application"]["id"]) == ("health-birth-certificate", app_id)
    claim(health, task["id"])
    assert citizen.get(url).json()["status"] == "in_progress"
    decided = complete(health, task["id"], {"decision": "request_correction", "corrections": {
        "fields": ["birth_weight_kg"], "materials": ["delivery_record"], "message": "分娩记录不清晰，请重新上传"}})
    assert decided["application"]["status"] == "correction_requested"
    app = citizen.get(url).json()
    assert app["status"] == "correction_requested"
    assert app["cases"][0]["corrections"] == {"fields": ["birth_weight_kg"], "materials": ["delivery_record"],
                                              "message": "分娩记录不清晰，请重新上传"}
    assert citizen.patch(url, {"data": {"baby_name": "张大宝"}}).status_code == 400
    assert citizen.patch(url, {"data": {"birth_weight_kg": "3.30"}}).status_code == 200
    assert citizen.upload(app_id, "delivery_record", PNG_BYTES).status_code == 201
    resubmitted = citizen.post(f"{url}resubmit/")
    assert resubmitted.status_code == 200, resubmitted.content
    assert case_statuses(resubmitted.json())["health-birth-certificate"] == "in_review"

    task = only_task(health, "mine")
    assert (task["owner"], task["status"]) == ("clerk-health", "in_review")
    assert health.get(f"/api/v1/tasks/{task['id']}/").json()["data"]["birth_weight_kg"] == "3.30"
    bad = complete(health, task["id"], {"decision": "approve", "outputs": {"birth_certificate_no": "123"}},
                   expected=400)
    assert set(bad["outputs"]) == {"birth_certificate_no"}
    approve(health, task["id"], "health-birth-certificate")

    # Public Security registers the baby with the certificate's number and issues the citizen id.
    psb = staff["psb"]
    task = only_task(psb)
    view = psb.get(f"/api/v1/tasks/{task['id']}/").json()
    assert view["data"]["birth_certificate_no"] == OUTPUTS["health-birth-certificate"]["birth_certificate_no"]
    claim(psb, task["id"])
    approve(psb, task["id"], "psb-household-registration")

    # Then medical insurance and the social security card, in parallel. The insurance step is
    # automatic: once the registration commits, the outbox runs its checker (eagerly here).
    app = citizen.get(url).json()
    assert app["status"] == "in_progress"
    assert case_statuses(app) == {"health-birth-certificate": "approved", "psb-household-registration": "approved",
                                  "mi-newborn-insurance": "approved" if automatic else "queued",
                                  "hrss-social-security-card": "queued"}
    citizen_id = OUTPUTS["psb-household-registration"]["citizen_id"]
    insurance = next(c for c in app["cases"] if c["procedure"]["code"] == "mi-newborn-insurance")
    if automatic:
        assert insurance["outputs"] == {"medical_insurance_no": citizen_id[:6] + re.sub(r"\D", "", app["number"])}
        assert staff["mi"].get("/api/v1/tasks/?queue=department").json()["count"] == 0
    else:
        mi_task = only_task(staff["mi"])
        assert staff["mi"].get(f"/api/v1/tasks/{mi_task['id']}/").json()["data"]["citizen_id"] == citizen_id
        claim(staff["mi"], mi_task["id"])
    card_task = only_task(staff["hrss"])
    claim(staff["hrss"], card_task["id"])
    if not automatic:
        assert approve(staff["mi"], mi_task["id"], "mi-newborn-insurance")["application"]["status"] == "in_progress"
    assert approve(staff["hrss"], card_task["id"], "hrss-social-security-card")["application"]["status"] == (
        "completed")

    app = citizen.get(url).json()
    assert (app["status"], app["outcome"]) == ("completed", "approved")
    assert all(c["status"] == "approved" for c in app["cases"])
    evaluate(citizen, app_id)

    app = citizen.get(url).json()
    timeline = [(e["kind"], e["department"]["code"] if e["department"] else None) for e in app["timeline"]]
    insurance_decided = [("case.claimed", "mi"), ("case.approved", "mi")]
    assert timeline == [
        ("application.submitted", None),
        ("case.queued", "health"),
        ("case.claimed", "health"),
        ("case.correction_requested", "health"),
        ("application.resubmitted", None),
        ("case.approved", "health"),
        ("case.queued", "psb"),
        ("case.claimed", "psb"),
        ("case.approved", "psb"),
        ("case.queued", "mi"), ("case.queued", "hrss"),
        *(insurance_decided if automatic else []),
        *([] if automatic else [("case.claimed", "mi")]),
        ("case.claimed", "hrss"),
        *([] if automatic else [("case.approved", "mi")]),
        ("case.approved", "hrss"),
        ("application.completed", None),
        ("evaluation.created", None),
    ]
    check_timestamps(app)
    check_no_clerk_named(app, clerks, "dept-mi-system")
    check_outbox(app, "parent-chen@example.org", [
        ("notification", "application.submitted"), ("notification", "case.correction_requested"),
        ("notification", "case.approved"), ("notification", "case.approved"),
        ("automatic_check", "case.queued"),  # run either way; with automatic steps off it hands over
        ("notification", "case.approved"), ("notification", "case.approved"),
        ("notification", "application.completed")])

    check_downloads(citizen, app, allowed=staff["hrss"], refused=[staff["mi"], staff["amr"]],
                    material="baby_photo", content=NEWBORN_MATERIALS["baby_photo"])
    check_downloads(citizen, app, allowed=staff["health"], refused=[staff["tax"], staff["hpf"]],
                    material="delivery_record", content=PNG_BYTES)
