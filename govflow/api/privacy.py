"""``GET /api/v1/me/access-records/``: who read the caller's data (issue 20), as the portal's page
"who used my information" shows it (``govflow.applications.access``); and
``GET /api/v1/organisations/{id}/access-records/``: who read an organisation's data, for its legal
representative."""
from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated

from govflow.applications import access
from govflow.applications.selectors import int_or_404
from govflow.parties import selectors

from .pagination import Pagination
from .responses import errors


class AccessRecordSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    reader = serializers.CharField(help_text="The reader's name or staff number, as their department decides.")
    department = serializers.CharField()
    office = serializers.CharField()
    interface = serializers.ChoiceField(choices=access.Interface.choices)
    purpose = serializers.ChoiceField(choices=access.Purpose.choices)
    reason = serializers.CharField(help_text="An administrator's support ticket and reason (purpose `support`).")
    application = serializers.IntegerField(allow_null=True)
    application_number = serializers.CharField()
    answers = serializers.ListField(child=serializers.CharField(), help_text="The answers read (field codes).")
    materials = serializers.ListField(child=serializers.CharField(), help_text="The materials read (codes).")
    answer_labels = serializers.ListField(child=serializers.CharField(),
                                         help_text="The answers read, by their labels in the caller's language.")
    material_labels = serializers.ListField(child=serializers.CharField(),
                                           help_text="The materials read, by their labels in the caller's language.")


def record_repr(row: access.ShownRecord) -> dict:
    return {"at": serializers.DateTimeField().to_representation(row.at), "reader": row.reader,
            "department": row.department, "office": row.office, "interface": row.interface,
            "purpose": row.purpose, "reason": row.reason, "application": row.application_id,
            "application_number": row.application_number, "answers": list(row.what.get("fields", [])),
            "materials": list(row.what.get("materials", [])), "answer_labels": row.fields,
            "material_labels": row.materials}


def _application_filter(request) -> int | None:
    raw = request.query_params.get("application")
    if raw is not None and not (raw.isascii() and raw.isdigit() and 0 < len(raw) <= 18):
        raise ValidationError({"application": ["An application id (a positive integer)."]})
    return int(raw) if raw else None


class MyAccessRecordsView(GenericAPIView):
    """Every read of the caller's own data by someone else, newest first (two queries a page)."""

    permission_classes = [IsAuthenticated]
    pagination_class = Pagination
    serializer_class = AccessRecordSerializer

    @extend_schema(parameters=[OpenApiParameter("application", int, description="Only the reads of this "
                                                "application of yours.")],
                   responses={200: AccessRecordSerializer(many=True), **errors(400, 401, 404)})
    def get(self, request):
        queryset = access.records_for_citizen(request.user, application_id=_application_filter(request))
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response([record_repr(r) for r in access.shown_page(list(page))])


class OrganisationAccessRecordsView(GenericAPIView):
    """Every read of the organisation's data (its applications, its record) by someone else, newest
    first, for its legal representative; 404 for anyone else, its agents included (three queries a page)."""

    permission_classes = [IsAuthenticated]
    pagination_class = Pagination
    serializer_class = AccessRecordSerializer

    @extend_schema(parameters=[OpenApiParameter("application", int, description="Only the reads of this "
                                                "application of the organisation.")],
                   responses={200: AccessRecordSerializer(many=True), **errors(400, 401, 404)})
    def get(self, request, pk: int):
        organisation = selectors.represented_organisation(request.user, int_or_404(pk))
        queryset = access.records_for_organisation(organisation.pk, application_id=_application_filter(request))
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response([record_repr(r) for r in access.shown_page(list(page))])


urlpatterns = [
    path("me/access-records/", MyAccessRecordsView.as_view(), name="my-access-records"),
    path("organisations/<int:pk>/access-records/", OrganisationAccessRecordsView.as_view(),
         name="organisation-access-records"),
]
