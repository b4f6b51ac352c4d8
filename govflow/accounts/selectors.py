"""Reads on accounts: who may manage whose account, who counts as staff."""
from __future__ import annotations

from typing import Any

from .models import Membership, User


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


def is_staff_member(user: Any) -> bool:
    """Staff of the service: admin users (``is_staff``) and anyone with a department membership
    (clerks, supervisors, department system accounts). Their sessions end after idle time."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_staff or user.is_superuser or Membership.objects.filter(user_id=user.pk).exists())
