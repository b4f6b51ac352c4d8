"""Domain errors raised by the services of every domain package; interfaces map them to responses.

Each carries a clear message; ``InvalidInput`` carries field errors. A service
that raises leaves nothing changed (it runs in one transaction).

An error type names its HTTP status and default message in its class line
(``class NotFound(DomainError, status=404, message="Not found.")``); a subclass
that names neither keeps its base's.
"""
from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base class. ``status`` is the HTTP status an interface should answer with."""

    status = 400
    default_message = "The request cannot be carried out."

    def __init_subclass__(cls, *, status: int | None = None, message: str | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if status is not None:
            cls.status = status
        if message is not None:
            cls.default_message = message

    def __init__(self, message: str | None = None, *, errors: Any = None) -> None:
        self.message = message or self.default_message
        self.errors = errors
        super().__init__(self.message)


class InvalidInput(DomainError, status=400, message="The input is invalid."):
    """What was sent is wrong; ``errors`` says where."""


class NotAllowed(DomainError, status=403, message="You may not do this."):
    """The actor may not do this (e.g. a clerk on their own application)."""


class NotFound(DomainError, status=404, message="Not found."):
    """No such object, or none the actor may see."""


class InvalidState(DomainError, status=409, message="The current state does not allow this."):
    """The object's state does not allow the operation (already claimed, not a draft, ...)."""


class Busy(InvalidState, message="The application is being changed by someone else; try again."):
    """The workflow is busy with another change of the same application."""


class UploadTooLarge(DomainError, status=413, message="The file is too large."):
    """An uploaded file is over the size limit."""


class UnsupportedFileType(DomainError, status=415, message="This type of file is not accepted."):
    """An uploaded file is of a type that is not accepted."""
