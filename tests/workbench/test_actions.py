"""Claim, release, assign and the three decisions, each with its refusals. Every action is a POST
with CSRF that goes through the same service as the API; a refusal changes nothing."""
from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from govflow.applications.models import Case, CorrectionRequest, IssuedOutput, TimelineEntry
from govflow.applications.services import deciding

from ..stories import OUTPUTS, approve, case_of, submitted

pytestmark = pytest.mark.django_db


def url(name: str, case: Case) -> str:
    return reverse(f"workbench:{name}", args=[case.task_id])


def said(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def fresh(case: Case) -> Case:
    return Case.objects.select_related("task").get(pk=case.pk)


# -- claim ------------------------------------------------------------------------------------------


def test_claiming_takes_the_task_and_opens_it(as_user, amr_case, clerks):
    response = as_user(clerks["amr"]).post(url("claim", amr_case))
    assert response.status_code == 302 and response.url == url("task", amr_case)
    case = fresh(amr_case)
    assert case.status == "in_review" and case.owner == clerks["amr"]
    assert said(response) == [f"You now hold {amr_case.application.number}."]


def test_when_someone_else_was_faster_the_clerk_is_told_so_and_nothing_changes(as_user, amr_case, clerks,
                                                                                 clerk_dan_amr):
    bob, dan = as_user(clerks["amr"]), as_user(clerk_dan_amr)
    dan.get("/workbench/")  # both look at the same queue…
    assert bob.post(url("claim", amr_case)).status_code == 302  # …bob is faster
    response = dan.post(url("claim", amr_case), {"next": "/workbench/?sla=overdue"})
    assert response.status_code == 302 and response.url == "/workbench/?sla=overdue"
    assert said(response) == [f"Someone else was faster: {amr_case.application.number} is already claimed."]
    assert fresh(amr_case).owner == clerks["amr"]
    assert TimelineEntry.objects.filter(case=amr_case, kind="case.claimed").count() == 1


def test_a_clerk_of_another_department_gets_404_for_every_task_url(as_user, amr_case, clerks):
    tax = as_user(clerks["tax"])
    assert tax.get(url("task", amr_case)).status_code == 404
    for name in ("claim", "release", "assign", "decide"):
        assert tax.post(url(name, amr_case), {"decision": "reject", "comment": "x", "confirmed": "1"}).status_code == 404
    assert fresh(amr_case).status == "queued"


def test_unknown_and_absurd_task_ids_are_404(as_user, clerks, demo_catalog):
    client = as_user(clerks["amr"])
    assert client.get("/workbench/tasks/999999/").status_code == 404
    assert client.get(f"/workbench/tasks/{2**70}/").status_code == 404
    assert client.post(f"/workbench/tasks/{2**70}/claim/").status_code == 404


def test_a_clerk_cannot_claim_a_case_of_their_own_application(as_user, clerks):
    app = submitted(clerks["amr"], "business-startup")
    case = case_of(app, "amr-licence")
    response = as_user(clerks["amr"]).post(url("claim", case))
    assert response.status_code == 302
    assert said(response) == ["You cannot handle a case of your own application."]
    assert fresh(case).status == "queued"
    page = as_user(clerks["amr"]).get(url("task", case)).content.decode()
    assert "This is your own application" in page and url("claim", case) not in page


def test_actions_refuse_get(as_user, amr_case, clerks):
    client = as_user(clerks["amr"])
    for name in ("claim", "release", "assign", "decide"):
        assert client.get(url(name, amr_case)).status_code == 405
    assert fresh(amr_case).status == "queued"


def test_actions_need_the_csrf_token(amr_case, clerks):
    client = Client(enforce_csrf_checks=True)
    client.force_login(clerks["amr"])
    assert client.post(url("claim", amr_case)).status_code == 403
    assert fresh(amr_case).status == "queued"


def test_a_foreign_next_url_is_ignored(as_user, amr_case, clerks, clerk_dan_amr):
    deciding.task_claim(case=amr_case, user=clerks["amr"])
    response = as_user(clerk_dan_amr).post(url("claim", amr_case), {"next": "https://evil.example/"})
    assert response.url == "/workbench/"


# -- release ---------------------------------------------------------------------------------------


def test_the_holder_releases_a_task_back_to_the_queue(as_user, amr_case, clerks):
    deciding.task_claim(case=amr_case, user=clerks["amr"])
    response = as_user(clerks["amr"]).post(url("release", amr_case))
    assert response.status_code == 302 and response.url == "/workbench/mine/"
    assert fresh(amr_case).status == "queued" and fresh(amr_case).owner is None
    assert "is back in the office queue" in said(response)[0]


def test_another_clerk_cannot_release_someone_elses_task(as_user, amr_case, clerks, clerk_dan_amr):
    deciding.task_claim(case=amr_case, user=clerks["amr"])
    response = as_user(clerk_dan_amr).post(url("release", amr_case))
    assert response.status_code == 302 and response.url == url("task", amr_case)
    assert said(response) == ["Only the holder or a supervisor can release this task."]
    assert fresh(amr_case).owner == clerks["amr"]


def test_releasing_an_unclaimed_task_is_refused(as_user, amr_case, clerks):
    response = as_user(clerks["amr"]).post(url("release", amr_case))
    assert said(response) == ["This task is not claimed."]


def test_a_supervisor_releases_the_task_of_an_absent_clerk(as_user, amr_case, clerks, supervisor_sue_amr):
    deciding.task_claim(case=amr_case, user=clerks["amr"])
    response = as_user(supervisor_sue_amr).post(url("release", amr_case), {"next": "/workbench/board/"})
    assert response.url == "/workbench/board/"
    assert fresh(amr_case).status == "queued"
    entry = TimelineEntry.objects.filter(case=amr_case, kind="case.released").get()
    assert entry.actor == supervisor_sue_amr


# -- assign ----------------------------------------------------------------------------------------


def test_a_supervisor_gives_a_task_to_a_clerk_of_the_department(as_user, amr_case, clerks, clerk_dan_amr,
                                                                 supervisor_sue_amr):
    deciding.task_claim(case=amr_case, user=clerks["amr"])
    response = as_user(supervisor_sue_amr).post(url("assign", amr_case), {"assignee": clerk_dan_amr.pk})
    assert response.status_code == 302
    assert fresh(amr_case).owner == clerk_dan_amr
    assert "is now held by" in said(response)[0]


def test_a_clerk_cannot_assign(as_user, amr_case, clerks, clerk_dan_amr):
    response = as_user(clerks["amr"]).post(url("assign", amr_case), {"assignee": clerk_dan_amr.pk})
    assert said(response) == ["Only a supervisor of the office can assign tasks."]
    assert fresh(amr_case).owner is None


def test_a_supervisor_cannot_give_a_task_to_someone_outside_the_department(as_user, amr_case, clerks,
                                                                            supervisor_sue_amr):
    for assignee in (clerks["tax"].pk, "not-a-number", ""):
        response = as_user(supervisor_sue_amr).post(url("assign", amr_case), {"assignee": assignee})
        assert said(response) == ["Choose a clerk of the office."]
    assert fresh(amr_case).owner is None


def test_a_supervisor_cannot_give_a_task_to_its_applicant(as_user, clerks, clerk_dan_amr, supervisor_sue_amr):
    app = submitted(clerk_dan_amr, "business-startup")
    case = case_of(app, "amr-licence")
    response = as_user(supervisor_sue_amr).post(url("assign", case), {"assignee": clerk_dan_amr.pk})
    assert "cannot take the task" in said(response)[0]
    assert fresh(case).owner is None


# -- decisions -------------------------------------------------------------------------------------

APPROVE = {"decision": "approve", "output_uscc": OUTPUTS["amr-licence"]["uscc"], "comment": "材料齐全"}
REJECT = {"decision": "reject", "comment": "经营范围含前置许可项目，依据《市场主体登记管理条例》第十四条不予登记。"}
CORRECT = {"decision": "request_correction", "fields_to_correct": ["company_name", "registered_address"],
           "materials_to_correct": ["premises_proof"], "message": "企业名称与章程不一致；住所证明已过期。"}


@pytest.fixture
def held(amr_case, clerks):
    deciding.task_claim(case=amr_case, user=clerks["amr"])
    return amr_case


def test_a_decision_is_confirmed_before_it_is_sent(as_user, held, clerks):
    client = as_user(clerks["amr"])
    response = client.post(url("decide", held), APPROVE)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Check your decision" in html and OUTPUTS["amr-licence"]["uscc"] in html
    assert 'name="confirmed"' in html and 'name="edit"' in html
    assert fresh(held).status == "in_review"  # nothing sent yet


def test_change_brings_the_form_back_filled_in(as_user, held, clerks):
    response = as_user(clerks["amr"]).post(url("decide", held), {**APPROVE, "edit": "1"})
    assert response.status_code == 200
    assert f'value="{OUTPUTS["amr-licence"]["uscc"]}"' in response.content.decode()
    assert fresh(held).status == "in_review"


def test_approving_issues_the_outputs_and_queues_the_dependent_cases(as_user, held, clerks, business):
    response = as_user(clerks["amr"]).post(url("decide", held), {**APPROVE, "confirmed": "1"})
    assert response.status_code == 302 and response.url == "/workbench/next/"
    case = fresh(held)
    assert case.status == "approved" and case.outputs == OUTPUTS["amr-licence"] and case.comment == "材料齐全"
    assert IssuedOutput.objects.filter(case=case, code="uscc").exists()
    assert case_of(business, "tax-registration").status == "queued"
    assert said(response) == [f"{business.number} · Business licence (company establishment registration) approved."] \
        or said(response)[0].endswith("approved.")


def test_after_a_decision_the_next_task_of_my_queue_is_offered(as_user, held, clerks, citizen_alice):
    other = submitted(citizen_alice, "business-startup")
    client = as_user(clerks["amr"])
    response = client.post(url("decide", held), {**APPROVE, "confirmed": "1"}, follow=True)
    html = response.content.decode()
    assert "Next task" in html and other.number in html
    assert reverse("workbench:claim", args=[case_of(other, "amr-licence").task_id]) in html
    assert "autofocus" in html


def test_the_clerk_reads_an_outputs_format_in_plain_words_with_an_example_not_a_pattern(as_user, held, clerks):
    html = as_user(clerks["amr"]).get(url("task", held)).content.decode()

    assert "18 characters: digits and capital letters (not I, O, S, V or Z), as on the business licence." in html
    assert "For example: 91330106MA2K111106" in html
    assert "[0-9A-HJ-NPQRTUWXY]" not in html


def test_an_output_the_catalog_does_not_describe_falls_back_to_its_pattern():
    from django.utils import translation

    from govflow.workbench.forms import output_help

    with translation.override("en"):
        assert output_help({"code": "n", "type": "string", "pattern": "^[0-9]{13}$"}) == "Required format: ^[0-9]{13}$"
        assert output_help({"code": "n", "type": "string", "pattern": "^[0-9]{13}$", "example": "1234567890123",
                            "hint": {"en": "13 digits.", "zh-hans": "13 位数字。"}}) == \
            "13 digits. For example: 1234567890123"


@pytest.mark.parametrize("value, message", [
    ("", "This field is required."),
    ("91330106MA2K", "This does not match the required format."),
    ("91330106MA2KIIII0A", "This does not match the required format."),  # I is not in the code alphabet
])
def test_invalid_outputs_are_refused_with_the_reason(as_user, held, clerks, value, message):
    for step in ({}, {"confirmed": "1"}):  # refused at the check and at the confirmation alike
        response = as_user(clerks["amr"]).post(url("decide", held), {**APPROVE, "output_uscc": value, **step})
        assert response.status_code == 400
        assert message in response.content.decode()
    assert fresh(held).status == "in_review"
    assert not IssuedOutput.objects.exists()


def test_the_service_has_the_last_word_on_outputs(as_user, held, clerks, monkeypatch):
    """If the form let something through, the service's refusal is shown on the form."""
    from govflow.workbench import forms

    monkeypatch.setattr(forms.ApproveForm, "clean", lambda self: self.cleaned_data)
    response = as_user(clerks["amr"]).post(url("decide", held), {**APPROVE, "output_uscc": "nope",
                                                                 "confirmed": "1"})
    assert response.status_code == 400
    assert "Does not match the required format." in response.content.decode()
    assert fresh(held).status == "in_review"


def test_rejecting_needs_a_reason(as_user, held, clerks):
    for body in ({"decision": "reject"}, {"decision": "reject", "comment": "   ", "confirmed": "1"}):
        response = as_user(clerks["amr"]).post(url("decide", held), body)
        assert response.status_code == 400
        assert "A reason is required to reject." in response.content.decode()
    assert fresh(held).status == "in_review"


def test_rejecting_with_a_reason_rejects_and_cancels_the_dependent_cases(as_user, held, clerks, business):
    response = as_user(clerks["amr"]).post(url("decide", held), {**REJECT, "confirmed": "1"})
    assert response.status_code == 302
    assert fresh(held).status == "rejected" and fresh(held).comment == REJECT["comment"]
    assert case_of(business, "tax-registration").status == "cancelled"


def test_a_correction_request_marks_fields_and_materials_in_one_message(as_user, held, clerks, business):
    response = as_user(clerks["amr"]).post(url("decide", held), {**CORRECT, "confirmed": "1"})
    assert response.status_code == 302
    case = fresh(held)
    assert case.status == "correction_requested"
    assert case.corrections == {"fields": ["company_name", "registered_address"], "materials": ["premises_proof"],
                                "message": CORRECT["message"]}
    assert CorrectionRequest.objects.filter(case=case).count() == 1
    business.refresh_from_db()
    assert business.status == "correction_requested"


@pytest.mark.parametrize("body, message", [
    ({"fields_to_correct": [], "materials_to_correct": []}, "Mark at least one answer or material to correct."),
    ({"message": ""}, "Tell the applicant what to correct."),
    ({"fields_to_correct": ["has_employees"]}, "Select a valid choice."),  # a guide answer
    ({"fields_to_correct": ["baby_name"]}, "Select a valid choice."),  # another one thing's field
    ({"materials_to_correct": ["employee_roster"]}, "Select a valid choice."),  # another procedure's material
])
def test_invalid_correction_requests_are_refused(as_user, held, clerks, body, message):
    response = as_user(clerks["amr"]).post(url("decide", held), {**CORRECT, **body, "confirmed": "1"})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert fresh(held).status == "in_review"


def test_fields_an_approved_case_relied_on_are_not_offered_for_correction(as_user, clerks, citizen_alice):
    app = submitted(citizen_alice, "business-startup")
    approve(app, "amr-licence", clerks["amr"])
    tax = case_of(app, "tax-registration")
    deciding.task_claim(case=tax, user=clerks["tax"])
    client = as_user(clerks["tax"])
    html = client.get(url("task", tax)).content.decode()
    assert 'value="operation_start_date"' in html  # tax's own field
    assert 'value="company_name"' not in html  # the licence was granted on it
    response = client.post(url("decide", tax), {"decision": "request_correction",
                                                "fields_to_correct": ["company_name"], "message": "x"})
    assert response.status_code == 400


def test_only_the_holder_can_decide(as_user, held, clerk_dan_amr, supervisor_sue_amr):
    for user in (clerk_dan_amr, supervisor_sue_amr):
        response = as_user(user).post(url("decide", held), {**REJECT, "confirmed": "1"})
        assert response.status_code == 302 and response.url == url("task", held)
        assert said(response) == ["Only the clerk holding this task can decide it."]
    assert fresh(held).status == "in_review"


def test_an_unclaimed_task_cannot_be_decided(as_user, amr_case, clerks):
    response = as_user(clerks["amr"]).post(url("decide", amr_case), {**APPROVE, "confirmed": "1"})
    assert said(response) == ["Only the clerk holding this task can decide it."]
    assert fresh(amr_case).status == "queued"


def test_an_unknown_decision_is_refused(as_user, held, clerks):
    response = as_user(clerks["amr"]).post(url("decide", held), {"decision": "shrug", "confirmed": "1"})
    assert said(response) == ["Choose a decision."]
    assert fresh(held).status == "in_review"


def test_a_decided_task_cannot_be_decided_again_and_its_page_is_the_cases_history(as_user, held, clerks):
    client = as_user(clerks["amr"])
    client.post(url("decide", held), {**APPROVE, "confirmed": "1"})
    page = client.get(url("task", held))
    assert page.status_code == 200 and b"data-read-only" in page.content and b'name="decision"' not in page.content
    assert client.post(url("decide", held), {**APPROVE, "confirmed": "1"}).status_code == 404


def test_a_decision_after_losing_the_task_is_refused(as_user, held, clerks, clerk_dan_amr, supervisor_sue_amr):
    """Bob has the confirmation page open; meanwhile the supervisor gave the task to Dan."""
    client = as_user(clerks["amr"])
    assert client.post(url("decide", held), REJECT).status_code == 200
    deciding.task_assign(case=held, user=supervisor_sue_amr, assignee=clerk_dan_amr)
    response = client.post(url("decide", held), {**REJECT, "confirmed": "1"})
    assert said(response) == ["Only the clerk holding this task can decide it."]
    assert fresh(held).status == "in_review" and fresh(held).owner == clerk_dan_amr


def test_a_busy_application_is_a_message_not_an_error(as_user, amr_case, clerks, monkeypatch):
    from govflow.errors import Busy

    def busy(**kwargs):
        raise Busy()

    monkeypatch.setattr(deciding, "task_claim", busy)
    response = as_user(clerks["amr"]).post(url("claim", amr_case))
    assert response.status_code == 302 and response.url == "/workbench/"
    assert said(response) == ["The application is being changed by someone else; try again."]


def test_a_decision_refused_by_the_workflow_state_says_so(as_user, held, clerks, monkeypatch):
    from govflow.errors import InvalidState

    def stale(**kwargs):
        raise InvalidState("This task is not in review.")

    monkeypatch.setattr(deciding, "task_complete", stale)
    response = as_user(clerks["amr"]).post(url("decide", held), {**REJECT, "confirmed": "1"})
    assert response.url == "/workbench/mine/"
    assert said(response) == ["This task is no longer in review."]


def test_every_error_of_a_decision_form_is_reported_in_one_round(as_user, held, clerks):
    """Three independent mistakes in the correction request (an answer and a material that cannot
    be marked, no message): all three in the summary on top of the form, each linked to its field,
    and next to each field; nothing is sent."""
    response = as_user(clerks["amr"]).post(url("decide", held), {
        "decision": "request_correction", "fields_to_correct": ["no-such-field"],
        "materials_to_correct": ["no-such-material"], "message": ""}, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    html = response.content.decode()
    form = html[html.index('id="decide-correction"'):html.index('id="decide-reject"')]
    start = form.index('class="wb-error-summary"')
    summary = form[start:form.index("</div>", start)]
    assert "There is a problem" in summary and 'role="alert"' in summary and 'tabindex="-1"' in summary
    links = [part.split('"')[0] for part in summary.split('<a href="')[1:]]
    assert links == ["#request_correction-fields_to_correct_0", "#request_correction-materials_to_correct_0",
                     "#request_correction-message"]
    assert "Tell the applicant what to correct." in summary
    assert form.count('class="errorlist') >= 3  # and each next to its field
    assert 'id="request_correction-message_error"' in form
    assert fresh(held).status == "in_review"


def test_every_error_of_the_approval_form_is_reported_in_one_round(as_user, held, clerks):
    response = as_user(clerks["amr"]).post(url("decide", held), {
        **APPROVE, "output_uscc": "nope", "comment": "x" * 5000, "confirmed": "1"}, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    html = response.content.decode()
    form = html[html.index('id="decide-approve"'):html.index('id="decide-correction"')]
    assert 'href="#approve-output_uscc"' in form and 'href="#approve-comment"' in form
    assert "This does not match the required format." in form and "at most 4000 characters" in form
    assert not IssuedOutput.objects.exists()
