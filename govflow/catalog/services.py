"""Catalog writes: publishing one things as immutable versions.

A published version stores a self-contained ``govflow.catalog/1`` snapshot of the one thing
and everything it references; applications run on that snapshot only, so editing the live
rows (the draft) or publishing again never changes a running application.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any

from django.db import transaction
from django.db.models import Max

from .io import CatalogValidationError, export_catalog
from .models import OneThing, OneThingVersion

__all__ = ["build_snapshot", "publish_one_thing", "snapshot_digest", "unpublish_one_thing"]


def build_snapshot(one_thing: OneThing) -> dict:
    """The one thing's current draft as a self-contained catalog document (one entry in ``one_things``)."""
    return export_catalog(one_thing.code)


def snapshot_digest(doc: Any) -> str:
    """SHA-256 (hex) of the document's canonical JSON: equal content, equal digest."""
    canonical = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@transaction.atomic
def publish_one_thing(*, one_thing: OneThing, user: Any = None) -> OneThingVersion | None:
    """Publish the one thing's draft as a new version, if it differs from the current one.

    The one publish service: the admin's publish and ``import_catalog`` both call it. Raises
    :class:`~govflow.catalog.io.CatalogValidationError` when the snapshot has any of
    :func:`~govflow.catalog.design.publish_errors` (format errors, unreachable steps; nothing is
    written). Returns the new version, or ``None`` when the snapshot equals the
    current version (the one thing is still marked published). The one thing's row is
    locked, so concurrent publishes get distinct, consecutive numbers.
    """
    from .design import publish_errors

    locked = OneThing.objects.select_for_update().get(pk=one_thing.pk)
    snapshot = build_snapshot(locked)
    errors = publish_errors(snapshot)
    if errors:
        raise CatalogValidationError(errors)
    digest = snapshot_digest(snapshot)

    current = None
    if locked.current_version_id is not None:
        current = OneThingVersion.objects.filter(pk=locked.current_version_id).only("digest").first()
    if current is not None and current.digest == digest:
        if not locked.is_published:
            locked.is_published = True
            locked.save(update_fields=["is_published"])
        one_thing.is_published = True
        one_thing.current_version_id = locked.current_version_id
        return None

    last = OneThingVersion.objects.filter(one_thing=locked).aggregate(last=Max("number"))["last"] or 0
    version = OneThingVersion.objects.create(
        one_thing=locked, number=last + 1, definition=snapshot, digest=digest,
        published_by=user if getattr(user, "pk", None) is not None else None,
    )
    locked.current_version = version
    locked.is_published = True
    locked.save(update_fields=["current_version", "is_published"])
    # Keep the caller's instance in step with the database.
    one_thing.current_version = version
    one_thing.is_published = True
    return version


@transaction.atomic
def unpublish_one_thing(*, one_thing: OneThing) -> None:
    """Take no new applications for this one thing; submitted applications keep running."""
    OneThing.objects.filter(pk=one_thing.pk, is_published=True).update(is_published=False)
    one_thing.is_published = False
