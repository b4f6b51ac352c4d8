"""The task page: only what this procedure needs, the history, the whole timeline without other
procedures' contents, due date and remaining working days, materials with preview and download."""
from __future__ import annotations

import pytest
from django.urls import reverse

from govflow.applications.models import Case, Document
from govflow.applications.services import citizen_actions, deciding, drafting, submitting

from ..stories import BUSINESS_ANSWERS, JPEG_BYTES, OUTPUTS, PDF_BYTES, PNG_BYTES, approve, case_of, submitted, upload

pytestmark = pytest.mark.django_db


def task_url(case: Case) -> str:
    return reverse("workbench:task", args=[case.task_id])


def doc_url(case: Case, doc: Document, **query) -> str:
    url = reverse("workbench:document", args=[case.task_id, doc.pk])
    return url + ("?download=1" if query.get("download") else "")


@pytest.fixture
def tax_case(business, clerks):
    approve(business, "amr-licence", clerks["amr"])
    return case_of(business, "tax-registration")


def test_it_shows_only_the_answers_and_materials_this_procedure_needs(as_user, tax_case, clerks):
    html = as_user(clerks["tax"]).get(task_url(tax_case)).content.decode()
    # tax-registration's own answers…
    for code in ("company_name", "operation_start_date", "finance_contact_name"):
        assert str(BUSINESS_ANSWERS[code]) in html
    # …but nothing only other procedures need (bank account, seal material, capital, scope).
    for code in ("bank_account_no", "business_scope", "bank_name"):
        assert str(BUSINESS_ANSWERS[code]) not in html, code
    assert "Premises" in html or "premises" in html.lower()
    assert "Articles of association" not in html  # amr's material


def test_it_shows_the_outputs_received_from_earlier_cases(as_user, tax_case, clerks):
    html = as_user(clerks["tax"]).get(task_url(tax_case)).content.decode()
    assert "Results of earlier procedures" in html
    assert OUTPUTS["amr-licence"]["uscc"] in html


def test_it_shows_due_date_and_remaining_working_days(as_user, amr_case, clerks):
    from govflow.catalog.calendar import working_days_between
    from govflow.workbench.sla import SlaClock

    clock = SlaClock.now()
    left = working_days_between(clock.today, amr_case.due_date)
    html = as_user(clerks["amr"]).get(task_url(amr_case)).content.decode()
    assert amr_case.due_date.isoformat() in html
    assert (f"{left} working day left" if left == 1 else f"{left} working days left") in html


def test_the_timeline_shows_other_procedures_events_without_their_contents(as_user, clerks, citizen_alice):
    app = submitted(citizen_alice, "business-startup")
    approve(app, "amr-licence", clerks["amr"])
    seal = case_of(app, "psb-seal-filing")
    deciding.task_claim(case=seal, user=clerks["psb"])
    deciding.task_complete(case=seal, user=clerks["psb"], decision="reject", comment="印章样式不符合公安机关规定")
    tax = case_of(app, "tax-registration")
    html = as_user(clerks["tax"]).get(task_url(tax)).content.decode()
    assert "Timeline of the whole application" in html
    assert "Rejected" in html and "Public Security" in html or "公安" in html
    assert "印章样式不符合公安机关规定" not in html  # another procedure's reason
    assert OUTPUTS["amr-licence"]["uscc"] in html  # received as an input, not from the timeline
    assert clerks["psb"].username not in html and clerks["amr"].username not in html


def test_the_history_lists_this_case_with_the_clerks_who_acted(as_user, amr_case, clerks):
    deciding.task_claim(case=amr_case, user=clerks["amr"])
    html = as_user(clerks["amr"]).get(task_url(amr_case)).content.decode()
    assert "History of this case" in html
    assert "Claimed" in html and (clerks["amr"].name or clerks["amr"].username) in html


def test_after_a_correction_the_corrected_items_are_marked(as_user, amr_case, clerks, citizen_alice, business):
    deciding.task_claim(case=amr_case, user=clerks["amr"])
    deciding.task_complete(case=amr_case, user=clerks["amr"], decision="request_correction",
                           corrections={"fields": ["company_name"], "materials": ["premises_proof"],
                                        "message": "名称有误"})
    drafting.application_update(application=business, user=citizen_alice,
                                data={"company_name": "杭州一件事网络科技有限公司"})
    upload(business, citizen_alice, "premises_proof", PNG_BYTES, "lease.png")
    citizen_actions.application_resubmit(application=business, user=citizen_alice)
    case = case_of(business, "amr-licence")
    assert case.status == "in_review" and case.owner == clerks["amr"]  # back to the clerk who asked
    html = as_user(clerks["amr"]).get(task_url(case)).content.decode()
    assert "杭州一件事网络科技有限公司" in html
    assert html.count('class="wb-corrected"') == 2
    assert "名称有误" in html


def _answer_a_correction(amr_case, clerks, citizen_alice, business) -> Case:
    """The clerk asks to correct the company name and the premises proof; the citizen changes the
    name, uploads a wrong file then the right one, and sends the corrections."""
    deciding.task_claim(case=amr_case, user=clerks["amr"])
    deciding.task_complete(case=amr_case, user=clerks["amr"], decision="request_correction",
                           corrections={"fields": ["company_name", "registered_address"],
                                        "materials": ["premises_proof"], "message": "名称有误；住所证明过期"})
    drafting.application_update(application=business, user=citizen_alice,
                                data={"company_name": "杭州一件事网络科技有限公司"})
    upload(business, citizen_alice, "premises_proof", JPEG_BYTES, "wrong.jpg")
    upload(business, citizen_alice, "premises_proof", PNG_BYTES, "lease.png")
    citizen_actions.application_resubmit(application=business, user=citizen_alice)
    return case_of(business, "amr-licence")


def test_after_a_correction_the_clerk_sees_each_marked_item_before_and_now(as_user, amr_case, clerks,
                                                                         citizen_alice, business):
    case = _answer_a_correction(amr_case, clerks, citizen_alice, business)
    client = as_user(clerks["amr"])

    response = client.get(task_url(case), HTTP_ACCEPT_LANGUAGE="en")

    html = response.content.decode()
    section = html[html.index("data-correction-round"):html.index("</section>", html.index("data-correction-round"))]
    assert "Corrected by the applicant" in section and "Before the correction" in section
    name = section[section.index('data-corrected-field="company_name"'):]
    name = name[:name.index("</tr>")]
    assert f"<del>{BUSINESS_ANSWERS['company_name']}</del>" in name
    assert "<ins>杭州一件事网络科技有限公司</ins>" in name and ">changed<" in name
    address = section[section.index('data-corrected-field="registered_address"'):]
    address = address[:address.index("</tr>")]
    assert ">unchanged<" in address and address.count(BUSINESS_ANSWERS["registered_address"]) == 2
    assert "business_scope" not in section  # only what was marked
    # Both files, each behind its own link: the one the citizen first had, and the final one.
    before_url = reverse("workbench:replaced-document", args=[case.task_id, case.correction_requests.get().pk,
                                                             "premises_proof"])
    now_doc = Document.objects.get(application=business, material_code="premises_proof")
    assert f'href="{before_url}" data-before-file' in section
    assert f'href="{doc_url(case, now_doc)}" data-now-file' in section and "lease.png" in section
    before = client.get(before_url)
    assert before.status_code == 200 and b"".join(before.streaming_content) == PDF_BYTES
    assert before["Content-Type"] == "application/pdf" and "no-store" in before["Cache-Control"]
    now = client.get(doc_url(case, now_doc))
    assert b"".join(now.streaming_content) == PNG_BYTES
    # The round's intermediate upload is not what the clerk sees as "before".
    assert case.correction_requests.get().documents_before["premises_proof"]["filename"] != "wrong.jpg"


def test_a_replaced_file_is_only_for_the_clerks_of_the_case(as_user, amr_case, clerks, citizen_alice, business):
    case = _answer_a_correction(amr_case, clerks, citizen_alice, business)
    request_id = case.correction_requests.get().pk
    url = reverse("workbench:replaced-document", args=[case.task_id, request_id, "premises_proof"])
    assert as_user(clerks["tax"]).get(url).status_code == 404  # another department
    client = as_user(clerks["amr"])
    for args in ((case.task_id, request_id, "articles_of_association"),  # not replaced
                 (case.task_id, request_id, "bank_account_proof"),  # not this procedure's
                 (case.task_id, request_id + 1000, "premises_proof")):
        assert client.get(reverse("workbench:replaced-document", args=args)).status_code == 404


def test_without_an_answered_correction_there_is_no_comparison(as_user, amr_case, clerks):
    deciding.task_claim(case=amr_case, user=clerks["amr"])
    assert "data-correction-round" not in as_user(clerks["amr"]).get(task_url(amr_case)).content.decode()


def test_a_clerk_of_another_department_gets_404(as_user, amr_case, clerks):
    assert as_user(clerks["tax"]).get(task_url(amr_case)).status_code == 404


def test_a_waiting_case_has_no_task_page(as_user, business, clerks):
    waiting = case_of(business, "tax-registration")
    assert waiting.task_id is None
    assert as_user(clerks["tax"]).get("/workbench/tasks/0/").status_code == 404


def test_the_decision_forms_appear_only_for_the_holder(as_user, amr_case, clerks, clerk_dan_amr):
    decide = reverse("workbench:decide", args=[amr_case.task_id])
    assert decide not in as_user(clerks["amr"]).get(task_url(amr_case)).content.decode()
    deciding.task_claim(case=amr_case, user=clerks["amr"])
    mine = as_user(clerks["amr"]).get(task_url(amr_case)).content.decode()
    assert decide in mine and 'name="output_uscc"' in mine
    assert "Unified social credit code" in mine
    theirs = as_user(clerk_dan_amr).get(task_url(amr_case)).content.decode()
    assert decide not in theirs and "Only the clerk holding this task can decide it." in theirs


def test_supervisors_see_release_and_reassign_on_the_task_page(as_user, amr_case, clerks, supervisor_sue_amr):
    deciding.task_claim(case=amr_case, user=clerks["amr"])
    html = as_user(supervisor_sue_amr).get(task_url(amr_case)).content.decode()
    assert reverse("workbench:release", args=[amr_case.task_id]) in html
    assert reverse("workbench:assign", args=[amr_case.task_id]) in html
    plain = as_user(clerks["amr"]).get(task_url(amr_case)).content.decode()
    assert reverse("workbench:assign", args=[amr_case.task_id]) not in plain


# -- materials ---------------------------------------------------------------------------------------


def test_materials_are_previewed_inline_and_downloadable(as_user, amr_case, clerks):
    client = as_user(clerks["amr"])
    html = client.get(task_url(amr_case)).content.decode()
    pdf = Document.objects.get(application=amr_case.application, material_code="articles_of_association")
    png = Document.objects.get(application=amr_case.application, material_code="legal_rep_id_card")
    assert f'<iframe src="{doc_url(amr_case, pdf)}"' in html
    assert f'<img src="{doc_url(amr_case, png)}"' in html
    assert f'href="{doc_url(amr_case, pdf, download=True)}"' in html

    inline = client.get(doc_url(amr_case, pdf))
    assert inline.status_code == 200 and inline["Content-Type"] == "application/pdf"
    assert inline["Content-Disposition"].startswith("inline")
    assert inline["X-Content-Type-Options"] == "nosniff"
    assert inline["X-Frame-Options"] == "SAMEORIGIN"
    assert "no-store" in inline["Cache-Control"]
    assert inline["Content-Security-Policy"] == "sandbox; frame-ancestors 'self'"
    assert b"".join(inline.streaming_content).startswith(b"%PDF")

    image = client.get(doc_url(amr_case, png))
    assert image["Content-Type"] == "image/png" and "sandbox" in image["Content-Security-Policy"]

    download = client.get(doc_url(amr_case, pdf, download=True))
    assert download["Content-Disposition"].startswith("attachment")


def test_documents_of_other_procedures_and_departments_are_404(as_user, business, amr_case, clerks):
    roster = Document.objects.get(application=business, material_code="employee_roster")  # hrss/hpf only
    client = as_user(clerks["amr"])
    assert client.get(doc_url(amr_case, roster)).status_code == 404
    own = Document.objects.get(application=business, material_code="articles_of_association")
    assert as_user(clerks["tax"]).get(doc_url(amr_case, own)).status_code == 404
    other = submitted(business.applicant, "business-startup")
    foreign = Document.objects.get(application=other, material_code="articles_of_association")
    assert client.get(doc_url(amr_case, foreign)).status_code == 404


def test_it_shows_who_applied_for_whom_and_under_what_authorisation(as_user, demo_catalog, clerks):
    import io
    from datetime import timedelta

    from django.utils import timezone

    from govflow.parties import services as parties
    from govflow.parties.selectors import principal_for

    from ..factories import CitizenFactory
    from ..stories import BUSINESS_MATERIALS, PDF_BYTES

    agent, subject = CitizenFactory(name="李代办"), CitizenFactory(name="张老伯")
    mandate = parties.authorisation_create(
        agent=agent, subject_id_number=subject.id_number, subject_name=subject.name, relation="child",
        one_thing_code="business-startup", expires_at=timezone.now() + timedelta(days=10),
        evidence=io.BytesIO(PDF_BYTES))
    app = drafting.application_create(user=agent, one_thing_code="business-startup", data=dict(BUSINESS_ANSWERS),
                                      principal=principal_for(agent, f"for:{mandate.pk}"))
    for code, content in BUSINESS_MATERIALS.items():
        upload(app, agent, code, content)
    submitting.application_submit(application=app, user=agent)

    html = as_user(clerks["amr"]).get(task_url(case_of(app, "amr-licence"))).content.decode()

    assert "张老伯" in html and subject.masked_id_number in html and subject.id_number not in html
    assert "Applied by" in html and "李代办" in html
    assert "Child" in html and "Online" in html
    parties.authorisation_revoke(authorisation=mandate, actor=subject)
    html = as_user(clerks["amr"]).get(task_url(case_of(app, "amr-licence"))).content.decode()
    assert "no longer valid" in html
