"""Admin: the outbox, with dead letters to look at and a "send again" action; periodic job locks."""
from __future__ import annotations

import json

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .delivery import payload_for_display, retry_messages
from .models import JobLock, OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    """Read-only: rows are written by the services and carried out by the workers."""

    class Media:
        css = {"all": ("notifications/admin.css",)}  # the status colours

    list_display = ("id", "kind", "event", "status_badge", "attempts", "recipient", "application", "created_at",
                    "sent_at", "next_attempt_at", "short_error")
    list_filter = ("status", "kind", "event")
    search_fields = ("=id", "application__number", "recipient__username", "event")
    list_select_related = ("recipient", "application")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")
    actions = ["send_again"]
    readonly_fields = ("kind", "event", "recipient", "application", "shown_payload", "status", "attempts", "last_error",
                       "result", "delivered", "created_at", "sent_at", "next_attempt_at", "claimed_until")
    fields = readonly_fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("payload"))
    def shown_payload(self, obj: OutboxMessage) -> str:
        # A pending password-reset message carries its one-time code or link token: never shown.
        # JSON, shown as code (its keys are the payload's names, not words of the page)
        return format_html("<pre>{}</pre>", json.dumps(payload_for_display(obj.payload), ensure_ascii=False,
                                                       indent=2, sort_keys=True))

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, obj: OutboxMessage) -> str:
        return format_html('<strong class="govflow-outbox-status govflow-outbox-status--{}">{}</strong>', obj.status,
                           obj.get_status_display())

    @admin.display(description=_("last error"))
    def short_error(self, obj: OutboxMessage) -> str:
        return (obj.last_error[:80] + "…") if len(obj.last_error) > 80 else obj.last_error

    @admin.action(description=_("Send again now (dead letters and pending messages)"),
                  permissions=["change"])
    def send_again(self, request, queryset: QuerySet[OutboxMessage]) -> None:
        count = retry_messages(pks=list(queryset.values_list("pk", flat=True)))
        skipped = queryset.count() - count
        self.message_user(request, _("%(count)d message(s) handed to the workers again.") % {"count": count},
                          messages.SUCCESS)
        if skipped > 0:
            self.message_user(request, _("%(count)d message(s) were already sent and were left alone.")
                              % {"count": skipped}, messages.WARNING)


@admin.register(JobLock)
class JobLockAdmin(admin.ModelAdmin):
    list_display = ("name", "holder", "last_run_at", "locked_until")
    readonly_fields = ("name", "holder", "last_run_at", "locked_until")

    def has_add_permission(self, request) -> bool:
        return False
