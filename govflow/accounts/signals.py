"""API tokens die with the credentials they were issued for; password and permission changes go
to the security log.

Every save of a user that changes the password hash (admin, portal, ``set_password`` + ``save``,
``manage.py changepassword``) or deactivates the account deletes the user's API tokens. A save
with ``update_fields`` that names neither field (e.g. ``last_login`` on login) costs nothing.

The same comparison records a changed password, and changes of ``is_active``, ``is_staff`` and
``is_superuser``, in the security log; so do changes of a user's groups and permissions
(``m2m_changed``) and their office roles (``Membership`` rows saved or deleted). The admin names who made them (``ACTOR``, set on the instance it saves).
"""
from __future__ import annotations

from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.dispatch import receiver

from . import security
from .models import Membership, SecurityEventKind, User
from .services import revoke_tokens

WATCHED = frozenset({"password", "is_active", "is_staff", "is_superuser"})
PRIVILEGES = ("is_active", "is_staff", "is_superuser")
#: The attribute on a user instance naming who changes it (the admin sets it); else nobody known.
ACTOR = "_govflow_actor"


@receiver(pre_save, sender=User, dispatch_uid="govflow.accounts.tokens_die_with_credentials.pre")
def _note_credential_change(sender, instance: User, raw: bool = False, update_fields=None, **kwargs) -> None:
    instance._govflow_revoke_tokens = False
    instance._govflow_security = []
    if raw or instance.pk is None or (update_fields is not None and not WATCHED & set(update_fields)):
        return
    before = User.objects.filter(pk=instance.pk).values("password", *PRIVILEGES).first()
    if before is None:
        return
    instance._govflow_revoke_tokens = (before["password"] != instance.password
                                       or (before["is_active"] and not instance.is_active))
    if before["password"] != instance.password:
        instance._govflow_security.append((SecurityEventKind.PASSWORD_CHANGED, {}))
    changes = {name: [before[name], getattr(instance, name)] for name in PRIVILEGES
               if before[name] != getattr(instance, name)}
    if changes:
        instance._govflow_security.append((SecurityEventKind.PERMISSION_CHANGED, {"changes": changes}))


@receiver(post_save, sender=User, dispatch_uid="govflow.accounts.tokens_die_with_credentials.post")
def _revoke_tokens(sender, instance: User, created: bool = False, **kwargs) -> None:
    for kind, detail in getattr(instance, "_govflow_security", ()):
        security.record(kind, user=instance, actor=getattr(instance, ACTOR, None), **detail)
    instance._govflow_security = []
    if getattr(instance, "_govflow_revoke_tokens", False):
        instance._govflow_revoke_tokens = False
        revoke_tokens(user=instance)


def _m2m_names(model, pk_set) -> list[str]:
    if not pk_set:
        return []
    if hasattr(model, "codename"):  # a Permission
        rows = model.objects.filter(pk__in=pk_set).values_list("content_type__app_label", "codename")
        return sorted(f"{app}.{codename}" for app, codename in rows)
    return sorted(model.objects.filter(pk__in=pk_set).values_list("name", flat=True))


def _record_m2m(field: str, instance, action: str, model, pk_set, reverse: bool) -> None:
    if action not in ("post_add", "post_remove", "post_clear") or instance is None:
        return
    if reverse:  # group.user_set.add(user …): the users changed, each gets an event
        users = User.objects.filter(pk__in=pk_set or ()) if action != "post_clear" else User.objects.none()
        for user in users:
            security.record(SecurityEventKind.PERMISSION_CHANGED, user=user, actor=getattr(instance, ACTOR, None),
                            changes={field: {action.removeprefix("post_"): [str(instance)]}})
        return
    security.record(SecurityEventKind.PERMISSION_CHANGED, user=instance, actor=getattr(instance, ACTOR, None),
                    changes={field: {action.removeprefix("post_"): _m2m_names(model, pk_set)}})


@receiver(m2m_changed, sender=User.groups.through, dispatch_uid="govflow.accounts.security.groups")
def _groups_changed(sender, instance, action, reverse, model, pk_set, **kwargs) -> None:
    _record_m2m("groups", instance, action, model, pk_set, reverse)


@receiver(m2m_changed, sender=User.user_permissions.through, dispatch_uid="govflow.accounts.security.permissions")
def _permissions_changed(sender, instance, action, reverse, model, pk_set, **kwargs) -> None:
    _record_m2m("user_permissions", instance, action, model, pk_set, reverse)


def _record_membership(membership: Membership, change: str) -> None:
    security.record(SecurityEventKind.PERMISSION_CHANGED, user=membership.user,
                    changes={"office_role": {change: [f"{membership.office_id}:{membership.role}"]}})


@receiver(post_save, sender=Membership, dispatch_uid="govflow.accounts.security.membership_saved")
def _membership_saved(sender, instance: Membership, created: bool = False, raw: bool = False, **kwargs) -> None:
    if not raw:
        _record_membership(instance, "add" if created else "change")


@receiver(post_delete, sender=Membership, dispatch_uid="govflow.accounts.security.membership_deleted")
def _membership_deleted(sender, instance: Membership, **kwargs) -> None:
    _record_membership(instance, "remove")
