"""Catalog writes: publishing one things as immutable versions, and importing a catalog document.

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

from .design import DesignReport, check_document, publish_errors
from .io import CatalogError, CatalogValidationError, Importer, ImportResult, export_catalog
from .models import OneThing, OneThingVersion

__all__ = ["build_snapshot", "check_one_thing", "import_catalog", "publish_and_check", "publish_one_thing",
           "snapshot_digest", "unpublish_one_thing"]


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
    :func:`~govflow.catalog.design.publish_errors` (format errors, unreachable steps, a commitment below the critical path; nothing is
    written). Returns the new version, or ``None`` when the snapshot equals the
    current version (the one thing is still marked published). The one thing's row is
    locked, so concurrent publishes get distinct, consecutive numbers.
    """
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


def check_one_thing(one_thing: OneThing) -> DesignReport:
    """The designer's report on the one thing's current draft."""
    return check_document(build_snapshot(one_thing))


def publish_and_check(*, one_thing: OneThing, user: Any = None) -> tuple[OneThingVersion | None, DesignReport]:
    """Publish the draft through :func:`publish_one_thing` (which refuses it on any of
    :func:`~govflow.catalog.design.publish_errors`); ``(new version or None, report)``.

    Raises :class:`CatalogValidationError` (every error, nothing written) otherwise. ``None``
    means the draft equals the current version (no new version; the one thing is published).
    """
    with transaction.atomic():
        version = publish_one_thing(one_thing=one_thing, user=user)
        return version, check_one_thing(one_thing)


def import_catalog(doc: Any, *, user: Any = None) -> ImportResult:
    """Validate a document, then upsert it and publish what changed, in one transaction.

    Raises :class:`CatalogValidationError` listing every problem, with nothing written.
    Every one thing of the document is published (a new version only when its snapshot
    changed); so is every *published* one thing outside the document that uses a changed
    department, procedure, field or material. Unpublished one things outside the
    document stay untouched drafts. Importing the same document twice writes nothing.
    """
    # Everything publishing would refuse (unreachable steps too) is found before anything is
    # written, with the document's own paths.
    errors = publish_errors(doc)
    if errors:
        raise CatalogValidationError(errors)
    result = ImportResult()
    with transaction.atomic():
        importer = Importer(doc, result)
        errors = importer.run()
        if errors:
            raise CatalogValidationError(errors)
        to_publish = list(OneThing.objects.filter(code__in=[o["code"] for o in doc.get("one_things", [])])
                          .order_by("code"))
        to_publish += importer.affected_one_things()
        for one_thing in to_publish:
            try:
                version = publish_one_thing(one_thing=one_thing, user=user)
            except CatalogValidationError as exc:
                # The document is valid on its own but breaks a one thing it does not
                # define (e.g. it drops an output that one thing needs): refuse it all.
                raise CatalogValidationError([
                    CatalogError(e.path, f"one thing {one_thing.code!r} would become invalid: {e.message}")
                    for e in exc.errors
                ]) from exc
            if version is not None:
                result.published.append(version)
    return result
