"""Domain errors: each names its HTTP status and default message once, in its class line."""
from __future__ import annotations

import pytest

from govflow import errors


@pytest.mark.parametrize(("error", "status", "message"), [
    (errors.DomainError, 400, "The request cannot be carried out."),
    (errors.InvalidInput, 400, "The input is invalid."),
    (errors.NotAllowed, 403, "You may not do this."),
    (errors.NotFound, 404, "Not found."),
    (errors.InvalidState, 409, "The current state does not allow this."),
    (errors.Busy, 409, "The application is being changed by someone else; try again."),
    (errors.UploadTooLarge, 413, "The file is too large."),
    (errors.UnsupportedFileType, 415, "This type of file is not accepted."),
])
def test_every_error_has_its_status_and_default_message(error, status, message):
    raised = error()
    assert (raised.status, raised.message, str(raised), raised.errors) == (status, message, message, None)


def test_a_subclass_that_names_no_status_keeps_its_bases():
    class Locked(errors.InvalidState, message="Locked."):
        pass

    assert (Locked.status, Locked().message) == (409, "Locked.")
    assert isinstance(Locked(), errors.InvalidState)


def test_a_given_message_and_field_errors_win_over_the_default():
    raised = errors.InvalidInput("The name is missing.", errors={"name": ["Required."]})
    assert (raised.message, raised.errors, raised.status) == ("The name is missing.", {"name": ["Required."]}, 400)
