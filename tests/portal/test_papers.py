"""The papers in the portal and the API: the official acceptance receipt (page, PDF, QR code), the
public verification pages (genuine, unknown, no personal data, limited), certificate downloads
(serial, QR link, the same bytes every time, only for whoever may act on the application), the
holder's consent, the application page within a bounded number of queries, and the form naming the
certificate a pre-filled answer comes from."""
from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from govflow.applications import papers
from govflow.applications.models import Certificate, CertificateTemplate, TimelineEntry
from govflow.catalog.definition import get_definition
from govflow.catalog.models import OneThing, Output
from govflow.portal.views.common import _questions
from tests.stories import OUTPUTS, approve, draft, submitted

pytestmark = pytest.mark.django_db


@pytest.fixture
def licence_template(demo_catalog):
    return CertificateTemplate.objects.create(
        output=Output.objects.get(code="uscc"), title="营业执照",
        body="名称：{{ holder_name }}\n{{ output_label }}：{{ output_value }}\n发证机关：{{ authority }}")


@pytest.fixture
def certified(citizen_alice, clerks, licence_template):
    application = submitted(citizen_alice, "business-startup")
    approve(application, "amr-licence", clerks["amr"])
    return application, Certificate.objects.select_related("output").get()


# -- the acceptance receipt ---------------------------------------------------------------------

def test_the_receipt_is_an_official_document_with_a_qr_code_and_a_pdf(alice_client, citizen_alice):
    application = submitted(citizen_alice, "business-startup")

    with override_settings(GOVFLOW_HELP_LINE="0571-12345"):
        response = alice_client.get(reverse("receipt", args=[application.pk]))

    body = response.content.decode()
    receipt = response.context["receipt"]
    token = papers.receipt_token(application)
    verify = f"http://testserver{reverse('verify-receipt', args=[token])}"
    assert response.status_code == 200
    assert "Acceptance receipt" in body and application.number in body and "0571-12345" in body
    assert f'data-authority>{receipt.authority}<' in body
    assert application.expected_finish.strftime("%Y-%m-%d") in body
    assert verify in body and 'src="data:image/svg+xml' in body
    assert re.search(r"Materials received \(\d+ files\)", body)
    assert reverse("receipt-pdf", args=[application.pk]) in body

    pdf = alice_client.get(reverse("receipt-pdf", args=[application.pk]))

    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF") and verify.encode() in pdf.content
    assert f'filename="receipt-{application.number}.pdf"' in pdf["Content-Disposition"]


def test_another_persons_receipt_is_not_found(charlie_client, citizen_alice, demo_catalog):
    application = submitted(citizen_alice, "business-startup")

    assert charlie_client.get(reverse("receipt", args=[application.pk])).status_code == 404
    assert charlie_client.get(reverse("receipt-pdf", args=[application.pk])).status_code == 404


def test_a_draft_has_no_receipt_pdf(alice_client, citizen_alice):
    application = draft(citizen_alice, "newborn", materials={})

    assert alice_client.get(reverse("receipt-pdf", args=[application.pk])).status_code == 404


def test_the_counter_receipt_carries_the_authority_the_qr_code_and_the_help_line(demo_catalog):
    from tests.counter_story import counter_clerk, counter_office, walk_in

    clerk = counter_clerk()
    application, _code = walk_in(clerk)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(clerk)

    response = client.get(reverse("workbench:counter-receipt", args=[application.pk]))

    body = response.content.decode()
    assert response.status_code == 200
    assert f"data-authority>{counter_office().display_name}<" in body  # the counter's office issues it
    assert reverse("verify-receipt", args=[papers.receipt_token(application)]) in body
    assert 'src="data:image/svg+xml' in body and "Call 12345" in body


# -- public verification -------------------------------------------------------------------------

def test_the_receipt_check_is_public_and_shows_no_personal_data(en_client, citizen_alice, demo_catalog):
    application = submitted(citizen_alice, "business-startup")
    token = papers.receipt_token(application)

    response = en_client.get(reverse("verify-receipt", args=[token]))

    body = response.content.decode()
    assert response.status_code == 200 and response["X-Robots-Tag"] == "noindex, nofollow"
    assert "This receipt is genuine" in body and application.number in body
    assert f'data-status="{application.status}">Submitted<' in body
    assert papers.receipt(application).authority in body
    for personal in (citizen_alice.name, citizen_alice.id_number, citizen_alice.phone,
                     application.data["legal_rep_name"], application.data["legal_rep_id"],
                     application.data["company_name"]):
        assert personal not in body


@pytest.mark.parametrize("token", ["GF-2026-000001.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "1", "nonsense"])
def test_an_unknown_or_forged_receipt_token_is_not_found(en_client, demo_catalog, token):
    assert en_client.get(reverse("verify-receipt", args=[token])).status_code == 404


def test_verification_pages_are_limited_per_address(en_client, citizen_alice, demo_catalog):
    token = papers.receipt_token(submitted(citizen_alice, "business-startup"))

    with override_settings(GOVFLOW_VERIFY_RATE=2):
        codes = [en_client.get(reverse("verify-receipt", args=[t])).status_code
                 for t in ("wrong-1", token, token)]

    assert codes[:2] == [404, 200]
    assert codes[2] == 429


def test_the_certificate_check_says_valid_with_a_masked_name_then_the_holders_choice(alice_client, en_client,
                                                                                    citizen_alice, certified):
    application, certificate = certified
    url = reverse("verify-certificate", args=[certificate.token])

    body = en_client.get(url).content.decode()

    assert 'data-state="valid"' in body and certificate.serial in body and "营业执照" in body
    assert citizen_alice.name not in body and papers.mask_name(citizen_alice.name) in body
    assert citizen_alice.id_number not in body and OUTPUTS["amr-licence"]["uscc"] not in body

    consent = alice_client.post(reverse("certificate-consent", args=[application.pk, certificate.output_id]),
                                {"show_name": "yes"})

    assert consent.status_code == 302
    assert citizen_alice.name in en_client.get(url).content.decode()
    assert TimelineEntry.objects.filter(application=application, kind="certificate.name_shown").exists()


def test_a_revoked_certificate_is_said_to_be_revoked(en_client, certified, admin_user):
    _application, certificate = certified
    papers.certificate_revoke(certificate=certificate, user=admin_user)

    body = en_client.get(reverse("verify-certificate", args=[certificate.token])).content.decode()

    assert 'data-state="revoked"' in body and "Revoked" in body


def test_an_unknown_certificate_token_is_not_found(en_client, certified):
    _application, certificate = certified
    for token in (certificate.token[:-1] + "x", str(certificate.pk), certificate.serial):
        assert en_client.get(reverse("verify-certificate", args=[token])).status_code == 404


# -- certificate downloads -------------------------------------------------------------------------

def test_a_certificate_pdf_has_its_serial_and_qr_link_and_is_the_same_on_every_download(alice_client, certified):
    application, certificate = certified
    url = reverse("certificate-pdf", args=[application.pk, certificate.output_id])

    first = alice_client.get(url)
    again = alice_client.get(url)

    assert first.status_code == 200 and first["Content-Type"] == "application/pdf"
    assert first.content.startswith(b"%PDF")
    assert certificate.serial.encode() in first.content
    verify = f"http://testserver{reverse('verify-certificate', args=[certificate.token])}"
    assert verify.encode() in first.content  # the QR code's link
    assert again.content == first.content


def test_the_api_serves_the_same_certificate_to_whoever_may_act_and_404_to_others(alice_client, citizen_alice,
                                                                                  outsider_charlie, certified):
    application, certificate = certified
    path = f"/api/v1/applications/{application.pk}/outputs/uscc/certificate"
    alice, charlie, anonymous = APIClient(), APIClient(), APIClient()
    alice.force_authenticate(citizen_alice)
    charlie.force_authenticate(outsider_charlie)

    mine = alice.get(path)

    assert mine.status_code == 200 and mine["Content-Type"] == "application/pdf"
    portal = alice_client.get(reverse("certificate-pdf", args=[application.pk, certificate.output_id]))
    assert mine.content == portal.content
    assert charlie.get(path).status_code == 404
    assert alice.get(f"/api/v1/applications/{application.pk}/outputs/seal_filing_no/certificate").status_code == 404
    assert anonymous.get(path).status_code in (401, 403)


def test_another_users_certificate_is_not_found(charlie_client, certified):
    application, certificate = certified

    assert charlie_client.get(reverse("certificate-pdf", args=[application.pk, certificate.output_id])) \
        .status_code == 404
    assert charlie_client.post(reverse("certificate-consent", args=[application.pk, certificate.output_id]),
                               {"show_name": "yes"}).status_code == 404
    certificate.refresh_from_db()
    assert not certificate.show_name


def test_a_bad_consent_changes_nothing(alice_client, certified):
    application, certificate = certified

    response = alice_client.post(reverse("certificate-consent", args=[application.pk, certificate.output_id]),
                                 {"show_name": "maybe"})

    assert response.status_code == 302
    certificate.refresh_from_db()
    assert not certificate.show_name
    assert not TimelineEntry.objects.filter(kind__startswith="certificate.name").exists()


def test_the_application_page_lists_certificates_in_a_bounded_number_of_queries(alice_client, citizen_alice,
                                                                                clerks, demo_catalog):
    for code in ("uscc", "seal_filing_no", "tax_office_code"):
        CertificateTemplate.objects.create(output=Output.objects.get(code=code), title="证照", body="{{ serial }}")
    application = submitted(citizen_alice, "business-startup")
    url = reverse("application", args=[application.pk])

    def page_queries() -> tuple[int, str]:
        alice_client.get(url)  # warm the per-process caches
        with CaptureQueriesContext(connection) as ctx:
            response = alice_client.get(url)
        return len(ctx.captured_queries), response.content.decode()

    approve(application, "amr-licence", clerks["amr"])
    one, _body = page_queries()
    approve(application, "psb-seal-filing", clerks["psb"])
    approve(application, "tax-registration", clerks["tax"])
    three, body = page_queries()

    assert three == one
    for certificate in Certificate.objects.filter(output__application=application):
        assert reverse("certificate-pdf", args=[application.pk, certificate.output_id]) in body
        assert f'data-certificate="{certificate.serial}"' in body


# -- reuse ----------------------------------------------------------------------------------------

def test_a_prefilled_answer_names_the_certificate_it_comes_from(citizen_alice, certified):
    from django.template.loader import render_to_string
    from django.utils import translation

    _application, certificate = certified
    definition = get_definition(OneThing.objects.get(code="business-startup").current_version)
    code = next(iter(definition.fields))  # any field: the source is what the page is told
    value = "x"

    (question,) = _questions(definition, [code], {code: value}, required=set(), prefilled={code: value},
                             sources={code: certificate.serial})
    with translation.override("en"):
        html = render_to_string("portal/_question_notes.html", {"q": question})

    assert question.prefilled_from == certificate.serial
    assert f"From your electronic certificate {certificate.serial}" in html


def test_the_form_is_told_which_prefilled_answers_come_from_a_certificate(citizen_alice, certified,
                                                                         django_assert_num_queries):
    from govflow.portal.selectors import prefill_with_sources

    _application, certificate = certified
    asks_uscc = get_definition(OneThing.objects.get(code="enterprise-change").current_version)
    asks_no_uscc = get_definition(OneThing.objects.get(code="newborn").current_version)

    with django_assert_num_queries(1):  # the answers and their sources from one read of the wallet
        answers, sources = prefill_with_sources(citizen_alice, asks_uscc)
    assert answers["uscc"] == OUTPUTS["amr-licence"]["uscc"]
    assert sources == {"uscc": certificate.serial}
    assert prefill_with_sources(citizen_alice, asks_no_uscc)[1] == {}


def test_the_admin_refuses_a_bad_template_with_a_clear_error(admin_client, demo_catalog):
    output = Output.objects.get(code="uscc")
    url = reverse("admin:applications_certificatetemplate_add")

    bad = admin_client.post(url, {"output": output.pk, "title": "营业执照", "body": "{{ holder }}", "is_active": "on"},
                            HTTP_ACCEPT_LANGUAGE="en")
    good = admin_client.post(url, {"output": output.pk, "title": "营业执照", "body": "{{ holder_name }}",
                                   "is_active": "on"})

    assert bad.status_code == 200 and "Unknown names: holder" in bad.content.decode()
    assert good.status_code == 302 and CertificateTemplate.objects.get().body == "{{ holder_name }}"


def test_an_admin_revokes_certificates_on_the_timeline(admin_client, certified):
    application, certificate = certified

    response = admin_client.post(reverse("admin:applications_certificate_changelist"),
                                 {"action": "revoke", "_selected_action": [certificate.pk]})

    assert response.status_code == 302
    certificate.refresh_from_db()
    assert certificate.revoked_at is not None
    assert TimelineEntry.objects.filter(application=application, kind="certificate.revoked").exists()


def test_anonymous_downloads_go_to_sign_in(certified):
    application, certificate = certified

    response = Client().get(reverse("certificate-pdf", args=[application.pk, certificate.output_id]))

    assert response.status_code == 302 and reverse("login") in response["Location"]
