"""Publishing a one thing (every check and the diff first) and unpublishing it."""
from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from govflow.applications.models import Application
from govflow.catalog import services
from govflow.catalog.diff import diff_documents
from govflow.catalog.io import CatalogValidationError
from govflow.catalog.models import (
    localized,
)
from govflow.catalog.services import unpublish_one_thing

from .common import (
    coverage,
    locate_problems,
    one_thing_or_404,
    page_context,
)

# ---------------------------------------------------------------------------------------------
# Publish and unpublish


def publish_view(model_admin: Any, request: HttpRequest, object_id: str) -> HttpResponse:
    """GET: every check and the diff against the published version. POST: publish."""
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    one_thing = one_thing_or_404(model_admin, request, object_id)
    can_change = model_admin.has_change_permission(request, one_thing)
    if request.method == "POST":
        if not can_change:
            raise PermissionDenied
        try:
            version, _report = services.publish_and_check(one_thing=one_thing, user=request.user)
        except CatalogValidationError as exc:
            messages.error(request, ngettext(
                "Not published: %(count)d problem must be fixed first. Nothing was changed.",
                "Not published: %(count)d problems must be fixed first. Nothing was changed.",
                len(exc.errors)) % {"count": len(exc.errors)})
        else:
            change_url = reverse("admin:catalog_onething_change", args=[one_thing.pk])
            if version is None:
                messages.info(request, _("Nothing changed since version %(number)d: no new version. The one thing "
                                         "takes applications.") % {"number": one_thing.current_version.number})
            else:
                model_admin.log_change(request, one_thing, _("Published version %(number)d.") % {"number": version.number})
                messages.success(request, _(
                    "Published version %(number)d. New applications use it; applications already submitted "
                    "keep the version they were submitted on.") % {"number": version.number})
            return HttpResponseRedirect(change_url)

    report = services.check_one_thing(one_thing)
    version = one_thing.current_version
    changes = diff_documents(version.definition if version else None, report.doc)
    next_number = (one_thing.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    gaps = coverage(request, one_thing, report.doc)
    context = page_context(
        model_admin, request, obj=one_thing,
        title=_("Publish %(name)s") % {"name": localized(one_thing.name) or one_thing.code},
        report=report,
        design_errors=locate_problems(report.errors, one_thing),
        design_warnings=locate_problems(report.warnings, one_thing),
        changes=changes,
        current_version=version,
        next_number=next_number,
        can_publish=can_change and report.ok and (bool(changes) or not one_thing.is_published or version is None),
        critical_days=report.critical_days,
        critical_steps=report.critical_steps,
        change_url=reverse("admin:catalog_onething_change", args=[one_thing.pk]),
        preview_url=reverse("admin:catalog_onething_preview", args=[one_thing.pk]),
        coverage=gaps,
        missing_offices=sum(len(g.missing) for g in gaps),
        offered_in=one_thing.division,
    )
    return TemplateResponse(request, "admin/catalog/onething/publish.html", context,
                            status=400 if request.method == "POST" else 200)


def unpublish_view(model_admin: Any, request: HttpRequest, object_id: str) -> HttpResponse:
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    one_thing = one_thing_or_404(model_admin, request, object_id)
    if not model_admin.has_change_permission(request, one_thing):
        raise PermissionDenied
    change_url = reverse("admin:catalog_onething_change", args=[one_thing.pk])
    if request.method == "POST":
        if one_thing.is_published:
            unpublish_one_thing(one_thing=one_thing)
            model_admin.log_change(request, one_thing, _("Unpublished."))
            messages.success(request, _("Unpublished: the one thing takes no new applications. Applications "
                                        "already submitted finish on their version."))
        return HttpResponseRedirect(change_url)
    running = Application.objects.filter(one_thing=one_thing, status__in=(
        "submitted", "in_progress", "correction_requested")).count()
    drafts = Application.objects.filter(one_thing=one_thing, status="draft").count()
    context = page_context(model_admin, request, obj=one_thing,
                       title=_("Unpublish %(name)s") % {"name": localized(one_thing.name) or one_thing.code},
                       running=running, drafts=drafts, change_url=change_url)
    return TemplateResponse(request, "admin/catalog/onething/unpublish.html", context)
