"""Building blocks for application stories: valid answers, files, and driving a case."""
from __future__ import annotations

import io

from govflow.applications import selectors
from govflow.applications.models import Application, Case
from govflow.applications.services import deciding, drafting, submitting, uploading

from .factories import id_number_for

PDF_BYTES = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64

BUSINESS_ANSWERS = {
    "has_employees": True,
    "company_name": "杭州一件事科技有限公司",
    "company_type": "llc",
    "registered_capital": "100.00",
    "business_scope": "软件开发；信息技术咨询服务",
    "registered_address": "浙江省杭州市西湖区文三路 100 号",
    "legal_rep_name": "王小明",
    "legal_rep_id": id_number_for(11, birth="19880512"),
    "legal_rep_phone": "13800138000",
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

BUSINESS_MATERIALS = {
    "legal_rep_id_card": PNG_BYTES, "articles_of_association": PDF_BYTES, "premises_proof": PDF_BYTES,
    "investor_id_docs": JPEG_BYTES, "employee_roster": PDF_BYTES,
}

NEWBORN_ANSWERS = {
    "baby_name": "张小宝",
    "baby_sex": "female",
    "birth_date": "2026-11-20",
    "gestational_weeks": 39,
    "birth_weight_kg": "3.25",
    "birth_hospital": "浙江大学医学院附属妇产科医院",
    "birth_place": "浙江省杭州市",
    "ethnicity": "汉族",
    "mother_name": "陈丽",
    "mother_id": id_number_for(22, birth="19920303"),
    "father_name": "张伟",
    "father_id": id_number_for(33, birth="19900707"),
    "registration_with": "father",
    "household_address": "浙江省杭州市上城区解放路 1 号",
    "contact_phone": "13700137000",
    "insurance_payment_method": "online",
    "card_bank": "icbc",
    "mailing_address": "浙江省杭州市上城区解放路 1 号",
}

NEWBORN_MATERIALS = {
    "delivery_record": PDF_BYTES, "mother_id_card": PNG_BYTES, "father_id_card": PNG_BYTES,
    "household_register": PDF_BYTES, "baby_photo": JPEG_BYTES,
}

#: The demo company (seed_demo) changes its name and registered address (``enterprise-change``).
ENTERPRISE_CHANGE_ANSWERS = {
    "uscc": "91330106MA2B7K5L1F",
    "company_name": "杭州示例科技有限公司",
    "change_type": "name_and_address",
    "new_company_name": "杭州示例数字科技有限公司",
    "new_registered_address": "浙江省杭州市西湖区文一西路 522 号 3 幢 201 室",
    "new_address_division": "330106",
    "change_resolution_date": "2026-11-16",
    "change_reason": "业务调整",
    "legal_rep_name": "王晓明",
    "legal_rep_phone": "13812345678",
    "contact_email": "office@example.org",
    "finance_contact_name": "李会计",
    "finance_contact_phone": "13900139000",
    "contact_phone": "13987654321",
}

ENTERPRISE_CHANGE_MATERIALS = {
    "change_resolution": PDF_BYTES, "amended_articles": PDF_BYTES, "business_licence": JPEG_BYTES,
    "premises_proof": PDF_BYTES, "legal_rep_id_card": PNG_BYTES,
}

OUTPUTS = {
    "amr-licence": {"uscc": "91330106MA2K111106"},
    "psb-seal-filing": {"seal_filing_no": "3301060012345"},
    "tax-registration": {"tax_office_code": "13301060000"},
    "hrss-employer-insurance": {"social_insurance_employer_no": "ZJ33010600123"},
    "hpf-employer-account": {"hpf_employer_account_no": "330106000123"},
    "health-birth-certificate": {"birth_certificate_no": "Q330123456"},
    "psb-household-registration": {"citizen_id": id_number_for(44, birth="20261120")},
    "mi-newborn-insurance": {"medical_insurance_no": "330106202611200001"},
    "hrss-social-security-card": {"social_security_card_no": "A12345678"},
    "amr-change-registration": {"change_record_no": "330106BG2026000123", "registered_name": "杭州示例数字科技有限公司",
                                "registered_address_now": "浙江省杭州市西湖区文一西路 522 号 3 幢 201 室",
                                "change_approved_on": "2026-11-20"},
    "tax-info-change": {"tax_change_notice_no": "HZXHSWTZ2026001"},
    "hrss-employer-info-change": {"social_insurance_change_no": "ZJ3301002026BG01"},
}


def upload(application: Application, user, material: str, content: bytes, filename: str = "file.pdf"):
    return uploading.document_upload(application=application, user=user, material_code=material,
                                    file=io.BytesIO(content), filename=filename)


def draft(user, one_thing: str, answers: dict | None = None, materials: dict | None = None) -> Application:
    if answers is None:
        answers = BUSINESS_ANSWERS if one_thing == "business-startup" else NEWBORN_ANSWERS
    if materials is None:
        materials = BUSINESS_MATERIALS if one_thing == "business-startup" else NEWBORN_MATERIALS
    app = drafting.application_create(user=user, one_thing_code=one_thing, data=dict(answers))
    for code, content in materials.items():
        upload(app, user, code, content)
    return app


#: How the applicant receives what a demo one thing issues physically (enterprise-change: the new
#: paper business licence), picked up at the Xihu Government Service Centre.
DELIVERIES = {"enterprise-change": {"method": "pickup", "office": "gsc-330106"}}


def submitted(user, one_thing: str, answers: dict | None = None, materials: dict | None = None) -> Application:
    app = draft(user, one_thing, answers, materials)
    return submitting.application_submit(application=app, user=user, delivery=DELIVERIES.get(one_thing))


def case_of(app: Application, procedure: str) -> Case:
    return Case.objects.select_related("task").get(application=app, procedure_code=procedure)


def statuses(app: Application) -> dict[str, str]:
    return dict(Case.objects.filter(application=app).values_list("procedure_code", "status"))


def approve(app: Application, procedure: str, clerk) -> Case:
    case = case_of(app, procedure)
    deciding.task_claim(case=case, user=clerk)
    return deciding.task_complete(case=case, user=clerk, decision="approve", outputs=OUTPUTS[procedure],
                                  comment="ok")


def queue_codes(clerk) -> list[tuple[str, str]]:
    return [(c.application.number, c.procedure_code) for c in selectors.task_queue_for_clerk(user=clerk)]
