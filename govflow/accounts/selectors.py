"""Reads on accounts: who may manage whose account, who counts as staff, who may change which part
of the catalog."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from govflow.catalog.models import Division, OneThing

from .models import IdentityCheck, Membership, User


def may_grant_privileges(*, actor: User) -> bool:
    """Only a superuser grants staff or superuser status, groups, permissions (including to a
    group) or department roles (a role is the power to decide cases)."""
    return bool(actor.is_active and actor.is_superuser)


def may_manage_account(*, actor: User, target: User) -> bool:
    """Whether ``actor`` may change ``target``'s credentials (password), profile or flags.

    A superuser may change anyone's. Anybody else (a staff member with ``change_user``, e.g. the
    user-support desk) only those of citizens: never their own (their own password through the
    form that asks for the old one), nor those of staff, superusers or anyone with a department
    role (clerks, supervisors, department systems), whose account would carry its powers.
    """
    if may_grant_privileges(actor=actor):
        return True
    if target.pk == actor.pk or target.is_staff or target.is_superuser:
        return False
    return not Membership.objects.filter(user_id=target.pk).exists()


@dataclass(frozen=True)
class IdentityCheckState:
    """Whether, by whom and when the name and id number of an account were checked."""

    by: str  # an IdentityCheck value; "" when nobody checked them
    at: datetime | None

    @property
    def verified(self) -> bool:
        return bool(self.by)


def identity_check(user: User) -> IdentityCheckState:
    """The real-name verification of ``user`` as it is: by the unified identity provider or at a
    service-hall counter, else none (self-registration checks nothing)."""
    by = user.identity_checked_by if user.identity_checked_by in IdentityCheck.values else IdentityCheck.NONE
    return IdentityCheckState(by=by, at=user.identity_checked_at if by else None)


def is_staff_member(user: Any) -> bool:
    """Staff of the service: admin users (``is_staff``) and anyone with a department membership
    (clerks, supervisors, department system accounts). Their sessions end after idle time."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_staff or user.is_superuser or Membership.objects.filter(user_id=user.pk).exists())


# --- the catalog: who may change which part of it ------------------------------------------

def is_catalog_wide(user: Any) -> bool:
    """Superusers and whoever may change departments administer the whole catalog."""
    return bool(user.is_superuser or user.has_perm("catalog.change_department"))


def catalog_departments(user: Any) -> frozenset[int] | None:
    """Ids of the departments whose procedures ``user`` may change; ``None``: every department.

    A catalog-wide administrator (:func:`is_catalog_wide`) is not limited; everyone else with
    procedure permissions is a *department administrator*, limited to the departments they are a
    member of. Cached on the user object for the request.
    """
    cached = getattr(user, "_govflow_catalog_departments", False)
    if cached is not False:
        return cached
    scope = None if is_catalog_wide(user) else frozenset(
        Membership.objects.filter(user_id=user.pk).values_list("department_id", flat=True))
    user._govflow_catalog_departments = scope
    return scope


def catalog_division(user: Any) -> Division | None:
    """The division whose local catalog ``user`` edits: they add, change, publish and unpublish
    only one things offered at that division or below it. ``None``: no such limit (a
    catalog-wide administrator, or a staff member given no ``catalog_division``)."""
    if getattr(user, "catalog_division_id", None) is None or is_catalog_wide(user):
        return None
    return user.catalog_division


def may_edit_one_thing(user: Any, one_thing: OneThing) -> bool:
    """Whether ``one_thing`` lies in ``user``'s part of the catalog (their model permissions are
    checked by the admin as for any model)."""
    scope = catalog_division(user)
    return scope is None or scope.contains(one_thing.division)
