"""Support views of organisations, the roles people hold in them, and authorisations to act for
another person (代办).

Read-mostly. Roles and authorisations are granted and revoked by the people concerned (the legal
representative, the agent, the subject) through the domain's services, which record who did it
and when and tell the people affected; the admin shows those rows and their audit fields, and
never adds, edits or deletes one. On an organisation, staff with ``parties.change_organisation``
set only ``verified`` (after checking the company against the register); its code, name and
addresses come from the services that registered it. Personal data (PIPL): people appear by
account and masked id number. An authorisation's evidence (a power of attorney, a birth
certificate) is not a media link: it is served by :meth:`AuthorisationAdmin.evidence_view`, to
staff who may view that authorisation, as a sandboxed download that is never cached.
"""
from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from govflow.adminkit import LookOnly, ReasonForPersonalData

from .models import Authorisation, Organisation, OrganisationRole, live_q


def _person(user: Any) -> str:
    """A person as support staff see them: account, name, masked id number."""
    if user is None:
        return "—"
    masked = getattr(user, "masked_id_number", "")
    label = f"{user.username} · {user.name}" if user.name else user.username
    return f"{label} ({masked})" if masked else label


class StandingFilter(admin.SimpleListFilter):
    """Live (neither revoked nor expired) or ended rows."""

    title = _("standing")
    parameter_name = "standing"

    def lookups(self, request: HttpRequest, model_admin: Any):
        return [("live", _("Live")), ("ended", _("Revoked or expired"))]

    def queryset(self, request: HttpRequest, queryset):
        if self.value() == "live":
            return queryset.filter(live_q())
        if self.value() == "ended":
            return queryset.exclude(live_q())
        return queryset


class RoleInline(LookOnly, admin.TabularInline):
    model = OrganisationRole
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ("person", "role", "granted_by_person", "granted_at", "expires_at", "revoked_at", "revoked_by_person")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).select_related("user", "granted_by", "revoked_by")

    @admin.display(description=_("person"))
    def person(self, obj: OrganisationRole) -> str:
        return _person(obj.user)

    @admin.display(description=_("granted by"))
    def granted_by_person(self, obj: OrganisationRole) -> str:
        return _person(obj.granted_by)

    @admin.display(description=_("revoked by"))
    def revoked_by_person(self, obj: OrganisationRole) -> str:
        return _person(obj.revoked_by) if obj.revoked_at else ""


@admin.register(Organisation)
class OrganisationAdmin(ReasonForPersonalData, admin.ModelAdmin):
    list_display = ("name", "uscc", "division", "legal_representative_name", "verified", "created_at")
    list_filter = ("verified", ("division", admin.RelatedOnlyFieldListFilter))
    # The code is searched from its start, in either case (a USCC is typed in capitals or not).
    search_fields = ("name", "^uscc")
    list_select_related = ("division",)
    inlines = [RoleInline]
    actions = None
    fields = ("name", "uscc", "legal_representative_name", "division", "address", "contact_name", "contact_phone",
              "verified", "created_at", "creator")
    readonly_fields = tuple(f for f in fields if f != "verified")

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).select_related("division", "created_by")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # registered by the services (the counter, unified login, seed_demo) with their roles

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # applications, outputs and the audit trail refer to it

    @admin.display(description=_("created by"))
    def creator(self, obj: Organisation) -> str:
        return _person(obj.created_by)


@admin.register(OrganisationRole)
class OrganisationRoleAdmin(LookOnly, admin.ModelAdmin):
    list_display = ("organisation", "person", "role", "granted_at", "expires_at", "revoked_at")
    list_filter = ("role", StandingFilter)
    search_fields = ("organisation__name", "^organisation__uscc", "user__username", "user__name")
    list_select_related = ("organisation", "user")
    actions = None
    fields = ("organisation", "person", "role", "granted_by_person", "granted_at", "expires_at", "revoked_at",
              "revoked_by_person")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).select_related("organisation", "user", "granted_by", "revoked_by")

    person = RoleInline.person
    granted_by_person = RoleInline.granted_by_person
    revoked_by_person = RoleInline.revoked_by_person


@admin.register(Authorisation)
class AuthorisationAdmin(LookOnly, admin.ModelAdmin):
    list_display = ("agent_person", "subject_person", "relation", "scope", "one_thing", "expires_at", "revoked_at")
    list_filter = ("relation", "scope", StandingFilter, "one_thing")
    search_fields = ("agent__username", "agent__name", "subject__username", "subject__name", "=subject__id_number")
    list_select_related = ("agent", "subject", "one_thing")
    actions = None
    fields = ("agent_person", "subject_person", "relation", "scope", "one_thing", "expires_at", "evidence_link",
              "evidence_sha256", "created_at", "created_by_person", "revoked_at", "revoked_by_person")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).select_related("agent", "subject", "one_thing", "created_by",
                                                            "revoked_by")

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}_evidence"
        return [path("<int:pk>/evidence/", self.admin_site.admin_view(self.evidence_view), name=name),
                *super().get_urls()]

    def evidence_view(self, request: HttpRequest, pk: int) -> FileResponse:
        """The evidence file, for staff who may view this authorisation; a download, never cached,
        never rendered as a page of this site."""
        obj = self.get_queryset(request).filter(pk=pk).first()
        if obj is None or not obj.evidence:
            raise Http404("No evidence.")
        if not self.has_view_permission(request, obj):
            raise PermissionDenied
        response = FileResponse(obj.evidence.open("rb"), as_attachment=True,
                                content_type=obj.evidence_content_type or "application/octet-stream",
                                filename=obj.evidence_filename or f"evidence-{obj.pk}")
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "sandbox"
        response["Cache-Control"] = "private, no-store"
        return response

    @admin.display(description=_("agent"))
    def agent_person(self, obj: Authorisation) -> str:
        return _person(obj.agent)

    @admin.display(description=_("for"))
    def subject_person(self, obj: Authorisation) -> str:
        return _person(obj.subject)

    @admin.display(description=_("created by"))
    def created_by_person(self, obj: Authorisation) -> str:
        return _person(obj.created_by)

    @admin.display(description=_("revoked by"))
    def revoked_by_person(self, obj: Authorisation) -> str:
        return _person(obj.revoked_by) if obj.revoked_at else ""

    @admin.display(description=_("evidence"))
    def evidence_link(self, obj: Authorisation) -> str:
        if not obj.evidence:
            return "—"
        url = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_evidence", args=[obj.pk])
        return format_html('<a href="{}" download>{}</a> ({})', url, obj.evidence_filename or _("download"),
                           obj.evidence_content_type or "?")
