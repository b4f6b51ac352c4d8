"""The registered GovStack clients, managed by administrators."""
from __future__ import annotations

from django.contrib import admin

from .models import Alias, Client


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    list_display = ("identifier", "name", "user", "is_active", "created_at")
    list_filter = ("is_active",)
    search_fields = ("identifier", "name", "user__username")
    list_select_related = ("user",)
    autocomplete_fields = ("user",)
    filter_horizontal = ("departments",)


@admin.register(Alias)
class AliasAdmin(admin.ModelAdmin):
    list_display = ("kind", "external_id", "one_thing")
    list_filter = ("kind",)
    search_fields = ("external_id", "one_thing__code")
    list_select_related = ("one_thing",)
