"""The generic flow, driven end to end through the services, for both demo one things."""
from __future__ import annotations

import pytest
from viewflow.workflow.models import Process, Task
from viewflow.workflow.status import PROCESS, STATUS

from govflow.applications.models import ApplicationStatus, IssuedOutput, TimelineEntry
from govflow.applications.services import citizen_actions, deciding, drafting, submitting
from govflow.errors import InvalidInput, InvalidState, NotAllowed
from govflow.notifications.models import OutboxMessage

from ..stories import (
    BUSINESS_ANSWERS,
    OUTPUTS,
    PDF_BYTES,
    approve,
    case_of,
    draft,
    queue_codes,
    statuses,
    submitted,
    upload,
)

pytestmark = pytest.mark.django_db

STARTUP_PARALLEL = ("psb-seal-filing", "tax-registration", "hrss-employer-insurance", "hpf-employer-account")


def kinds(app) -> list[str]:
    return list(TimelineEntry.objects.filter(application=app).order_by("at", "id").values_list("kind", flat=True))


def test_business_startup_all_approved_delivers_once(citizen_alice, clerks):
    app = submitted(citizen_alice, "business-startup")
    assert app.number.startswith("GF-") and len(app.number.split("-")[-1]) >= 6
    assert app.status == ApplicationStatus.SUBMITTED
    assert statuses(app) == {"amr-licence": "queued", **{c: "waiting" for c in STARTUP_PARALLEL}}
    assert queue_codes(clerks["amr"]) == [(app.number, "amr-licence")]
    assert queue_codes(clerks["tax"]) == []

    approve(app, "amr-licence", clerks["amr"])
    assert statuses(app) == {"amr-licence": "approved", **{c: "queued" for c in STARTUP_PARALLEL}}
    for code in STARTUP_PARALLEL:
        approve(app, code, clerks[code.split("-")[0]])

    app.refresh_from_db()
    assert app.status == ApplicationStatus.COMPLETED
    assert app.outcome == "approved"
    assert app.process.status == PROCESS.DONE
    assert kinds(app).count("application.completed") == 1
    assert OutboxMessage.objects.filter(application=app, kind="notification",
                                        event="application.completed").count() == 1
    delivered = TimelineEntry.objects.get(application=app, kind="application.completed")
    assert delivered.data["outputs"]["amr-licence"] == OUTPUTS["amr-licence"]
    assert IssuedOutput.objects.filter(holder=citizen_alice).count() == 5
    assert not Task.objects.filter(process=app.process).exclude(status__in=[STATUS.DONE]).exists()


def test_newborn_all_approved_follows_the_dependency_chain(citizen_alice, clerks):
    app = submitted(citizen_alice, "newborn")
    assert statuses(app) == {"health-birth-certificate": "queued", "psb-household-registration": "waiting",
                             "mi-newborn-insurance": "waiting", "hrss-social-security-card": "waiting"}
    approve(app, "health-birth-certificate", clerks["health"])
    assert statuses(app)["psb-household-registration"] == "queued"
    assert statuses(app)["mi-newborn-insurance"] == "waiting"
    approve(app, "psb-household-registration", clerks["psb"])
    assert statuses(app)["mi-newborn-insurance"] == "queued"
    assert statuses(app)["hrss-social-security-card"] == "queued"
    approve(app, "mi-newborn-insurance", clerks["mi"])
    app.refresh_from_db()
    assert app.status == ApplicationStatus.IN_PROGRESS
    approve(app, "hrss-social-security-card", clerks["hrss"])
    app.refresh_from_db()
    assert (app.status, app.outcome) == (ApplicationStatus.COMPLETED, "approved")


def test_a_case_is_queued_when_its_own_prerequisite_is_approved_while_another_branch_is_open(
        citizen_alice, clerks):
    # Business startup with a chain inside one branch: amr -> psb -> tax, next to amr -> hrss and
    # amr -> hpf. tax waits for psb only, not for the hrss and hpf branches, which stay open.
    from govflow.catalog.services import import_catalog

    from ..conftest import load_demo_document

    doc = load_demo_document()
    startup = next(one_thing for one_thing in doc["one_things"] if one_thing["code"] == "business-startup")
    next(step for step in startup["steps"] if step["procedure"] == "tax-registration")["after"] = ["psb-seal-filing"]
    import_catalog(doc)
    app = submitted(citizen_alice, "business-startup")
    approve(app, "amr-licence", clerks["amr"])
    assert statuses(app) == {"amr-licence": "approved", "psb-seal-filing": "queued", "tax-registration": "waiting",
                             "hrss-employer-insurance": "queued", "hpf-employer-account": "queued"}
    assert queue_codes(clerks["tax"]) == []

    approve(app, "psb-seal-filing", clerks["psb"])  # while the hrss and hpf branches are still open
    assert statuses(app) == {"amr-licence": "approved", "psb-seal-filing": "approved", "tax-registration": "queued",
                             "hrss-employer-insurance": "queued", "hpf-employer-account": "queued"}
    assert queue_codes(clerks["tax"]) == [(app.number, "tax-registration")]


def test_business_startup_queues_parallel_cases_the_moment_the_licence_is_approved(citizen_alice, clerks):
    app = submitted(citizen_alice, "business-startup")
    approve(app, "amr-licence", clerks["amr"])
    # Each department's queue has its case right away; nothing waits for a whole layer.
    for code in STARTUP_PARALLEL:
        assert queue_codes(clerks[code.split("-")[0]]) == [(app.number, code)]
    approve(app, "tax-registration", clerks["tax"])
    assert statuses(app)["psb-seal-filing"] == "queued"
    assert statuses(app)["tax-registration"] == "approved"


def test_a_when_rule_excludes_steps_and_their_answers(citizen_alice, clerks):
    answers = dict(BUSINESS_ANSWERS, has_employees=False)
    app = submitted(citizen_alice, "business-startup", answers=answers)
    assert set(statuses(app)) == {"amr-licence", "psb-seal-filing", "tax-registration"}
    # Answers and documents used only by excluded steps are deleted at submission.
    assert "employee_count" not in app.data and "hpf_contribution_rate" not in app.data
    assert not app.documents.filter(material_code="employee_roster").exists()
    approve(app, "amr-licence", clerks["amr"])
    approve(app, "psb-seal-filing", clerks["psb"])
    approve(app, "tax-registration", clerks["tax"])
    app.refresh_from_db()
    assert (app.status, app.outcome) == (ApplicationStatus.COMPLETED, "approved")


def test_an_unanswered_when_field_is_false_not_an_error(citizen_alice, clerks):
    answers = {k: v for k, v in BUSINESS_ANSWERS.items() if k != "has_employees"}
    app = submitted(citizen_alice, "business-startup", answers=answers)
    assert "hrss-employer-insurance" not in statuses(app)


def test_a_rejected_prerequisite_cancels_its_dependents(citizen_alice, clerks):
    app = submitted(citizen_alice, "business-startup")
    case = case_of(app, "amr-licence")
    deciding.task_claim(case=case, user=clerks["amr"])
    with pytest.raises(InvalidInput):
        deciding.task_complete(case=case, user=clerks["amr"], decision="reject", comment="  ")
    deciding.task_complete(case=case, user=clerks["amr"], decision="reject",
                           comment="企业名称与已登记企业重名（《企业名称登记管理规定》第十七条）")
    assert statuses(app) == {"amr-licence": "rejected", **{c: "cancelled" for c in STARTUP_PARALLEL}}
    app.refresh_from_db()
    assert (app.status, app.outcome) == (ApplicationStatus.COMPLETED, "rejected")
    assert kinds(app).count("case.cancelled") == 4
    assert kinds(app).count("application.completed") == 1


def test_a_rejection_after_others_approved_gives_partial_approval(citizen_alice, clerks):
    app = submitted(citizen_alice, "newborn")
    approve(app, "health-birth-certificate", clerks["health"])
    approve(app, "psb-household-registration", clerks["psb"])
    approve(app, "mi-newborn-insurance", clerks["mi"])
    case = case_of(app, "hrss-social-security-card")
    deciding.task_claim(case=case, user=clerks["hrss"])
    deciding.task_complete(case=case, user=clerks["hrss"], decision="reject", comment="照片不符合要求")
    app.refresh_from_db()
    assert (app.status, app.outcome) == (ApplicationStatus.COMPLETED, "partially_approved")


def test_a_correction_loop_returns_to_the_clerk_who_asked(citizen_alice, clerks):
    app = submitted(citizen_alice, "business-startup")
    clerk = clerks["amr"]
    case = case_of(app, "amr-licence")
    deciding.task_claim(case=case, user=clerk)
    deciding.task_complete(case=case, user=clerk, decision="request_correction",
                           corrections={"fields": ["company_name"], "materials": ["premises_proof"],
                                        "message": "名称含有禁用字词；租赁合同缺少盖章页"})
    app.refresh_from_db()
    assert app.status == ApplicationStatus.CORRECTION_REQUESTED
    case = case_of(app, "amr-licence")
    assert case.status == "correction_requested"
    assert case.corrections["fields"] == ["company_name"]
    assert case.task.owner == citizen_alice
    assert queue_codes(clerk) == []

    # Only the marked fields may change.
    with pytest.raises(InvalidInput):
        drafting.application_update(application=app, user=citizen_alice, data={"business_scope": "x"})
    with pytest.raises(InvalidState):
        upload(app, citizen_alice, "articles_of_association", PDF_BYTES)
    drafting.application_update(application=app, user=citizen_alice, data={"company_name": "杭州一事通科技有限公司"})
    upload(app, citizen_alice, "premises_proof", PDF_BYTES + b"% signed\n")

    citizen_actions.application_resubmit(application=app, user=citizen_alice)
    app.refresh_from_db()
    assert app.status == ApplicationStatus.IN_PROGRESS
    case = case_of(app, "amr-licence")
    assert case.status == "in_review" and case.owner == clerk
    assert case.task.owner == clerk and case.task.status == STATUS.ASSIGNED
    assert case.corrections == {}
    with pytest.raises(InvalidState):
        citizen_actions.application_resubmit(application=app, user=citizen_alice)

    deciding.task_complete(case=case, user=clerk, decision="approve", outputs=OUTPUTS["amr-licence"])
    assert statuses(app)["tax-registration"] == "queued"
    assert "case.correction_requested" in kinds(app) and "application.resubmitted" in kinds(app)


def test_a_resubmitted_case_goes_to_the_queue_when_its_clerk_left_the_department(citizen_alice, clerks):
    app = submitted(citizen_alice, "business-startup")
    clerk = clerks["amr"]
    case = case_of(app, "amr-licence")
    deciding.task_claim(case=case, user=clerk)
    deciding.task_complete(case=case, user=clerk, decision="request_correction",
                           corrections={"fields": ["company_name"], "message": "请更正名称"})
    clerk.memberships.all().delete()
    citizen_actions.application_resubmit(application=app, user=citizen_alice)
    case = case_of(app, "amr-licence")
    assert case.status == "queued" and case.owner is None and case.task.owner is None


def test_withdrawal_cancels_all_open_cases_and_ends_the_process(citizen_alice, clerks):
    app = submitted(citizen_alice, "business-startup")
    approve(app, "amr-licence", clerks["amr"])
    deciding.task_claim(case=case_of(app, "tax-registration"), user=clerks["tax"])
    citizen_actions.application_withdraw(application=app, user=citizen_alice)
    app.refresh_from_db()
    assert app.status == ApplicationStatus.WITHDRAWN
    assert statuses(app) == {"amr-licence": "approved", **{c: "cancelled" for c in STARTUP_PARALLEL}}
    assert app.process.status == PROCESS.CANCELED
    assert not Task.objects.filter(process=app.process, status__in=[STATUS.NEW, STATUS.ASSIGNED]).exists()
    assert queue_codes(clerks["psb"]) == []
    with pytest.raises(InvalidState):
        citizen_actions.application_withdraw(application=app, user=citizen_alice)
    assert not OutboxMessage.objects.filter(application=app, event="application.completed").exists()


def test_submission_refuses_an_incomplete_application_and_changes_nothing(citizen_alice, demo_catalog):
    answers = {k: v for k, v in BUSINESS_ANSWERS.items() if k != "company_name"}
    app = draft(citizen_alice, "business-startup", answers=answers, materials={})
    with pytest.raises(InvalidInput) as info:
        submitting.application_submit(application=app, user=citizen_alice)
    assert "company_name" in info.value.errors["data"]
    assert "articles_of_association" in info.value.errors["materials"]
    app.refresh_from_db()
    assert app.status == ApplicationStatus.DRAFT and app.number is None
    assert not Process.objects.exists() and not app.cases.exists()


def test_submission_is_idempotent_with_a_key(citizen_alice, demo_catalog):
    app = draft(citizen_alice, "business-startup")
    first = submitting.application_submit(application=app, user=citizen_alice, idempotency_key="k1")
    again = submitting.application_submit(application=app, user=citizen_alice, idempotency_key="k1")
    assert again.number == first.number and app.cases.count() == 5
    with pytest.raises(InvalidState):
        submitting.application_submit(application=app, user=citizen_alice, idempotency_key="k2")


def test_a_clerk_never_handles_their_own_application(clerks, supervisor_sue_amr):
    clerk = clerks["amr"]  # files an application of their own, as any citizen may
    app = submitted(clerk, "business-startup")
    case = case_of(app, "amr-licence")
    assert case.status == "queued" and case.department.code == "amr"
    with pytest.raises(NotAllowed):
        deciding.task_claim(case=case, user=clerk)
    with pytest.raises(InvalidInput):
        deciding.task_assign(case=case, user=supervisor_sue_amr, assignee=clerk)
    case = case_of(app, "amr-licence")
    assert (case.status, case.owner, case.task.owner) == ("queued", None, None)
    # Another clerk of the department may take it.
    deciding.task_claim(case=case, user=supervisor_sue_amr)
    assert case_of(app, "amr-licence").owner == supervisor_sue_amr


def test_claim_is_exclusive_and_only_the_holder_decides(citizen_alice, clerk_bob_amr, clerk_dan_amr):
    app = submitted(citizen_alice, "business-startup")
    case = case_of(app, "amr-licence")
    deciding.task_claim(case=case, user=clerk_bob_amr)
    with pytest.raises(InvalidState):
        deciding.task_claim(case=case, user=clerk_dan_amr)
    with pytest.raises(NotAllowed):
        deciding.task_complete(case=case, user=clerk_dan_amr, decision="approve", outputs=OUTPUTS["amr-licence"])
    deciding.task_release(case=case, user=clerk_bob_amr)
    deciding.task_claim(case=case, user=clerk_dan_amr)
    assert case_of(app, "amr-licence").owner == clerk_dan_amr


def test_approval_requires_every_output_matching_its_pattern(citizen_alice, clerks):
    app = submitted(citizen_alice, "business-startup")
    case = case_of(app, "amr-licence")
    deciding.task_claim(case=case, user=clerks["amr"])
    for outputs in ({}, {"uscc": "not-a-code"}, {"uscc": OUTPUTS["amr-licence"]["uscc"], "extra": "1"}, "x"):
        with pytest.raises(InvalidInput):
            deciding.task_complete(case=case, user=clerks["amr"], decision="approve", outputs=outputs)
    assert case_of(app, "amr-licence").status == "in_review"
    assert not IssuedOutput.objects.exists()


def test_correction_codes_must_belong_to_the_procedure_and_not_to_guide_or_when_fields(citizen_alice, clerks):
    app = submitted(citizen_alice, "business-startup")
    case = case_of(app, "amr-licence")
    deciding.task_claim(case=case, user=clerks["amr"])
    for corrections in ({"fields": ["seal_count"], "message": "x"},  # another procedure's field
                        {"fields": ["has_employees"], "message": "x"},  # guide/when field
                        {"materials": ["employee_roster"], "message": "x"},
                        {"fields": ["company_name"], "message": ""},
                        {"fields": [], "materials": [], "message": "x"}):
        with pytest.raises(InvalidInput):
            deciding.task_complete(case=case, user=clerks["amr"], decision="request_correction",
                                   corrections=corrections)
    assert case_of(app, "amr-licence").status == "in_review"


def test_fields_an_approved_case_relied_on_cannot_be_sent_back(citizen_alice, clerks):
    app = submitted(citizen_alice, "business-startup")
    approve(app, "amr-licence", clerks["amr"])
    case = case_of(app, "tax-registration")
    deciding.task_claim(case=case, user=clerks["tax"])
    with pytest.raises(InvalidInput):
        deciding.task_complete(case=case, user=clerks["tax"], decision="request_correction",
                               corrections={"fields": ["company_name"], "message": "x"})
    deciding.task_complete(case=case, user=clerks["tax"], decision="request_correction",
                           corrections={"fields": ["finance_contact_phone"], "message": "电话无法接通"})
    assert case_of(app, "tax-registration").status == "correction_requested"


def test_evaluation_only_once_and_only_when_completed(citizen_alice, clerks):
    app = submitted(citizen_alice, "business-startup", answers=dict(BUSINESS_ANSWERS, has_employees=False))
    with pytest.raises(InvalidState):
        citizen_actions.evaluation_create(application=app, user=citizen_alice, score=5)
    for code in ("amr-licence", "psb-seal-filing", "tax-registration"):
        approve(app, code, clerks[code.split("-")[0]])
    with pytest.raises(InvalidInput):
        citizen_actions.evaluation_create(application=app, user=citizen_alice, score=6)
    evaluation = citizen_actions.evaluation_create(application=app, user=citizen_alice, score=2, comment="太慢")
    assert evaluation.needs_follow_up
    with pytest.raises(InvalidState):
        citizen_actions.evaluation_create(application=app, user=citizen_alice, score=5)
    assert kinds(app)[-1] == "evaluation.created"


def test_a_submission_to_which_no_step_applies_is_refused(citizen_alice, demo_catalog):
    from govflow.catalog.services import import_catalog

    from ..conftest import load_demo_document

    doc = load_demo_document()
    for one_thing in doc["one_things"]:
        if one_thing["code"] == "business-startup":
            one_thing["steps"][0]["when"] = "has_employees"
    import_catalog(doc)
    app = draft(citizen_alice, "business-startup", answers=dict(BUSINESS_ANSWERS, has_employees=False))
    with pytest.raises(InvalidInput) as info:
        submitting.application_submit(application=app, user=citizen_alice)
    assert info.value.errors["non_field_errors"]
    app.refresh_from_db()
    assert app.status == ApplicationStatus.DRAFT and not Process.objects.exists()
