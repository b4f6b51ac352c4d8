"""The papers (applications/papers.py): what the acceptance receipt states and how its token is
checked; certificate templates and their checks; certificates issued on approval with serials per
authority and year, frozen text, states (valid, superseded, revoked), masked names; the reuse of
certified outputs in later forms."""
from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.test import override_settings
from django.utils import timezone, translation

from govflow.applications import papers, prefill
from govflow.applications.models import Certificate, CertificateTemplate, Document, TimelineEntry
from govflow.catalog.models import Output
from govflow.errors import InvalidState, NotAllowed
from tests.stories import OUTPUTS, approve, case_of, draft, submitted

pytestmark = pytest.mark.django_db

LICENCE_BODY = ("兹有 {{ holder_name }} 经 {{ procedure }} 核准，\n"
                "{{ output_label }}：{{ output_value }}\n"
                "{% if application_number %}申请编号：{{ application_number }}{% endif %}")


@pytest.fixture
def licence_template(demo_catalog):
    return CertificateTemplate.objects.create(output=Output.objects.get(code="uscc"), title="营业执照",
                                              body=LICENCE_BODY)


# -- the acceptance receipt ---------------------------------------------------------------------

def test_a_receipt_states_authority_procedures_materials_committed_date_and_help_line(citizen_alice, demo_catalog):
    application = submitted(citizen_alice, "business-startup")

    with override_settings(GOVFLOW_HELP_LINE="0571-12345"):
        receipt = papers.receipt(application)

    cases = list(application.cases.select_related("office").order_by("position", "id"))
    assert receipt.number == application.number
    assert receipt.authority == cases[0].office.display_name  # online: the lead procedure's office
    assert receipt.offices == list(dict.fromkeys(c.office.display_name for c in cases))
    assert [p.office for p in receipt.procedures] == [c.office.display_name for c in cases]
    assert len(receipt.procedures) == 5
    codes = set(Document.objects.filter(application=application).values_list("material_code", flat=True))
    assert len(receipt.materials) == len(codes) and receipt.material_files == len(codes)
    assert receipt.committed_finish == application.expected_finish is not None
    assert receipt.help_line == "0571-12345"
    assert receipt.submitted_at == application.submitted_at


def test_a_draft_has_no_receipt(citizen_alice, demo_catalog):
    with pytest.raises(InvalidState):
        papers.receipt(draft(citizen_alice, "newborn", materials={}))


def test_a_receipt_token_is_checked_and_says_nothing_personal(citizen_alice, demo_catalog):
    application = submitted(citizen_alice, "business-startup")
    token = papers.receipt_token(application)

    check = papers.check_receipt(token, address="10.0.0.1")

    assert str(application.pk) != token and len(token.split(".")[1]) >= 43  # an HMAC-SHA256, not the id
    assert (check.number, check.status) == (application.number, application.status)
    assert not {"applicant", "name", "id_number", "phone"} & set(vars(check))
    for forged in (token[:-1] + ("A" if token[-1] != "A" else "B"), application.number, str(application.pk),
                   token.replace(application.number, "GF-2099-000001"), "x" * 500):
        with pytest.raises(Http404):
            papers.check_receipt(forged, address="10.0.0.1")


# -- certificate templates ------------------------------------------------------------------------

@pytest.mark.parametrize(("title", "body", "field", "words"), [
    ("执照", "{{ holder_nam }}", "body", "Unknown names: holder_nam"),
    ("执照", "{% load static %}{{ holder_name }}", "body", "not allowed"),
    ("执照", "{% include 'x.html' %}", "body", "not allowed"),
    ("执照", "{% debug %}", "body", "debug"),
    ("执照", "{% now 'Y' %}", "body", "now"),
    ("执照", "{% if holder_name %}unclosed", "body", "has an error"),
    ("执照", "{{ holder_name|nosuchfilter }}", "body", "has an error"),
    ("执照", "   ", "body", "prints nothing"),
    ("执照", "{% for a in serial %}{% for b in serial %}{% for c in serial %}{% for d in serial %}{{ d }}"
             "{% endfor %}{% endfor %}{% endfor %}{% endfor %}", "body", "at most 3 loops"),
    ("", "{{ holder_name }}", "title", "needs a title"),
    ("{{ secret }}", "{{ holder_name }}", "title", "Unknown names: secret"),
])
def test_a_template_is_refused_on_save_saying_why(demo_catalog, title, body, field, words):
    template = CertificateTemplate(output=Output.objects.get(code="uscc"), title=title, body=body)

    with translation.override("en"), pytest.raises(ValidationError) as caught:
        template.full_clean()

    messages = caught.value.message_dict[field]
    assert any(words in m for m in messages), messages


def test_a_template_with_logic_loops_and_filters_is_accepted(demo_catalog):
    body = ("{% with name=holder_name %}{{ name|upper }}{% endwith %} {% for c in serial %}{{ c }}{% endfor %}"
            "{% if output_value %}{{ output_value|default:'—' }}{% endif %}")
    CertificateTemplate(output=Output.objects.get(code="uscc"), title="执照 {{ serial }}", body=body).full_clean()


# -- issuing certificates --------------------------------------------------------------------------

def test_an_approval_issues_a_certificate_with_a_serial_per_authority_and_year(citizen_alice, citizen_carol,
                                                                                clerks, licence_template):
    first = submitted(citizen_alice, "business-startup")
    second = submitted(citizen_carol, "business-startup")

    approve(first, "amr-licence", clerks["amr"])
    approve(second, "amr-licence", clerks["amr"])

    one, two = Certificate.objects.order_by("id")
    office = case_of(first, "amr-licence").office
    year = timezone.localdate(one.issued_at).year
    assert (one.serial, two.serial) == (f"{office.code.upper()}-{year}-000001", f"{office.code.upper()}-{year}-000002")
    assert one.office == office and one.output.application == first and one.output.code == "uscc"
    assert one.title == "营业执照"
    uscc = OUTPUTS["amr-licence"]["uscc"]
    assert one.values["holder_name"] == citizen_alice.name and one.values["output_value"] == uscc
    assert one.body.startswith(f"兹有 {citizen_alice.name} 经") and uscc in one.body and first.number in one.body
    assert one.template_text == LICENCE_BODY
    assert len(one.token) >= 32 and one.token != two.token
    entry = TimelineEntry.objects.get(application=first, kind="certificate.issued")
    assert entry.data == {"serials": [one.serial]} and entry.actor == clerks["amr"]


def test_the_certificate_keeps_its_text_when_the_template_changes(citizen_alice, clerks, licence_template):
    application = submitted(citizen_alice, "business-startup")
    approve(application, "amr-licence", clerks["amr"])
    before = Certificate.objects.get()

    licence_template.body = "全新的文字 {{ serial }}"
    licence_template.save()

    after = Certificate.objects.get()
    assert (after.body, after.template_text) == (before.body, LICENCE_BODY)


def test_no_certificate_without_an_active_template(citizen_alice, clerks, licence_template):
    licence_template.is_active = False
    licence_template.save()
    application = submitted(citizen_alice, "business-startup")

    approve(application, "amr-licence", clerks["amr"])

    assert not Certificate.objects.exists()
    assert not TimelineEntry.objects.filter(kind="certificate.issued").exists()


def test_a_certificate_is_valid_then_superseded_by_a_newer_one_and_revoked_on_the_timeline(
        citizen_alice, clerks, licence_template, admin_user):
    first = submitted(citizen_alice, "business-startup")
    approve(first, "amr-licence", clerks["amr"])
    old = Certificate.objects.get()
    assert papers.certificate_state(old) == papers.CertificateState.VALID

    second = submitted(citizen_alice, "business-startup")
    approve(second, "amr-licence", clerks["amr"])
    new = Certificate.objects.exclude(pk=old.pk).get()

    assert papers.certificate_state(old) == papers.CertificateState.SUPERSEDED
    assert papers.certificate_state(new) == papers.CertificateState.VALID

    papers.certificate_revoke(certificate=new, user=admin_user, reason="签发错误")

    new.refresh_from_db()
    assert papers.certificate_state(new) == papers.CertificateState.REVOKED
    assert papers.certificate_state(old) == papers.CertificateState.VALID  # a revoked one supersedes nothing
    entry = TimelineEntry.objects.get(kind="certificate.revoked")
    assert entry.application == second and entry.data["serial"] == new.serial and entry.actor == admin_user
    with pytest.raises(InvalidState):
        papers.certificate_revoke(certificate=new, user=admin_user)


def test_only_the_holder_consents_to_show_their_name(citizen_alice, outsider_charlie, clerks, licence_template):
    application = submitted(citizen_alice, "business-startup")
    approve(application, "amr-licence", clerks["amr"])
    certificate = Certificate.objects.select_related("output").get()
    check = papers.check_certificate(certificate.token, address="10.0.0.2")
    assert check.holder == papers.mask_name(citizen_alice.name) != citizen_alice.name

    with pytest.raises(NotAllowed):
        papers.certificate_show_name(certificate=certificate, user=outsider_charlie, show=True)
    papers.certificate_show_name(certificate=certificate, user=citizen_alice, show=True)

    check = papers.check_certificate(certificate.token, address="10.0.0.2")
    assert check.holder == citizen_alice.name and check.name_shown
    assert TimelineEntry.objects.filter(kind="certificate.name_shown", actor=citizen_alice).count() == 1


def test_a_masked_name_keeps_only_its_first_character():
    assert papers.mask_name("王小明") == "王**"
    assert papers.mask_name("李") == "李*"
    assert papers.mask_name("") == ""
    assert papers.mask_name("杭州示例科技有限公司有限公司") == "杭********"


def test_an_unknown_certificate_token_is_not_found(demo_catalog):
    for token in ("", "short", "a" * 32, "b" * 65):
        with pytest.raises(Http404):
            papers.check_certificate(token, address="10.0.0.3")


# -- reuse -------------------------------------------------------------------------------------------

def test_a_certified_output_prefills_later_forms_and_names_its_certificate_until_revoked(
        citizen_alice, clerks, licence_template, admin_user):
    application = submitted(citizen_alice, "business-startup")
    approve(application, "amr-licence", clerks["amr"])
    certificate = Certificate.objects.get()
    uscc = OUTPUTS["amr-licence"]["uscc"]

    known = prefill.known_answers(["uscc"], person=citizen_alice)

    assert known == {"uscc": uscc}
    assert prefill.certificate_sources(known, person=citizen_alice) == {"uscc": certificate.serial}
    assert prefill.certificate_sources({"uscc": "something else"}, person=citizen_alice) == {}

    papers.certificate_revoke(certificate=certificate, user=admin_user)

    assert prefill.known_answers(["uscc"], person=citizen_alice) == {}
