"""The demo company's enterprise-change, whose new paper business licence is a physical result
(pick-up or post): shared by the delivery tests of the domain, the portal, the counter, the
workbench and the API."""
from __future__ import annotations

from govflow.applications.models import Application
from govflow.applications.services import drafting, submitting
from govflow.parties.selectors import principal_for
from govflow.parties.services import organisation_register

from .stories import ENTERPRISE_CHANGE_ANSWERS, ENTERPRISE_CHANGE_MATERIALS, upload

PICKUP = {"method": "pickup", "office": "gsc-330106"}
POST = {"method": "post", "recipient": "王晓明", "phone": "138 0013 8000", "address": "杭州市西湖区文一西路 522 号"}


def register_company(legal_representative):
    return organisation_register(actor=None, name="杭州示例科技有限公司", uscc=ENTERPRISE_CHANGE_ANSWERS["uscc"],
                                 legal_representative_name=legal_representative.name, division="330106",
                                 legal_representative=legal_representative, verified=True,
                                 address="杭州市西湖区某路 1 号", contact_phone="13900000001")


def change_draft(user, company) -> Application:
    """A complete enterprise-change draft of the company, by ``user`` acting for it."""
    app = drafting.application_create(user=user, one_thing_code="enterprise-change",
                                      data=dict(ENTERPRISE_CHANGE_ANSWERS),
                                      principal=principal_for(user, f"org:{company.pk}"))
    for code, content in ENTERPRISE_CHANGE_MATERIALS.items():
        upload(app, user, code, content)
    return app


def change_submitted(user, company, delivery=None) -> Application:
    return submitting.application_submit(application=change_draft(user, company), user=user,
                                       delivery=delivery or PICKUP)
