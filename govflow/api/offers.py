"""Proactive services (免申即享) in the API: a citizen's offers, and departments' eligibility lists.

* ``GET /api/v1/offers/`` (``?state=``), ``GET /api/v1/offers/{id}/`` — the caller's own offers;
  another person's is ``404``.
* ``POST /api/v1/offers/{id}/accept/`` (optional ``{"data": {...}}`` to complete or change answers
  first) → ``200`` the submitted application. **Idempotent**: accepting an accepted offer answers
  ``200`` with the same application and changes nothing; a declined or expired offer is ``409``
  (an offer past its ``expires_at`` reads ``expired`` at once, before the hourly job marks it).
* ``POST /api/v1/offers/{id}/decline/`` → ``200`` the offer, ``declined`` (again: the same);
  an accepted or expired offer is ``409``.
* ``POST /api/v1/events/`` — a department system pushes rows of an eligibility list
  (``import:<name>`` triggers), signed like the decision callbacks (``callbacks.py``).

The rules are the domain's (``govflow.applications.proactive``); this module translates.
"""
from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import AuthenticationFailed, PermissionDenied, ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from govflow.applications import eligibility, proactive
from govflow.applications.models import Offer, OfferState
from govflow.catalog.labels import localized
from govflow.catalog.models import Office
from govflow.notifications.signing import SIGNATURE_HEADER, signing_systems

from .idempotency import raw_body
from .pagination import Pagination
from .parsers import SafeJSONParser
from .responses import detail, errors, field_errors, validated
from .serializers.applications import ApplicationSerializer, application_repr
from .views.applications import _application


class OfferSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    one_thing = serializers.DictField(help_text="`{code, name}`")
    mode = serializers.ChoiceField(choices=["offer", "grant"])
    state = serializers.ChoiceField(choices=OfferState.choices)
    event = serializers.DictField(help_text="`{source, id}`: what triggered it, e.g. `output:citizen_id`")
    answers = serializers.DictField(help_text="What was filled in already, by field code")
    application = serializers.IntegerField(allow_null=True, help_text="The pre-filled draft (or the granted "
                                                                      "application); `null` once declined")
    created_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)
    expires_at = serializers.DateTimeField(allow_null=True, help_text="Until when an offer may be accepted or "
                                                                       "declined; `null` for a grant")


class AcceptSerializer(serializers.Serializer):
    data = serializers.DictField(required=False, help_text="Answers to complete or change before submitting")


def offer_repr(offer: Offer) -> dict:
    return {"id": offer.pk, "one_thing": {"code": offer.one_thing.code, "name": localized(offer.one_thing.name)},
            "mode": offer.mode, "state": offer.current_state, "expires_at": offer.expires_at,
            "event": {"source": offer.event_source, "id": offer.event_id},
            "answers": offer.answers, "application": offer.application_id,
            "created_at": offer.created_at, "decided_at": offer.decided_at}


STATE_PARAM = OpenApiParameter("state", str, enum=list(OfferState.values), description="Only offers in this state.")


class OfferListView(GenericAPIView):
    """Offers the state made to the caller (免申即享), newest first."""

    permission_classes = [IsAuthenticated]
    pagination_class = Pagination
    serializer_class = OfferSerializer

    @extend_schema(parameters=[STATE_PARAM], responses={200: OfferSerializer(many=True), **errors(400, 401),
                                                        404: detail("No such page")})
    def get(self, request):
        wanted = request.query_params.get("state")
        if wanted is not None and wanted not in OfferState.values:
            raise ValidationError({"state": [f"One of: {', '.join(OfferState.values)}."]})
        qs = proactive.offers_for(request.user, wanted)
        page = self.paginate_queryset(qs)
        return self.get_paginated_response([offer_repr(o) for o in page])


class OfferDetailView(GenericAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = OfferSerializer

    @extend_schema(responses={200: OfferSerializer, **errors(401, 404)})
    def get(self, request, pk: int):
        return Response(offer_repr(proactive.offer_for(request.user, pk)))


class OfferAcceptView(GenericAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = ApplicationSerializer

    @extend_schema(request=AcceptSerializer, responses={
        200: ApplicationSerializer, **errors(401, 404),
        400: field_errors("The answers are invalid or incomplete (as `POST /applications/{id}/submit/`)"),
        409: detail("The offer was declined or has expired")},
        description="Confirm an offer in one step: its pre-filled draft is submitted (after merging `data`, if "
                    "given). Idempotent: accepting an accepted offer answers 200 with the same application.")
    def post(self, request, pk: int):
        offer = proactive.offer_for(request.user, pk)
        body = validated(AcceptSerializer, request.data if isinstance(request.data, dict) else {})
        app = proactive.offer_accept(offer=offer, user=request.user, data=body.get("data"))
        return Response(application_repr(_application(request.user, app.pk)))


class OfferDeclineView(GenericAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = OfferSerializer

    @extend_schema(request=None, responses={200: OfferSerializer, **errors(401, 404),
                                            409: detail("The offer was accepted already, or has expired")})
    def post(self, request, pk: int):
        offer = proactive.offer_decline(offer=proactive.offer_for(request.user, pk), user=request.user)
        return Response(offer_repr(proactive.offer_for(request.user, offer.pk)))


# -- department systems: eligibility lists ------------------------------------------------------

class EventRowSerializer(serializers.Serializer):
    event_id = serializers.CharField(max_length=100)
    id_number = serializers.CharField(required=False, allow_blank=True, max_length=18)
    uscc = serializers.CharField(required=False, allow_blank=True, max_length=18)
    data = serializers.DictField(required=False, help_text="The row's other columns, read by the trigger's rule "
                                                           "as `event.data`")


class EventPushSerializer(serializers.Serializer):
    name = serializers.SlugField(max_length=64, help_text="The import's name: triggers on `import:<name>`")
    rows = serializers.ListField(child=serializers.DictField(), max_length=1000)


class EventReportSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    already = serializers.IntegerField()
    not_eligible = serializers.IntegerField()
    unknown = serializers.ListField(child=serializers.CharField(), help_text="event ids of rows naming nobody known")


class EventPushView(APIView):
    """A department system sends rows of an eligibility list (``import:<name>``)."""

    authentication_classes: list = []  # the signature is the credential
    permission_classes = [AllowAny]
    parser_classes = [SafeJSONParser]
    serializer_class = EventPushSerializer

    def get_authenticate_header(self, request) -> str:
        return 'GovflowSignature realm="department callbacks"'

    @extend_schema(
        operation_id="eligibility_push", auth=[],
        description="Rows of a department's eligibility list for proactive services (docs/proactive.md): "
                    "`{\"name\": \"<import name>\", \"rows\": [{\"event_id\", \"id_number\" | \"uscc\", ...columns}]}`, "
                    "signed like `POST /cases/{id}/decision/` with the secret of a department (or office) that "
                    "handles a procedure of a one thing triggered by `import:<name>`. Every row is checked first: "
                    "any invalid row → 400 naming it, nothing done. A row already handled (same event id, same "
                    "person) creates nothing, so a push may be repeated.",
        parameters=[OpenApiParameter(SIGNATURE_HEADER, str, OpenApiParameter.HEADER, required=True)],
        request=EventPushSerializer,
        responses={200: EventReportSerializer, 400: field_errors(),
                   401: detail("Bad, missing or stale signature"),
                   403: detail("The signing department handles no one thing this import triggers")})
    def post(self, request):
        signers = signing_systems(request.headers.get(SIGNATURE_HEADER), raw_body(request))
        if not signers:
            raise AuthenticationFailed("Missing, invalid or expired signature.")
        body = validated(EventPushSerializer, request.data)
        departments = set(signers.department_ids) | set(
            Office.objects.filter(pk__in=signers.office_ids).values_list("department_id", flat=True))
        if not departments & eligibility.import_departments(body["name"]):
            raise PermissionDenied("Your department handles no one thing this import triggers.")
        rows = [{**(row.get("data") if isinstance(row.get("data"), dict) else {}),
                 **{k: v for k, v in row.items() if k != "data"}} for row in body["rows"]]
        report = eligibility.import_eligibility(body["name"], rows)
        return Response({"created": report.created, "already": report.already,
                         "not_eligible": report.not_eligible, "unknown": report.unknown})


urlpatterns = [
    path("offers/", OfferListView.as_view(), name="offer-list"),
    path("offers/<int:pk>/", OfferDetailView.as_view(), name="offer-detail"),
    path("offers/<int:pk>/accept/", OfferAcceptView.as_view(), name="offer-accept"),
    path("offers/<int:pk>/decline/", OfferDeclineView.as_view(), name="offer-decline"),
    path("events/", EventPushView.as_view(), name="eligibility-push"),
]
