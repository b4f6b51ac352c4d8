"""One place that turns every error into a clear 4xx response, never a 500.

Domain errors carry their own status; DRF's validation errors keep their
``{"field": ["message"]}`` shape; a lost workflow lock is a 409; a body over
``DATA_UPLOAD_MAX_MEMORY_SIZE`` is a 413 and Django's other "suspicious" requests
(too many fields or files) a 400.

Errors Django answers itself, before or outside DRF (a bad ``Host``, a CSRF failure, a 500),
go to the handlers at the end of this module (``handler400``/``handler403``/``handler500`` and
``CSRF_FAILURE_VIEW``): JSON ``{"detail": ...}`` under ``/api/``, Django's pages elsewhere.
"""
from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext
from django.views import csrf, defaults
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from govflow.errors import DomainError


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
    if isinstance(exc, Http404):
        return Response({"detail": "Not found."}, status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, PermissionDenied):
        return Response({"detail": str(exc) or "You may not do this."}, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, RequestDataTooBig):
        return Response({"detail": _too_large()}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if isinstance(exc, SuspiciousOperation):  # too many fields or files, and the like
        return Response({"detail": _bad_request()}, status=status.HTTP_400_BAD_REQUEST)
    return drf_exception_handler(exc, context)


# -- Django's own error views, in JSON under /api/ ----------------------------------------------


def _too_large() -> str:
    return gettext("The request body is too large.")


def _bad_request() -> str:
    return gettext("The request is malformed.")


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if not _is_api(request):
        return defaults.bad_request(request, exception)
    if isinstance(exception, RequestDataTooBig):
        return JsonResponse({"detail": _too_large()}, status=413)
    return JsonResponse({"detail": _bad_request()}, status=400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if not _is_api(request):
        return defaults.permission_denied(request, exception)
    return JsonResponse({"detail": gettext("You may not do this.")}, status=403)


def server_error(request: HttpRequest) -> HttpResponse:
    if not _is_api(request):
        return defaults.server_error(request)
    return JsonResponse({"detail": gettext("Something went wrong on our side; try again later.")}, status=500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    if not _is_api(request):
        return csrf.csrf_failure(request, reason=reason)
    return JsonResponse({"detail": gettext("CSRF check failed: send the CSRF token with a session, "
                                           "or authenticate with a token.")}, status=403)
