"""Every interface that reads a person's data records the read (issue 20).

``READS``: each workbench and API page that reads personal data by someone other than the
person, with proof that one access record is written (who, through which interface, why, whose).
``NOT_READS``: the other workbench and API addresses that take an application, case, task or
document id, each with the reason it reads no one's data. A new address of that kind in neither
table fails :func:`test_every_address_with_an_id_is_in_a_table`: whoever adds one decides.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

from govflow.applications.models import AccessRecord, CertificateTemplate, Document, Verification
from govflow.applications.services import citizen_actions, deciding
from govflow.catalog.models import Output

from .admin_reason import give_reason
from .counter_story import counter_clerk, walk_in
from .factories import UserFactory
from .stories import PNG_BYTES, approve, case_of, submitted, upload

pytestmark = pytest.mark.django_db


@dataclass
class World:
    alice: object
    clerk: object
    app: object
    case: object
    extra: dict = field(default_factory=dict)


@pytest.fixture
def world(citizen_alice, clerks):
    app = submitted(citizen_alice, "business-startup")
    case = case_of(app, "amr-licence")
    deciding.task_claim(case=case, user=clerks["amr"])
    return World(alice=citizen_alice, clerk=clerks["amr"], app=app, case=case_of(app, "amr-licence"))


def web(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _document(app, material: str = "premises_proof") -> Document:
    return Document.objects.get(application=app, material_code=material)


# Each: world -> (client, method, url, data, status, reader, person, interface, purpose).


def task_page(w):
    return web(w.clerk), "get", reverse("workbench:task", args=[w.case.task_id]), None, 200, w.clerk, w.alice, \
        "workbench", "held_case"


def task_page_re_rendered(w):
    """A decision form with an error shows the task page again (400): still a read."""
    return web(w.clerk), "post", reverse("workbench:decide", args=[w.case.task_id]), \
        {"decision": "reject", "reason": ""}, 400, w.clerk, w.alice, "workbench", "held_case"


def queued_task_page(w):
    other = submitted(w.alice, "business-startup")
    case = case_of(other, "amr-licence")
    return web(w.clerk), "get", reverse("workbench:task", args=[case.task_id]), None, 200, w.clerk, w.alice, \
        "workbench", "queue"


def workbench_document(w):
    url = reverse("workbench:document", args=[w.case.task_id, _document(w.app).pk])
    return web(w.clerk), "get", url, None, 200, w.clerk, w.alice, "workbench", "held_case"


def workbench_replaced_document(w):
    deciding.task_complete(case=w.case, user=w.clerk, decision="request_correction",
                           corrections={"materials": ["premises_proof"], "message": "请重新上传"})
    upload(w.app, w.alice, "premises_proof", PNG_BYTES, "lease.png")
    citizen_actions.application_resubmit(application=w.app, user=w.alice)
    case = case_of(w.app, "amr-licence")
    url = reverse("workbench:replaced-document", args=[case.task_id, case.correction_requests.get().pk,
                                                       "premises_proof"])
    # After the correction the case comes back to the clerk who asked for it.
    return web(w.clerk), "get", url, None, 200, w.clerk, w.alice, "workbench", "held_case"


def api_task_detail(w):
    return api(w.clerk), "get", reverse("api:task-detail", args=[w.case.task_id]), None, 200, w.clerk, w.alice, \
        "api", "held_case"


def api_document_file(w):
    url = reverse("api:document-file", args=[w.app.pk, _document(w.app).pk])
    return api(w.clerk), "get", url, None, 200, w.clerk, w.alice, "api", "held_case"


def api_application_detail_by_counter(w):
    clerk = counter_clerk()
    app, _code = walk_in(clerk)
    return api(clerk), "get", reverse("api:application-detail", args=[app.pk]), None, 200, clerk, app.applicant, \
        "api", "counter"


def api_certificate_by_counter(w):
    CertificateTemplate.objects.create(output=Output.objects.get(code="uscc"), title="营业执照", body="{{ serial }}")
    clerk = counter_clerk()
    app, _code = walk_in(clerk)
    approve(app, "amr-licence", w.clerk)
    url = reverse("api:certificate-file", args=[app.pk, "uscc"])
    return api(clerk), "get", url, None, 200, clerk, app.applicant, "api", "counter"


def admin_application(w):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client = web(admin)
    give_reason(client, admin, ticket="SUP-7", reason="the applicant called")
    url = reverse("admin:applications_application_change", args=[w.app.pk])
    return client, "get", url, None, 200, admin, w.alice, "admin", "support"


def admin_profile(w):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client = web(admin)
    give_reason(client, admin, ticket="SUP-8", reason="a lost phone number")
    url = reverse("admin:accounts_user_change", args=[w.alice.pk])
    return client, "get", url, None, 200, admin, w.alice, "admin", "support"


def workbench_verification(w):
    from .commitment_story import approved, with_rate

    with_rate(1.0)
    app = approved(w.alice, w.clerk)
    verification = Verification.objects.get(case__application=app)
    return web(w.clerk), "get", reverse("workbench:verification", args=[verification.pk]), None, 200, w.clerk, \
        w.alice, "workbench", "office_case"


def workbench_verification_pdf(w):
    from .commitment_story import approved, with_rate

    with_rate(1.0)
    app = approved(w.alice, w.clerk)
    verification = Verification.objects.get(case__application=app)
    return web(w.clerk), "get", reverse("workbench:verification-pdf", args=[verification.pk]), None, 200, \
        w.clerk, w.alice, "workbench", "office_case"


def _posted_delivery(w):
    from .delivery_world import change_submitted, register_company

    company = register_company(w.alice)
    app = change_submitted(w.alice, company, delivery={
        "method": "post", "recipient": "王小明", "phone": "13800138000", "address": "浙江省杭州市西湖区文三路1号"})
    approve(app, "amr-change-registration", w.clerk)
    return company, app.deliveries.get()


def api_delivery_detail(w):
    company, delivery = _posted_delivery(w)
    return api(w.clerk), "get", reverse("api:delivery-detail", args=[delivery.pk]), None, 200, w.clerk, company, \
        "api", "office_case"


def api_delivery_advance(w):
    """The answer shows the recipient and the address again."""
    company, delivery = _posted_delivery(w)
    client = api(w.clerk)
    client.default_format = "json"  # the API takes JSON bodies
    return client, "post", reverse("api:delivery-advance", args=[delivery.pk]), \
        {"state": "posted", "tracking_number": "SF1234567890"}, 200, w.clerk, company, "api", "office_case"


def api_delivery_list(w):
    """One record for each result on the page (here one)."""
    company, _delivery = _posted_delivery(w)
    return api(w.clerk), "get", reverse("api:delivery-list"), None, 200, w.clerk, company, "api", "office_case"


READS = {
    "workbench:task": task_page,
    "workbench:task (a queued task)": queued_task_page,
    "workbench:decide": task_page_re_rendered,
    "workbench:document": workbench_document,
    "workbench:replaced-document": workbench_replaced_document,
    "api:task-detail": api_task_detail,
    "api:document-file": api_document_file,
    "api:application-detail": api_application_detail_by_counter,
    "api:certificate-file": api_certificate_by_counter,
    "admin:applications_application_change": admin_application,
    "admin:accounts_user_change": admin_profile,
    "workbench:verification": workbench_verification,
    "workbench:verification-pdf": workbench_verification_pdf,
    "api:delivery-detail": api_delivery_detail,
    "api:delivery-advance": api_delivery_advance,
    "api:delivery-list (no id; each result on the page)": api_delivery_list,
}

#: Addresses that take an id but read no one's data for someone else, and why.
NOT_READS = {
    "workbench:claim": "an action: redirects, shows nothing",
    "workbench:release": "an action: redirects, shows nothing",
    "workbench:assign": "an action: redirects, shows nothing",
    "workbench:delivery-advance": "an action: redirects, shows nothing",
    "workbench:follow-up": "a supervisor's note on a rating: redirects, shows nothing",
    "workbench:counter-form": "the counter serving the person in front of it: recorded once when it started the "
                              "application with what was known (counter.counter_application_start)",
    "workbench:counter-materials": "as counter-form",
    "workbench:counter-check": "as counter-form",
    "workbench:counter-submit": "as counter-form",
    "workbench:counter-receipt": "as counter-form",
    "api:document-upload": "a write by the applicant (or the counter serving them)",
    "api:application-submit": "the applicant's own action",
    "api:application-resubmit": "the applicant's own action",
    "api:application-withdraw": "the applicant's own action",
    "api:application-apply-again": "the applicant's own action",
    "api:application-evaluation": "the applicant's own rating",
    "api:task-claim": "an action; answers the task summary the task list shows (no answers, no materials)",
    "api:task-release": "as task-claim",
    "api:task-assign": "as task-claim",
    "api:task-complete": "as task-claim",
    "api:organisation-detail": "the organisation's own representatives and agents",
    "api:organisation-agents": "the organisation's own representatives and agents",
    "api:organisation-agent": "the organisation's own representatives and agents",
    "api:authorisation-revoke": "the person's own authorisation",
    "api:case-decision-callback": "a department system's decision: a write",
    "api:one-thing-detail": "the public catalog",
    "api:organisation-access-records": "the organisation's legal representative reading who read its data: the "
                                       "readers are staff at work, whose reads are not personal data of theirs",
    "api:offer-detail": "the person's own offer",
    "api:offer-accept": "the person's own offer",
    "api:offer-decline": "the person's own offer",
    "api:my-export-detail": "the person's own archive of their data (anyone else's is a 404)",
    "api:my-export-file": "the person's own archive of their data (anyone else's is a 404)",
}


def _routes(resolver=None, namespace=None):
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern, pattern.namespace or namespace)
        elif isinstance(pattern, URLPattern) and namespace in ("workbench", "api") and pattern.pattern.converters:
            yield f"{namespace}:{pattern.name}"


def test_every_address_with_an_id_is_in_a_table():
    routes = set(_routes())
    tabled = {name.split(" ")[0] for name in READS} | set(NOT_READS)
    assert routes - tabled == set(), "record the read (READS) or say why it reads nothing (NOT_READS)"
    assert not (set(NOT_READS) & {name.split(" ")[0] for name in READS})


@pytest.mark.parametrize("name", sorted(READS))
def test_each_read_writes_one_access_record(name, world):
    client, method, url, data, status, reader, person, interface, purpose = READS[name](world)
    before = set(AccessRecord.objects.values_list("pk", flat=True))
    response = getattr(client, method)(url, data) if data is not None else getattr(client, method)(url)
    assert response.status_code == status, (name, response.status_code)
    if hasattr(response, "streaming_content"):
        b"".join(response.streaming_content)
    new = list(AccessRecord.objects.exclude(pk__in=before))
    assert len(new) == 1, (name, new)
    row = new[0]
    whose = (row.organisation_id if hasattr(person, "uscc") else row.person_id)  # a company's data, or a person's
    assert (row.reader_id, whose, row.interface, row.purpose) == (reader.pk, person.pk, interface, purpose)
    if interface == "admin":
        assert row.reason.startswith("SUP-") and row.reason.split(": ", 1)[1]
    else:
        assert row.office_id is not None


def test_the_applicant_reading_their_own_data_writes_nothing(world):
    api(world.alice).get(reverse("api:application-detail", args=[world.app.pk]))
    api(world.alice).get(reverse("api:document-file", args=[world.app.pk, _document(world.app).pk]))
    assert not AccessRecord.objects.exists()


def test_a_refused_read_writes_nothing(world, clerks):
    """Another department's clerk gets a 404 and leaves no record (nothing was shown)."""
    response = web(clerks["psb"]).get(reverse("workbench:task", args=[world.case.task_id]))
    assert response.status_code == 404
    assert not AccessRecord.objects.exists()


def test_the_admin_asks_for_a_reason_before_showing_a_profile(world):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client = web(admin)
    url = reverse("admin:accounts_user_change", args=[world.alice.pk])
    page = client.get(url)
    assert page.status_code == 200 and world.alice.id_number not in page.content.decode()
    assert 'name="_access_reason"' in page.content.decode()
    refused = client.post(url, {"_access_reason": "1", "ticket": "", "reason": ""})
    assert refused.status_code == 400 and not AccessRecord.objects.exists()
    given = client.post(url, {"_access_reason": "1", "ticket": "SUP-9", "reason": "address change by phone"})
    assert given.status_code == 302 and given["Location"] == url
    shown = client.get(url)
    assert shown.status_code == 200 and world.alice.id_number in shown.content.decode()
    row = AccessRecord.objects.get()
    assert (row.reader, row.person, row.interface, row.purpose, row.reason) == (
        admin, world.alice, "admin", "support", "SUP-9: address change by phone")
