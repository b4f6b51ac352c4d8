"""Admin for users (citizens and staff) and their department memberships."""
from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import Membership, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ("department", "role")


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Real-name profile"), {"fields": ("name", "id_number", "phone", "email", "language")}),
        (_("Personal info"), {"fields": ("first_name", "last_name")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "usable_password", "password1", "password2")}),
        (_("Real-name profile"), {"classes": ("wide",), "fields": ("name", "id_number", "phone", "email")}),
    )
    # PIPL: lists show the id number masked; the full number only on the change form.
    list_display = ("username", "name", "display_id_number", "phone", "email", "is_staff", "is_active")
    list_filter = ("is_staff", "is_superuser", "is_active", "memberships__department", "memberships__role")
    search_fields = ("username", "name", "email", "phone", "=id_number")
    ordering = ("username",)
    inlines = (MembershipInline,)

    @admin.display(description=_("resident ID number"), ordering="id_number")
    def display_id_number(self, obj: User) -> str:
        return obj.masked_id_number


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "user_name", "department", "role")
    list_filter = ("role", "department")
    search_fields = ("user__username", "user__name", "department__code")
    list_select_related = ("user", "department")
    autocomplete_fields = ("user",)
    ordering = ("department__code", "user__username")

    @admin.display(description=_("real name"), ordering="user__name")
    def user_name(self, obj: Membership) -> str:
        return obj.user.name
