"""Admin for users: approve guests and set roles from the list."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from users.models import User, WorkShift


class WorkShiftInline(admin.TabularInline):
    model = WorkShift
    extra = 0


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("email", "username", "tracker_login", "role", "is_active", "last_login")
    list_editable = ("role", "is_active")
    list_filter = ("role", "is_active", "is_staff")
    search_fields = ("email", "username", "tracker_login", "first_name", "last_name")
    ordering = ("email",)
    inlines = [WorkShiftInline]
    fieldsets = (
        (None, {"fields": ("email", "username", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name")}),
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
