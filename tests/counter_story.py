"""Building blocks for service-hall counter stories: counter clerks and their offices, a walk-in
person served from identification to the receipt code."""
from __future__ import annotations

import io

from govflow.accounts.models import Role
from govflow.applications import counter
from govflow.applications.services import drafting, submitting, uploading
from govflow.catalog.models import Department, Division, Office

from .factories import MembershipFactory, UserFactory, id_number_for
from .stories import BUSINESS_ANSWERS, BUSINESS_MATERIALS

XIHU_COUNTER = "gsc-330106"
WALK_IN_ID = id_number_for(501, birth="19850315")
WALK_IN_NAME = "赵一鸣"


def counter_office(code: str = XIHU_COUNTER) -> Office:
    """The Xihu service centre of the demo catalog, or (for another code) a Shangcheng one made now."""
    found = Office.objects.filter(code=code).first()
    if found is not None:
        return found
    return Office.objects.create(code=code, department=Department.objects.get(code="gsc"),
                                 division=Division.objects.get(code="330102"),
                                 name={"en": "Shangcheng District Government Service Centre",
                                       "zh-hans": "上城区政务服务中心"})


def counter_clerk(username: str = "counter-x", office: Office | None = None):
    user = UserFactory(username=username, name="林晓燕")
    MembershipFactory(user=user, office=office or counter_office(), role=Role.COUNTER)
    return user


def walk_in(clerk, office=None, *, id_number: str = WALK_IN_ID, name: str = WALK_IN_NAME,
            one_thing: str = "business-startup", submit: bool = True):
    """A walk-in person served at the counter: ``(application, receipt code)`` (code ``""`` unsubmitted)."""
    office = office or counter_office()
    party = counter.counter_identify_person(clerk=clerk, office=office, id_number=id_number, name=name,
                                            phone="13812345678")
    app = counter.counter_application_start(clerk=clerk, office=office, party=party, one_thing_code=one_thing)
    answers = {k: v for k, v in BUSINESS_ANSWERS.items() if k not in app.data}
    app = drafting.application_update(application=app, user=clerk, data=answers)
    for code, content in BUSINESS_MATERIALS.items():
        uploading.document_upload(application=app, user=clerk, material_code=code, file=io.BytesIO(content),
                                 filename=f"{code}.pdf")
    if not submit:
        return app, ""
    app = submitting.application_submit(application=app, user=clerk)
    return app, counter.counter_receipt_code(application=app, user=clerk)
