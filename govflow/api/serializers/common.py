"""References shared by every resource: departments, offices, divisions, procedures and people."""
from __future__ import annotations

from typing import Any

from rest_framework import serializers

from govflow.applications.models import (
    Application,
)
from govflow.catalog.definition import get_definition
from govflow.catalog.models import Department, Office, localized


def department_repr(department: Department | None) -> dict | None:
    if department is None:
        return None
    return {"code": department.code, "name": localized(department.name)}


def office_repr(office: Office) -> dict:
    """``{"code", "name", "division"}`` of an office read with its division: the division's code."""
    return {"code": office.code, "name": localized(office.name) or office.code, "division": office.division.code}


def procedure_repr(application: Application, code: str) -> dict:
    definition = get_definition(application.version)
    procedure = definition.procedures.get(code, {})
    return {"code": code, "name": localized(procedure.get("name"))}

def person_ref(user: Any) -> dict:
    """``{"id", "name"}`` of a person (their username when they have no name)."""
    return {"id": user.pk, "name": user.name or user.username}



class DepartmentSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class ProcedureRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class DivisionRefSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="GB/T 2260 code of the administrative division.")
    name = serializers.CharField()


class OfficeSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="The office's code, e.g. `amr-330106`.")
    name = serializers.CharField()
    division = serializers.CharField(help_text="Code of the division the office serves.")


class PersonRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
