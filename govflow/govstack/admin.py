"""The registered GovStack clients, managed by administrators."""
from __future__ import annotations

from django.contrib import admin

from .models import Client


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    list_display = ("identifier", "name", "user", "is_active", "created_at")
    list_filter = ("is_active",)
    search_fields = ("identifier", "name", "user__username")
    list_select_related = ("user",)
    autocomplete_fields = ("user",)
    filter_horizontal = ("departments",)
