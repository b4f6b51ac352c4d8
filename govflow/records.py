"""Append-only audit records: the one guard every audit table shares (the timeline, counter
look-ups, access records and their anchors, the security log).

A bottom layer (import-linter), so that the accounts app below the applications may use it too.
"""
from __future__ import annotations

from django.db import models


class AppendOnlyQuerySet(models.QuerySet):
    """Rows of an :class:`AppendOnly` model are never updated nor deleted in bulk either."""

    def update(self, **kwargs):
        raise TypeError(self.model.append_only_message)

    def delete(self):
        raise TypeError(self.model.append_only_message)


class AppendOnly(models.Model):
    """An audit record: written once, never changed nor deleted through the application (the
    timeline, counter look-ups, access records, security events). ``append_only_message`` says
    what refuses."""

    append_only_message = "Rows are append-only."

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError(self.append_only_message)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError(self.append_only_message)
