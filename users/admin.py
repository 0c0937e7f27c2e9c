"""Admin for users: approve guests and set roles from the list."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from users.models import EmailChangeRequest, PendingRegistration, User, WorkShift


class WorkShiftInline(admin.TabularInline):
    model = WorkShift
    extra = 0


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = (
        "email",
        "username",
        "tracker_login",
        "role",
        "is_active",
        "date_joined",
        "last_login",
    )
    list_editable = ("role", "is_active")
    list_filter = ("role", "is_active", "is_staff", "groups")
    search_fields = ("email", "username", "tracker_login", "first_name", "last_name")
    ordering = ("email",)
    inlines = [WorkShiftInline]
    fieldsets = (
        (None, {"fields": ("email", "username", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "avatar")}),
        (_("Dispatch"), {"fields": ("role", "tracker_login", "last_assigned_at")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "username", "password1", "password2")}),
    )
    readonly_fields = ("last_login", "date_joined", "last_assigned_at")


@admin.register(PendingRegistration)
class PendingRegistrationAdmin(admin.ModelAdmin):
    """Sign-ups waiting for their e-mail confirmation (read-only; expired ones are purged)."""

    list_display = ("username", "email", "created_at")
    search_fields = ("username", "email")
    fields = ("username", "email", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(EmailChangeRequest)
class EmailChangeRequestAdmin(admin.ModelAdmin):
    list_display = ("user", "new_email", "created_at")
    search_fields = ("user__email", "new_email")
    fields = ("user", "new_email", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
