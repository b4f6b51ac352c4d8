"""Reads on accounts: who may manage whose account, who counts as staff."""
from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from .models import Membership, User


def may_grant_privileges(*, actor: User) -> bool:
    """Only a superuser grants staff or superuser status, groups or permissions (including to a group)."""
    return bool(actor.is_active and actor.is_superuser)


def may_manage_account(*, actor: User, target: User) -> bool:
    """Whether ``actor`` may change ``target``'s credentials (password), flags or department roles.

    A superuser may change anyone's. Anybody else (a staff member with ``change_user``, e.g. the
    user-support desk) only those of ordinary accounts: never their own (their own password
    through the form that asks for the old one), another staff member's or a superuser's.
    """
    if may_grant_privileges(actor=actor):
        return True
    return not (target.pk == actor.pk or target.is_staff or target.is_superuser)


def manageable_accounts(*, actor: User) -> QuerySet[User]:
    """The accounts for which :func:`may_manage_account` is true."""
    if may_grant_privileges(actor=actor):
        return User.objects.all()
    return User.objects.filter(is_staff=False, is_superuser=False).exclude(pk=actor.pk)


def is_staff_member(user: Any) -> bool:
    """Staff of the service: admin users (``is_staff``) and anyone with a department membership
    (clerks, supervisors, department system accounts). Their sessions end after idle time."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_staff or user.is_superuser or Membership.objects.filter(user_id=user.pk).exists())
