"""Data the benchmark builds in its own database: the demo catalog and accounts, drafts to submit."""
from __future__ import annotations

import io

from django.core.management import call_command
from django.db import transaction

from govflow.accounts.models import User
from govflow.applications.models import Application, Document
from govflow.applications.services import drafting, uploading

# A complete business-startup answer set with employees, so all five steps apply.
BUSINESS_ANSWERS = {
    "has_employees": True,
    "company_name": "杭州基准测试科技有限公司",
    "company_type": "llc",
    "registered_capital": "100.00",
    "business_scope": "软件开发；信息技术咨询服务",
    "registered_address": "浙江省杭州市西湖区文三路 100 号",
    "legal_rep_name": "王晓明",
    "legal_rep_id": "330106199003071236",
    "legal_rep_phone": "13812345678",
    "contact_email": "founder@example.org",
    "operation_start_date": "2026-12-01",
    "employee_count": 12,
    "seal_count": 2,
    "seal_material": "rubber",
    "taxpayer_category": "small_scale",
    "invoice_needed": True,
    "finance_contact_name": "李会计",
    "finance_contact_phone": "13900139000",
    "bank_name": "中国工商银行杭州分行",
    "bank_account_no": "1202021234567890",
    "hpf_contribution_rate": "12",
}

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
BUSINESS_MATERIALS = {
    "legal_rep_id_card": PNG, "articles_of_association": PDF, "premises_proof": PDF,
    "investor_id_docs": JPEG, "employee_roster": PDF,
}

# What each business-startup procedure issues when approved.
BUSINESS_OUTPUTS = {
    "amr-licence": {"uscc": "91330106MA2K111106"},
    "psb-seal-filing": {"seal_filing_no": "3301060012345"},
    "tax-registration": {"tax_office_code": "13301060000"},
    "hrss-employer-insurance": {"social_insurance_employer_no": "ZJ33010600123"},
    "hpf-employer-account": {"hpf_employer_account_no": "330106000123"},
}
BUSINESS_ORDER = list(BUSINESS_OUTPUTS)  # licence first, then the four parallel steps


def seed() -> None:
    """The demo catalog and the demo accounts (``seed_demo``), as a newcomer gets them."""
    call_command("seed_demo", force=True, stdout=io.StringIO())


def user(username: str) -> User:
    return User.objects.get(username=username)


def make_drafts(owner: User, count: int, *, answers: dict | None = None) -> list[Application]:
    """``count`` complete business-startup drafts of ``owner``, ready to submit.

    The first draft is made through the services (answers validated, files sniffed and
    stored); the others copy its rows in bulk, sharing its stored files, which submission
    only checks for presence. Building them is not part of any measurement.
    """
    template = drafting.application_create(user=owner, one_thing_code="business-startup",
                                           data=dict(answers or BUSINESS_ANSWERS))
    for code, content in BUSINESS_MATERIALS.items():
        uploading.document_upload(application=template, user=owner, material_code=code,
                                 file=io.BytesIO(content), filename=f"{code}.bin")
    documents = list(Document.objects.filter(application=template))
    with transaction.atomic():
        copies = Application.objects.bulk_create([
            Application(one_thing_id=template.one_thing_id, version_id=template.version_id,
                        applicant=owner, data=dict(template.data), division_id=template.division_id)
            for _ in range(count - 1)
        ])
        Document.objects.bulk_create([
            Document(application=app, material_code=d.material_code, file=d.file.name, filename=d.filename,
                     size=d.size, sha256=d.sha256, content_type=d.content_type, uploaded_by=owner)
            for app in copies for d in documents
        ])
    return [template, *copies]
