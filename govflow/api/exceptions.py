"""One place that turns every error into a clear 4xx response, never a 500.

Domain errors carry their own status; DRF's validation errors keep their
``{"field": ["message"]}`` shape; a lost workflow lock is a 409.
"""
from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from viewflow.workflow.exceptions import FlowLockFailed

from govflow.applications.errors import DomainError


def _body_for(exc: DomainError) -> dict[str, Any]:
    errors = exc.errors
    if exc.status == 400:
        if isinstance(errors, dict) and errors:
            # Empty values stay: an incomplete application is `{"data": {...}, "materials": [...]}`
            # even when one of them has nothing to report.
            body = {k: v for k, v in errors.items() if v is not None}
            if any(v not in ({}, []) for v in body.values()):
                return body
        return {"non_field_errors": [exc.message]}
    return {"detail": exc.message}


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, DomainError):
        return Response(_body_for(exc), status=exc.status)
    if isinstance(exc, FlowLockFailed):
        return Response({"detail": "The application is busy; try again."}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, Http404):
        return Response({"detail": "Not found."}, status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, PermissionDenied):
        return Response({"detail": str(exc) or "You may not do this."}, status=status.HTTP_403_FORBIDDEN)
    return drf_exception_handler(exc, context)
