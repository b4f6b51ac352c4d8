"""Read-only admin for the API's bookkeeping: Idempotency-Key records, inbound events, API tokens."""
from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from knox.models import AuthToken

from .models import ApiToken, IdempotencyRecord, InboundEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    """Written only by the API; staff may look and delete (e.g. to let a client retry)."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(ReadOnlyAdmin):
    list_display = ("key", "user", "method", "path", "status_code", "created_at", "completed_at")
    list_filter = ("method", "status_code")
    search_fields = ("key", "path", "user__username")
    list_select_related = ("user",)
    date_hierarchy = "created_at"
    exclude = ("response_body",)  # may hold a citizen's answers: not shown in the admin


@admin.register(InboundEvent)
class InboundEventAdmin(ReadOnlyAdmin):
    list_display = ("event_id", "department", "received_at")
    list_filter = ("department",)
    search_fields = ("event_id",)
    list_select_related = ("department",)
    date_hierarchy = "received_at"


# knox's own admin can mint a token and shows it in a message; ours only lists and revokes.
if admin.site.is_registered(AuthToken):
    admin.site.unregister(AuthToken)


@admin.register(ApiToken)
class AuthTokenAdmin(ReadOnlyAdmin):
    """API tokens: who, since when, until when. Only a digest is stored, so no token can be shown.
    (Through a proxy and described columns: knox names neither its model nor its fields for translation.)"""

    list_display = ("holder", "created_on", "expires")
    fields = readonly_fields = ("holder", "created_on", "expires")
    search_fields = ("user__username",)
    list_select_related = ("user",)
    date_hierarchy = "created"

    @admin.display(description=_("user"), ordering="user__username")
    def holder(self, obj):
        return obj.user

    @admin.display(description=_("created at"), ordering="created")
    def created_on(self, obj):
        return obj.created

    @admin.display(description=_("expires at"), ordering="expiry")
    def expires(self, obj):
        return obj.expiry
