"""Catalog over HTTP (no sign-in needed): the published one things and what each asks, and the
administrative divisions.

Everything shown of a one thing comes from its current published version (its immutable
snapshot, compiled and cached per version by ``get_definition``), in the request's language.
The live catalog rows are the administrators' draft and are never shown here. Which one things
a caller sees is the jurisdictions rule (``jurisdictions.one_things_visible_in``): those of the
caller's division and of the divisions above it; anonymously, those of the root divisions. A one
thing the caller does not see is a 404, as if it did not exist.
"""
from __future__ import annotations

import re

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.urls import path
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from govflow.catalog import jurisdictions
from govflow.catalog.definition import Definition, get_definition
from govflow.catalog.models import Division, DivisionLevel, OneThing, localized
from govflow.catalog.selectors import published_one_things, visible_one_things
from govflow.stats.savings import one_thing_savings

from .pagination import Pagination
from .responses import detail, field_errors
from .serializers.common import DepartmentSerializer

__all__ = ["DivisionListView", "OneThingDetailView", "OneThingListView", "division_repr", "one_thing_detail_repr",
           "one_thing_repr", "published_one_things", "visible_one_things"]


# -- selection ----------------------------------------------------------------------------------

_CODE_RE = re.compile(r"[-a-zA-Z0-9_]{1,64}")


def _visible_one_thing(user, code: str) -> OneThing:
    # Codes are slugs: anything else (too long, NUL bytes PostgreSQL refuses) cannot exist.
    if not _CODE_RE.fullmatch(code):
        raise Http404("One thing not found.")
    try:
        return visible_one_things(user).get(code=code)
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
         "accepted_types": m["accepted_types"], "max_size_mb": m["max_size_mb"], "procedures": m["procedures"],
         "commitment": _commitment_repr(definition, m["code"])}
        for m in definition.materials_asked
    ]


def _commitment_repr(definition: Definition, material: str) -> dict | None:
    """告知承诺制: the commitment that may replace the material (``None``: it must be provided)."""
    procedures = definition.committable_materials.get(material)
    if not procedures:
        return None
    commitment = definition.commitment_for(material)
    return {"text": localized(commitment["text"]), "procedures": procedures,
            "verify_rate": commitment["verify_rate"], "verify_days": commitment["verify_days"]}


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


def division_repr(division: Division) -> dict:
    """``{"code", "name", "level", "parent"}``: the name in the request's language, the parent's code."""
    return {**jurisdictions.division_payload(division), "level": division.level,
            "parent": division.parent.code if division.parent_id else None}


# -- schema -------------------------------------------------------------------------------------

class DivisionSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="GB/T 2260 code, 6 to 12 digits.")
    name = serializers.CharField()
    level = serializers.ChoiceField(choices=DivisionLevel.choices)
    parent = serializers.CharField(allow_null=True, help_text="The parent division's code; null for a root.")


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
    commitment = inline_serializer("MaterialCommitment", fields={
        "text": serializers.CharField(help_text="What the applicant signs, in the request's language."),
        "procedures": serializers.ListField(child=serializers.CharField(),
                                            help_text="The procedures whose commitment may replace it."),
        "verify_rate": serializers.FloatField(help_text="Share of approvals whose commitment is verified."),
        "verify_days": serializers.IntegerField(help_text="Working days the office has to verify."),
    }, allow_null=True, help_text=("告知承诺制: a signed commitment may replace the material "
                                   "(POST …/documents/ with \"commitment\": true); null: it must be provided."))


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

class _ByCallerView(GenericAPIView):
    """What it answers depends on who asks (their division): anonymous answers are the same for
    everybody and may be cached (``cache_public``, govflow.middleware; a signed-in caller's are
    never stored), keyed by the credentials too."""

    permission_classes = [AllowAny]
    cache_public = True

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        patch_vary_headers(response, ("Authorization", "Cookie"))
        return response


class OneThingListView(_ByCallerView):
    """Published one things offered to the caller, by code; names in the request's language.

    Signed in: those of the caller's division (their residence, else the site's default division)
    and of every division above it. Anonymous: the province-wide ones (of the root divisions)."""

    pagination_class = Pagination
    serializer_class = OneThingSerializer

    @extend_schema(operation_id="one_things_list", responses={200: OneThingSerializer(many=True),
                                                              404: detail("No such page")})
    def get(self, request):
        page = self.paginate_queryset(visible_one_things(request.user))
        return self.get_paginated_response([one_thing_repr(one_thing) for one_thing in page])


class OneThingDetailView(_ByCallerView):
    """A published one thing with its form, materials, steps and savings. A one thing the caller's
    list does not show (offered in another division) is a 404, like one that does not exist."""

    serializer_class = OneThingDetailSerializer

    @extend_schema(operation_id="one_things_retrieve",
                   responses={200: OneThingDetailSerializer,
                              404: detail("No published one thing with this code offered to the caller")})
    def get(self, request, code: str):
        return Response(one_thing_detail_repr(_visible_one_thing(request.user, code)))


PARENT_PARAM = OpenApiParameter("parent", str, description="Code of the division whose children to list; "
                                                           "without it (or empty), the root divisions.")


class DivisionListView(GenericAPIView):
    """The administrative divisions directly below `parent` (the roots without it), by code; names
    in the request's language. Not paginated: a division's children are a short list (a picker
    shows them all). An unknown or malformed `parent` is a 400."""

    permission_classes = [AllowAny]
    pagination_class = None  # a plain list (the schema says so too)
    serializer_class = DivisionSerializer
    cache_public = True  # the same for everybody

    @extend_schema(operation_id="divisions_list", parameters=[PARENT_PARAM],
                   responses={200: DivisionSerializer(many=True),
                              400: field_errors("`{\"parent\": [message]}`: malformed or unknown division code")})
    def get(self, request):
        code = request.query_params.get("parent") or None
        if code is not None:
            try:  # the model's own rule for a code (6 to 12 digits)
                Division._meta.get_field("code").run_validators(code)
            except DjangoValidationError as exc:
                raise ValidationError({"parent": exc.messages}) from None
        children = list(jurisdictions.children_of(code))
        if code is not None and not children:
            jurisdictions.division_by_code(code, field="parent")  # a leaf has none; an unknown code is a 400
        return Response([division_repr(division) for division in children])


urlpatterns = [
    path("one-things/", OneThingListView.as_view(), name="one-thing-list"),
    path("one-things/<str:code>/", OneThingDetailView.as_view(), name="one-thing-detail"),
    path("divisions/", DivisionListView.as_view(), name="division-list"),
]
