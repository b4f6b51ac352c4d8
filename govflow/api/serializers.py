"""Representations of applications and tasks, built from prefetched rows (no per-row queries).

Names and labels come from the application's immutable version snapshot, in the
request's language; departments from their rows.
"""
from __future__ import annotations

from typing import Any

from django.urls import reverse
from rest_framework import serializers

from govflow.applications.models import Application, ApplicationStatus, Case, CaseStatus, Outcome
from govflow.catalog.definition import get_definition
from govflow.catalog.models import Department, localized


def department_repr(department: Department | None) -> dict | None:
    if department is None:
        return None
    return {"code": department.code, "name": localized(department.name)}


def procedure_repr(application: Application, code: str) -> dict:
    definition = get_definition(application.version)
    procedure = definition.procedures.get(code, {})
    return {"code": code, "name": localized(procedure.get("name"))}


def document_repr(document: Any) -> dict:
    return {
        "id": document.pk,
        "material": document.material_code,
        "filename": document.filename,
        "size": document.size,
        "sha256": document.sha256,
        "uploaded_at": serializers.DateTimeField().to_representation(document.uploaded_at),
        "url": reverse("api:document-file", args=[document.application_id, document.pk]),
    }


def case_repr(application: Application, case: Case) -> dict:
    return {
        "id": case.pk,
        "procedure": procedure_repr(application, case.procedure_code),
        "department": department_repr(case.department),
        "status": case.status,
        "due_date": case.due_date.isoformat() if case.due_date else None,
        "outputs": case.outputs or {},
        "corrections": (
            {"fields": case.corrections.get("fields", []), "materials": case.corrections.get("materials", []),
             "message": case.corrections.get("message", "")}
            if case.status == CaseStatus.CORRECTION_REQUESTED else None
        ),
    }


def timeline_repr(entry: Any) -> dict:
    return {
        "at": serializers.DateTimeField().to_representation(entry.at),
        "kind": entry.kind,
        "department": department_repr(entry.department),
        "message": entry.message,
    }


def evaluation_repr(application: Application) -> dict | None:
    try:
        evaluation = application.evaluation
    except Application.evaluation.RelatedObjectDoesNotExist:
        return None
    return {"score": evaluation.score, "comment": evaluation.comment,
            "created_at": serializers.DateTimeField().to_representation(evaluation.created_at)}


class DepartmentSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class ProcedureRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class DocumentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    material = serializers.CharField()
    filename = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    uploaded_at = serializers.DateTimeField()
    url = serializers.CharField()


class CorrectionsSerializer(serializers.Serializer):
    fields = serializers.ListField(child=serializers.CharField())
    materials = serializers.ListField(child=serializers.CharField())
    message = serializers.CharField()


class CaseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    procedure = ProcedureRefSerializer()
    department = DepartmentSerializer()
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


class ApplicationSerializer(serializers.Serializer):
    """Read-only; built by ``application_repr`` from prefetched rows."""

    id = serializers.IntegerField()
    number = serializers.CharField(allow_null=True)
    one_thing = serializers.CharField()
    version = serializers.IntegerField()
    status = serializers.ChoiceField(choices=ApplicationStatus.choices)
    outcome = serializers.ChoiceField(choices=Outcome.choices, allow_null=True)
    data = serializers.DictField()
    documents = DocumentSerializer(many=True)
    cases = CaseSerializer(many=True)
    timeline = TimelineEntrySerializer(many=True)
    submitted_at = serializers.DateTimeField(allow_null=True)
    expected_finish = serializers.DateField(allow_null=True)
    evaluation = EvaluationSerializer(allow_null=True)

    def to_representation(self, application: Application) -> dict:
        return application_repr(application)


def application_repr(application: Application) -> dict:
    return {
        "id": application.pk,
        "number": application.number,
        "one_thing": application.one_thing.code,
        "version": application.version.number,
        "status": application.status,
        "outcome": application.outcome or None,
        "data": application.data,
        "documents": [document_repr(d) for d in application.documents.all()],
        "cases": [case_repr(application, c) for c in application.cases.all()],
        "timeline": [timeline_repr(e) for e in application.timeline.all()],
        "submitted_at": serializers.DateTimeField().to_representation(application.submitted_at)
        if application.submitted_at else None,
        "expected_finish": application.expected_finish.isoformat() if application.expected_finish else None,
        "evaluation": evaluation_repr(application),
    }


# -- request bodies ---------------------------------------------------------------------------

class ApplicationCreateSerializer(serializers.Serializer):
    one_thing = serializers.CharField(max_length=64)
    data = serializers.DictField(required=False, default=dict, help_text="Answers keyed by field code.")


class ApplicationUpdateSerializer(serializers.Serializer):
    data = serializers.DictField(help_text="Top-level keys replace answers; null removes one.")


class DocumentUploadSerializer(serializers.Serializer):
    material = serializers.CharField(max_length=64)
    file = serializers.FileField()


class EvaluationCreateSerializer(serializers.Serializer):
    score = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)


class SubmitErrorSerializer(serializers.Serializer):
    """Both keys when the application is incomplete (either may be empty); other 400s (an invalid
    ``Idempotency-Key`` header) are ``{field: [messages]}``."""

    data = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False,
                                 help_text="Field errors of the merged form, by field code.")
    materials = serializers.ListField(child=serializers.CharField(), required=False,
                                      help_text="Codes of the required materials not uploaded.")
    non_field_errors = serializers.ListField(child=serializers.CharField(), required=False,
                                             help_text="When no procedure applies to the answers.")


# -- tasks --------------------------------------------------------------------------------------

TASK_STATUS_CHOICES = [("queued", "queued"), ("in_review", "in_review")]
DECISION_CHOICES = [("approve", "approve"), ("reject", "reject"), ("request_correction", "request_correction")]


class TaskApplicationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()


class TaskSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    application = TaskApplicationSerializer()
    case = serializers.IntegerField()
    procedure = ProcedureRefSerializer()
    department = DepartmentSerializer()
    status = serializers.ChoiceField(choices=TASK_STATUS_CHOICES)
    owner = serializers.CharField(allow_null=True)
    due_date = serializers.DateField(allow_null=True)
    created = serializers.DateTimeField()

    def to_representation(self, case: Case) -> dict:
        return task_repr(case)


def task_repr(case: Case) -> dict:
    return {
        "id": case.task_id,
        "application": {"id": case.application_id, "number": case.application.number},
        "case": case.pk,
        "procedure": procedure_repr(case.application, case.procedure_code),
        "department": department_repr(case.department),
        "status": case.status,
        "owner": case.owner.username if case.owner_id else None,
        "due_date": case.due_date.isoformat() if case.due_date else None,
        "created": serializers.DateTimeField().to_representation(case.task.created),
    }


class HistoryEntrySerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    kind = serializers.CharField()
    actor = serializers.CharField(allow_null=True)
    message = serializers.CharField(allow_blank=True)


class TaskDetailSerializer(TaskSerializer):
    data = serializers.DictField()
    documents = DocumentSerializer(many=True)
    history = HistoryEntrySerializer(many=True)


class CorrectionsInputSerializer(serializers.Serializer):
    fields = serializers.ListField(child=serializers.CharField(max_length=64), required=False, default=list,
                                   max_length=200)
    materials = serializers.ListField(child=serializers.CharField(max_length=64), required=False, default=list,
                                      max_length=200)
    message = serializers.CharField(max_length=5000)


class AssignSerializer(serializers.Serializer):
    user = serializers.CharField(max_length=150)


class OutputsField(serializers.DictField):
    child = serializers.CharField(allow_blank=True, max_length=500)


class CompleteSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=DECISION_CHOICES)
    outputs = OutputsField(required=False, default=dict)
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    corrections = CorrectionsInputSerializer(required=False)

    def validate(self, attrs: dict) -> dict:
        if attrs["decision"] == "request_correction" and "corrections" not in attrs:
            raise serializers.ValidationError({"corrections": ["Mark the fields and materials to correct."]})
        return attrs
