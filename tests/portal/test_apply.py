"""Apply: guide, the generated form, materials, check your answers, submit, receipt."""
from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from govflow.applications.models import Application, ApplicationStatus, Document, IssuedOutput
from govflow.catalog import questions as qa
from tests.factories import id_number_for
from tests.stories import BUSINESS_ANSWERS, BUSINESS_MATERIALS, NEWBORN_ANSWERS, PDF_BYTES, draft, submitted

pytestmark = pytest.mark.django_db


def form_post(answers: dict, action: str = "continue") -> dict:
    post = {"step": "form", "action": action}
    for code, value in answers.items():
        post[code] = "yes" if value is True else "no" if value is False else str(value)
    return post


def business_form(**changes) -> dict:
    answers = {k: v for k, v in BUSINESS_ANSWERS.items() if k != "has_employees"}
    answers.update(changes)
    return form_post(answers)


def start(client, employees: bool = True) -> Application:
    response = client.post(reverse("apply", args=["business-startup"]),
                           {"step": "guide", "has_employees": "yes" if employees else "no"})
    assert response.status_code == 302, response.content.decode()[:2000]
    return Application.objects.latest("id")


# -- guide ---------------------------------------------------------------------------------------

def test_apply_starts_with_the_guide_questions(alice_client):
    response = alice_client.get(reverse("apply", args=["business-startup"]))

    assert response.status_code == 200
    assert [q.code for q in response.context["questions"]] == ["has_employees"]
    body = response.content.decode()
    assert 'type="radio"' in body and 'value="yes"' in body and 'value="no"' in body  # not a checkbox
    assert not Application.objects.exists()  # nothing is saved before the first answer


def test_an_unanswered_guide_question_is_an_error_and_saves_nothing(alice_client):
    response = alice_client.post(reverse("apply", args=["business-startup"]), {"step": "guide"})

    assert response.status_code == 400
    assert response.context["error_items"][0]["href"] == "#f-has_employees-0"
    assert "Select an answer." in response.content.decode()
    assert not Application.objects.exists()


def test_the_guide_answer_creates_the_draft_and_decides_the_procedures(alice_client, citizen_alice):
    application = start(alice_client, employees=False)

    assert application.status == ApplicationStatus.DRAFT and application.applicant == citizen_alice
    assert application.data["has_employees"] is False
    response = alice_client.get(reverse("apply-form", args=[application.pk]))
    decision = response.context["decision"]
    assert [p.code for p in decision["applies"]] == ["amr-licence", "psb-seal-filing", "tax-registration"]
    assert {p.code for p in decision["skipped"]} == {"hrss-employer-insurance", "hpf-employer-account"}
    codes = [q.code for g in response.context["groups"] for q in g["questions"]]
    assert "employee_count" not in codes and "hpf_contribution_rate" not in codes
    assert "company_name" in codes and "has_employees" not in codes


def test_apply_resumes_the_latest_draft(alice_client):
    application = start(alice_client)

    response = alice_client.get(reverse("apply", args=["business-startup"]))

    assert response.status_code == 302 and response["Location"] == reverse("application", args=[application.pk])
    page = alice_client.get(response["Location"])
    assert [t["status"] for t in page.context["task_list"]][:1] == ["done"]


def test_a_second_start_post_updates_the_draft_instead_of_making_another(alice_client):
    start(alice_client)
    start(alice_client, employees=False)

    assert Application.objects.count() == 1
    assert Application.objects.get().data["has_employees"] is False


def test_an_unknown_one_thing_cannot_be_applied_for(alice_client):
    assert alice_client.get(reverse("apply", args=["nope"])).status_code == 404


def test_a_one_thing_without_guide_starts_with_the_form(alice_client):
    response = alice_client.get(reverse("apply", args=["newborn"]))

    assert response.status_code == 200
    assert response.templates[0].name == "portal/apply_form.html"
    post = form_post({k: v for k, v in NEWBORN_ANSWERS.items()}, action="save")
    response = alice_client.post(reverse("apply", args=["newborn"]), post)
    assert response.status_code == 302
    assert Application.objects.get().data["baby_name"] == NEWBORN_ANSWERS["baby_name"]


# -- the form ------------------------------------------------------------------------------------

def test_the_form_prefills_well_known_fields_from_the_profile_only(alice_client, citizen_alice):
    application = start(alice_client)

    assert application.data["legal_rep_name"] == citizen_alice.name
    assert application.data["legal_rep_id"] == citizen_alice.id_number
    assert application.data["legal_rep_phone"] == citizen_alice.phone
    assert application.data["contact_email"] == citizen_alice.email
    assert "finance_contact_name" not in application.data  # someone else
    response = alice_client.get(reverse("apply-form", args=[application.pk]))
    questions = {q.code: q for g in response.context["groups"] for q in g["questions"]}
    assert questions["legal_rep_name"].prefilled
    assert not questions["company_name"].prefilled


def test_each_question_says_what_to_enter_with_the_catalogs_hint_and_example(alice_client):
    application = start(alice_client)

    response = alice_client.get(reverse("apply-form", args=[application.pk]), HTTP_ACCEPT_LANGUAGE="en")

    questions = {q.code: q for g in response.context["groups"] for q in g["questions"]}
    capital = questions["registered_capital"]
    assert capital.hint == "In units of CNY 10,000: 100 means CNY 1,000,000."
    assert capital.example == "100"
    html = response.content.decode()
    assert "For example: 100" in html
    assert f'aria-describedby="{capital.hint_id}"' in html
    # A field with no catalog hint keeps what its type says.
    assert questions["company_type"].example == ""


def test_the_newborn_form_never_assumes_the_citizen_is_the_mother(alice_client, citizen_alice):
    response = alice_client.get(reverse("apply", args=["newborn"]))

    values = {q.code: q.value for g in response.context["groups"] for q in g["questions"]}
    assert values["mother_name"] == "" and values["mother_id"] == ""
    assert values["contact_phone"] == citizen_alice.phone


def test_outputs_in_the_wallet_prefill_later_forms(citizen_alice, demo_catalog, clerks):
    from govflow.catalog.definition import get_definition
    from govflow.catalog.models import OneThing
    from govflow.portal.selectors import prefill_answers

    definition = get_definition(OneThing.objects.get(code="business-startup").current_version)
    done = submitted(citizen_alice, "business-startup")
    case = done.cases.get(procedure_code="amr-licence")
    IssuedOutput.objects.create(application=done, case=case, holder=citizen_alice, code="company_name",
                                value="钱塘江科技有限公司")

    known = prefill_answers(citizen_alice, definition)

    assert known["company_name"] == "钱塘江科技有限公司"  # an output whose code is a field of this form


def test_every_field_type_gets_its_widget_and_native_constraints(demo_catalog):
    from govflow.catalog.definition import get_definition
    from govflow.catalog.models import OneThing

    definition = get_definition(OneThing.objects.get(code="business-startup").current_version)
    fields = definition.fields

    def q(code):
        return qa.question(fields[code], required=True)

    assert q("has_employees").widget == "yesno"
    assert q("company_type").widget == "radios"
    assert 'maxlength="100"' in q("company_name").html_attrs
    assert q("business_scope").widget == "textarea"
    employees = q("employee_count").html_attrs
    assert 'inputmode="numeric"' in employees and 'min="1"' in employees and 'max="100000"' in employees
    capital = q("registered_capital").html_attrs
    assert 'inputmode="decimal"' in capital and "pattern=" in capital
    assert 'type="date"' in q("operation_start_date").html_attrs
    assert 'type="email"' in q("contact_email").html_attrs
    phone = q("legal_rep_phone").html_attrs
    assert 'type="tel"' in phone and 'pattern="1[3-9][0-9]{9}"' in phone
    id_number = q("legal_rep_id").html_attrs
    assert 'maxlength="18"' in id_number and 'pattern="\\d{17}[\\dXx]"' in id_number
    assert 'pattern="[0-9]{8,30}"' in q("bank_account_no").html_attrs
    assert " required" in q("company_name").html_attrs
    many = {"code": "x", "type": "choice", "label": {"en": "X"},
            "choices": [{"value": str(i), "label": {"en": str(i)}} for i in range(6)]}
    assert qa.question(many).widget == "select"


@pytest.mark.parametrize(("kind", "raw", "expected"), [
    ("integer", " 12 ", 12), ("integer", "１２", 12), ("integer", "1,200", 1200),
    ("decimal", "12.5", "12.5"), ("decimal", ".5", "0.5"), ("boolean", "yes", True), ("boolean", "no", False),
    ("date", "2026-12-01", "2026-12-01"), ("date", "2026/12/01", "2026-12-01"),
    ("phone", "138 0013 8000", "13800138000"), ("id_number", "11010519491231002x", "11010519491231002X"),
    ("string", "  hi ", "hi"), ("text", "a\r\nb", "a\nb"), ("email", "", None),
])
def test_posted_text_becomes_typed_answers(kind, raw, expected):
    assert qa.parse_value({"code": "x", "type": kind}, raw) == expected


@pytest.mark.parametrize(("kind", "raw"), [("integer", "12.5"), ("integer", "abc"), ("decimal", "1e5"),
                                           ("boolean", "maybe"), ("date", "2026-02-30"), ("choice", "zzz")])
def test_malformed_text_is_refused(kind, raw):
    with pytest.raises(qa.Unparsable):
        qa.parse_value({"code": "x", "type": kind, "choices": [{"value": "a"}]}, raw)


def test_continue_saves_and_moves_on_to_the_materials(alice_client):
    application = start(alice_client)

    response = alice_client.post(reverse("apply-form", args=[application.pk]), business_form())

    assert response.status_code == 302 and response["Location"] == reverse("apply-materials", args=[application.pk])
    application.refresh_from_db()
    assert application.data["employee_count"] == 12
    assert application.data["registered_capital"] == "100.00"
    assert application.data["invoice_needed"] is True
    assert application.data["operation_start_date"] == "2026-12-01"


def test_malformed_and_invalid_answers_save_nothing_and_are_linked_from_the_summary(alice_client):
    application = start(alice_client)
    before = dict(Application.objects.get(pk=application.pk).data)
    wrong_id = id_number_for(5)[:17] + ("1" if id_number_for(5)[17] == "0" else "0")

    response = alice_client.post(reverse("apply-form", args=[application.pk]),
                                 business_form(employee_count="twelve", legal_rep_id=wrong_id, company_name="新名字"))

    assert response.status_code == 400
    assert Application.objects.get(pk=application.pk).data == before
    hrefs = [item["href"] for item in response.context["error_items"]]
    assert "#f-employee_count" in hrefs
    body = response.content.decode()
    assert 'id="f-employee_count-error"' in body
    assert 'aria-describedby="f-employee_count-hint f-employee_count-error"' in body
    assert 'value="twelve"' in body  # what was typed is shown back
    assert body.count('aria-invalid="true"') >= 1
    assert "<title>Error:" in body

    assert "#f-legal_rep_id" in hrefs  # in the same round: a bad number never hides it
    assert "Enter a valid 18-character resident ID number." in body


def test_every_error_of_the_form_page_is_reported_in_one_round(alice_client):
    """Registered capital ``abc`` (unreadable), a wrong ID check digit and a short phone number
    (readable but invalid), and a required answer left blank: all four in one response, in the
    summary (linked, in the page's order) and next to their fields; nothing is saved."""
    application = start(alice_client)
    before = dict(Application.objects.get(pk=application.pk).data)
    wrong_id = id_number_for(5)[:17] + ("1" if id_number_for(5)[17] == "0" else "0")

    response = alice_client.post(reverse("apply-form", args=[application.pk]), business_form(
        registered_capital="abc", legal_rep_id=wrong_id, legal_rep_phone="12345", company_name=""),
        HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    assert Application.objects.get(pk=application.pk).data == before
    items = response.context["error_items"]
    assert [item["href"] for item in items] == ["#f-company_name", "#f-registered_capital", "#f-legal_rep_id",
                                                "#f-legal_rep_phone"]
    body = response.content.decode()
    summary = body[body.index('class="error-summary"'):body.index("</div>", body.index('class="error-summary"'))]
    assert 'role="alert"' in summary and 'tabindex="-1"' in summary and "There is a problem" in summary
    for item in items:
        assert f'<a href="{item["href"]}">' in summary
    for code in ("company_name", "registered_capital", "legal_rep_id", "legal_rep_phone"):
        assert f'id="f-{code}-error"' in body  # each next to its field
    assert "Enter a valid 18-character resident ID number." in body
    assert "Enter a valid mainland China mobile number (11 digits)." in body
    assert 'value="abc"' in body and 'value="12345"' in body  # what was typed is shown back


def test_saving_a_draft_reports_every_invalid_answer_but_not_the_blanks(alice_client):
    application = start(alice_client)

    response = alice_client.post(reverse("apply-form", args=[application.pk]), form_post(
        {"registered_capital": "abc", "legal_rep_phone": "12345", "company_name": ""}, action="save"))

    assert [item["href"] for item in response.context["error_items"]] == ["#f-registered_capital",
                                                                          "#f-legal_rep_phone"]


def test_continue_with_missing_required_answers_saves_what_was_given_and_says_what_is_missing(alice_client):
    application = start(alice_client)
    post = business_form(company_name="", seal_count="")
    del post["company_type"]

    response = alice_client.post(reverse("apply-form", args=[application.pk]), post)

    assert response.status_code == 200
    assert response.context["saved_with_errors"]
    hrefs = [item["href"] for item in response.context["error_items"]]
    assert hrefs[:3] == ["#f-company_name", "#f-company_type-0", "#f-seal_count"]
    application.refresh_from_db()
    assert application.data["employee_count"] == 12 and "company_name" not in application.data


def test_save_as_draft_keeps_partial_answers(alice_client):
    application = start(alice_client)

    response = alice_client.post(reverse("apply-form", args=[application.pk]),
                                 form_post({"company_name": "半成品公司"}, action="save"))

    assert response.status_code == 302 and response["Location"] == reverse("application", args=[application.pk])
    application.refresh_from_db()
    assert application.data["company_name"] == "半成品公司"
    page = alice_client.get(response["Location"]).content.decode()
    assert "Your draft is saved" in page


def test_the_form_of_a_submitted_application_cannot_be_changed(alice_client, citizen_alice):
    application = submitted(citizen_alice, "business-startup")

    for name in ("apply-guide", "apply-form", "apply-materials", "apply-check"):
        response = alice_client.get(reverse(name, args=[application.pk]))
        assert response.status_code == 302 and response["Location"] == reverse("application", args=[application.pk])
    response = alice_client.post(reverse("apply-form", args=[application.pk]), business_form(company_name="x"))
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.data["company_name"] == BUSINESS_ANSWERS["company_name"]


def test_the_form_asks_for_the_guide_first(alice_client, citizen_alice):
    application = draft(citizen_alice, "business-startup", answers={}, materials={})

    response = alice_client.get(reverse("apply-form", args=[application.pk]))

    assert response.status_code == 302 and response["Location"] == reverse("apply-guide", args=[application.pk])


# -- materials -----------------------------------------------------------------------------------

def upload(client, application, code, content, name="file.pdf"):
    return client.post(reverse("apply-materials", args=[application.pk]),
                       {"material": code, "file": SimpleUploadedFile(name, content)})


def test_materials_are_asked_once_with_the_procedures_that_use_them(alice_client):
    application = start(alice_client, employees=False)

    response = alice_client.get(reverse("apply-materials", args=[application.pk]))

    materials = {m["code"]: m for m in response.context["materials"]}
    assert "employee_roster" not in materials  # only with employees
    assert materials["legal_rep_id_card"]["required"]
    assert len(materials["legal_rep_id_card"]["procedures"]) == 2
    assert not materials["agent_authorization"]["required"]
    assert materials["articles_of_association"]["accept"] == ".pdf,application/pdf"
    body = response.content.decode()
    assert 'enctype="multipart/form-data"' in body and "up to 10 MB" in body


def test_an_upload_is_stored_and_replaces_the_earlier_one(alice_client):
    application = start(alice_client)

    assert upload(alice_client, application, "articles_of_association", PDF_BYTES, "v1.pdf").status_code == 302
    assert upload(alice_client, application, "articles_of_association", PDF_BYTES, "v2.pdf").status_code == 302

    assert list(Document.objects.values_list("filename", flat=True)) == ["v2.pdf"]


@pytest.mark.parametrize(("code", "content", "message"), [
    ("articles_of_association", b"<html><script>alert(1)</script></html>", "This type of file is not accepted"),
    ("articles_of_association", BUSINESS_MATERIALS["legal_rep_id_card"], "Upload PDF"),
    ("baby_photo", PDF_BYTES, "Choose which material"),
])
def test_a_refused_upload_is_explained_and_stores_nothing(alice_client, code, content, message):
    application = start(alice_client)

    response = upload(alice_client, application, code, content, "x.pdf")

    assert response.status_code == 200
    assert message in response.content.decode()
    assert response.context["error_items"]
    assert not Document.objects.exists()


def test_a_too_large_upload_is_explained(alice_client, settings):
    application = start(alice_client)
    big = PDF_BYTES + b"0" * (10 * 1024 * 1024)

    response = upload(alice_client, application, "articles_of_association", big)

    assert "larger than 10 MB" in response.content.decode()
    assert not Document.objects.exists()


def test_an_upload_without_a_file_is_an_error(alice_client):
    application = start(alice_client)

    response = alice_client.post(reverse("apply-materials", args=[application.pk]),
                                 {"material": "articles_of_association"})

    assert "Choose a file to upload." in response.content.decode()


def test_documents_are_served_only_to_their_owner(alice_client, charlie_client, citizen_alice):
    application = draft(citizen_alice, "business-startup")
    document = application.documents.get(material_code="articles_of_association")
    url = reverse("application-document", args=[application.pk, document.pk])

    response = alice_client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox"
    assert charlie_client.get(url).status_code == 404


# -- check, submit, receipt ----------------------------------------------------------------------

def test_check_your_answers_lists_every_answer_with_change_links(alice_client, citizen_alice):
    application = draft(citizen_alice, "business-startup")

    response = alice_client.get(reverse("apply-check", args=[application.pk]))

    assert response.status_code == 200
    assert response.context["error_items"] == []
    rows = {r["code"]: r for s in response.context["sections"] for r in s["rows"]}
    assert rows["company_type"]["value"] == "Limited liability company"
    assert rows["invoice_needed"]["value"] == "Yes"
    assert rows["company_name"]["change_url"] == reverse("apply-form", args=[application.pk]) + "#f-company_name"
    assert rows["has_employees"]["change_url"].startswith(reverse("apply-guide", args=[application.pk]))
    body = response.content.decode()
    assert '<span class="visually-hidden"> Company name</span>' in body


def test_check_your_answers_says_what_is_missing_before_submitting(alice_client, citizen_alice):
    answers = {k: v for k, v in BUSINESS_ANSWERS.items() if k != "company_name"}
    application = draft(citizen_alice, "business-startup", answers=answers, materials={})

    response = alice_client.get(reverse("apply-check", args=[application.pk]))

    texts = [item["text"] for item in response.context["error_items"]]
    assert any(t.startswith("Company name") for t in texts)
    assert any("Upload this material." in t for t in texts)


def test_submit_refuses_an_incomplete_application_and_links_each_problem(alice_client, citizen_alice):
    application = draft(citizen_alice, "business-startup", materials={})

    response = alice_client.post(reverse("apply-submit", args=[application.pk]), {"submit_key": "k"})

    assert response.status_code == 400
    assert response.context["submitted"]
    hrefs = [item["href"] for item in response.context["error_items"]]
    assert reverse("apply-materials", args=[application.pk]) + "#m-articles_of_association" in hrefs
    application.refresh_from_db()
    assert application.status == ApplicationStatus.DRAFT


def test_submit_then_receipt_with_the_number_and_expected_finish(alice_client, citizen_alice):
    application = draft(citizen_alice, "business-startup")

    response = alice_client.post(reverse("apply-submit", args=[application.pk]), {"submit_key": "k-1"})

    assert response.status_code == 302 and response["Location"] == reverse("receipt", args=[application.pk])
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED
    receipt = alice_client.get(response["Location"])
    body = receipt.content.decode()
    assert application.number in body
    assert application.expected_finish.strftime("%Y-%m-%d") in body
    assert "data-print" in body
    assert len(receipt.context["receipt"].procedures) == 5


def test_a_double_submit_is_harmless(alice_client, citizen_alice):
    application = draft(citizen_alice, "business-startup")

    alice_client.post(reverse("apply-submit", args=[application.pk]), {"submit_key": "same"})
    again = alice_client.post(reverse("apply-submit", args=[application.pk]), {"submit_key": "same"})
    other = alice_client.post(reverse("apply-submit", args=[application.pk]), {"submit_key": "other"})

    assert again.status_code == 302 and again["Location"] == reverse("receipt", args=[application.pk])
    assert other.status_code == 302 and other["Location"] == reverse("application", args=[application.pk])
    assert application.cases.count() == 5


def test_the_receipt_of_a_draft_sends_back_to_check(alice_client, citizen_alice):
    application = draft(citizen_alice, "business-startup", materials={})

    response = alice_client.get(reverse("receipt", args=[application.pk]))

    assert response["Location"] == reverse("apply-check", args=[application.pk])


def test_a_draft_can_be_deleted_after_confirmation(alice_client, citizen_alice):
    application = draft(citizen_alice, "business-startup", materials={})

    assert alice_client.get(reverse("application-delete", args=[application.pk])).status_code == 200
    response = alice_client.post(reverse("application-delete", args=[application.pk]))

    assert response["Location"] == reverse("applications")
    assert not Application.objects.exists()
