"""Automatic steps: the demo's newborn medical insurance enrolment, checkers and the catalog key."""
from __future__ import annotations

import copy

import pytest
from django.core import mail
from django.utils import translation

from govflow.accounts.models import Membership, User
from govflow.applications.automatic import newborn_medical_insurance, system_user_for
from govflow.applications.models import CaseStatus, IssuedOutput, TimelineEntry
from govflow.catalog.checkers import HandToClerk, known_checker, registered_checkers
from govflow.catalog.io import CatalogValidationError, export_catalog, validate_document
from govflow.catalog.models import Procedure
from govflow.catalog.services import import_catalog
from govflow.notifications import delivery
from govflow.notifications.models import OutboxMessage, OutboxStatus

from ..conftest import load_demo_document
from ..stories import OUTPUTS, approve, case_of, statuses, submitted

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("notification_settings")]

DEMO_CHECKER = "govflow.applications.automatic.newborn_medical_insurance"


def check_row(app) -> OutboxMessage:
    return OutboxMessage.objects.get(application=app, kind="automatic_check")


def with_checker(doc: dict, name: str) -> dict:
    doc = copy.deepcopy(doc)
    for procedure in doc["procedures"]:
        if procedure["code"] == "mi-newborn-insurance":
            procedure["automatic"] = name
    return doc


def test_the_demo_enrols_the_newborn_in_medical_insurance_once_the_citizen_id_exists(
        citizen_alice, clerks, django_capture_on_commit_callbacks):
    app = submitted(citizen_alice, "newborn")
    assert not OutboxMessage.objects.filter(application=app, kind="automatic_check").exists()
    approve(app, "health-birth-certificate", clerks["health"])
    with django_capture_on_commit_callbacks(execute=True):
        approve(app, "psb-household-registration", clerks["psb"])

    case = case_of(app, "mi-newborn-insurance")
    system = User.objects.get(username="dept-mi-system")
    assert case.status == CaseStatus.APPROVED and case.decided_by == system
    citizen_id = OUTPUTS["psb-household-registration"]["citizen_id"]
    assert case.outputs == {"medical_insurance_no": f"{citizen_id[:6]}{app.number.replace('GF-', '').replace('-', '')}"}
    assert IssuedOutput.objects.filter(application=app, code="medical_insurance_no").count() == 1
    history = list(TimelineEntry.objects.filter(case=case).order_by("at", "id").values_list("kind", "actor"))
    assert history == [("case.queued", None), ("case.claimed", system.pk), ("case.approved", system.pk)]
    row = check_row(app)
    assert (row.status, row.result, row.payload) == (OutboxStatus.SENT, "approved",
                                                     {"case": case.pk, "checker": DEMO_CHECKER})
    # The citizen hears about it like about any decision; the other case stays with its clerk.
    assert any("医疗保险" in m.subject or "医保" in m.subject for m in mail.outbox)
    assert statuses(app)["hrss-social-security-card"] == CaseStatus.QUEUED
    assert not system.has_usable_password()
    assert Membership.objects.get(user=system).department.code == "mi"


def test_running_a_check_again_changes_nothing(citizen_alice, clerks, django_capture_on_commit_callbacks):
    app = submitted(citizen_alice, "newborn")
    approve(app, "health-birth-certificate", clerks["health"])
    with django_capture_on_commit_callbacks(execute=True):
        approve(app, "psb-household-registration", clerks["psb"])
    row = check_row(app)
    OutboxMessage.objects.filter(pk=row.pk).update(status=OutboxStatus.PENDING)  # as if redelivered
    assert delivery.deliver(row.pk).status == "sent"
    row.refresh_from_db()
    assert row.result == "skipped: the case is approved"
    assert TimelineEntry.objects.filter(application=app, kind="case.approved",
                                        case__procedure_code="mi-newborn-insurance").count() == 1


def test_a_case_a_clerk_took_first_is_left_to_the_clerk(citizen_alice, clerks):
    app = submitted(citizen_alice, "newborn")
    approve(app, "health-birth-certificate", clerks["health"])
    approve(app, "psb-household-registration", clerks["psb"])  # no commit: the check waits in the outbox
    from govflow.applications.services import deciding

    deciding.task_claim(case=case_of(app, "mi-newborn-insurance"), user=clerks["mi"])
    assert delivery.deliver(check_row(app).pk).status == "sent"
    assert check_row(app).result == "skipped: the case is in_review"
    assert case_of(app, "mi-newborn-insurance").owner == clerks["mi"]


def test_with_automatic_steps_turned_off_the_case_waits_for_a_clerk(citizen_alice, clerks, settings,
                                                                    django_capture_on_commit_callbacks):
    settings.GOVFLOW_AUTOMATIC_STEPS = False
    app = submitted(citizen_alice, "newborn")
    approve(app, "health-birth-certificate", clerks["health"])
    with django_capture_on_commit_callbacks(execute=True):
        approve(app, "psb-household-registration", clerks["psb"])
    assert case_of(app, "mi-newborn-insurance").status == CaseStatus.QUEUED
    assert check_row(app).result.startswith("handed to a clerk: automatic steps are turned off")
    approve(app, "mi-newborn-insurance", clerks["mi"])


def test_without_a_citizen_id_the_demo_checker_hands_the_case_to_a_clerk(citizen_alice, clerks):
    app = submitted(citizen_alice, "newborn")
    decision = newborn_medical_insurance(case_of(app, "mi-newborn-insurance"), app)
    assert isinstance(decision, HandToClerk) and "citizen id" in decision.reason


@pytest.mark.parametrize(("checker", "status", "result"), [
    ("tests.applications.checkers.always_reject", CaseStatus.REJECTED, "rejected"),
    ("tests.applications.checkers.always_hand_over", CaseStatus.QUEUED, "handed to a clerk: needs a human look"),
    ("tests.applications.checkers.bad_outputs", CaseStatus.QUEUED, "handed to a clerk: Some outputs are invalid."),
])
def test_a_checker_approves_rejects_or_hands_over_and_the_services_rules_apply(
        citizen_alice, db, checker, status, result):
    import_catalog(with_checker(load_demo_document(), checker))
    from .test_sla import member

    health, psb = member("h", "health"), member("p", "psb")
    app = submitted(citizen_alice, "newborn")
    approve(app, "health-birth-certificate", health)
    approve(app, "psb-household-registration", psb)
    assert delivery.deliver(check_row(app).pk).status == "sent"
    case = case_of(app, "mi-newborn-insurance")
    assert case.status == status
    assert check_row(app).result == result
    if status == CaseStatus.QUEUED:  # nothing half-done: not even the claim
        assert case.owner is None
        assert not TimelineEntry.objects.filter(case=case, kind="case.claimed").exists()


def test_an_unknown_checker_is_a_dead_letter(citizen_alice, clerks):
    app = submitted(citizen_alice, "newborn")
    row = OutboxMessage.objects.create(kind="automatic_check", event="case.queued", application=app,
                                       payload={"case": case_of(app, "health-birth-certificate").pk,
                                                "checker": "govflow.no.such.checker"})
    assert delivery.deliver(row.pk).status == "dead"
    assert case_of(app, "health-birth-certificate").status == CaseStatus.QUEUED


def test_the_system_account_is_the_same_as_the_signed_callbacks(demo_catalog):
    from govflow.catalog.models import Department

    mi = Department.objects.get(code="mi")
    assert system_user_for(mi) == system_user_for(mi)
    assert system_user_for(mi).username == "dept-mi-system"
    assert User.objects.filter(username="dept-mi-system").count() == 1


# -- the catalog's "automatic" key ------------------------------------------------------------------

def test_the_demo_catalog_marks_the_insurance_enrolment_automatic(demo_catalog):
    assert Procedure.objects.get(code="mi-newborn-insurance").automatic == DEMO_CHECKER
    assert DEMO_CHECKER in registered_checkers() and known_checker(DEMO_CHECKER)
    doc = export_catalog()
    (mi,) = [p for p in doc["procedures"] if p["code"] == "mi-newborn-insurance"]
    assert mi["automatic"] == DEMO_CHECKER
    assert all("automatic" not in p for p in doc["procedures"] if p["code"] != "mi-newborn-insurance")
    assert export_catalog("newborn")["procedures"][2]["automatic"] == DEMO_CHECKER


def test_the_automatic_key_survives_an_exact_round_trip(db):
    import json

    from govflow.catalog import models as m

    import_catalog(load_demo_document())
    first = json.dumps(export_catalog(), ensure_ascii=False, indent=2)
    m.OneThing.objects.update(current_version=None)
    for model in (m.OneThingVersion, m.Step, m.OneThing, m.Output, m.ProcedureField, m.ProcedureMaterial,
                  m.Procedure, m.Field, m.Material, m.Department):
        model.objects.all().delete()
    import_catalog(json.loads(first))
    assert json.dumps(export_catalog(), ensure_ascii=False, indent=2) == first
    assert '"automatic": "govflow.applications.automatic.newborn_medical_insurance"' in first


@pytest.mark.parametrize(("value", "message"), [
    ("os.path.join", "unknown automatic checker 'os.path.join'"),
    ("govflow.applications.automatic.nothing_here", "unknown automatic checker"),
    ("not a dotted name", "unknown automatic checker"),
    ("", "must not be empty"),
    (42, "must be a string, not a number"),
    ("x." * 150, "at most 200 characters"),
])
def test_an_unknown_or_malformed_checker_is_refused(value, message):
    doc = with_checker(load_demo_document(), value)
    with translation.override("en"):  # the catalog's messages, asserted in English
        errors = validate_document(doc)
    index = [p["code"] for p in doc["procedures"]].index("mi-newborn-insurance")
    assert [e.path for e in errors] == [f"$.procedures[{index}].automatic"], errors
    assert message in errors[0].message


def test_an_import_with_an_unknown_checker_writes_nothing(db):
    with pytest.raises(CatalogValidationError):
        import_catalog(with_checker(load_demo_document(), "os.path.join"))
    assert not Procedure.objects.exists()


def test_changing_the_checker_publishes_a_new_version(demo_catalog):
    from govflow.catalog.models import OneThing

    newborn = OneThing.objects.get(code="newborn")
    before = newborn.current_version.number
    import_catalog(with_checker(load_demo_document(), "tests.applications.checkers.always_hand_over"))
    newborn.refresh_from_db()
    assert newborn.current_version.number == before + 1
    snapshot = newborn.current_version.definition
    (mi,) = [p for p in snapshot["procedures"] if p["code"] == "mi-newborn-insurance"]
    assert mi["automatic"] == "tests.applications.checkers.always_hand_over"
