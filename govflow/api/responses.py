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

__all__ = ["DetailSerializer", "detail", "field_errors"]


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()


def detail(description: str) -> OpenApiResponse:
    """An error answered with ``{"detail": "message"}``."""
    return OpenApiResponse(DetailSerializer, description=description)


def field_errors(description: str = "Invalid input: `{field: [messages]}`") -> OpenApiResponse:
    """A ``400`` answered with an object of field errors."""
    return OpenApiResponse(OpenApiTypes.OBJECT, description=description)
