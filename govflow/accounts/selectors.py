"""Reads on accounts."""
from __future__ import annotations

from typing import Any

from .models import Membership


def is_staff_member(user: Any) -> bool:
    """Staff of the service: admin users (``is_staff``) and anyone with a department membership
    (clerks, supervisors, department system accounts). Their sessions end after idle time."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_staff or user.is_superuser or Membership.objects.filter(user_id=user.pk).exists())
