"""Statistics over HTTP: supervisors see their departments, staff see everything.

``GET /api/v1/stats/?from=YYYY-MM-DD&to=YYYY-MM-DD`` counts the applications submitted in
that range (whole days in Asia/Shanghai, both ends included) as they stand now. The range
may span at most :data:`MAX_RANGE_DAYS` days: the figures read every decided case of the
range, so one request must stay bounded; ask year by year for longer periods.
"""
from __future__ import annotations

import re
from datetime import date

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from govflow.accounts.models import Membership, Role
from govflow.stats.selectors import stats_for

from .responses import detail, field_errors
from .serializers.common import DepartmentSerializer

__all__ = ["MAX_RANGE_DAYS", "StatsView"]

#: Longest range one request may cover, both ends included (a leap year).
MAX_RANGE_DAYS = 366
#: Dates outside these bounds are refused, so that day arithmetic can never overflow.
MIN_DATE = date(1900, 1, 1)
MAX_DATE = date(9998, 12, 31)

_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class IsStatsViewer(BasePermission):
    """Staff, or a supervisor of at least one department."""

    message = "Only supervisors and staff can see statistics."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return bool(user.is_staff or Membership.objects.filter(user=user, role=Role.SUPERVISOR).exists())


class DayField(serializers.Field):
    """A calendar date written exactly ``YYYY-MM-DD``."""

    default_error_messages = {
        "invalid": "Enter a date in the format YYYY-MM-DD.",
        "range": "Enter a date from 1900-01-01 to 9998-12-31.",
    }

    def to_internal_value(self, data) -> date:
        if not isinstance(data, str) or not _DATE_RE.fullmatch(data):
            self.fail("invalid")
        try:
            day = date.fromisoformat(data)
        except ValueError:
            self.fail("invalid")
        if not MIN_DATE <= day <= MAX_DATE:
            self.fail("range")
        return day

    def to_representation(self, value: date) -> str:
        return value.isoformat()


class StatsQuerySerializer(serializers.Serializer):
    """``from`` and ``to`` (``from`` is a Python keyword, hence ``get_fields``)."""

    def get_fields(self) -> dict:
        return {"from": DayField(), "to": DayField()}

    def validate(self, attrs: dict) -> dict:
        start, end = attrs["from"], attrs["to"]
        if end < start:
            raise serializers.ValidationError({"to": ["Must be on or after from."]})
        if (end - start).days + 1 > MAX_RANGE_DAYS:
            raise serializers.ValidationError({"to": [f"The range may span at most {MAX_RANGE_DAYS} days."]})
        return attrs


def _sla_met_ratio_field() -> serializers.FloatField:
    return serializers.FloatField(
        allow_null=True, min_value=0, max_value=1,
        help_text="Cases decided (approved or rejected) on or before their due date ÷ cases decided, rounded to "
                  "4 decimals; null when none was decided.")


def _avg_working_days_field() -> serializers.FloatField:
    return serializers.FloatField(
        allow_null=True, min_value=0,
        help_text="Mean working days from queued to decided, days waiting for the citizen excluded, rounded to 2 "
                  "decimals; null when none was decided.")


class DepartmentStatsSerializer(serializers.Serializer):
    department = DepartmentSerializer()
    queued = serializers.IntegerField(help_text="Cases now queued (unclaimed).")
    in_review = serializers.IntegerField(help_text="Cases now held by a clerk.")
    overdue = serializers.IntegerField(help_text="Cases queued or in review past their due date.")
    approved = serializers.IntegerField()
    rejected = serializers.IntegerField()
    sla_met_ratio = _sla_met_ratio_field()
    avg_working_days = _avg_working_days_field()


class ChannelCountsSerializer(serializers.Serializer):
    online = serializers.IntegerField(help_text="Submitted through the portal.")
    counter = serializers.IntegerField(help_text="Taken at a service-hall counter.")
    api = serializers.IntegerField(help_text="Submitted through the API.")


class InstrumentCountsSerializer(serializers.Serializer):
    deferred = serializers.IntegerField(help_text="Submitted with a material to follow (容缺受理).")
    commitment = serializers.IntegerField(help_text="With a signed commitment in place of a material (告知承诺制).")
    offer = serializers.IntegerField(help_text="Offered by the state, pre-filled, and accepted (免申即享).")
    grant = serializers.IntegerField(help_text="Granted without an application (免申即享).")


class StatsSerializer(serializers.Serializer):
    submitted = serializers.IntegerField(help_text="Applications submitted in the range.")
    completed = serializers.IntegerField(help_text="Of those, now completed.")
    in_progress = serializers.IntegerField(help_text="Of those, now submitted, in progress or waiting for a "
                                                     "correction.")
    overdue = serializers.IntegerField(help_text="Their cases queued or in review past their due date.")
    sla_met_ratio = _sla_met_ratio_field()
    avg_working_days = _avg_working_days_field()
    satisfaction_avg = serializers.FloatField(allow_null=True, min_value=1, max_value=5,
                                              help_text="Mean evaluation score (1–5); null without evaluations.")
    by_department = DepartmentStatsSerializer(
        many=True, help_text="Supervisors: the departments they supervise; staff: every department; by code.")
    by_channel = ChannelCountsSerializer(help_text="The applications submitted in the range by the door they "
                                                   "came through.")
    by_instrument = InstrumentCountsSerializer(help_text="Of the applications submitted in the range, those that "
                                                         "used each of the reform's instruments (one may use several).")


class StatsView(GenericAPIView):
    """Counts over the applications submitted in [from, to] (dates in Asia/Shanghai), as they stand now.

    A supervisor's figures cover only their departments: their cases, and the applications with
    at least one of them. The range may span at most 366 days.
    """

    permission_classes = [IsAuthenticated, IsStatsViewer]
    serializer_class = StatsSerializer
    pagination_class = None

    @extend_schema(
        operation_id="stats_retrieve",
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, required=True, description="First day, `YYYY-MM-DD`."),
            OpenApiParameter("to", OpenApiTypes.DATE, required=True,
                             description=f"Last day (included), `YYYY-MM-DD`; at most {MAX_RANGE_DAYS} days after "
                                         "`from`, counting both."),
        ],
        responses={
            200: StatsSerializer,
            400: field_errors("Missing or invalid dates, `to` before `from`, or a range longer than "
                              f"{MAX_RANGE_DAYS} days: `{{field: [messages]}}`"),
            401: detail("Not authenticated"),
            403: detail("Neither a supervisor nor staff"),
        },
    )
    def get(self, request):
        query = StatsQuerySerializer(data={key: request.query_params[key] for key in ("from", "to")
                                           if key in request.query_params})
        query.is_valid(raise_exception=True)
        params = query.validated_data
        return Response(stats_for(user=request.user, date_from=params["from"], date_to=params["to"]))


urlpatterns = [
    path("stats/", StatsView.as_view(), name="stats"),
]
