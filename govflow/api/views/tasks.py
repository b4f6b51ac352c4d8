"""REST API v1, the clerk's side: tasks of their offices (claim, release, assign, decide) and the
physical results they hand over. Every task through ``selectors.task_for_clerk`` (a task of an
office the clerk is not a member of is a 404)."""
from __future__ import annotations

from django.contrib.auth import get_user_model
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from govflow.applications import access, selectors
from govflow.applications.models import Application, Case
from govflow.applications.services import deciding, delivering

from ..pagination import Pagination
from ..permissions import IsClerk
from ..responses import ERRORS, PAGE_NOT_FOUND, detail, validated
from ..serializers.applications import document_repr
from ..serializers.tasks import (
    AssignSerializer,
    ClerkDeliverySerializer,
    CompleteSerializer,
    DeliveryAdvanceSerializer,
    TaskDetailSerializer,
    TaskSerializer,
    clerk_delivery_repr,
    task_repr,
)

QUEUE_PARAM = OpenApiParameter("queue", str, enum=["department", "mine"],
                               description="`department`: unclaimed tasks of my offices (default); "
                                           "`mine`: tasks I hold.")
TASK_ERRORS = {401: ERRORS[401], 403: detail("Not department staff, or not allowed"),
               404: detail("Not found, or a task of an office I am not a member of")}


class TaskListView(GenericAPIView):
    permission_classes = [IsAuthenticated, IsClerk]
    pagination_class = Pagination
    serializer_class = TaskSerializer

    @extend_schema(parameters=[QUEUE_PARAM], responses={200: TaskSerializer(many=True), 400: ERRORS[400],
                                                        **TASK_ERRORS, 404: PAGE_NOT_FOUND})
    def get(self, request):
        queue = request.query_params.get("queue", "department")
        if queue == "department":
            qs = selectors.task_queue_for_clerk(user=request.user,
                                                office_ids=getattr(request, "govflow_office_ids", None))
        elif queue == "mine":
            qs = selectors.tasks_held_by(user=request.user)
        else:
            raise ValidationError({"queue": ["One of: department, mine."]})
        # The page's ids first (the case table alone, read off the queue's partial index),
        # then those rows with what a task shows: never a sort of the fully joined queue.
        ids = self.paginate_queryset(qs.values_list("pk", flat=True))
        return self.get_paginated_response([task_repr(c) for c in selectors.cases_in_order(qs, list(ids))])


def task_detail_repr(case: Case) -> dict:
    view = selectors.task_view_for_clerk(case)
    body = task_repr(case)
    body["data"] = {**view["data"], **view["outputs"]}
    body["documents"] = [document_repr(d) for d in view["documents"]]
    body["history"] = [{"at": serializers.DateTimeField().to_representation(e.at), "kind": e.kind,
                        "actor": e.actor.username if e.actor_id else None, "message": e.message}
                       for e in view["history"]]
    return body


class TaskDetailView(GenericAPIView):
    permission_classes = [IsAuthenticated, IsClerk]
    serializer_class = TaskDetailSerializer

    @extend_schema(responses={200: TaskDetailSerializer, **TASK_ERRORS})
    def get(self, request, pk: int):
        case = selectors.task_for_clerk(request.user, pk)
        body = task_detail_repr(case)
        access.case_read(request.user, case, interface=access.Interface.API, fields=list(body["data"].keys()),
                         materials=[d["material"] for d in body["documents"] if d.get("material")])
        return Response(body)


class TaskActionView(GenericAPIView):
    permission_classes = [IsAuthenticated, IsClerk]
    serializer_class = TaskSerializer

    def respond(self, request, case: Case) -> Response:
        fresh = (Case.objects.select_related("application", "department", "office__division", "task", "owner")
                 .get(pk=case.pk))
        return Response(task_repr(fresh))


# An action that takes no body: ``act`` on the clerk's task, then the task. (A comment, not a
# docstring: drf-spectacular would publish a docstring as the operation's description.)
class _BodilessTaskActionView(TaskActionView):
    def act(self, case: Case, user) -> Case:
        raise NotImplementedError

    @extend_schema(request=None, responses={200: TaskSerializer, 409: ERRORS[409], **TASK_ERRORS})
    def post(self, request, pk: int):
        case = self.act(selectors.task_for_clerk(request.user, pk), request.user)
        return self.respond(request, case)


class ClaimView(_BodilessTaskActionView):
    def act(self, case: Case, user) -> Case:
        return deciding.task_claim(case=case, user=user)


class ReleaseView(_BodilessTaskActionView):
    def act(self, case: Case, user) -> Case:
        return deciding.task_release(case=case, user=user)


class AssignView(TaskActionView):
    @extend_schema(request=AssignSerializer, responses={200: TaskSerializer, 400: ERRORS[400], 409: ERRORS[409],
                                                        **TASK_ERRORS})
    def post(self, request, pk: int):
        case = selectors.task_for_clerk(request.user, pk)
        selectors.check_may_assign(request.user, case)
        body = validated(AssignSerializer, request.data)
        assignee = get_user_model().objects.filter(username=body["user"]).first()
        case = deciding.task_assign(case=case, user=request.user, assignee=assignee)
        return self.respond(request, case)


class CompleteView(GenericAPIView):
    permission_classes = [IsAuthenticated, IsClerk]
    serializer_class = CompleteSerializer

    @extend_schema(request=CompleteSerializer,
                   responses={200: inline_serializer("CaseDecision", {
                       "case": serializers.IntegerField(), "status": serializers.CharField(),
                       "application": serializers.DictField()}), 400: ERRORS[400], 409: ERRORS[409], **TASK_ERRORS})
    def post(self, request, pk: int):
        case = selectors.task_for_clerk(request.user, pk)
        selectors.check_may_decide(request.user, case)
        body = validated(CompleteSerializer, request.data)
        case = deciding.task_complete(case=case, user=request.user, decision=body["decision"],
                                      outputs=body.get("outputs"), comment=body.get("comment", ""),
                                      corrections=body.get("corrections"))
        app = Application.objects.only("id", "number", "status").get(pk=case.application_id)
        return Response({"case": case.pk, "status": case.status,
                         "application": {"id": app.pk, "number": app.number, "status": app.status}})


# -- physical results (clerks): what the workbench's task page and its list of results to hand over do

DELIVERY_ERRORS = {401: ERRORS[401], 403: detail("Not department staff, or a case of my own application"),
                   404: detail("Not found, or a result of an office I am not a member of")}


class DeliveryListView(GenericAPIView):
    permission_classes = [IsAuthenticated, IsClerk]
    pagination_class = Pagination
    serializer_class = ClerkDeliverySerializer

    @extend_schema(responses={200: ClerkDeliverySerializer(many=True), **DELIVERY_ERRORS, 404: PAGE_NOT_FOUND})
    def get(self, request):
        page = self.paginate_queryset(selectors.deliveries_to_hand_over(request.user)
                                      .select_related("pickup_office__division"))
        # Each result's recipient and address: a read of its applicant's data (one INSERT for the page).
        for delivery in page:
            delivery.case.application = delivery.application  # loaded already
            access.case_read(request.user, delivery.case, interface=access.Interface.API, fields=["delivery_address"])
        return self.get_paginated_response([clerk_delivery_repr(d) for d in page])


class DeliveryDetailView(GenericAPIView):
    permission_classes = [IsAuthenticated, IsClerk]
    serializer_class = ClerkDeliverySerializer

    @extend_schema(responses={200: ClerkDeliverySerializer, **DELIVERY_ERRORS})
    def get(self, request, pk: int):
        delivery = selectors.delivery_of_clerk(request.user, pk)
        # Where to post it (a name, a phone, an address): a read of the applicant's data.
        access.case_read(request.user, delivery.case, interface=access.Interface.API, fields=["delivery_address"])
        return Response(clerk_delivery_repr(delivery))


class DeliveryAdvanceView(GenericAPIView):
    permission_classes = [IsAuthenticated, IsClerk]
    serializer_class = DeliveryAdvanceSerializer

    @extend_schema(request=DeliveryAdvanceSerializer,
                   responses={200: ClerkDeliverySerializer, 400: ERRORS[400], 409: ERRORS[409], **DELIVERY_ERRORS})
    def post(self, request, pk: int):
        delivery = selectors.delivery_of_clerk(request.user, pk)
        body = validated(DeliveryAdvanceSerializer, request.data)
        delivering.delivery_advance(delivery=delivery, user=request.user, state=body["state"],
                                  tracking_number=body.get("tracking_number", ""))
        delivery = selectors.delivery_of_clerk(request.user, pk)
        # The answer shows the recipient and address again: a read, as the detail.
        access.case_read(request.user, delivery.case, interface=access.Interface.API, fields=["delivery_address"])
        return Response(clerk_delivery_repr(delivery))
