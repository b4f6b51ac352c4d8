"""What every service shares: the application's row lock, the access rule, the answers' keys and
texts checked, the application number, and the guard that turns a lock the workflow engine or the
database cannot get into the domain's ``Busy``.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.db import DatabaseError, IntegrityError, OperationalError, transaction
from django.db.models import F
from viewflow.workflow.exceptions import FlowLockFailed
from viewflow.workflow.models import Task

from govflow.accounts.models import HANDLING_ROLES, Membership
from govflow.catalog.definition import Definition, get_definition
from govflow.errors import (
    Busy,
    InvalidInput,
    InvalidState,
    NotFound,
)
from govflow.parties.models import OrganisationRole, live_q
from govflow.text import has_bad_text, invalid_text_message

from ..models import (
    Application,
    Case,
    NumberSequence,
)
from ..selectors import acting_q

# ---------------------------------------------------------------------------------------------
# helpers


def lock_application(pk: int) -> Application:
    """Lock the application row for the rest of the transaction and return it fresh.

    Every change to an application, by anyone, takes this lock first (viewflow's own
    process lock comes after it), so two changes of one application never interleave.
    """
    try:
        return (Application.objects.select_for_update(of=("self",))
                .select_related("one_thing__division", "version", "applicant", "division").get(pk=pk))
    except Application.DoesNotExist:
        raise NotFound("Application not found.") from None
    except DatabaseError as exc:  # lock timeout or deadlock victim
        raise Busy() from exc


def cases_of(application: Application) -> list[Case]:
    return list(Case.objects.filter(application=application)
                .select_related("task__process", "reviewer", "department", "office"))


def require_actor(application: Application, user: Any) -> None:
    """The access rule (:func:`selectors.acting_q`): anyone else gets "not found"."""
    if application.applicant_id is not None and application.applicant_id == getattr(user, "pk", None):
        return
    if not Application.objects.filter(acting_q(user), pk=application.pk).exists():
        raise NotFound("Application not found.")


def definition_of(application: Application) -> Definition:
    return get_definition(application.version)


def clean_data_keys(definition: Definition, data: Any) -> dict:
    if not isinstance(data, dict):
        raise InvalidInput("Answers must be an object.", errors={"data": ["Answers must be an object."]})
    if any(isinstance(k, str) and has_bad_text(k) for k in data):  # never echo such a key back
        raise InvalidInput("Invalid field code.", errors={"data": {"non_field_errors": [invalid_text_message()]}})
    asked = set(definition.asked_fields)
    unknown = sorted(k for k in data if k not in asked)
    if unknown:
        raise InvalidInput("Unknown fields.", errors={"data": {k: ["Unknown field."] for k in unknown}})
    return data


def check_text(field: str, value: str, *, multiline: bool = False) -> None:
    """The text rule of :mod:`govflow.text`, as a field error."""
    if has_bad_text(value, multiline=multiline):
        raise InvalidInput(invalid_text_message(), errors={field: [invalid_text_message()]})


def next_number(year: int) -> str:
    """GF-<year>-<6+ digits>, unique; the counter row stays locked until commit."""
    updated = NumberSequence.objects.filter(year=year).update(last=F("last") + 1)
    if not updated:
        try:
            with transaction.atomic():
                NumberSequence.objects.create(year=year, last=1)
        except IntegrityError:
            NumberSequence.objects.filter(year=year).update(last=F("last") + 1)
    value = NumberSequence.objects.values_list("last", flat=True).get(year=year)
    return f"{settings.GOVFLOW_NUMBER_PREFIX}-{year}-{value:06d}"
T = TypeVar("T")


# PostgreSQL's "lock not available" (a lock_timeout ran out) and "deadlock detected".
_BUSY_SQLSTATES = frozenset({"55P03", "40P01"})


def _is_lock_conflict(exc: OperationalError) -> bool:
    return getattr(exc.__cause__, "sqlstate", None) in _BUSY_SQLSTATES


def engine_step(service: Callable[..., T]) -> Callable[..., T]:
    """A service that moves the workflow. A lock it cannot get, viewflow's (``FlowLockFailed``) or
    the database's (a ``lock_timeout`` that ran out, a deadlock), becomes the domain's ``Busy``
    once the service's transaction has rolled back, so that no interface needs to know the engine
    or the database. Put it above ``@transaction.atomic``."""

    @functools.wraps(service)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        try:
            return service(*args, **kwargs)
        except FlowLockFailed as exc:
            raise Busy() from exc
        except OperationalError as exc:
            if _is_lock_conflict(exc):
                raise Busy() from exc
            raise

    return wrapper


def lock_case(case: Case) -> tuple[Application, Case, Task]:
    """Lock the case's application, then reload the case and its task fresh."""
    app = lock_application(case.application_id)
    fresh = Case.objects.select_related("task__process", "department", "office").get(pk=case.pk)
    if fresh.task is None:
        raise InvalidState("This task is no longer open.")
    return app, fresh, fresh.task


def is_party(app: Application, user: Any) -> bool:
    """Whether ``user`` is on the applicant's side (the person, who submitted it, someone who may
    act for its organisation now): such a clerk may not handle its cases."""
    if user.pk in (app.applicant_id, app.submitted_by_id):
        return True
    return bool(app.organisation_id) and OrganisationRole.objects.filter(
        live_q(), organisation_id=app.organisation_id, user=user).exists()


def require_member(user: Any, office_id: int) -> str:
    role = (Membership.objects.filter(user=user, office_id=office_id, role__in=HANDLING_ROLES)
            .values_list("role", flat=True).first())
    if role is None:
        raise NotFound("Task not found.")
    return role
