"""``GET /api/v1/me/access-records/``: who read the caller's data (issue 20), as the portal's page
"who used my information" shows it (``govflow.applications.access``);
``GET /api/v1/organisations/{id}/access-records/``: who read an organisation's data, for its legal
representative; ``/api/v1/me/export/``: download all of one's data as one archive
(``govflow.applications.export``)."""
from __future__ import annotations

from django.http import FileResponse
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from govflow.applications import access
from govflow.applications import export as export_rules
from govflow.applications.models import DataExportStatus
from govflow.applications.selectors import int_or_404
from govflow.parties import selectors

from .pagination import Pagination
from .responses import detail, errors


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


class DataExportSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=DataExportStatus.choices)
    requested_at = serializers.DateTimeField()
    ready_at = serializers.DateTimeField(allow_null=True)
    expires_at = serializers.DateTimeField(allow_null=True, help_text="Until when the file may be downloaded.")
    size = serializers.IntegerField(help_text="The archive's size in bytes (0 until ready).")
    downloads = serializers.IntegerField()
    file = serializers.CharField(allow_null=True, help_text="Where to download the archive, while it is ready.")


def export_repr(request, export) -> dict:
    ready = export.status == DataExportStatus.READY
    return {"id": export.pk, "status": export.status, "requested_at": export.requested_at,
            "ready_at": export.ready_at, "expires_at": export.expires_at, "size": export.size,
            "downloads": export.downloads,
            "file": request.build_absolute_uri(f"/api/v1/me/export/{export.pk}/file") if ready else None}


TOO_SOON = {429: detail("Asked within the rate limit of the previous request")}


class MyExportView(GenericAPIView):
    """Ask for an archive of all the caller's data (202: it is built in the background; 409 while
    another is being prepared; 429 within ``GOVFLOW_EXPORT_RATE_MINUTES`` of the last request)."""

    permission_classes = [IsAuthenticated]
    serializer_class = DataExportSerializer

    @extend_schema(request=None, responses={202: DataExportSerializer, **errors(401, 409), **TOO_SOON})
    def post(self, request):
        export = export_rules.request_export(user=request.user)
        return Response(DataExportSerializer(export_repr(request, export)).data, status=202)


class MyExportDetailView(GenericAPIView):
    """One of the caller's exports (anyone else's: 404)."""

    permission_classes = [IsAuthenticated]
    serializer_class = DataExportSerializer

    @extend_schema(responses={200: DataExportSerializer, **errors(401, 404)})
    def get(self, request, pk: int):
        export = export_rules.export_for_user(request.user, pk)
        return Response(DataExportSerializer(export_repr(request, export)).data)


class MyExportFileView(GenericAPIView):
    """The archive (a ZIP of ``data.json`` and ``files/``), for its owner only; 409 while it is being
    prepared, 410 once expired (or failed)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={(200, "application/zip"): OpenApiTypes.BINARY, **errors(401, 404, 409),
                              410: detail("Expired: ask for a new one")})
    def get(self, request, pk: int):
        export = export_rules.export_for_download(export_rules.export_for_user(request.user, pk))
        response = FileResponse(export.file.open("rb"), content_type="application/zip", as_attachment=True,
                                filename=export_rules.archive_filename(export))
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response


urlpatterns = [path("me/access-records/", MyAccessRecordsView.as_view(), name="my-access-records"),
               path("organisations/<int:pk>/access-records/", OrganisationAccessRecordsView.as_view(),
                    name="organisation-access-records"),
               path("me/export/", MyExportView.as_view(), name="my-export"),
               path("me/export/<int:pk>/", MyExportDetailView.as_view(), name="my-export-detail"),
               path("me/export/<int:pk>/file", MyExportFileView.as_view(), name="my-export-file")]
