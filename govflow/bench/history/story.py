"""History, part one: the citizen's own applications, built through the services exactly as the
portal and the workbench build them; nine of them are the templates the history is copied from."""
from __future__ import annotations

import io
from dataclasses import dataclass, field

from django.db import connection
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from govflow.accounts.models import User
from govflow.applications.models import Application, Case, CaseStatus
from govflow.applications.services import citizen_actions, deciding, drafting, submitting, uploading

from .. import data

#: The citizen whose applications are measured: ``citizen2``, whom the service and floor parts
#: (which run first, in the same database) leave alone: ``citizen`` has a thousand applications
#: after them.
CITIZEN = "citizen2"


# -- the citizen's own applications, through the services --------------------------------------


def _id_number(serial: int, birth: str, region: str = "330106") -> str:
    first17 = f"{region}{birth}{serial % 1000:03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return first17 + "10X98765432"[sum(int(d) * w for d, w in zip(first17, weights, strict=True)) % 11]


def _newborn() -> tuple[dict, dict, dict]:
    """Answers, materials and outputs of a newborn application (a baby born ten days ago)."""
    birth = timezone.localdate() - timezone.timedelta(days=10)
    answers = {
        "baby_name": "张小宝", "baby_sex": "female", "birth_date": birth.isoformat(), "gestational_weeks": 39,
        "birth_weight_kg": "3.25", "birth_hospital": "浙江大学医学院附属妇产科医院", "birth_place": "浙江省杭州市",
        "ethnicity": "汉族", "mother_name": "陈丽", "mother_id": _id_number(22, "19920303"),
        "father_name": "张伟", "father_id": _id_number(33, "19900707"), "registration_with": "father",
        "household_address": "浙江省杭州市上城区解放路 1 号", "contact_phone": "13700137000",
        "insurance_payment_method": "online", "card_bank": "icbc", "mailing_address": "浙江省杭州市上城区解放路 1 号",
    }
    materials = {"delivery_record": data.PDF, "mother_id_card": data.PNG, "father_id_card": data.PNG,
                 "household_register": data.PDF, "baby_photo": data.JPEG}
    outputs = {
        "health-birth-certificate": {"birth_certificate_no": "Q330123456"},
        "psb-household-registration": {"citizen_id": _id_number(44, birth.strftime("%Y%m%d"))},
        "mi-newborn-insurance": {"medical_insurance_no": "330106202611200001"},
        "hrss-social-security-card": {"social_security_card_no": "A12345678"},
    }
    return answers, materials, outputs


NEWBORN_ORDER = ["health-birth-certificate", "psb-household-registration", "mi-newborn-insurance",
                 "hrss-social-security-card"]


@dataclass
class Template:
    """A real application whose rows are copied: ids per table, in id order."""

    name: str
    application: Application
    ids: dict[str, list[int]] = field(default_factory=dict)
    open_tasks: int = 0
    done_tasks: int = 0


class _Story:
    """The citizen's applications, driven through the services by the demo clerks."""

    def __init__(self) -> None:
        self.citizen = data.user(CITIZEN)
        self.clerks: dict[str, User] = {}
        self.newborn_answers, self.newborn_materials, self.newborn_outputs = _newborn()

    def clerk(self, procedure: str, *, second: bool = False) -> User:
        username = f"clerk-{procedure.split('-')[0]}" + ("-2" if second else "")
        if username not in self.clerks:
            self.clerks[username] = data.user(username)
        return self.clerks[username]

    def newborn_drafts(self, count: int) -> list[Application]:
        drafts = []
        for _ in range(count):
            app = drafting.application_create(user=self.citizen, one_thing_code="newborn",
                                              data=dict(self.newborn_answers))
            for code, content in self.newborn_materials.items():
                uploading.document_upload(application=app, user=self.citizen, material_code=code,
                                         file=io.BytesIO(content), filename=f"{code}.bin")
            drafts.append(app)
        return drafts

    def submit(self, app: Application) -> None:
        submitting.application_submit(application=app, user=self.citizen)

    def claim(self, app: Application, procedure: str, *, second: bool = False) -> Case:
        case = Case.objects.get(application=app, procedure_code=procedure)
        return deciding.task_claim(case=case, user=self.clerk(procedure, second=second))

    def decide(self, app: Application, procedure: str, decision: str = "approve", **kwargs) -> None:
        case = self.claim(app, procedure)
        outputs = data.BUSINESS_OUTPUTS.get(procedure) or self.newborn_outputs.get(procedure)
        if decision == "approve":
            kwargs = {"outputs": outputs, "comment": "材料齐全，予以办理", **kwargs}
        deciding.task_complete(case=Case.objects.get(pk=case.pk), user=self.clerk(procedure), decision=decision,
                               **kwargs)


def build_citizen_applications() -> dict[str, Template]:
    """The citizen's 21 applications, through the services; returns the templates among them."""
    story = _Story()
    business = data.make_drafts(story.citizen, 14)
    newborn = story.newborn_drafts(7)
    for app in business[:13] + newborn:
        story.submit(app)
    for app in business[:6]:  # completed, approved
        for procedure in data.BUSINESS_ORDER:
            story.decide(app, procedure)
    story.decide(business[6], "amr-licence", "reject", comment="经营范围涉及前置许可，未提交许可文件（《市场主体登记管理条例》第十四条）")
    # business[7], business[8]: waiting in the amr queue
    story.claim(business[9], "amr-licence", second=True)
    story.decide(business[10], "amr-licence")  # four parallel reviews open
    story.decide(business[11], "amr-licence", "request_correction",
                 corrections={"fields": ["registered_address"], "message": "请补充注册地址的门牌号"})
    citizen_actions.application_withdraw(application=business[12], user=story.citizen)
    # business[13] stays a draft
    for app in newborn[:4]:
        for procedure in NEWBORN_ORDER:
            story.decide(app, procedure)
    story.decide(newborn[5], "health-birth-certificate")
    for procedure in NEWBORN_ORDER[:2]:
        story.decide(newborn[6], procedure)
    citizen_actions.evaluation_create(application=business[1], user=story.citizen, score=5, comment="很方便")
    citizen_actions.evaluation_create(application=business[2], user=story.citizen, score=2, comment="等待时间太长")
    citizen_actions.evaluation_create(application=newborn[1], user=story.citizen, score=4)

    named = {"business_done": business[0], "business_rejected": business[6], "business_submitted": business[7],
             "business_claimed": business[9], "business_licensed": business[10], "newborn_done": newborn[0],
             "newborn_submitted": newborn[4], "newborn_certified": newborn[5], "newborn_registered": newborn[6]}
    return {name: _template(name, Application.objects.get(pk=app.pk)) for name, app in named.items()}


def _template(name: str, app: Application) -> Template:
    with connection.cursor() as cursor:
        def ids(sql: str, params: list) -> list[int]:
            cursor.execute(sql, params)
            return [row[0] for row in cursor.fetchall()]

        tasks = ids("SELECT id FROM viewflow_task WHERE process_id = %s ORDER BY id", [app.process_id])
        cases = ids("SELECT id FROM applications_case WHERE application_id = %s ORDER BY id", [app.pk])
        found = {
            "viewflow_process": [app.process_id],
            "viewflow_task": tasks,
            "applications_application": [app.pk],
            "applications_case": cases,
            "viewflow_task_previous": ids("SELECT id FROM viewflow_task_previous WHERE from_task_id = ANY(%s) "
                                          "ORDER BY id", [tasks]),
            # The rating is not copied: history gets ratings of its own (_rate).
            "applications_timelineentry": ids("SELECT id FROM applications_timelineentry WHERE application_id = %s "
                                              "AND kind <> 'evaluation.created' ORDER BY id", [app.pk]),
            "applications_issuedoutput": ids("SELECT id FROM applications_issuedoutput WHERE application_id = %s "
                                             "ORDER BY id", [app.pk]),
            "applications_document": ids("SELECT id FROM applications_document WHERE application_id = %s "
                                         "ORDER BY id", [app.pk]),
            "applications_correctionrequest": ids("SELECT id FROM applications_correctionrequest "
                                                  "WHERE case_id = ANY(%s) ORDER BY id", [cases]),
        }
    open_tasks = Case.objects.filter(application=app, status__in=(CaseStatus.QUEUED, CaseStatus.IN_REVIEW),
                                     task__status__in=(STATUS.NEW, STATUS.ASSIGNED)).count()
    done = Task.objects.filter(process_id=app.process_id, status=STATUS.DONE).count()
    return Template(name=name, application=app, ids=found, open_tasks=open_tasks, done_tasks=done)
