"""Citizen-side services: drafts, documents, due dates, versions, access."""
from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from django.http import Http404
from viewflow.workflow.exceptions import FlowLockFailed

from govflow.applications import engine, selectors
from govflow.applications.models import Application, Document, TimelineEntry
from govflow.applications.services import citizen_actions, common, deciding, drafting, submitting, uploading
from govflow.catalog.calendar import add_working_days
from govflow.catalog.models import OneThing
from govflow.errors import (
    Busy,
    InvalidInput,
    InvalidState,
    NotFound,
    UnsupportedFileType,
    UploadTooLarge,
)

from ..conftest import load_demo_document
from ..stories import (
    BUSINESS_ANSWERS,
    JPEG_BYTES,
    PDF_BYTES,
    PNG_BYTES,
    approve,
    case_of,
    draft,
    submitted,
    upload,
)

pytestmark = pytest.mark.django_db


# -- drafts ---------------------------------------------------------------------------------

def test_a_draft_starts_on_the_current_version_without_a_number(citizen_alice, demo_catalog):
    app = drafting.application_create(user=citizen_alice, one_thing_code="newborn", data={"baby_name": "小宝"})
    one_thing = OneThing.objects.get(code="newborn")
    assert app.version_id == one_thing.current_version_id
    assert (app.status, app.number) == ("draft", None)


def test_creating_for_an_unknown_or_unpublished_one_thing_is_refused(citizen_alice, demo_catalog):
    with pytest.raises(InvalidInput):
        drafting.application_create(user=citizen_alice, one_thing_code="no-such-thing")
    OneThing.objects.filter(code="newborn").update(is_published=False)
    with pytest.raises(InvalidInput):
        drafting.application_create(user=citizen_alice, one_thing_code="newborn")
    assert not Application.objects.exists()


def test_update_merges_answers_and_null_removes_one(citizen_alice, demo_catalog):
    app = drafting.application_create(user=citizen_alice, one_thing_code="newborn",
                                      data={"baby_name": "小宝", "ethnicity": "汉族"})
    drafting.application_update(application=app, user=citizen_alice, data={"baby_sex": "male", "ethnicity": None})
    app.refresh_from_db()
    assert app.data == {"baby_name": "小宝", "baby_sex": "male"}


@pytest.mark.parametrize("data", [
    {"not_a_field": 1},
    {"gestational_weeks": "thirty"},
    {"gestational_weeks": 10**30},
    {"birth_date": "2026-02-30"},
    {"mother_id": "330106199001010000"},
    {"contact_phone": "12345"},
    {"baby_sex": "unknown"},
    ["not", "an", "object"],
])
def test_invalid_answers_are_refused_and_change_nothing(citizen_alice, demo_catalog, data):
    app = drafting.application_create(user=citizen_alice, one_thing_code="newborn", data={"baby_name": "小宝"})
    with pytest.raises(InvalidInput):
        drafting.application_update(application=app, user=citizen_alice, data=data)
    app.refresh_from_db()
    assert app.data == {"baby_name": "小宝"}


def test_only_drafts_can_be_deleted(citizen_alice, demo_catalog):
    app = draft(citizen_alice, "newborn")
    stored = [d.file.name for d in app.documents.all()]
    drafting.application_delete(application=app, user=citizen_alice)
    assert not Application.objects.filter(pk=app.pk).exists()
    assert stored and not Document.objects.exists()
    app = submitted(citizen_alice, "newborn")
    with pytest.raises(InvalidState):
        drafting.application_delete(application=app, user=citizen_alice)


def test_another_citizens_application_does_not_exist_for_them(citizen_alice, outsider_charlie, demo_catalog):
    app = draft(citizen_alice, "newborn")
    with pytest.raises(Http404):
        selectors.application_for_citizen(outsider_charlie, app.pk)
    for call in (
        lambda: drafting.application_update(application=app, user=outsider_charlie, data={"baby_name": "x"}),
        lambda: submitting.application_submit(application=app, user=outsider_charlie),
        lambda: drafting.application_delete(application=app, user=outsider_charlie),
        lambda: upload(app, outsider_charlie, "delivery_record", PDF_BYTES),
    ):
        with pytest.raises(NotFound):
            call()
    assert selectors.application_for_citizen(citizen_alice, app.pk) == app
    for bad in ("abc", -1, 10**30, None):
        with pytest.raises(Http404):
            selectors.application_for_citizen(citizen_alice, bad)


# -- documents ------------------------------------------------------------------------------

def test_an_upload_is_stored_under_a_random_name_with_its_hash_and_sniffed_type(citizen_alice, demo_catalog):
    import hashlib

    app = drafting.application_create(user=citizen_alice, one_thing_code="newborn")
    doc = upload(app, citizen_alice, "baby_photo", JPEG_BYTES, filename="../../etc/宝宝 照片?.jpg")
    assert doc.content_type == "image/jpeg"
    assert doc.sha256 == hashlib.sha256(JPEG_BYTES).hexdigest() and doc.size == len(JPEG_BYTES)
    assert "/" not in doc.filename and ".." not in doc.filename and "?" not in doc.filename
    assert "baby" not in doc.file.name and "照片" not in doc.file.name
    with doc.file.open("rb") as fh:
        assert fh.read() == JPEG_BYTES


def test_uploading_again_replaces_the_material(citizen_alice, demo_catalog):
    app = drafting.application_create(user=citizen_alice, one_thing_code="newborn")
    upload(app, citizen_alice, "delivery_record", PDF_BYTES)
    upload(app, citizen_alice, "delivery_record", PNG_BYTES, filename="scan.png")
    assert list(app.documents.values_list("material_code", "content_type")) == [("delivery_record", "image/png")]


def test_a_disguised_or_unaccepted_file_is_refused(citizen_alice, demo_catalog):
    app = drafting.application_create(user=citizen_alice, one_thing_code="newborn")
    executable = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200
    with pytest.raises(UnsupportedFileType):
        upload(app, citizen_alice, "delivery_record", executable, filename="record.pdf")
    with pytest.raises(UnsupportedFileType):  # baby_photo takes images only
        upload(app, citizen_alice, "baby_photo", PDF_BYTES, filename="photo.jpg")
    with pytest.raises(UnsupportedFileType):
        upload(app, citizen_alice, "delivery_record", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "a.svg")
    with pytest.raises(InvalidInput):
        upload(app, citizen_alice, "no_such_material", PDF_BYTES)
    assert not app.documents.exists()


def test_an_oversized_file_is_refused(citizen_alice, demo_catalog):
    app = drafting.application_create(user=citizen_alice, one_thing_code="newborn")
    big = io.BytesIO(JPEG_BYTES + b"\x00" * (5 * 1024 * 1024))  # baby_photo allows 5 MB
    with pytest.raises(UploadTooLarge):
        uploading.document_upload(application=app, user=citizen_alice, material_code="baby_photo", file=big)
    assert not app.documents.exists()


def test_materials_cannot_change_after_submission(citizen_alice, demo_catalog):
    app = submitted(citizen_alice, "newborn")
    with pytest.raises(InvalidState):
        upload(app, citizen_alice, "delivery_record", PDF_BYTES)
    with pytest.raises(InvalidState):
        drafting.application_update(application=app, user=citizen_alice, data={"baby_name": "x"})


# -- versions -------------------------------------------------------------------------------

def _publish_changed_newborn(days: int = 2) -> None:
    from govflow.catalog.services import import_catalog

    doc = load_demo_document()
    for procedure in doc["procedures"]:
        if procedure["code"] == "health-birth-certificate":
            procedure["committed_days"] = days
    for one_thing in doc["one_things"]:
        if one_thing["code"] == "newborn":
            one_thing["committed_days"] += days - 1  # the commitment follows its critical path
    import_catalog(doc)


def test_a_running_application_keeps_its_version_when_the_one_thing_changes(citizen_alice, clerks):
    app = submitted(citizen_alice, "newborn")
    old_version = app.version_id
    _publish_changed_newborn()
    one_thing = OneThing.objects.get(code="newborn")
    assert one_thing.current_version_id != old_version
    for code in ("health-birth-certificate", "psb-household-registration", "mi-newborn-insurance",
                 "hrss-social-security-card"):
        approve(app, code, clerks[code.split("-")[0]])
    app.refresh_from_db()
    assert app.version_id == old_version and app.status == "completed"
    newer = submitted(citizen_alice, "newborn")
    assert newer.version_id == one_thing.current_version_id
    assert case_of(newer, "health-birth-certificate").committed_days == 2


def test_a_draft_moves_to_the_newest_version_at_submission(citizen_alice, demo_catalog):
    app = draft(citizen_alice, "newborn")
    _publish_changed_newborn()
    app = submitting.application_submit(application=app, user=citizen_alice)
    assert app.version_id == OneThing.objects.get(code="newborn").current_version_id


def test_submission_is_refused_once_the_one_thing_is_unpublished(citizen_alice, demo_catalog):
    app = draft(citizen_alice, "newborn")
    OneThing.objects.filter(code="newborn").update(is_published=False)
    with pytest.raises(InvalidState):
        submitting.application_submit(application=app, user=citizen_alice)


# -- due dates ------------------------------------------------------------------------------

FRIDAY = dt.datetime(2026, 11, 27, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def test_due_dates_count_working_days_from_queueing_and_expected_finish_follows_the_chain(
        citizen_alice, clerks):
    with time_machine.travel(FRIDAY, tick=False):
        app = submitted(citizen_alice, "newborn")
    birth = case_of(app, "health-birth-certificate")
    assert birth.due_date == dt.date(2026, 11, 30)  # 1 working day after Friday: Monday
    # birth (1) -> household (1) -> card (3): Mon, Tue, then Fri
    assert app.expected_finish == add_working_days(dt.date(2026, 12, 1), 3)
    assert case_of(app, "psb-household-registration").due_date is None


def test_the_sla_clock_pauses_while_the_citizen_corrects(citizen_alice, clerks):
    with time_machine.travel(FRIDAY, tick=False):
        app = submitted(citizen_alice, "newborn")
        case = case_of(app, "health-birth-certificate")
        deciding.task_claim(case=case, user=clerks["health"])
        deciding.task_complete(case=case, user=clerks["health"], decision="request_correction",
                               corrections={"fields": ["birth_weight_kg"], "message": "体重有误"})
    before = case_of(app, "health-birth-certificate").due_date
    tuesday = FRIDAY + dt.timedelta(days=4)  # Mon and Tue spent waiting: two working days
    with time_machine.travel(tuesday, tick=False):
        drafting.application_update(application=app, user=citizen_alice, data={"birth_weight_kg": "3.30"})
        citizen_actions.application_resubmit(application=app, user=citizen_alice)
    case = case_of(app, "health-birth-certificate")
    assert case.paused_working_days == 2
    assert case.due_date == add_working_days(before, 2)


# -- timeline -------------------------------------------------------------------------------

def test_the_timeline_is_append_only(citizen_alice, clerks):
    app = submitted(citizen_alice, "newborn")
    entry = TimelineEntry.objects.filter(application=app).first()
    entry.message = "rewritten"
    with pytest.raises(TypeError):
        entry.save()
    with pytest.raises(TypeError):
        entry.delete()
    with pytest.raises(TypeError):
        TimelineEntry.objects.filter(application=app).delete()
    with pytest.raises(TypeError):
        TimelineEntry.objects.filter(application=app).update(message="x")


def test_every_state_change_is_on_the_timeline(citizen_alice, clerks):
    app = submitted(citizen_alice, "business-startup", answers=dict(BUSINESS_ANSWERS, has_employees=False))
    approve(app, "amr-licence", clerks["amr"])
    case = case_of(app, "tax-registration")
    deciding.task_claim(case=case, user=clerks["tax"])
    deciding.task_release(case=case, user=clerks["tax"])
    kinds = list(TimelineEntry.objects.filter(application=app).values_list("kind", flat=True))
    assert kinds == ["application.submitted", "case.queued", "case.claimed", "case.approved",
                     "case.queued", "case.queued", "case.claimed", "case.released"]
    assert all(e.department_id for e in TimelineEntry.objects.filter(application=app, kind__startswith="case."))


def test_the_engine_refuses_to_run_outside_a_service_call():
    with pytest.raises(RuntimeError):
        engine.current()


def test_clerk_task_access_is_limited_to_their_departments(citizen_alice, clerks):
    app = submitted(citizen_alice, "business-startup")
    case = case_of(app, "amr-licence")
    assert selectors.task_for_clerk(clerks["amr"], case.task_id) == case
    with pytest.raises(Http404):
        selectors.task_for_clerk(clerks["tax"], case.task_id)
    with pytest.raises(NotFound):
        deciding.task_claim(case=case, user=clerks["tax"])
    with pytest.raises(Http404):
        selectors.task_for_clerk(citizen_alice, case.task_id)



def test_a_clerk_sees_only_what_their_procedure_needs(citizen_alice, clerks):
    app = submitted(citizen_alice, "newborn")
    approve(app, "health-birth-certificate", clerks["health"])
    case = selectors.task_for_clerk(clerks["psb"], case_of(app, "psb-household-registration").task_id)
    view = selectors.task_view_for_clerk(case)
    assert "household_address" in view["data"] and "gestational_weeks" not in view["data"]
    assert view["outputs"] == {"birth_certificate_no": "Q330123456"}
    assert {d.material_code for d in view["documents"]} == {"mother_id_card", "father_id_card",
                                                             "household_register"}


def test_documents_are_served_to_the_owner_and_to_clerks_whose_live_case_needs_them(citizen_alice, outsider_charlie,
                                                                                   clerks):
    app = submitted(citizen_alice, "newborn")
    photo = app.documents.get(material_code="baby_photo")
    record = app.documents.get(material_code="delivery_record")
    assert selectors.document_for_user(citizen_alice, app.pk, photo.pk) == photo
    assert selectors.document_for_user(clerks["health"], app.pk, record.pk) == record
    for user, doc in ((outsider_charlie, photo), (clerks["health"], photo), (clerks["hrss"], photo),
                      (clerks["amr"], record)):
        with pytest.raises(Http404):  # hrss's case is still waiting; amr has no case
            selectors.document_for_user(user, app.pk, doc.pk)
    with pytest.raises(Http404):
        selectors.document_for_user(citizen_alice, app.pk + 1, photo.pk)


def test_case_changes_are_queued_for_a_department_system_with_a_webhook(citizen_alice, clerks):
    from govflow.catalog.models import Department
    from govflow.notifications.models import OutboxMessage

    Department.objects.filter(code="amr").update(webhook_url="https://amr.example.org/hook", webhook_secret="s")
    app = submitted(citizen_alice, "business-startup")
    approve(app, "amr-licence", clerks["amr"])
    hooks = list(OutboxMessage.objects.filter(kind="webhook").order_by("id"))
    assert [h.event for h in hooks] == ["case.queued", "case.claimed", "case.approved"]
    body = hooks[-1].payload
    assert body["type"] == "case.approved" and body["application"] == {"id": app.pk, "number": app.number}
    assert body["case"]["procedure"] == "amr-licence" and body["case"]["outputs"]
    # Departments without a webhook get nothing.
    assert not OutboxMessage.objects.filter(kind="webhook", payload__case__department="tax").exists()


def test_a_lock_the_engine_cannot_take_is_the_domains_busy():
    @common.engine_step
    def moves_the_workflow():
        raise FlowLockFailed("Lock failed")

    with pytest.raises(Busy):
        moves_the_workflow()


def test_a_correction_keeps_what_its_marked_answers_and_first_replaced_file_were(
        citizen_alice, clerks, django_capture_on_commit_callbacks):
    """For the clerk's side-by-side view: the marked answers when asked, and the file the round's
    first upload replaced (kept on disk); a second upload in the round replaces only the round's
    own file, which is deleted as any replaced file is."""
    from django.core.files.storage import default_storage

    app = submitted(citizen_alice, "business-startup")
    case = case_of(app, "amr-licence")
    original = Document.objects.get(application=app, material_code="premises_proof")
    deciding.task_claim(case=case, user=clerks["amr"])
    deciding.task_complete(case=case, user=clerks["amr"], decision="request_correction",
                           corrections={"fields": ["company_name"], "materials": ["premises_proof"],
                                        "message": "名称有误"})
    request = case.correction_requests.get()
    assert request.answers_before == {"company_name": BUSINESS_ANSWERS["company_name"]}

    with django_capture_on_commit_callbacks(execute=True):
        first = upload(app, citizen_alice, "premises_proof", PNG_BYTES, "first.png")
    with django_capture_on_commit_callbacks(execute=True):
        upload(app, citizen_alice, "premises_proof", PDF_BYTES, "second.pdf")

    request.refresh_from_db()
    kept = request.documents_before["premises_proof"]
    assert (kept["file"], kept["filename"], kept["sha256"]) == (original.file.name, original.filename,
                                                                original.sha256)
    assert default_storage.exists(original.file.name)  # kept for the clerk
    assert not default_storage.exists(first.file.name)  # the round's own intermediate file is not
    assert selectors.answered_correction(case) is None  # not answered yet
    citizen_actions.application_resubmit(application=app, user=citizen_alice)
    assert selectors.answered_correction(case).pk == request.pk
