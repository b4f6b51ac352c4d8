"""Correct: answer a clerk's correction request. Finish: withdraw, rate."""
from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from govflow.applications.models import ApplicationStatus, CaseStatus, Evaluation
from govflow.applications.services import citizen_actions, deciding
from govflow.errors import InvalidInput
from tests.stories import BUSINESS_ANSWERS, PDF_BYTES, approve, case_of, submitted

pytestmark = pytest.mark.django_db

MESSAGE = "企业名称与章程不一致，请修改名称并上传签字盖章的章程。"


@pytest.fixture
def corrected(citizen_alice, clerks):
    application = submitted(citizen_alice, "business-startup")
    case = case_of(application, "amr-licence")
    deciding.task_claim(case=case, user=clerks["amr"])
    deciding.task_complete(case=case, user=clerks["amr"], decision="request_correction", corrections={
        "fields": ["company_name"], "materials": ["articles_of_association"], "message": MESSAGE})
    application.refresh_from_db()
    assert application.status == ApplicationStatus.CORRECTION_REQUESTED
    return application


def correct(client, application, action="resubmit", files=True, **fields):
    data = {"action": action, "company_name": "杭州一件事信息科技有限公司", **fields}
    if files:
        data["file-articles_of_association"] = SimpleUploadedFile("signed.pdf", PDF_BYTES)
    return client.post(reverse("application-correct", args=[application.pk]), data)


def test_the_page_highlights_exactly_the_marked_fields_and_materials(alice_client, corrected):
    response = alice_client.get(reverse("application", args=[corrected.pk]))

    body = response.content.decode()
    assert MESSAGE in body
    assert [q.code for q in response.context["correction_questions"]] == ["company_name"]
    marked_rows = [r["code"] for s in response.context["sections"] for r in s["rows"] if r["marked"]]
    assert marked_rows == ["company_name"]
    assert [m["code"] for m in response.context["materials"] if m["marked"]] == ["articles_of_association"]
    assert 'name="file-articles_of_association"' in body
    assert 'name="legal_rep_name"' not in body  # nothing else is editable
    assert "A department needs corrections from you." in alice_client.get(reverse("applications")).content.decode()


def test_a_citizen_corrects_and_resubmits(alice_client, corrected):
    response = correct(alice_client, corrected)

    assert response.status_code == 302
    corrected.refresh_from_db()
    assert corrected.status == ApplicationStatus.IN_PROGRESS
    assert corrected.data["company_name"] == "杭州一件事信息科技有限公司"
    assert case_of(corrected, "amr-licence").status == CaseStatus.IN_REVIEW
    assert corrected.documents.get(material_code="articles_of_association").filename == "signed.pdf"
    page = alice_client.get(reverse("application", args=[corrected.pk]))
    assert page.context["correction"] is None
    assert "application.resubmitted" in [e["kind"] for e in page.context["timeline"]]


def test_fields_that_were_not_marked_cannot_change(alice_client, corrected):
    correct(alice_client, corrected, legal_rep_name="冒名顶替")

    corrected.refresh_from_db()
    assert corrected.data["legal_rep_name"] == BUSINESS_ANSWERS["legal_rep_name"]


def test_a_marked_material_must_be_uploaded_again(alice_client, corrected):
    response = correct(alice_client, corrected, files=False)

    assert response.status_code == 400
    assert "Upload a corrected file." in response.content.decode()
    corrected.refresh_from_db()
    assert corrected.status == ApplicationStatus.CORRECTION_REQUESTED
    assert corrected.data["company_name"] == "杭州一件事信息科技有限公司"  # the answer itself was saved


def test_a_marked_required_field_cannot_be_emptied(alice_client, corrected):
    response = correct(alice_client, corrected, company_name="")

    assert response.status_code == 400
    assert response.context["error_items"][0]["href"] == "#f-company_name"
    corrected.refresh_from_db()
    assert corrected.data["company_name"] == BUSINESS_ANSWERS["company_name"]


def test_a_wrong_file_type_for_a_marked_material_is_explained(alice_client, corrected):
    response = alice_client.post(reverse("application-correct", args=[corrected.pk]), {
        "action": "resubmit", "company_name": "新名称有限公司",
        "file-articles_of_association": SimpleUploadedFile("x.pdf", b"GIF89a" + b"\x00" * 40)})

    assert response.status_code == 400
    assert "This type of file is not accepted. Upload PDF." in response.content.decode()
    assert corrected.documents.get(material_code="articles_of_association").filename != "x.pdf"


def test_corrections_can_be_saved_without_sending(alice_client, corrected):
    response = correct(alice_client, corrected, action="save")

    assert response.status_code == 302
    corrected.refresh_from_db()
    assert corrected.status == ApplicationStatus.CORRECTION_REQUESTED
    assert corrected.data["company_name"] == "杭州一件事信息科技有限公司"


def test_correcting_without_a_request_is_refused(alice_client, citizen_alice):
    application = submitted(citizen_alice, "business-startup")

    response = correct(alice_client, application)

    assert response.status_code == 302
    application.refresh_from_db()
    assert application.data["company_name"] == BUSINESS_ANSWERS["company_name"]


# -- withdraw ------------------------------------------------------------------------------------

def test_withdraw_asks_for_confirmation_then_cancels_every_case(alice_client, citizen_alice):
    application = submitted(citizen_alice, "business-startup")

    confirm = alice_client.get(reverse("application-withdraw", args=[application.pk]))
    assert confirm.status_code == 200 and 'method="post"' in confirm.content.decode()
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED  # a GET changes nothing

    response = alice_client.post(reverse("application-withdraw", args=[application.pk]))

    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == ApplicationStatus.WITHDRAWN
    assert set(application.cases.values_list("status", flat=True)) == {CaseStatus.CANCELLED}


def test_a_draft_or_finished_application_cannot_be_withdrawn(alice_client, citizen_alice):
    from tests.stories import draft

    application = draft(citizen_alice, "business-startup", materials={})

    response = alice_client.post(reverse("application-withdraw", args=[application.pk]), follow=True)

    assert "Only an application that is still being handled can be withdrawn." in response.content.decode()
    application.refresh_from_db()
    assert application.status == ApplicationStatus.DRAFT


# -- rate ----------------------------------------------------------------------------------------

@pytest.fixture
def completed(citizen_alice, clerks):
    application = submitted(citizen_alice, "business-startup", answers={**BUSINESS_ANSWERS, "has_employees": False})
    approve(application, "amr-licence", clerks["amr"])
    approve(application, "psb-seal-filing", clerks["psb"])
    approve(application, "tax-registration", clerks["tax"])
    application.refresh_from_db()
    assert application.status == ApplicationStatus.COMPLETED
    return application


def test_a_completed_application_can_be_rated_once(alice_client, completed):
    page = alice_client.get(reverse("application", args=[completed.pk]))
    assert page.context["evaluation_form"] is not None

    response = alice_client.post(reverse("application-evaluate", args=[completed.pk]),
                                 {"score": "2", "comment": "等待时间太长"})

    assert response.status_code == 302
    evaluation = Evaluation.objects.get(application=completed)
    assert (evaluation.score, evaluation.comment, evaluation.needs_follow_up) == (2, "等待时间太长", True)
    again = alice_client.post(reverse("application-evaluate", args=[completed.pk]), {"score": "5"}, follow=True)
    assert "you rated it already" in again.content.decode()
    assert Evaluation.objects.get(application=completed).score == 2


def test_a_rating_needs_a_score(alice_client, completed):
    response = alice_client.post(reverse("application-evaluate", args=[completed.pk]), {"score": "9"})

    assert response.status_code == 400
    assert response.context["error_items"][0]["href"] == "#id_score_0"
    assert not Evaluation.objects.exists()


def test_an_open_application_cannot_be_rated(alice_client, citizen_alice):
    application = submitted(citizen_alice, "business-startup")

    alice_client.post(reverse("application-evaluate", args=[application.pk]), {"score": "5"})

    assert not Evaluation.objects.exists()


def test_a_file_saved_earlier_counts_and_the_rule_is_the_services(alice_client, corrected, citizen_alice):
    # Saved first (with the new file), sent later without a file: the saved upload counts.
    assert correct(alice_client, corrected, action="save").status_code == 302
    response = correct(alice_client, corrected, files=False)

    assert response.status_code == 302
    corrected.refresh_from_db()
    assert corrected.status == ApplicationStatus.IN_PROGRESS


def test_the_portal_and_the_service_refuse_the_same_stale_material(alice_client, corrected, citizen_alice):
    with pytest.raises(InvalidInput) as refused:
        citizen_actions.application_resubmit(application=corrected, user=citizen_alice)
    assert refused.value.errors["materials"] == ["articles_of_association"]

    response = correct(alice_client, corrected, files=False)

    assert response.status_code == 400
    assert [m["errors"] for m in response.context["materials"] if m["code"] == "articles_of_association"] == [
        ["Upload a corrected file."]]
    corrected.refresh_from_db()
    assert corrected.status == ApplicationStatus.CORRECTION_REQUESTED


def test_a_refused_correction_says_what_is_wrong_with_its_file_in_the_same_round(alice_client, corrected):
    """A blanked required answer and a file of the wrong type: both in one response, nothing kept."""
    response = alice_client.post(reverse("application-correct", args=[corrected.pk]), {
        "action": "resubmit", "company_name": "",
        "file-articles_of_association": SimpleUploadedFile("x.pdf", b"GIF89a" + b"\x00" * 40)},
        HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    assert [item["href"] for item in response.context["error_items"]] == ["#f-company_name",
                                                                          "#m-articles_of_association-file"]
    assert "This type of file is not accepted. Upload PDF." in response.content.decode()
    corrected.refresh_from_db()
    assert corrected.data["company_name"] == BUSINESS_ANSWERS["company_name"]
    assert corrected.documents.get(material_code="articles_of_association").filename != "x.pdf"


def test_a_refused_correction_also_names_the_marked_file_still_missing(alice_client, corrected):
    response = correct(alice_client, corrected, files=False, company_name="")

    assert response.status_code == 400
    assert [item["href"] for item in response.context["error_items"]] == ["#f-company_name",
                                                                          "#m-articles_of_association-file"]
    assert "Upload a corrected file." in response.content.decode()
