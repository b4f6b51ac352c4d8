"""API tokens die with the credentials they were issued for.

Every save of a user that changes the password hash (admin, portal, ``set_password`` + ``save``,
``manage.py changepassword``) or deactivates the account deletes the user's API tokens. A save
with ``update_fields`` that names neither field (e.g. ``last_login`` on login) costs nothing.
"""
from __future__ import annotations

from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from .models import User
from .services import revoke_tokens

WATCHED = frozenset({"password", "is_active"})


@receiver(pre_save, sender=User, dispatch_uid="govflow.accounts.tokens_die_with_credentials.pre")
def _note_credential_change(sender, instance: User, raw: bool = False, update_fields=None, **kwargs) -> None:
    instance._govflow_revoke_tokens = False
    if raw or instance.pk is None or (update_fields is not None and not WATCHED & set(update_fields)):
        return
    before = User.objects.filter(pk=instance.pk).values("password", "is_active").first()
    if before is None:
        return
    instance._govflow_revoke_tokens = (before["password"] != instance.password
                                       or (before["is_active"] and not instance.is_active))


@receiver(post_save, sender=User, dispatch_uid="govflow.accounts.tokens_die_with_credentials.post")
def _revoke_tokens(sender, instance: User, created: bool = False, **kwargs) -> None:
    if getattr(instance, "_govflow_revoke_tokens", False):
        instance._govflow_revoke_tokens = False
        revoke_tokens(user=instance)
