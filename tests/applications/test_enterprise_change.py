"""The demo one thing for organisations, ``enterprise-change`` (企业信息变更): the company applies;
Market Regulation registers the change first, then the tax office and the social insurance agency
update their records in parallel from its outputs."""
from __future__ import annotations

import pytest
from django.utils import translation

from govflow.applications import selectors
from govflow.applications.models import ApplicationStatus, IssuedOutput
from govflow.applications.prefill import prefill_answers
from govflow.applications.services import drafting, submitting
from govflow.catalog.definition import get_definition
from govflow.catalog.models import OneThing
from govflow.errors import InvalidInput
from govflow.parties.selectors import principal_for
from govflow.parties.services import organisation_register

from ..stories import (
    DELIVERIES,
    ENTERPRISE_CHANGE_ANSWERS,
    ENTERPRISE_CHANGE_MATERIALS,
    OUTPUTS,
    approve,
    case_of,
    statuses,
    upload,
)

pytestmark = pytest.mark.django_db

PARALLEL = ("tax-info-change", "hrss-employer-info-change")


@pytest.fixture
def company(demo_catalog, citizen_alice):
    return organisation_register(actor=None, name="杭州示例科技有限公司", uscc=ENTERPRISE_CHANGE_ANSWERS["uscc"],
                                 legal_representative_name=citizen_alice.name, division="330106",
                                 legal_representative=citizen_alice, verified=True)


def change_application(user, company):
    principal = principal_for(user, f"org:{company.pk}")
    app = drafting.application_create(user=user, one_thing_code="enterprise-change",
                                      data=dict(ENTERPRISE_CHANGE_ANSWERS), principal=principal)
    for code, content in ENTERPRISE_CHANGE_MATERIALS.items():
        upload(app, user, code, content)
    return submitting.application_submit(application=app, user=user, delivery=DELIVERIES["enterprise-change"])


def test_the_company_changes_its_details_and_tax_and_social_insurance_follow_in_parallel(
        citizen_alice, company, clerks):
    app = change_application(citizen_alice, company)
    assert (app.organisation, app.applicant, app.submitted_by) == (company, None, citizen_alice)
    assert statuses(app) == {"amr-change-registration": "queued", **{code: "waiting" for code in PARALLEL}}
    # Routed by the company's registered division: Xihu for AMR and tax, Hangzhou for the city-level hrss.
    assert {code: case_of(app, code).office.code for code in statuses(app)} == {
        "amr-change-registration": "amr-330106", "tax-info-change": "tax-330106",
        "hrss-employer-info-change": "hrss-330100"}

    approve(app, "amr-change-registration", clerks["amr"])
    assert statuses(app) == {"amr-change-registration": "approved", **{code: "queued" for code in PARALLEL}}
    for code in PARALLEL:
        view = selectors.task_view_for_clerk(case_of(app, code))
        assert view["outputs"] == OUTPUTS["amr-change-registration"]  # the registered change, never re-asked
        assert view["data"]["uscc"] == "91330106MA2B7K5L1F"
        assert "new_company_name" not in view["data"]  # data minimisation: only what the procedure lists

    approve(app, "hrss-employer-info-change", clerks["hrss"])
    approve(app, "tax-info-change", clerks["tax"])
    app.refresh_from_db()
    assert (app.status, app.outcome) == (ApplicationStatus.COMPLETED, "approved")
    issued = IssuedOutput.objects.filter(application=app)
    assert issued.count() == 6 and {o.organisation_id for o in issued} == {company.pk}


def test_a_person_cannot_apply_for_it_for_themselves(citizen_alice, company):
    with translation.override("en"), pytest.raises(InvalidInput) as refused:
        drafting.application_create(user=citizen_alice, one_thing_code="enterprise-change",
                                    data={"uscc": ENTERPRISE_CHANGE_ANSWERS["uscc"]})
    assert refused.value.errors == {"one_thing": ["This one thing is applied for by organisations."]}


def test_a_bad_uscc_is_refused_with_the_field_types_message(citizen_alice, company):
    principal = principal_for(citizen_alice, f"org:{company.pk}")
    with translation.override("en"), pytest.raises(InvalidInput) as refused:
        drafting.application_create(user=citizen_alice, one_thing_code="enterprise-change",
                                    data={"uscc": "91330106MA2B7K5L10"}, principal=principal)
    assert refused.value.errors == {
        "data": {"uscc": ["Enter a valid 18-character unified social credit code."]}}


def test_the_company_form_is_pre_filled_from_its_registration(company):
    definition = get_definition(OneThing.objects.get(code="enterprise-change").current_version)
    company.contact_phone = "13812345678"
    assert prefill_answers(company, definition) == {
        "uscc": "91330106MA2B7K5L1F", "company_name": "杭州示例科技有限公司",
        "legal_rep_name": company.legal_representative_name, "contact_phone": "13812345678"}
