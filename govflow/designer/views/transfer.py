"""Import and export of the catalog document (the same as the management commands)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from govflow.accounts import selectors
from govflow.catalog import design
from govflow.catalog.io import CatalogValidationError, export_catalog
from govflow.catalog.services import import_catalog

from ..forms.imports import ImportForm
from .common import (
    one_thing_or_404,
    page_context,
)

# ---------------------------------------------------------------------------------------------
# Import and export



def _json_response(doc: dict, filename: str) -> HttpResponse:
    # The same text as ``manage.py export_catalog``.
    text = json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
    response = HttpResponse(text, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


_IMPORT_MODELS = ("department", "field", "material", "procedure", "onething")


def can_import(request: HttpRequest) -> bool:
    """Add and change on every catalog model, and the whole catalog: an import may change and
    republish one things of any division, so a catalog editor of a division may not import (today
    implied by ``change_department``, which makes an administrator catalog-wide; kept explicit)."""
    user = request.user
    return user.is_active and user.is_staff and all(
        user.has_perm(f"catalog.{action}_{model}") for model in _IMPORT_MODELS for action in ("add", "change")
    ) and selectors.catalog_division(user) is None


def export_view(model_admin: Any, request: HttpRequest, object_id: str | None = None) -> HttpResponse:
    """The catalog (or one one thing with what it references) as a download."""
    stamp = timezone.localdate().strftime("%Y%m%d")
    if object_id is None:
        if not model_admin.has_view_permission(request):
            raise PermissionDenied
        return _json_response(export_catalog(), f"govflow-catalog-{stamp}.json")
    one_thing = one_thing_or_404(model_admin, request, object_id)
    return _json_response(export_catalog(one_thing.code), f"govflow-{one_thing.code}-{stamp}.json")


@dataclass
class ImportLine:
    kind: str
    created: int
    updated: int
    unchanged: int
    deleted: int


KIND_NAMES = {"departments": _("departments"), "fields": _("fields"), "materials": _("materials"),
              "procedures": _("procedures"), "outputs": _("outputs"), "one_things": _("one things")}


def import_view(model_admin: Any, request: HttpRequest) -> HttpResponse:
    """Upload or paste a ``govflow.catalog/1`` document: check it, or import and publish it."""
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    if not can_import(request):
        raise PermissionDenied
    errors = []
    lines: list[ImportLine] = []
    published = []
    checked = False
    status = 200
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            doc = form.cleaned_data["document"]
            if form.cleaned_data["validate_only"]:
                errors = design.publish_errors(doc)  # what the import itself refuses (publishing included)
                checked = True
                if not errors:
                    messages.success(request, _("The document is valid. Nothing was imported yet."))
            else:
                try:
                    result = import_catalog(doc, user=request.user)
                except CatalogValidationError as exc:
                    errors = exc.errors
                else:
                    for kind in ("departments", "fields", "materials", "procedures", "outputs", "one_things"):
                        counts = (result.created[kind], result.updated[kind], result.unchanged[kind],
                                  result.deleted[kind])
                        if any(counts):
                            lines.append(ImportLine(str(KIND_NAMES[kind]), *counts))
                    published = result.published
                    for version in published:
                        model_admin.log_change(request, version.one_thing, _(
                            "Published version %(number)d by importing a catalog.") % {"number": version.number})
                    messages.success(request, ngettext(
                        "Imported. %(count)d one thing published a new version.",
                        "Imported. %(count)d one things published a new version.",
                        len(published)) % {"count": len(published)} if published
                        else _("Imported. No one thing changed, so no new version was published."))
            if errors:
                status = 400
                messages.error(request, ngettext(
                    "%(count)d problem in the document; nothing was imported.",
                    "%(count)d problems in the document; nothing was imported.",
                    len(errors)) % {"count": len(errors)})
        else:
            status = 400
    else:
        form = ImportForm()
    context = page_context(model_admin, request, title=_("Import a catalog"), form=form, errors=errors,
                       lines=lines, published=published, checked=checked,
                       export_url=reverse("admin:catalog_onething_export_all"))
    return TemplateResponse(request, "admin/catalog/onething/import.html", context, status=status)
