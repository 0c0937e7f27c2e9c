"""Admin for the outbox."""

from django.contrib import admin

from emails.outbox.models import OutboundEmail


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    list_display = ("created_at", "kind", "subject", "state", "attempts", "sent_at", "incident")
    list_filter = ("state", "kind")
    search_fields = ("subject", "message_id", "dedupe_key")
    raw_id_fields = ("incident",)
    readonly_fields = (
        "message_id",
        "dedupe_key",
        "attempts",
        "sent_at",
        "last_error",
        "claimed_at",
    )
