"""Admin for users (citizens and staff), their department memberships, and groups.

No privilege escalation: a staff member who is not a superuser (e.g. the user-support desk with
``view_user`` + ``change_user``) sees ``is_staff``, ``is_superuser``, groups, permissions and
the catalog division (the part of the catalog a catalog editor may change) read-only, cannot see superusers at all, may only view other staff members and department
members (clerks, supervisors, department systems), cannot set a password without the old one
(their own: ``/admin/password_change/``), and can neither give department roles nor edit groups. The rules are
``govflow.accounts.selectors``; this module only applies them.
"""
from __future__ import annotations

import json

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.response import TemplateResponse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from govflow.adminkit import LookOnly, ReasonForm, ReasonForPersonalData
from govflow.text import has_bad_text, invalid_text_message

from . import two_factor
from .models import IdentityLink, Membership, SecurityEvent, User, mask_phone
from .selectors import may_grant_privileges, may_manage_account
from .services import USERNAME_RESERVED, is_reserved_username
from .signals import ACTOR

PRIVILEGE_FIELDS = ("is_staff", "is_superuser", "groups", "user_permissions", "catalog_division")


class RolesGrantedBySuperusers:
    """Department roles (``Membership`` rows) are added, changed and deleted by superusers only;
    others see them read-only. For the membership admin and every inline of memberships."""

    def has_add_permission(self, request, *args) -> bool:
        return may_grant_privileges(actor=request.user) and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None) -> bool:
        return may_grant_privileges(actor=request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return may_grant_privileges(actor=request.user) and super().has_delete_permission(request, obj)


class MembershipInline(RolesGrantedBySuperusers, admin.TabularInline):
    model = Membership
    extra = 0
    fields = ("office", "role")


class IdentityLinkInline(admin.TabularInline):
    """The person's sign-ins at the unified identity provider (made by ``accounts.identity`` only).
    An administrator may delete a wrong link; the person's next sign-in links again by id number."""

    model = IdentityLink
    extra = 0
    fields = readonly_fields = ("issuer", "subject", "created_at", "last_used_at")

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class AccountRulesMixin:
    """The domain's rules for an account edited by hand: department system accounts (``dept-…``)
    are made by the domain only, and names hold no control or text-direction characters."""

    TEXT_FIELDS = ("username", "name", "first_name", "last_name", "email", "phone")

    def clean(self):
        cleaned = super().clean()
        for field in self.TEXT_FIELDS:
            value = cleaned.get(field)
            if isinstance(value, str) and has_bad_text(value):
                self.add_error(field, invalid_text_message())
        return cleaned

    def clean_username(self):
        clean = getattr(super(), "clean_username", None)
        username = clean() if clean else self.cleaned_data.get("username")
        initial = self.instance.username if self.instance.pk else None
        if username != initial and is_reserved_username(username):
            raise ValidationError(gettext(USERNAME_RESERVED), code="reserved")
        return username


class UserAddForm(AccountRulesMixin, AdminUserCreationForm):
    pass


class UserEditForm(AccountRulesMixin, UserChangeForm):
    pass


@admin.register(User)
class UserAdmin(ReasonForPersonalData, DjangoUserAdmin):
    add_form = UserAddForm
    form = UserEditForm
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Real-name profile"), {"fields": ("name", "id_number", "identity_checked_by", "identity_checked_at", "phone",
                                             "email", "language", "residence")}),
        (_("Personal info"), {"fields": ("first_name", "last_name")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions",
                                       "catalog_division", "staff_number")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "usable_password", "password1", "password2")}),
        (_("Real-name profile"), {"classes": ("wide",), "fields": ("name", "id_number", "phone", "email",
                                                                  "residence")}),
    )
    # PIPL: lists show the id number and the phone masked; the full ones only on the change form.
    list_display = ("username", "name", "display_id_number", "display_phone", "email", "is_staff", "is_active")
    list_filter = ("is_staff", "is_superuser", "is_active", "memberships__department", "memberships__role")
    search_fields = ("username", "name", "email", "phone", "=id_number")
    ordering = ("username",)
    inlines = (MembershipInline, IdentityLinkInline)
    autocomplete_fields = ("catalog_division",)
    actions = ("reset_two_factor",)

    def save_model(self, request, obj, form, change):
        setattr(obj, ACTOR, request.user)  # the security log names who changed permissions
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Reset two-factor sign-in (lost phone)"), permissions=["change"])
    def reset_two_factor(self, request, queryset):
        """Remove the authenticator and recovery codes of the chosen people, with a support ticket
        and a reason (recorded in the security log); they set up a new one at their next sign-in."""
        users = [user for user in queryset if may_manage_account(actor=request.user, target=user)]
        form = ReasonForm(request.POST if "_reset_two_factor" in request.POST else None)
        if form.is_bound and form.is_valid():
            reason = f"{form.cleaned_data['ticket']}: {form.cleaned_data['reason']}"
            for user in users:
                two_factor.reset(user=user, actor=request.user, reason=reason, request=request)
            self.message_user(request, gettext("Two-factor sign-in was reset for %(count)d people.")
                              % {"count": len(users)}, messages.SUCCESS)
            return None
        context = {**self.admin_site.each_context(request), "form": form, "opts": self.model._meta,
                   "people": users, "title": _("Reset two-factor sign-in"),
                   "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME}
        return TemplateResponse(request, "admin/two_factor_reset.html", context, status=400 if form.is_bound else 200)

    @admin.display(description=_("resident ID number"), ordering="id_number")
    def display_id_number(self, obj: User) -> str:
        return obj.masked_id_number

    @admin.display(description=_("mobile phone"), ordering="phone")
    def display_phone(self, obj: User) -> str:
        return mask_phone(obj.phone)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if not may_grant_privileges(actor=request.user):
            queryset = queryset.filter(is_superuser=False)
        return queryset

    def get_readonly_fields(self, request, obj=None):
        # Who checked the identity is recorded by the sign-in and the counter, never typed.
        fields = (*super().get_readonly_fields(request, obj), "identity_checked_by", "identity_checked_at")
        if not may_grant_privileges(actor=request.user):
            fields += tuple(f for f in PRIVILEGE_FIELDS if f not in fields)
        return fields

    def has_change_permission(self, request, obj=None) -> bool:
        # One's own profile (name, email ...) stays editable; its privileges are read-only above.
        return super().has_change_permission(request, obj) and (
            obj is None or obj.pk == request.user.pk or may_manage_account(actor=request.user, target=obj))

    def has_delete_permission(self, request, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and (
            obj is None or may_manage_account(actor=request.user, target=obj))

    def user_change_password(self, request, id, form_url=""):
        user = self.get_object(request, unquote(id))
        if user is not None and not may_manage_account(actor=request.user, target=user):
            raise PermissionDenied
        return super().user_change_password(request, id, form_url)


@admin.register(Membership)
class MembershipAdmin(RolesGrantedBySuperusers, admin.ModelAdmin):
    list_display = ("user", "user_name", "office", "department", "role")
    list_filter = ("role", "department")
    search_fields = ("user__username", "user__name", "office__code", "department__code")
    list_select_related = ("user", "office", "department")
    autocomplete_fields = ("user",)
    fields = ("user", "office", "role")
    ordering = ("department__code", "office__code", "user__username")

    @admin.display(description=_("real name"), ordering="user__name")
    def user_name(self, obj: Membership) -> str:
        return obj.user.name

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if not may_grant_privileges(actor=request.user):
            queryset = queryset.filter(user__is_superuser=False)
        return queryset


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(DjangoGroupAdmin):
    """A group is a bundle of permissions: only a superuser creates, changes or deletes one."""

    def has_add_permission(self, request) -> bool:
        return may_grant_privileges(actor=request.user) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return may_grant_privileges(actor=request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return may_grant_privileges(actor=request.user) and super().has_delete_permission(request, obj)


class SecurityEventAdmin(LookOnly, admin.ModelAdmin):
    """The security log (``security.record``): searched and read, never changed."""

    list_display = ("at", "kind", "username", "user", "actor", "address", "detail_shown")
    list_filter = ("kind", ("at", admin.DateFieldListFilter))
    search_fields = ("username", "=address", "user__username")
    list_select_related = ("user", "actor")
    fields = ("at", "kind", "user", "username", "actor", "address", "user_agent", "detail_shown")
    readonly_fields = fields
    show_full_result_count = False
    list_per_page = 50

    @admin.display(description=_("detail"))
    def detail_shown(self, obj: SecurityEvent) -> str:
        # The event's own data (keys are code, not words): shown as code, in the record's terms.
        if not obj.detail:
            return "-"
        return format_html("<code>{}</code>", json.dumps(obj.detail, ensure_ascii=False, sort_keys=True))


admin.site.register(SecurityEvent, SecurityEventAdmin)

# Devices change through the recorded paths only (enrolment, the reset above, the person's own
# settings); the admin pages django-otp registers would show secrets and skip the security log.
for _model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
