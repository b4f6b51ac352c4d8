"""OpenAPI descriptions of the error bodies every endpoint shares.

Every error is JSON (see ``exceptions.exception_handler``): a ``400`` is an object of field
errors, ``{"field": ["message", ...]}`` (nested objects for nested input such as ``data``,
``outputs`` or ``corrections``, and ``non_field_errors``); every other error status is
``{"detail": "message"}``.
"""
from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

__all__ = ["ERRORS", "PAGE_NOT_FOUND", "DetailSerializer", "detail", "errors", "field_errors", "validated"]


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()


def detail(description: str) -> OpenApiResponse:
    """An error answered with ``{"detail": "message"}``."""
    return OpenApiResponse(DetailSerializer, description=description)


def field_errors(description: str = "Invalid input: `{field: [messages]}`") -> OpenApiResponse:
    """A ``400`` answered with an object of field errors."""
    return OpenApiResponse(OpenApiTypes.OBJECT, description=description)


#: The error bodies of the statuses most endpoints answer with.
ERRORS = {
    400: field_errors(),
    401: detail("Not authenticated"),
    404: detail("Not found, or not yours"),
    409: detail("The current state does not allow this"),
}
#: A list answers 404 for a page past the last one (or below 1).
PAGE_NOT_FOUND = detail("No such page")


def errors(*codes: int) -> dict:
    """The error responses of these statuses, for ``extend_schema(responses=…)``."""
    return {code: ERRORS[code] for code in codes}


def validated(serializer_class, data) -> dict:
    """``data`` checked by ``serializer_class`` (a 400 with field errors when it is not valid)."""
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
