"""Clerks' tasks: the queue's rows, a task's detail and history, assignment, decisions and
corrections, and the physical results clerks advance.
"""
from __future__ import annotations

from rest_framework import serializers

from govflow.applications.models import (
    Case,
    Delivery,
    DeliveryMethod,
    DeliveryState,
)
from govflow.catalog.models import localized

from .applications import DocumentSerializer
from .common import (
    DepartmentSerializer,
    OfficeSerializer,
    ProcedureRefSerializer,
    department_repr,
    office_repr,
    procedure_repr,
)

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
    office = OfficeSerializer(help_text="The office whose queue the task is in.")
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
        "office": office_repr(case.office),
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


# -- physical results (clerks) -----------------------------------------------------------------

ADVANCE_STATES = [(s, s) for s in ("ready", "posted", "collected", "delivered")]


class ClerkDeliverySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    application = TaskApplicationSerializer()
    case = serializers.IntegerField()
    procedure = serializers.CharField(help_text="The approved procedure's code.")
    result = serializers.CharField(help_text="The physical result's code in the procedure's `physical_results`.")
    label = serializers.CharField()
    method = serializers.ChoiceField(choices=DeliveryMethod.choices)
    state = serializers.ChoiceField(choices=DeliveryState.choices)
    tracking_number = serializers.CharField(allow_blank=True)
    office = OfficeSerializer(allow_null=True, help_text="pickup: the office where the applicant collects it.")
    address = serializers.DictField(allow_null=True, help_text="post: `{recipient, phone, address}`.")
    updated_at = serializers.DateTimeField()


def clerk_delivery_repr(delivery: Delivery) -> dict:
    """A physical result as the office's clerks move it on (read with its application, case and
    pick-up office's division)."""
    application = delivery.application
    return {
        "id": delivery.pk,
        "application": {"id": application.pk, "number": application.number},
        "case": delivery.case_id,
        "procedure": delivery.case.procedure_code,
        "result": delivery.code,
        "label": localized(delivery.label) or delivery.code,
        "method": delivery.method,
        "state": delivery.state,
        "tracking_number": delivery.tracking_number,
        "office": office_repr(delivery.pickup_office) if delivery.pickup_office_id else None,
        "address": dict(application.delivery_address) if delivery.method == DeliveryMethod.POST
        and application.delivery_address else None,
        "updated_at": serializers.DateTimeField().to_representation(delivery.updated_at),
    }


class DeliveryAdvanceSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=ADVANCE_STATES, help_text=(
        "The next state: pickup `preparing` → `ready` → `collected`; post `preparing` → `posted` → `delivered`."))
    tracking_number = serializers.CharField(required=False, allow_blank=True, default="", help_text=(
        "The carrier's tracking number; required with `posted`."))
