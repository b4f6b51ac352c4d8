"""Domain errors raised by the services of every domain package; interfaces map them to responses.

Each carries a clear message; ``InvalidInput`` carries field errors. A service
that raises leaves nothing changed (it runs in one transaction).
"""
from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base class. ``status`` is the HTTP status an interface should answer with."""

    status = 400
    default_message = "The request cannot be carried out."

    def __init__(self, message: str | None = None, *, errors: Any = None) -> None:
        self.message = message or self.default_message
        self.errors = errors
        super().__init__(self.message)


class InvalidInput(DomainError):
    status = 400
    default_message = "The input is invalid."


class NotAllowed(DomainError):
    """The actor may not do this (e.g. a clerk on their own application)."""

    status = 403
    default_message = "You may not do this."


class NotFound(DomainError):
    status = 404
    default_message = "Not found."


class InvalidState(DomainError):
    """The object's state does not allow the operation (already claimed, not a draft, ...)."""

    status = 409
    default_message = "The current state does not allow this."


class Busy(InvalidState):
    """The workflow is busy with another change of the same application."""

    default_message = "The application is being changed by someone else; try again."


class UploadTooLarge(DomainError):
    status = 413
    default_message = "The file is too large."


class UnsupportedFileType(DomainError):
    status = 415
    default_message = "This type of file is not accepted."
