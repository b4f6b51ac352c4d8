"""Inbound decisions from department back-office systems, signed with the secret of the system that
receives the case's events (its office's own, else its department's).

``POST /api/v1/cases/{id}/decision/`` carries the body of a clerk's task completion plus an
``event_id``, and the header ``X-Govflow-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
"<t>.<raw body>">`` (the scheme of outbound webhooks). The signature is the only credential:
no session, no token, no CSRF. A bad or missing signature, a department without a secret, a
timestamp more than 300 s away from now, or an ``event_id`` seen before → ``401``, nothing changed.
The signature is verified against every department's and office's secret before the case is looked up, so the
``401`` is the same whether or not the case exists; a validly signed request for a case that does
not exist or is another department's is a ``404``.

The department system acts as its own service account (``dept-<code>-system``, a clerk of that
department) through the same services as a human clerk, so the same rules and audit trail apply:
a queued case is claimed and decided in one transaction together with the ``event_id``, so a
refused decision (``400``/``409``) does not use the id up, and a replay is refused even when it
arrives at the same moment (unique constraint).
"""
from __future__ import annotations

from django.db import IntegrityError, transaction
from django.http import Http404
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from govflow.accounts.services import department_system_user
from govflow.applications.models import Application, Case, CaseStatus
from govflow.applications.services import deciding
from govflow.catalog.models import received_by
from govflow.errors import InvalidState
from govflow.notifications.signing import (  # noqa: F401 - re-exported for department tooling
    SIGNATURE_HEADER,
    TOLERANCE_SECONDS,
    Signers,
    signature,
    signature_header,
    signing_systems,
    verify_signature,
)

from .idempotency import raw_body
from .models import InboundEvent
from .parsers import SafeJSONParser
from .responses import detail, field_errors
from .serializers.tasks import CompleteSerializer


class CallbackDecisionSerializer(CompleteSerializer):
    """A clerk's decision body plus the sender's event id."""

    event_id = serializers.CharField(max_length=200, help_text=(
        "Unique per department and decision, chosen by the sender; a second request with the same id "
        "is refused (`401`). Reuse it only to retry a request that got no answer or a `5xx`."))


class DecisionResultSerializer(serializers.Serializer):
    case = serializers.IntegerField()
    status = serializers.ChoiceField(choices=CaseStatus.choices)
    application = serializers.DictField(help_text="`{id, number, status}`")


SCHEME_DESCRIPTION = f"""A department's back-office system decides a case of its department: the same body as a
clerk's `POST /tasks/{{id}}/complete/` plus `event_id`, and the same rules (every output the procedure issues,
a reason to reject, correctable codes only).

**Authentication** is the signature, no token or session: header
`{SIGNATURE_HEADER}: t=<unix seconds>,v1=<hex HMAC-SHA256>` where the HMAC key is the webhook secret of the
system that receives the case's events (the case's office's own system when the office registered one, else
the department's) and the message is `"<t>.<raw request body>"` (the exact bytes sent). Refused with `401` and nothing
changed: a missing or wrong signature, a department without a secret, `t` more than {TOLERANCE_SECONDS} s
before or after the server's clock, or an `event_id` this department has already used successfully.
The signature is checked before the case is looked up: without a valid one the answer is the same `401`
whether or not the case exists. With a valid one, a case that does not exist, belongs to another
department, or whose events go to another system (an office with its own) is `404`.
Several `v1=` entries may be sent while rolling a secret. Deactivating the account `dept-<code>-system`
in the admin also refuses the department's callbacks (`401`).

The decision is made by the department's service account `dept-<code>-system`: a queued case is claimed
and decided at once; a case a human clerk holds, or one not awaiting a decision, is `409`."""


def _case_or_404(pk: int, signers: Signers) -> Case:
    """The case ``pk`` if the signing system receives its events: its office's own system when the
    office has one (``catalog.models.webhook_target``), else its department's. Any other case is a 404."""
    if pk <= 0 or pk > 2**63 - 1:
        raise Http404("Case not found.")
    receives = received_by(department_ids=signers.department_ids, office_ids=signers.office_ids)
    case = Case.objects.select_related("department", "office").filter(receives, pk=pk).first()
    if case is None:
        raise Http404("Case not found.")
    return case


class CaseDecisionCallbackView(APIView):
    authentication_classes: list = []  # the signature is the credential (checked in the view)
    permission_classes = [AllowAny]
    parser_classes = [SafeJSONParser]
    serializer_class = CallbackDecisionSerializer

    def get_authenticate_header(self, request) -> str:
        # A 401 names the scheme (and stays a 401: DRF would turn it into a 403 without one).
        return 'GovflowSignature realm="department callbacks"'

    @extend_schema(
        operation_id="case_decision_callback", auth=[], description=SCHEME_DESCRIPTION,
        parameters=[OpenApiParameter(SIGNATURE_HEADER, str, OpenApiParameter.HEADER, required=True,
                                     description="`t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.<raw body>\">`")],
        request=CallbackDecisionSerializer,
        responses={200: DecisionResultSerializer,
                   400: field_errors("Invalid body or outputs: `{field: [messages]}`"),
                   401: detail("Bad, missing or stale signature, no secret, or replayed `event_id`"),
                   404: detail("No such case among those whose events the signing system receives"),
                   413: detail("Request body too large"),
                   409: detail("The case is not awaiting a decision, or a clerk holds it")})
    def post(self, request, pk: int):
        raw = raw_body(request)
        signers = signing_systems(request.headers.get(SIGNATURE_HEADER), raw)
        if not signers:  # before any look-up of the case: unknown and known cases get the same 401
            raise AuthenticationFailed("Missing, invalid or expired signature.")
        case = _case_or_404(pk, signers)
        department = case.department
        body = CallbackDecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        decision = body.validated_data

        with transaction.atomic():
            try:
                with transaction.atomic():
                    InboundEvent.objects.create(department=department, event_id=decision["event_id"])
            except IntegrityError:
                raise AuthenticationFailed("This event_id has already been used.") from None
            actor = department_system_user(department=department, office=case.office)
            if not actor.is_active:  # an administrator's switch to stop a department system
                raise AuthenticationFailed("This department's system account is disabled.")
            current = Case.objects.only("status", "owner_id").get(pk=case.pk)
            if current.status == CaseStatus.QUEUED:
                deciding.task_claim(case=case, user=actor)
            elif current.status != CaseStatus.IN_REVIEW:
                raise InvalidState("This case is not awaiting a decision.")
            elif current.owner_id != actor.pk:
                raise InvalidState("A clerk is handling this case.")
            case = deciding.task_complete(case=case, user=actor, decision=decision["decision"],
                                          outputs=decision.get("outputs"), comment=decision.get("comment", ""),
                                          corrections=decision.get("corrections"))
        app = Application.objects.only("id", "number", "status").get(pk=case.application_id)
        return Response({"case": case.pk, "status": case.status,
                         "application": {"id": app.pk, "number": app.number, "status": app.status}})


urlpatterns = [
    path("cases/<int:pk>/decision/", CaseDecisionCallbackView.as_view(), name="case-decision-callback"),
]
