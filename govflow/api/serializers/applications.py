"""Representations of applications (cases, documents, timeline, deliveries, refusals), built from rows read in bulk (no per-row queries).

Names and labels come from the application's immutable version snapshot, in the
request's language; departments, offices and divisions from their rows.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import TextField
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import timezone
from rest_framework import ISO_8601, serializers
from rest_framework.settings import api_settings

from govflow.applications.models import (
    Application,
    ApplicationStatus,
    Case,
    CaseStatus,
    Channel,
    Delivery,
    DeliveryMethod,
    DeliveryState,
    Document,
    DocumentStatus,
    Origin,
    Outcome,
    TimelineEntry,
)
from govflow.applications.remedies import RejectionNotice, rejection_notices
from govflow.applications.states import STATES, state_label, state_of
from govflow.applications.timeline import PUBLIC_TIMELINE_KINDS
from govflow.catalog.checkers import readable_comment
from govflow.catalog.definition import get_definition
from govflow.catalog.jurisdictions import division_payload
from govflow.catalog.models import Department, Office, localized

from .common import (
    DepartmentSerializer,
    DivisionRefSerializer,
    OfficeSerializer,
    PersonRefSerializer,
    ProcedureRefSerializer,
    person_ref,
    procedure_repr,
)


def document_repr(document: Any) -> dict:
    return {
        "id": document.pk,
        "material": document.material_code,
        "filename": document.filename,
        "size": document.size,
        "sha256": document.sha256,
        "status": document.status,
        "due_date": document.due_date.isoformat() if document.due_date else None,
        "uploaded_at": serializers.DateTimeField().to_representation(document.uploaded_at),
        "url": reverse("api:document-file", args=[document.application_id, document.pk]) if document.file else None,
    }



def evaluation_repr(application: Application) -> dict | None:
    try:
        evaluation = application.evaluation
    except Application.evaluation.RelatedObjectDoesNotExist:
        return None
    return {"score": evaluation.score, "comment": evaluation.comment,
            "created_at": serializers.DateTimeField().to_representation(evaluation.created_at)}


class DocumentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    material = serializers.CharField()
    filename = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    status = serializers.ChoiceField(
        choices=DocumentStatus.choices, help_text="`provided` (the file is the material), `deferred` (容缺受理: "
        "accepted without it, due by `due_date`; no file yet) or `commitment` (告知承诺制: the file is the "
        "applicant's signed commitment, in place of the material).")
    due_date = serializers.DateField(allow_null=True, help_text="For a deferred material, the working day it is "
                                                                "due by.")
    uploaded_at = serializers.DateTimeField()
    url = serializers.CharField(allow_null=True, help_text="Download address of the file (null while deferred).")


class CorrectionsSerializer(serializers.Serializer):
    fields = serializers.ListField(child=serializers.CharField())
    materials = serializers.ListField(child=serializers.CharField())
    message = serializers.CharField()


class CaseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    procedure = ProcedureRefSerializer()
    department = DepartmentSerializer()
    office = OfficeSerializer(help_text="The office handling the case: its department's office competent for "
                                        "the application's division.")
    status = serializers.ChoiceField(choices=CaseStatus.choices)
    due_date = serializers.DateField(allow_null=True)
    outputs = serializers.DictField(child=serializers.CharField())
    corrections = CorrectionsSerializer(allow_null=True)


class TimelineEntrySerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    kind = serializers.CharField()
    department = DepartmentSerializer(allow_null=True)
    message = serializers.CharField(allow_blank=True)


class EvaluationSerializer(serializers.Serializer):
    score = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()


APPLICANT_KINDS = [("person", "person"), ("organisation", "organisation")]


class ApplicantSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=APPLICANT_KINDS,
                                   help_text="`person`: a person (applying themselves, or through an agent or a "
                                             "counter); `organisation`: a legal person acting through its legal "
                                             "representative or an authorised agent.")
    id = serializers.IntegerField(help_text="The person's or the organisation's id.")
    name = serializers.CharField()



class DeliveryRefSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=DeliveryMethod.choices)
    office = OfficeSerializer(allow_null=True, help_text="pickup: where.")
    address = serializers.DictField(allow_null=True, help_text="post: `{recipient, phone, address}`.")


class DeliveryRecordSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    case = serializers.IntegerField()
    procedure = serializers.CharField()
    result = serializers.CharField(help_text="The physical result's code in the procedure's `physical_results`.")
    label = serializers.CharField()
    method = serializers.ChoiceField(choices=DeliveryMethod.choices)
    state = serializers.ChoiceField(choices=DeliveryState.choices)
    tracking_number = serializers.CharField(allow_blank=True)
    updated_at = serializers.DateTimeField()


class ReconsiderationSerializer(serializers.Serializer):
    body = serializers.CharField(help_text="Where to apply for administrative reconsideration (行政复议).")
    days = serializers.IntegerField(help_text="Within how many days of the decision.")
    until = serializers.DateField(help_text="The last day: the decision's date plus the days.")


class LitigationSerializer(serializers.Serializer):
    court = serializers.CharField(help_text="The people's court for an administrative lawsuit (行政诉讼).")
    months = serializers.IntegerField(help_text="Within how many months of the decision.")
    until = serializers.DateField(help_text="The last day: the decision's date plus the months.")


class RejectionSerializer(serializers.Serializer):
    procedure = serializers.CharField()
    department = serializers.CharField()
    reason = serializers.CharField()
    decided_on = serializers.DateField()
    revoked = serializers.BooleanField(help_text="The procedure was approved, then the approval was revoked on "
                                                 "`decided_on` (a commitment found false, a deferred material never "
                                                 "handed in); `false`: refused.")
    reconsideration = ReconsiderationSerializer()
    litigation = LitigationSerializer()


class ApplicationSerializer(serializers.Serializer):
    """Read-only; built by ``application_repr`` from prefetched rows."""

    id = serializers.IntegerField()
    number = serializers.CharField(allow_null=True)
    one_thing = serializers.CharField()
    version = serializers.IntegerField()
    applicant = ApplicantSerializer(help_text="Whom the application is for.")
    submitted_by = PersonRefSerializer(
        allow_null=True, help_text="The person who acted: started the draft, then submitted it (the applicant, an "
                                   "agent, the organisation's legal representative or agent, a counter clerk).")
    channel = serializers.ChoiceField(choices=Channel.choices, help_text="Through which door it came: `online` "
                                      "(the portal), `counter` (a service-hall counter) or `api`.")
    origin = serializers.ChoiceField(choices=Origin.choices, help_text="Who started it: `citizen` (applied for), "
                                     "`offer` (the state offered it pre-filled and the applicant accepted, 免申即享) "
                                     "or `grant` (granted without any application).")
    division = DivisionRefSerializer(help_text="Where the application is handled: its cases go to the offices "
                                               "competent for this division.")
    status = serializers.ChoiceField(choices=ApplicationStatus.choices)
    outcome = serializers.ChoiceField(choices=Outcome.choices, allow_null=True)
    state = serializers.ChoiceField(
        choices=list(STATES), help_text="What state it is in, in one word: the status, or for a completed "
        "application its outcome (`approved`, `partially_approved`, `rejected`); `withdrawn` stays `withdrawn`.")
    state_label = serializers.CharField(help_text="The state in the request's language, as the portal shows it.")
    data = serializers.DictField()
    documents = DocumentSerializer(many=True)
    cases = CaseSerializer(many=True)
    timeline = TimelineEntrySerializer(many=True)
    submitted_at = serializers.DateTimeField(allow_null=True)
    expected_finish = serializers.DateField(
        allow_null=True, help_text="The date promised at submission (the committed working days from the submission "
        "day); fixed then, never moved.")
    rejections = RejectionSerializer(
        many=True, help_text="Each refused procedure: the reason, the date of the decision, and the remedies "
        "(administrative reconsideration and litigation: where, within how long, until when).")
    evaluation = EvaluationSerializer(allow_null=True)
    delivery = DeliveryRefSerializer(allow_null=True, help_text="How physical results reach the applicant, as "
                                                                "chosen at submission (null: nothing physical).")
    deliveries = DeliveryRecordSerializer(many=True, help_text="Each physical result of an approved case and its "
                                                               "state: `preparing`, then `ready` → `collected` "
                                                               "(pickup) or `posted` → `delivered` (post).")

    def to_representation(self, application: Application) -> dict:
        return application_repr(application)


def rejection_repr(notice: RejectionNotice) -> dict:
    return {
        "procedure": notice.procedure_code, "department": notice.department, "reason": notice.reason,
        "decided_on": notice.decided_on.isoformat(), "revoked": notice.revoked,
        "reconsideration": {"body": notice.reconsideration_body, "days": notice.reconsideration_days,
                            "until": notice.reconsideration_until.isoformat()},
        "litigation": {"court": notice.litigation_court, "months": notice.litigation_months,
                       "until": notice.litigation_until.isoformat()},
    }


def application_repr(application: Application) -> dict:
    """One application, as :func:`application_reprs` builds it (three queries for its rows)."""
    return application_reprs([application])[0]


class _Times:
    """``DateTimeField().to_representation`` for many values, the time zone looked up once: the
    same ISO 8601 text (``Z`` for UTC), without a serializer field and a context lookup per value."""

    def __init__(self) -> None:
        self.field = serializers.DateTimeField()
        iso = settings.USE_TZ and str(getattr(self.field, "format", api_settings.DATETIME_FORMAT)).lower() == ISO_8601
        self.zone = timezone.get_current_timezone() if iso else None

    def __call__(self, value: datetime | None) -> str | None:
        if not value:
            return None
        if self.zone is None or not timezone.is_aware(value):
            return self.field.to_representation(value)
        text = value.astimezone(self.zone).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text


def _url_of(name: str) -> Callable[[int, int], str]:
    """``reverse(name, args=[a, b])`` for many pairs of ids: reversed once, with markers where they go."""
    first, second = "9" * 17 + "1", "9" * 17 + "2"
    url = reverse(name, args=[int(first), int(second)])
    head, _, rest = url.partition(first)
    middle, _, tail = rest.partition(second)
    return lambda a, b: f"{head}{int(a)}{middle}{int(b)}{tail}"


def _text(json_field: str) -> Cast:
    """A JSON column as its text, to be decoded only where it is used."""
    return Cast(json_field, output_field=TextField())


def application_reprs(applications: Sequence[Application]) -> list[dict]:
    """The representations of applications read with ``one_thing``, ``version`` (its snapshot may be
    deferred: ``get_definition`` caches it), ``division`` and ``evaluation``; their documents, cases and public
    timelines come in three queries of plain rows, whatever the number of applications.

    A list page holds hundreds of these rows: as model instances (each with its department) and
    through serializer fields per value they cost several times the queries themselves.
    """
    if not applications:
        return []
    ids = [application.pk for application in applications]
    by_id = {application.pk: application for application in applications}
    times = _Times()
    document_url = _url_of("api:document-file")
    departments: dict[int, dict] = {}
    offices: dict[int, dict] = {}
    procedures: dict[tuple[int, str], dict] = {}

    def department(pk: int | None, code: str | None, name: str | None) -> dict | None:
        if pk is None:
            return None
        found = departments.get(pk)
        if found is None:  # the name's JSON is decoded once per department, not once per row
            found = departments[pk] = {"code": code, "name": localized(json.loads(name))}
        return dict(found)

    def office(pk: int, code: str, name: str, division: str) -> dict:
        found = offices.get(pk)
        if found is None:
            found = offices[pk] = {"code": code, "name": localized(json.loads(name)) or code, "division": division}
        return dict(found)

    def procedure(application: Application, code: str) -> dict:
        key = (application.version_id, code)
        found = procedures.get(key)
        if found is None:
            found = procedures[key] = procedure_repr(application, code)
        return dict(found)

    documents: dict[int, list[dict]] = {pk: [] for pk in ids}
    for application_id, pk, material, filename, size, sha256, doc_status, due, file, uploaded_at in (
            Document.objects.filter(application_id__in=ids).order_by("material_code", "id")
            .values_list("application_id", "id", "material_code", "filename", "size", "sha256", "status",
                         "due_date", "file", "uploaded_at")):
        documents[application_id].append({
            "id": pk, "material": material, "filename": filename, "size": size, "sha256": sha256,
            "status": doc_status, "due_date": due.isoformat() if due else None,
            "uploaded_at": times(uploaded_at), "url": document_url(application_id, pk) if file else None,
        })

    cases: dict[int, list[dict]] = {pk: [] for pk in ids}
    refused: dict[int, list[Case]] = {pk: [] for pk in ids}  # unsaved rows, for the rejection notices
    for (application_id, pk, procedure_code, department_id, department_code, department_name, office_id,
         office_code, office_name, office_division, case_status, due_date, outputs, corrections, comment,
         decided_at, revoked_at, revocation_reason) in (
            Case.objects.filter(application_id__in=ids).order_by("position", "id")
            .annotate(department_text=_text("department__name"), office_text=_text("office__name"),
                      corrections_text=_text("corrections"))
            .values_list("application_id", "id", "procedure_code", "department_id", "department__code",
                         "department_text", "office_id", "office__code", "office_text", "office__division__code",
                         "status", "due_date", "outputs", "corrections_text", "comment", "decided_at", "revoked_at",
                         "revocation_reason")):
        if case_status in (CaseStatus.REJECTED, CaseStatus.REVOKED):
            refused[application_id].append(Case(
                procedure_code=procedure_code, status=case_status, comment=comment, decided_at=decided_at,
                revoked_at=revoked_at, revocation_reason=revocation_reason,
                department=Department(pk=department_id, name=json.loads(department_name))))
        correction = None
        if case_status == CaseStatus.CORRECTION_REQUESTED:
            corrections = json.loads(corrections)
            correction = {"fields": corrections.get("fields", []), "materials": corrections.get("materials", []),
                          "message": corrections.get("message", "")}
        cases[application_id].append({
            "id": pk,
            "procedure": procedure(by_id[application_id], procedure_code),
            "department": department(department_id, department_code, department_name),
            "office": office(office_id, office_code, office_name, office_division),
            "status": case_status,
            "due_date": due_date.isoformat() if due_date else None,
            "outputs": outputs or {},
            "corrections": correction,
        })

    timeline: dict[int, list[dict]] = {pk: [] for pk in ids}
    for application_id, at, kind, department_id, department_code, department_name, message in (
            TimelineEntry.objects.filter(application_id__in=ids, kind__in=PUBLIC_TIMELINE_KINDS).order_by("at", "id")
            .annotate(department_text=_text("department__name"))
            .values_list("application_id", "at", "kind", "department_id", "department__code", "department_text",
                         "message")):
        timeline[application_id].append({
            "at": times(at), "kind": kind, "department": department(department_id, department_code, department_name),
            "message": readable_comment(message),
        })

    deliveries: dict[int, list[dict]] = {pk: [] for pk in ids}
    pickup_offices: dict[int, dict] = {}
    wanted = [application.pk for application in applications if application.delivery_method]
    if wanted:
        for pk, application_id, case_id, procedure_code, code, label, method, state, tracking_number, updated_at in (
                Delivery.objects.filter(application_id__in=wanted).order_by("id")
                .values_list("id", "application_id", "case_id", "case__procedure_code", "code", "label", "method",
                             "state", "tracking_number", "updated_at")):
            deliveries[application_id].append({
                "id": pk, "case": case_id, "procedure": procedure_code, "result": code, "label": localized(label) or code,
                "method": method, "state": state, "tracking_number": tracking_number, "updated_at": times(updated_at)})
        office_ids = {a.pickup_office_id for a in applications if a.pickup_office_id}
        for office_id, office_code, office_name, office_division in (
                Office.objects.filter(pk__in=office_ids).annotate(name_text=_text("name"))
                .values_list("id", "code", "name_text", "division__code")) if office_ids else ():
            pickup_offices[office_id] = office(office_id, office_code, office_name, office_division)

    def delivery_choice(application: Application) -> dict | None:
        if not application.delivery_method:
            return None
        return {"method": application.delivery_method,
                "office": pickup_offices.get(application.pickup_office_id) if application.pickup_office_id else None,
                "address": dict(application.delivery_address) if application.delivery_address else None}

    return [{
        "id": application.pk,
        "number": application.number,
        "one_thing": application.one_thing.code,
        "version": application.version.number,
        "applicant": application.party_ref(),
        "submitted_by": person_ref(application.submitted_by) if application.submitted_by_id else None,
        "channel": application.channel,
        "origin": application.origin,
        "division": division_payload(application.division),
        "status": application.status,
        "outcome": application.outcome or None,
        "state": state_of(application.status, application.outcome),
        "state_label": state_label(application.status, application.outcome),
        "data": application.data,
        "documents": documents[application.pk],
        "cases": cases[application.pk],
        "timeline": timeline[application.pk],
        "submitted_at": times(application.submitted_at),
        "expected_finish": application.expected_finish.isoformat() if application.expected_finish else None,
        "rejections": [rejection_repr(notice) for notice in rejection_notices(
            get_definition(application.version), refused[application.pk])] if refused[application.pk] else [],
        "evaluation": evaluation_repr(application),
        "delivery": delivery_choice(application),
        "deliveries": deliveries[application.pk],
    } for application in applications]
