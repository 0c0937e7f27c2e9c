"""Admin for users: approve guests and set roles from the list."""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from users.models import EmailChangeRequest, PendingRegistration, Role, User, WorkShift
from users.selectors import awaiting_approval


class WorkShiftInline(admin.TabularInline):
    model = WorkShift
    extra = 0


class ApprovalFilter(admin.SimpleListFilter):
    """Accounts waiting for an administrator to give them a role (linked from the index)."""

    title = _("approval")
    parameter_name = "approval"

    def lookups(self, request, model_admin):
        return [("waiting", _("Waiting for approval"))]

    def queryset(self, request, queryset):
        if self.value() == "waiting":
            return queryset.filter(pk__in=awaiting_approval().values("pk"))
        return queryset


def warn_without_shifts(request, user: User) -> None:
    """A dispatcher without shifts is on shift around the clock: say so, it is rarely meant."""
    if user.role == Role.DISPATCH and user.is_active and not user.shifts.exists():
        messages.warning(
            request,
            gettext(
                "Dispatcher %(user)s has no work shifts, so they count as on shift at any time "
                "and receive incidents around the clock. Add their shifts below."
            )
            % {"user": user},
        )


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
    list_filter = (ApprovalFilter, "role", "is_active", "is_staff", "groups")
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
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "username", "role", "password1", "password2"),
            },
        ),
    )
    readonly_fields = ("last_login", "date_joined", "last_assigned_at")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "GET":
            user = self.get_object(request, object_id)
            if user is not None:
                warn_without_shifts(request, user)
        return super().change_view(request, object_id, form_url, extra_context)

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)  # the shifts are saved here
        warn_without_shifts(request, form.instance)


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
