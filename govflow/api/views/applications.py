"""REST API v1, the citizen's side: their applications, documents, certificates, actions on them
and evaluations. Every object through ``_application`` (another citizen's application is a 404)."""
from __future__ import annotations

import re

from django.http import FileResponse, Http404, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from govflow.applications import access, commitments, deferral, papers, pdf, selectors
from govflow.applications.models import Application, ApplicationStatus, Channel
from govflow.applications.services import citizen_actions, drafting, submitting, uploading
from govflow.parties.selectors import MYSELF, principal_for
from govflow.uploads import MIME_BY_TYPE

from ..idempotency import idempotent
from ..pagination import Pagination
from ..parsers import SafeJSONParser
from ..responses import ERRORS, detail, errors, validated
from ..serializers.applications import (
    ApplicationSerializer,
    DocumentSerializer,
    EvaluationSerializer,
    application_repr,
    application_reprs,
    document_repr,
    evaluation_repr,
)
from ..serializers.bodies import (
    ACTING_AS_HELP,
    ApplicationCreateSerializer,
    ApplicationUpdateSerializer,
    CommitmentSignSerializer,
    DocumentUploadSerializer,
    EvaluationCreateSerializer,
    SubmitErrorSerializer,
    SubmitSerializer,
)

IDEMPOTENCY_KEY_REUSED = detail("Idempotency-Key reused with another body")


#: What an application's representation shows of its row and of the rows joined to it (its
#: documents, cases and timeline are read by ``application_reprs``, three queries for a whole page).
_APPLICATION_FIELDS = ("number", "status", "outcome", "data", "submitted_at", "expected_finish", "channel", "origin",
                       "delivery_method", "pickup_office_id", "delivery_address",
                       "one_thing__code", "version__number", "version__digest",  # the snapshot: get_definition()
                       "division__code", "division__name",
                       "applicant__name", "applicant__username", "organisation__name",
                       "submitted_by__name", "submitted_by__username",
                       "evaluation__score", "evaluation__comment", "evaluation__created_at")
_APPLICATION_RELATED = ("one_thing", "version", "division", "applicant", "organisation", "submitted_by", "evaluation")


def _shown(queryset):
    """Each application with what its representation shows, in the same query."""
    return queryset.select_related(*_APPLICATION_RELATED).only(*_APPLICATION_FIELDS)


def _application(user, pk) -> Application:
    """An application the caller may act on (``selectors.acting_q``: for themselves, an organisation
    they act for, a person whose authorisation they hold, their counter) with everything it shows;
    404 for anyone else's and for bad ids."""
    try:
        return _shown(Application.objects.filter(selectors.acting_q(user))).get(pk=selectors.int_or_404(pk))
    except Application.DoesNotExist:
        raise Http404("Application not found.") from None


_ACTING_AS_RE = re.compile(r"me|(org|for):[1-9][0-9]{0,17}")


def _principal(user, value, field: str = "acting_as"):
    """The principal ``value`` names for the caller: 400 when it is not a principal's name at all,
    404 when the caller may not act for it (an unknown, expired or revoked one alike)."""
    if value is None or value == "":
        return MYSELF
    if not isinstance(value, str) or not _ACTING_AS_RE.fullmatch(value):
        raise ValidationError({field: [_("One of: me, org:<organisation id>, for:<authorisation id>.")]})
    return principal_for(user, value)


STATUS_PARAM = OpenApiParameter("status", str, enum=[c for c, _ in ApplicationStatus.choices],
                                description="Only applications in this status.")
ACTING_AS_PARAM = OpenApiParameter("acting_as", str, pattern=_ACTING_AS_RE.pattern,
                                   description="Whose applications: " + ACTING_AS_HELP)


class ApplicationListView(GenericAPIView):
    """The applications of the principal the caller acts as: their own by default."""

    permission_classes = [IsAuthenticated]
    pagination_class = Pagination
    serializer_class = ApplicationSerializer

    @extend_schema(parameters=[STATUS_PARAM, ACTING_AS_PARAM],
                   responses={200: ApplicationSerializer(many=True), **errors(400, 401),
                              404: detail("No such page, or a principal you may not act for")})
    def get(self, request):
        wanted = request.query_params.get("status")
        if wanted is not None and wanted not in ApplicationStatus.values:
            raise ValidationError({"status": [f"One of: {', '.join(ApplicationStatus.values)}."]})
        principal = _principal(request.user, request.query_params.get("acting_as"))
        qs = _shown(selectors.applications_for_citizen(user=request.user, status=wanted, principal=principal))
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(application_reprs(page))

    @extend_schema(request=ApplicationCreateSerializer,
                   parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER)],
                   responses={201: ApplicationSerializer, **errors(400, 401),
                              404: detail("A principal (`acting_as`) you may not act for"), 409: ERRORS[409],
                              422: IDEMPOTENCY_KEY_REUSED})
    @idempotent
    def post(self, request):
        body = validated(ApplicationCreateSerializer, request.data)
        principal = _principal(request.user, body.get("acting_as"))
        app = drafting.application_create(user=request.user, one_thing_code=body["one_thing"], data=body["data"],
                                          division=body.get("division"), principal=principal, channel=Channel.API)
        return Response(application_repr(_application(request.user, app.pk)), status=status.HTTP_201_CREATED)


class ApplicationDetailView(GenericAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = ApplicationSerializer

    @extend_schema(responses={200: ApplicationSerializer, **errors(401, 404)})
    def get(self, request, pk: int):
        application = _application(request.user, pk)
        body = application_repr(application)
        access.application_read(request.user, application, interface=access.Interface.API,
                                fields=list((body.get("data") or {}).keys()))
        return Response(body)

    @extend_schema(request=ApplicationUpdateSerializer, responses={200: ApplicationSerializer,
                                                                   **errors(400, 401, 404, 409)})
    def patch(self, request, pk: int):
        app = selectors.application_for_citizen(request.user, pk)
        body = validated(ApplicationUpdateSerializer, request.data)
        drafting.application_update(application=app, user=request.user, data=body.get("data"),
                                    division=body.get("division"))
        return Response(application_repr(_application(request.user, pk)))

    @extend_schema(responses={204: None, **errors(401, 404, 409)})
    def delete(self, request, pk: int):
        app = selectors.application_for_citizen(request.user, pk)
        drafting.application_delete(application=app, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class DocumentUploadView(GenericAPIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser, SafeJSONParser]
    serializer_class = DocumentSerializer

    @extend_schema(request={"multipart/form-data": DocumentUploadSerializer,
                            "application/json": CommitmentSignSerializer},
                   responses={201: DocumentSerializer, **errors(400, 401, 404, 409),
                              413: detail("File larger than the material allows"),
                              415: detail("File type not accepted (checked by content)")},
                   description=("Upload a material (multipart `material`, `file`), or sign the commitment that "
                                "replaces it (告知承诺制: `material`, `\"commitment\": true`, no file; the "
                                "document's `status` is `commitment` and its file the signed commitment's PDF). "
                                "`409` with the reason when the applicant is on the refusal list."))
    def post(self, request, pk: int):
        app = selectors.application_for_citizen(request.user, pk)
        if hasattr(request.data, "keys") and "commitment" in request.data:  # a JSON body may be null or a list
            return self._sign(request, app)
        if request.content_type.startswith("application/json"):
            raise ValidationError({"file": [_("Upload the file as multipart/form-data.")]})
        if len(request.FILES.getlist("file")) > 1:  # never "the last one wins"
            raise ValidationError({"file": [_("Upload one file at a time.")]})
        body = validated(DocumentUploadSerializer, request.data)
        upload = body["file"]
        doc = uploading.document_upload(application=app, user=request.user, material_code=body["material"],
                                       file=upload, filename=upload.name)
        return Response(document_repr(doc), status=status.HTTP_201_CREATED)

    def _sign(self, request, app: Application) -> Response:
        """告知承诺制: sign the commitment that replaces the material."""
        if request.FILES:
            raise ValidationError({"file": [_("Send either a file or a commitment, not both.")]})
        body = validated(CommitmentSignSerializer, request.data)
        doc = commitments.commitment_sign(application=app, user=request.user, material_code=body["material"],
                                          confirmed=body["commitment"])
        return Response(document_repr(doc), status=status.HTTP_201_CREATED)


class DeferralTermsView(GenericAPIView):
    """The terms an applicant accepts to submit with materials to follow (容缺受理), in the
    request's language, with the version and digest the acceptance records."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: inline_serializer("DeferralTerms", {
        "version": serializers.CharField(), "digest": serializers.CharField(), "text": serializers.CharField()}),
        **errors(401)})
    def get(self, request):
        return Response({"version": deferral.TERMS_VERSION, "digest": deferral.terms_digest(),
                         "text": str(deferral.TERMS)})


INLINE_TYPES = {"application/pdf", "image/png", "image/jpeg"}
#: What a stored document can be: its type is sniffed from the content at upload, among these.
DOCUMENT_TYPES = sorted(set(MIME_BY_TYPE.values()))


class DocumentFileView(GenericAPIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={**{(200, mime): OpenApiTypes.BINARY for mime in DOCUMENT_TYPES},
                              **errors(401, 404)})
    def get(self, request, pk: int, doc_pk: int):
        doc = selectors.document_for_user(request.user, pk, doc_pk)
        access.application_read(request.user, doc.application, interface=access.Interface.API, document=doc)
        response = FileResponse(doc.file.open("rb"), content_type=doc.content_type,
                                as_attachment=doc.content_type not in INLINE_TYPES, filename=doc.filename)
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "sandbox"
        response["Cache-Control"] = "private, no-store"
        return response


class CertificateFileView(GenericAPIView):
    """The electronic certificate (PDF) of an output an application issued, by the output's code;
    the same bytes as the portal's download from the same address."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY, **errors(401, 404)})
    def get(self, request, pk: int, code: str):
        certificate = papers.certificate_for_user(request.user, pk, code=code)
        access.application_read(request.user, certificate.output.application, interface=access.Interface.API,
                                fields=[f"output:{code}"])
        url = request.build_absolute_uri(reverse("verify-certificate", args=[certificate.token]))
        response = HttpResponse(pdf.certificate_pdf(certificate, url), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="certificate-{certificate.serial}.pdf"'
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response


class ApplicationActionView(GenericAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = ApplicationSerializer

    def respond(self, request, pk: int) -> Response:
        return Response(application_repr(_application(request.user, pk)))


SUBMIT_ERRORS = OpenApiResponse(SubmitErrorSerializer, description=(
    "The form is invalid or required materials are missing: `{\"data\": {field: [messages]}, \"materials\": "
    "[missing codes]}` (with `non_field_errors` when no procedure applies to the answers); no office is "
    "competent for a procedure in the application's division: `{\"division\": [one message per missing "
    "office]}`; a missing or invalid delivery choice (when a procedure issues something physical): "
    "`{\"delivery\": {key: [messages]}}`; an invalid `Idempotency-Key` header is "
    "`{\"Idempotency-Key\": [messages]}`. Nothing is submitted."))


class SubmitView(ApplicationActionView):
    @extend_schema(request=SubmitSerializer,
                   parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER)],
                   responses={200: ApplicationSerializer,
                              400: SUBMIT_ERRORS, **errors(401, 404, 409), 422: IDEMPOTENCY_KEY_REUSED})
    @idempotent
    def post(self, request, pk: int):
        app = selectors.application_for_citizen(request.user, pk)
        body = validated(SubmitSerializer, request.data if isinstance(request.data, dict) else {})
        submitting.application_submit(application=app, user=request.user, delivery=body.get("delivery"),
                                    defer=body.get("defer") or None,
                                    accept_deferral_terms=body.get("accept_deferral_terms", False))
        return self.respond(request, pk)


class ResubmitView(ApplicationActionView):
    @extend_schema(request=None, responses={200: ApplicationSerializer, 400: SUBMIT_ERRORS,
                                            **errors(401, 404, 409)})
    def post(self, request, pk: int):
        app = selectors.application_for_citizen(request.user, pk)
        citizen_actions.application_resubmit(application=app, user=request.user)
        return self.respond(request, pk)


class WithdrawView(ApplicationActionView):
    @extend_schema(request=None, responses={200: ApplicationSerializer, **errors(401, 404, 409)})
    def post(self, request, pk: int):
        app = selectors.application_for_citizen(request.user, pk)
        citizen_actions.application_withdraw(application=app, user=request.user)
        return self.respond(request, pk)


class ApplyAgainView(ApplicationActionView):
    @extend_schema(request=None, responses={201: ApplicationSerializer, **errors(401, 404, 409),
                                            403: detail("No longer acting for the applicant")},
                   description="Start a new draft from a refused or withdrawn application, with its answers and "
                               "still valid materials filled in (docs/api.md, *Apply again*).")
    def post(self, request, pk: int):
        app = selectors.application_for_citizen(request.user, pk)
        new = drafting.application_apply_again(application=app, user=request.user)
        return Response(application_repr(new), status=201)


class EvaluationView(GenericAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = EvaluationSerializer

    @extend_schema(request=EvaluationCreateSerializer, responses={201: EvaluationSerializer,
                                                                  **errors(400, 401, 404, 409)})
    def post(self, request, pk: int):
        app = selectors.application_for_citizen(request.user, pk)
        body = validated(EvaluationCreateSerializer, request.data)
        citizen_actions.evaluation_create(application=app, user=request.user, score=body["score"], comment=body["comment"])
        app = Application.objects.select_related("evaluation").get(pk=app.pk)
        return Response(evaluation_repr(app), status=status.HTTP_201_CREATED)
