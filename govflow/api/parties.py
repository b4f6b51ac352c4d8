"""Organisations and authorisations over HTTP: the organisations the caller acts for and their
roles (the legal representative grants and revokes agents), and the authorisations under which
one person applies for another (代办), held or given.

Reads are ``govflow.parties.selectors`` (an organisation the caller holds no standing role in,
or an authorisation they neither hold nor gave, is a 404); writes are ``govflow.parties.services``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from govflow.applications.selectors import int_or_404
from govflow.catalog.models import localized
from govflow.errors import InvalidInput
from govflow.parties import selectors, services
from govflow.parties.models import AuthorisationScope, OrganisationRoleKind, Relation

from .pagination import Pagination
from .responses import PAGE_NOT_FOUND, detail, errors, validated
from .serializers.common import DivisionRefSerializer, PersonRefSerializer, person_ref

if TYPE_CHECKING:
    from govflow.parties.models import Authorisation, Organisation, OrganisationRole

__all__ = ["urlpatterns"]



def _renamed(exc: InvalidInput, names: dict[str, str]) -> InvalidInput:
    """The same error with the service's field names as this API names them."""
    if isinstance(exc.errors, dict):
        exc.errors = {names.get(key, key): value for key, value in exc.errors.items()}
    return exc


def _time(value) -> str | None:
    return serializers.DateTimeField().to_representation(value) if value else None


# -- representations --------------------------------------------------------------------------------


class RoleSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    role = serializers.ChoiceField(choices=OrganisationRoleKind.choices)
    person = PersonRefSerializer()
    granted_by = PersonRefSerializer(allow_null=True)
    granted_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True, help_text="`null` for a legal representative.")
    revoked_at = serializers.DateTimeField(allow_null=True)
    revoked_by = PersonRefSerializer(allow_null=True)
    live = serializers.BooleanField(help_text="Neither revoked nor expired: the person may act for the "
                                              "organisation now.")


def role_repr(role: OrganisationRole) -> dict:
    return {
        "id": role.pk, "role": role.role, "person": person_ref(role.user),
        "granted_by": person_ref(role.granted_by) if role.granted_by_id else None,
        "granted_at": _time(role.granted_at), "expires_at": _time(role.expires_at),
        "revoked_at": _time(role.revoked_at),
        "revoked_by": person_ref(role.revoked_by) if role.revoked_by_id else None,
        "live": role.is_live(),
    }


class MyRoleSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    role = serializers.ChoiceField(choices=OrganisationRoleKind.choices)
    expires_at = serializers.DateTimeField(allow_null=True)


class OrganisationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    uscc = serializers.CharField(help_text="Unified social credit code (GB 32100).")
    legal_representative_name = serializers.CharField()
    division = DivisionRefSerializer(help_text="Where the organisation is registered.")
    address = serializers.CharField(allow_blank=True)
    verified = serializers.BooleanField(help_text="Registered from a trusted source, not only from what a "
                                                  "representative said at a counter.")
    my_role = MyRoleSerializer(help_text="The caller's standing role in it.")
    acting_as = serializers.CharField(help_text="What `acting_as` names it: `org:<id>`.")


class OrganisationDetailSerializer(OrganisationSerializer):
    roles = RoleSerializer(many=True, help_text="For the legal representative: every role, revoked and expired "
                                                "ones included (the record); for an agent: their own.")


def organisation_repr(standing: OrganisationRole) -> dict:
    organisation: Organisation = standing.organisation
    return {
        "id": organisation.pk, "name": organisation.name, "uscc": organisation.uscc,
        "legal_representative_name": organisation.legal_representative_name,
        "division": {"code": organisation.division.code, "name": localized(organisation.division.name)},
        "address": organisation.address, "verified": organisation.verified,
        "my_role": {"id": standing.pk, "role": standing.role, "expires_at": _time(standing.expires_at)},
        "acting_as": f"org:{organisation.pk}",
    }


class EvidenceSerializer(serializers.Serializer):
    filename = serializers.CharField(allow_blank=True)
    content_type = serializers.CharField(allow_blank=True)
    sha256 = serializers.CharField(allow_blank=True)


class AuthorisationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    agent = PersonRefSerializer(help_text="Who may apply.")
    subject = PersonRefSerializer(help_text="For whom.")
    relation = serializers.ChoiceField(choices=Relation.choices)
    scope = serializers.ChoiceField(choices=AuthorisationScope.choices,
                                    help_text="`application`: one application; `one_thing`: every application "
                                              "of the one thing.")
    one_thing = serializers.CharField(help_text="Code of the one thing it covers.")
    expires_at = serializers.DateTimeField()
    created_at = serializers.DateTimeField()
    revoked_at = serializers.DateTimeField(allow_null=True)
    revoked_by = PersonRefSerializer(allow_null=True)
    live = serializers.BooleanField(help_text="Neither revoked nor expired.")
    evidence = EvidenceSerializer()
    acting_as = serializers.CharField(allow_null=True, help_text="For its agent while it is live: what "
                                                                 "`acting_as` names it (`for:<id>`); else `null`.")


def authorisation_repr(authorisation: Authorisation, user: Any) -> dict:
    live = authorisation.is_live()
    return {
        "id": authorisation.pk, "agent": person_ref(authorisation.agent), "subject": person_ref(authorisation.subject),
        "relation": authorisation.relation, "scope": authorisation.scope, "one_thing": authorisation.one_thing.code,
        "expires_at": _time(authorisation.expires_at), "created_at": _time(authorisation.created_at),
        "revoked_at": _time(authorisation.revoked_at),
        "revoked_by": person_ref(authorisation.revoked_by) if authorisation.revoked_by_id else None,
        "live": live,
        "evidence": {"filename": authorisation.evidence_filename, "content_type": authorisation.evidence_content_type,
                     "sha256": authorisation.evidence_sha256},
        "acting_as": f"for:{authorisation.pk}" if live and authorisation.agent_id == user.pk else None,
    }


# -- request bodies ---------------------------------------------------------------------------------


class AgentGrantSerializer(serializers.Serializer):
    id_number = serializers.CharField(max_length=32, help_text="The agent's resident ID number; they must have an "
                                                              "account.")
    expires_at = serializers.DateTimeField(help_text="When the agent's authority ends (in the future).")


class AuthorisationCreateSerializer(serializers.Serializer):
    subject_id_number = serializers.CharField(max_length=32, help_text="The resident ID number of the person you "
                                                                      "apply for (without an account, they get an "
                                                                      "unverified profile).")
    subject_name = serializers.CharField(max_length=100, help_text="Their name, as on their ID.")
    relation = serializers.ChoiceField(choices=Relation.choices)
    one_thing = serializers.CharField(max_length=64, help_text="Code of the one thing (for persons) it covers.")
    scope = serializers.ChoiceField(choices=AuthorisationScope.choices, required=False,
                                    default=AuthorisationScope.APPLICATION)
    expires_at = serializers.DateTimeField(help_text="When it ends (in the future).")
    evidence = serializers.FileField(help_text="A power of attorney or a certificate: PDF, PNG or JPEG, at most "
                                               "10 MB.")


# -- views ------------------------------------------------------------------------------------------


class OrganisationListView(GenericAPIView):
    """The organisations the caller may act for now, with their role in each."""

    permission_classes = [IsAuthenticated]
    pagination_class = Pagination
    serializer_class = OrganisationSerializer

    @extend_schema(responses={200: OrganisationSerializer(many=True), **errors(401), 404: PAGE_NOT_FOUND})
    def get(self, request):
        page = self.paginate_queryset(selectors.standing_roles(request.user).select_related("organisation__division"))
        return self.get_paginated_response([organisation_repr(role) for role in page])


class OrganisationDetailView(GenericAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = OrganisationDetailSerializer

    @extend_schema(responses={200: OrganisationDetailSerializer, **errors(401, 404)})
    def get(self, request, pk: int):
        standing = selectors.organisation_role_for(request.user, int_or_404(pk))
        return Response({**organisation_repr(standing),
                         "roles": [role_repr(r) for r in selectors.roles_shown_to(standing)]})


class AgentGrantView(GenericAPIView):
    """The legal representative authorises an agent (经办人) until a date."""

    permission_classes = [IsAuthenticated]
    serializer_class = RoleSerializer

    @extend_schema(request=AgentGrantSerializer,
                   responses={201: RoleSerializer, **errors(400, 401, 404),
                              403: detail("Only the legal representative grants agents' roles")})
    def post(self, request, pk: int):
        standing = selectors.organisation_role_for(request.user, int_or_404(pk))
        body = validated(AgentGrantSerializer, request.data)
        try:
            role = services.agent_grant(organisation=standing.organisation, actor=request.user,
                                        agent_id_number=body["id_number"], expires_at=body["expires_at"])
        except InvalidInput as exc:
            raise _renamed(exc, {"agent_id_number": "id_number"}) from None
        role = selectors.roles_of(standing.organisation).get(pk=role.pk)
        return Response(role_repr(role), status=status.HTTP_201_CREATED)


class AgentRevokeView(GenericAPIView):
    """End an agent's role at once: by the legal representative, or by the agent themselves."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={204: None, **errors(401, 404),
                              409: detail("Already revoked, or a legal representative's role (changed by an "
                                          "administrator)")})
    def delete(self, request, pk: int, role_pk: int):
        standing = selectors.organisation_role_for(request.user, int_or_404(pk))
        role = selectors.role_shown_to(standing, int_or_404(role_pk))
        services.role_revoke(role=role, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


SIDE_PARAM = OpenApiParameter("side", str, enum=["agent", "subject"],
                              description="`agent`: the authorisations you hold; `subject`: those you gave "
                                          "(others apply for you). Default: both.")


class AuthorisationListView(GenericAPIView):
    """Authorisations to apply for another person (代办) the caller holds or gave, live or not."""

    permission_classes = [IsAuthenticated]
    pagination_class = Pagination
    parser_classes = [MultiPartParser, FormParser]
    serializer_class = AuthorisationSerializer

    @extend_schema(parameters=[SIDE_PARAM],
                   responses={200: AuthorisationSerializer(many=True), **errors(400, 401), 404: PAGE_NOT_FOUND})
    def get(self, request):
        side = request.query_params.get("side")
        if side is not None and side not in ("agent", "subject"):
            raise ValidationError({"side": ["One of: agent, subject."]})
        page = self.paginate_queryset(selectors.authorisations_of(request.user, side=side))
        return self.get_paginated_response([authorisation_repr(a, request.user) for a in page])

    @extend_schema(request={"multipart/form-data": AuthorisationCreateSerializer},
                   responses={201: AuthorisationSerializer, **errors(400, 401),
                              413: detail("Evidence larger than 10 MB"),
                              415: detail("Evidence not a PDF, PNG or JPEG file (checked by content)")})
    def post(self, request):
        if len(request.FILES.getlist("evidence")) > 1:
            raise ValidationError({"evidence": [_("Upload one file at a time.")]})
        body = validated(AuthorisationCreateSerializer, request.data)
        evidence = body["evidence"]
        try:
            authorisation = services.authorisation_create(
                agent=request.user, subject_id_number=body["subject_id_number"], subject_name=body["subject_name"],
                relation=body["relation"], one_thing_code=body["one_thing"], expires_at=body["expires_at"],
                scope=body["scope"], evidence=evidence, evidence_filename=evidence.name or "")
        except InvalidInput as exc:
            raise _renamed(exc, {"id_number": "subject_id_number", "name": "subject_name"}) from None
        found = selectors.authorisation_for(request.user, authorisation.pk)
        return Response(authorisation_repr(found, request.user), status=status.HTTP_201_CREATED)


class AuthorisationRevokeView(GenericAPIView):
    """End an authorisation at once: by the person it is for, or by its agent."""

    permission_classes = [IsAuthenticated]
    serializer_class = AuthorisationSerializer

    @extend_schema(request=None, responses={200: AuthorisationSerializer, **errors(401, 404),
                                            409: detail("Already revoked")})
    def post(self, request, pk: int):
        authorisation = selectors.authorisation_for(request.user, int_or_404(pk))
        services.authorisation_revoke(authorisation=authorisation, actor=request.user)
        found = selectors.authorisation_for(request.user, authorisation.pk)
        return Response(authorisation_repr(found, request.user))


urlpatterns = [
    path("organisations/", OrganisationListView.as_view(), name="organisation-list"),
    path("organisations/<int:pk>/", OrganisationDetailView.as_view(), name="organisation-detail"),
    path("organisations/<int:pk>/agents/", AgentGrantView.as_view(), name="organisation-agents"),
    path("organisations/<int:pk>/agents/<int:role_pk>/", AgentRevokeView.as_view(), name="organisation-agent"),
    path("authorisations/", AuthorisationListView.as_view(), name="authorisation-list"),
    path("authorisations/<int:pk>/revoke/", AuthorisationRevokeView.as_view(), name="authorisation-revoke"),
]
