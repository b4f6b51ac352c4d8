"""One department, two districts: Xihu's market regulation office (amr-330106) and Shangcheng's
(amr-330102) each see only their own cases. Every task URL of the workbench answers 404 to a
member of the other office, clerk or supervisor, and changes nothing; documents likewise."""
from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from govflow.applications import selectors as app_selectors
from govflow.applications.models import Case, CaseStatus, CorrectionRequest, Document, TimelineEntry
from govflow.applications.services import deciding
from govflow.catalog.definition import get_definition
from govflow.catalog.models import Division, Office
from govflow.errors import InvalidInput, NotFound

from ..factories import CitizenFactory, MembershipFactory, UserFactory
from ..stories import case_of, submitted

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class District:
    code: str
    case: Case
    clerk: object
    supervisor: object


def member(username: str, office: str, role: str = "clerk"):
    user = UserFactory(username=username)
    MembershipFactory(user=user, office=Office.objects.get(code=office), role=role)
    return user


@pytest.fixture
def districts(demo_catalog, citizen_alice) -> dict[str, District]:
    """A business application in each district, its market regulation case held by a clerk of
    that district (so release, assign and decide are live for that office), and the clerks and
    supervisors of both offices."""
    sc_citizen = CitizenFactory(username="sc-founder", residence=Division.objects.get(code="330102"))
    found = {}
    for code, citizen in (("330106", citizen_alice), ("330102", sc_citizen)):
        case = case_of(submitted(citizen, "business-startup"), "amr-licence")
        assert case.office.code == f"amr-{code}"
        clerk = member(f"clerk-amr-{code}", f"amr-{code}")
        supervisor = member(f"super-amr-{code}", f"amr-{code}", role="supervisor")
        found[code] = District(code, case, clerk, supervisor)
    return found


def held(district: District) -> Case:
    deciding.task_claim(case=district.case, user=district.clerk)
    return Case.objects.select_related("task", "application").get(pk=district.case.pk)


def a_document(case: Case) -> Document:
    """A material the case's procedure reads (the workbench serves only those)."""
    codes = get_definition(case.application.version).material_codes_of(case.procedure_code)
    return Document.objects.filter(application_id=case.application_id, material_code__in=codes).first()


def snapshot(case: Case) -> tuple:
    fresh = Case.objects.select_related("task").get(pk=case.pk)
    return (fresh.status, fresh.owner_id, fresh.task.status, fresh.task.owner_id,
            TimelineEntry.objects.filter(application_id=case.application_id).count())


#: Every task URL of govflow/workbench/urls.py: (name, method, extra args, posted data).
TASK_URLS = [
    ("task", "get", (), {}),
    ("claim", "post", (), {}),
    ("release", "post", (), {"next": "/workbench/mine/"}),
    ("assign", "post", (), {"assignee": "intruder"}),
    ("decide", "post", (), {"decision": "reject", "comment": "不予登记", "confirmed": "1"}),
    ("decide", "post", (), {"decision": "approve", "uscc": "91330106MA2K111106"}),
    ("document", "get", ("document",), {}),
    ("document", "get", ("document",), {"download": "1"}),
    ("replaced-document", "get", ("replaced",), {}),
]


def test_the_table_covers_every_task_url():
    from govflow.workbench.urls import urlpatterns

    task_urls = {p.name for p in urlpatterns if "task_id" in str(p.pattern)}
    # A delivery's URL needs an approved case with a physical result: tests/workbench/test_deliveries.py
    # checks it for another office's clerks.
    assert task_urls == {name for name, *_ in TASK_URLS} | {"delivery-advance"}


def a_replaced_file(case: Case) -> list:
    """(request id, material code) of a file an answered correction of the case replaced (the
    round is recorded as the services record it, with the case's own document standing in)."""
    doc = a_document(case)
    request = CorrectionRequest.objects.create(
        case=case, requested_by=UserFactory(), fields=[], materials=[doc.material_code], message="重新上传",
        resolved_at=timezone.now(), documents_before={doc.material_code: {
            "file": doc.file.name, "filename": doc.filename, "size": doc.size, "content_type": doc.content_type,
            "sha256": doc.sha256, "uploaded_at": doc.uploaded_at.isoformat()}})
    return [request.pk, doc.material_code]


def url_of(name: str, case: Case, extra: tuple) -> str:
    args = [case.task_id]
    for kind in extra:
        args += a_replaced_file(case) if kind == "replaced" else [a_document(case).pk]
    return reverse(f"workbench:{name}", args=args)


@pytest.mark.parametrize("direction", ["xihu-on-shangcheng", "shangcheng-on-xihu"])
@pytest.mark.parametrize("role", ["clerk", "supervisor"])
@pytest.mark.parametrize(("name", "method", "extra", "data"), TASK_URLS,
                         ids=[f"{n}-{m}-{i}" for i, (n, m, _e, _d) in enumerate(TASK_URLS)])
def test_another_offices_task_is_404_for_every_url_and_changes_nothing(
        districts, as_user, direction, role, name, method, extra, data):
    mine, theirs = ("330106", "330102") if direction == "xihu-on-shangcheng" else ("330102", "330106")
    intruder = getattr(districts[mine], role)
    target = districts[theirs]
    case = target.case if name == "claim" else held(target)  # queued for claim, held for the rest
    data = {k: (intruder.pk if v == "intruder" else v) for k, v in data.items()}
    before = snapshot(case)
    client = as_user(intruder)
    response = getattr(client, method)(url_of(name, case, extra), data)
    assert response.status_code == 404
    assert snapshot(case) == before


@pytest.mark.parametrize(("name", "method", "extra"), [("task", "get", ()), ("document", "get", ("document",)),
                                                   ("replaced-document", "get", ("replaced",))])
def test_the_same_urls_work_for_the_offices_own_members(districts, as_user, name, method, extra):
    """The 404s above are about the office, not a broken URL: the case's own office gets the page."""
    for district in districts.values():
        case = held(district)
        for user in (district.clerk, district.supervisor):
            assert getattr(as_user(user), method)(url_of(name, case, extra)).status_code == 200


def test_a_supervisor_assigns_within_the_office_only(districts, as_user):
    xihu, shangcheng = districts["330106"], districts["330102"]
    case = held(xihu)
    # a member of the other office is not offered and not accepted
    page = as_user(xihu.supervisor).get(reverse("workbench:task", args=[case.task_id])).content.decode()
    assert f'value="{shangcheng.clerk.pk}"' not in page
    as_user(xihu.supervisor).post(reverse("workbench:assign", args=[case.task_id]),
                                  {"assignee": shangcheng.clerk.pk})
    assert Case.objects.get(pk=case.pk).owner_id == xihu.clerk.pk
    with pytest.raises(InvalidInput):
        deciding.task_assign(case=case, user=xihu.supervisor, assignee=shangcheng.clerk)
    # and a supervisor of the other office cannot assign it to their own clerk either
    with pytest.raises(NotFound):
        deciding.task_assign(case=case, user=shangcheng.supervisor, assignee=shangcheng.clerk)
    assert Case.objects.get(pk=case.pk).owner_id == xihu.clerk.pk


def test_the_services_refuse_another_offices_member_themselves(districts):
    xihu, shangcheng = districts["330106"], districts["330102"]
    with pytest.raises(NotFound):
        deciding.task_claim(case=shangcheng.case, user=xihu.clerk)
    case = held(shangcheng)
    for refused in (lambda: deciding.task_release(case=case, user=xihu.supervisor),
                    lambda: deciding.task_complete(case=case, user=xihu.clerk, decision="reject", comment="x")):
        with pytest.raises(NotFound):
            refused()
    assert Case.objects.get(pk=case.pk).status == CaseStatus.IN_REVIEW


def test_queues_list_only_the_offices_own_tasks(districts, as_user):
    for mine, theirs in (("330106", "330102"), ("330102", "330106")):
        rows = as_user(districts[mine].clerk).get("/workbench/").context["rows"]
        numbers = {row.number for row in rows}
        assert districts[mine].case.application.number in numbers
        assert districts[theirs].case.application.number not in numbers


# -- document_for_user ---------------------------------------------------------------------------


def test_a_document_is_for_its_owner_and_the_members_of_an_office_with_a_case_on_it(districts, citizen_alice):
    xihu, shangcheng = districts["330106"], districts["330102"]
    for district, other in ((xihu, shangcheng), (shangcheng, xihu)):
        case = district.case
        doc = a_document(case)
        owner = case.application.applicant
        assert app_selectors.document_for_user(owner, case.application_id, doc.pk) == doc
        for user in (district.clerk, district.supervisor):
            assert app_selectors.document_for_user(user, case.application_id, doc.pk) == doc
        for user in (other.clerk, other.supervisor, other.case.application.applicant):
            with pytest.raises(Http404):
                app_selectors.document_for_user(user, case.application_id, doc.pk)
        # Nor through another application's id: the document belongs to its own.
        with pytest.raises(Http404):
            app_selectors.document_for_user(other.clerk, other.case.application_id, doc.pk)


def test_a_document_of_a_shangcheng_application_is_not_for_the_city_office(districts):
    """Hangzhou's market regulation office oversees the districts' work on the board; it has no case
    on a district's application, so that application's documents are not its to read."""
    case = districts["330102"].case
    city = member("super-amr-hz", "amr-330100", role="supervisor")
    with pytest.raises(Http404):
        app_selectors.document_for_user(city, case.application_id, a_document(case).pk)
