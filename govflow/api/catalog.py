"""Catalog over HTTP (no sign-in needed): the published one things and what each asks.

Everything shown comes from the one thing's current published version (its immutable
snapshot, compiled and cached per version by ``get_definition``), in the request's language.
The live catalog rows are the administrators' draft and are never shown here.
"""
from __future__ import annotations

import re

from django.db.models import QuerySet
from django.http import Http404
from django.urls import path
from django.utils.translation import get_language
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from govflow.catalog.definition import Definition, get_definition
from govflow.catalog.models import OneThing, localized
from govflow.stats.savings import one_thing_savings

from .pagination import Pagination
from .responses import detail
from .serializers import DepartmentSerializer

__all__ = ["OneThingDetailView", "OneThingListView", "one_thing_detail_repr", "one_thing_repr",
           "published_one_things"]


# -- selection ----------------------------------------------------------------------------------

def published_one_things() -> QuerySet[OneThing]:
    """One things taking applications, with their current version (one query per page)."""
    return (OneThing.objects.filter(is_published=True, current_version__isnull=False)
            .select_related("current_version").order_by("code"))


_CODE_RE = re.compile(r"[-a-zA-Z0-9_]{1,64}")


def _published_one_thing(code: str) -> OneThing:
    # Codes are slugs: anything else (too long, NUL bytes PostgreSQL refuses) cannot exist.
    if not _CODE_RE.fullmatch(code):
        raise Http404("One thing not found.")
    try:
        return published_one_things().get(code=code)
    except OneThing.DoesNotExist:
        raise Http404("One thing not found.") from None


def _schema_language() -> str:
    return "zh-hans" if (get_language() or "").lower().startswith("zh") else "en"


# -- representations ----------------------------------------------------------------------------

def one_thing_repr(one_thing: OneThing) -> dict:
    """The summary of a published one thing, from its current version's snapshot."""
    version = one_thing.current_version
    definition = get_definition(version)
    snapshot = definition.one_thing

    def procedure(step: dict) -> dict:
        proc = definition.procedures[step["procedure"]]
        department = definition.departments.get(proc["department"], {})
        return {"code": proc["code"], "name": localized(proc.get("name")),
                "department": {"code": proc["department"], "name": localized(department.get("name"))}}

    return {
        "code": snapshot["code"],
        "name": localized(snapshot.get("name")),
        "description": localized(snapshot.get("description")),
        "version": version.number,
        "committed_days": snapshot["committed_days"],
        "procedures": [procedure(step) for step in definition.steps],
    }


def _materials_repr(definition: Definition) -> list[dict]:
    return [
        {"code": m["code"], "name": localized(m["label"]), "required": m["required"],
         "accepted_types": m["accepted_types"], "max_size_mb": m["max_size_mb"], "procedures": m["procedures"]}
        for m in definition.materials_asked
    ]


def _steps_repr(definition: Definition) -> list[dict]:
    return [{"procedure": step["procedure"], "after": list(step.get("after", [])), "when": step.get("when") or None}
            for step in definition.steps]


def one_thing_detail_repr(one_thing: OneThing) -> dict:
    """The summary plus everything a client needs to build the application: form, guide,
    materials, steps, and the savings over doing the procedures separately."""
    definition = get_definition(one_thing.current_version)
    return {
        **one_thing_repr(one_thing),
        "form_schema": definition.form_schema(_schema_language()),
        "guide": list(definition.guide),
        "materials": _materials_repr(definition),
        "steps": _steps_repr(definition),
        "savings": dict(one_thing_savings(definition)),
    }


# -- schema -------------------------------------------------------------------------------------

class OneThingProcedureSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    department = DepartmentSerializer()


class OneThingSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    version = serializers.IntegerField(help_text="Number of the published version shown.")
    committed_days = serializers.IntegerField(help_text="Working days the one thing commits to, all procedures "
                                                        "included.")
    procedures = OneThingProcedureSerializer(many=True, help_text="Every step's procedure, conditional ones "
                                                                  "included, in step order.")


class OneThingMaterialSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    required = serializers.BooleanField(help_text="Required whatever the answers (an unconditional step requires "
                                                  "it); others may become required at submission.")
    accepted_types = serializers.ListField(child=serializers.CharField(), help_text='e.g. ["pdf", "png"]')
    max_size_mb = serializers.IntegerField()
    procedures = serializers.ListField(child=serializers.CharField(), help_text="Codes of the procedures using it.")


class OneThingStepSerializer(serializers.Serializer):
    procedure = serializers.CharField()
    after = serializers.ListField(child=serializers.CharField(), help_text="Procedures approved first.")
    when = serializers.CharField(allow_null=True, help_text="CEL rule over the answers; null: always applies.")


class SavingsSerializer(serializers.Serializer):
    procedures = serializers.IntegerField(help_text="Number of steps.")
    fields_separately = serializers.IntegerField(help_text="Σ over steps of the procedure's fields plus its "
                                                           "needs_outputs.")
    fields_once = serializers.IntegerField(help_text="Distinct fields asked in the merged form, guide included.")
    materials_separately = serializers.IntegerField(help_text="Σ over steps of the procedure's materials.")
    materials_once = serializers.IntegerField(help_text="Distinct materials uploaded.")
    visits_separately = serializers.IntegerField(help_text="One visit per step.")
    visits_once = serializers.IntegerField(help_text="0: everything is online.")
    days_separately = serializers.IntegerField(help_text="Σ of the procedures' statutory days.")
    days_committed = serializers.IntegerField(help_text="The one thing's committed working days.")


class OneThingDetailSerializer(OneThingSerializer):
    form_schema = serializers.DictField(help_text="JSON Schema (draft 2020-12) of the merged form, titles in the "
                                                  "request's language; `x-govflow-*` annotations.")
    guide = serializers.ListField(child=serializers.CharField(), help_text="Field codes asked first.")
    materials = OneThingMaterialSerializer(many=True)
    steps = OneThingStepSerializer(many=True)
    savings = SavingsSerializer()


# -- views --------------------------------------------------------------------------------------

class OneThingListView(GenericAPIView):
    """Published one things, by code; names in the request's language."""

    permission_classes = [AllowAny]
    pagination_class = Pagination
    serializer_class = OneThingSerializer
    cache_public = True  # the published catalog, the same for everybody: may be cached (govflow.middleware)

    @extend_schema(operation_id="one_things_list", responses={200: OneThingSerializer(many=True),
                                                              404: detail("No such page")})
    def get(self, request):
        page = self.paginate_queryset(published_one_things())
        return self.get_paginated_response([one_thing_repr(one_thing) for one_thing in page])


class OneThingDetailView(GenericAPIView):
    """A published one thing with its form, materials, steps and savings."""

    permission_classes = [AllowAny]
    serializer_class = OneThingDetailSerializer
    cache_public = True

    @extend_schema(operation_id="one_things_retrieve",
                   responses={200: OneThingDetailSerializer,
                              404: detail("No published one thing with this code")})
    def get(self, request, code: str):
        return Response(one_thing_detail_repr(_published_one_thing(code)))


urlpatterns = [
    path("one-things/", OneThingListView.as_view(), name="one-thing-list"),
    path("one-things/<str:code>/", OneThingDetailView.as_view(), name="one-thing-detail"),
]
