"""Admin for incidents: the back-office view with e-mails and status history inline."""

from django.contrib import admin

from emails.models import EmailMessage
from incidents.models import Incident, IncidentStatus, IncidentStatusHistory, IncidentType


@admin.register(IncidentType)
class IncidentTypeAdmin(admin.ModelAdmin):
    list_display = ("name", "sla_minutes", "sla_clock", "is_active")
    list_filter = ("sla_clock", "is_active")
    search_fields = ("name",)


@admin.register(IncidentStatus)
class IncidentStatusAdmin(admin.ModelAdmin):
    list_display = ("name", "key", "is_final", "pauses_sla", "tracker_key")
    list_filter = ("is_final", "pauses_sla")
    search_fields = ("name", "key")


class StatusHistoryInline(admin.TabularInline):
    model = IncidentStatusHistory
    extra = 0
    fields = ("created_at", "status", "actor", "user", "comment")
    readonly_fields = ("created_at", "status", "actor", "user", "comment")
    ordering = ("created_at", "id")
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class EmailInline(admin.TabularInline):
    model = EmailMessage
    extra = 0
    fields = ("sent_at", "direction", "from_address", "subject", "auto_kind")
    readonly_fields = fields
    ordering = ("sent_at", "id")
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "subject",
        "incident_date",
        "incident_type",
        "status",
        "assignee",
        "pole",
        "sla_state",
        "is_finished",
    )
    list_filter = ("status", "incident_type", "sla_state", "is_finished", "source", "assignee")
    search_fields = ("code", "subject", "requester_email", "pole__code", "base_station__name")
    list_select_related = ("incident_type", "status", "assignee", "pole")
    date_hierarchy = "incident_date"
    raw_id_fields = ("pole", "base_station")
    readonly_fields = (
        "status",
        "sla_deadline",
        "sla_state",
        "created_at",
        "updated_at",
        "finished_at",
    )
    inlines = [StatusHistoryInline, EmailInline]
