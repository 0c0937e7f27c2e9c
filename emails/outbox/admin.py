"""Admin for the outbox: what we sent or will send, and a way to retry what failed."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from emails.outbox.models import OutboundEmail


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "kind",
        "channel",
        "subject",
        "state",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "incident",
    )
    list_filter = ("state", "kind", "channel")
    search_fields = ("subject", "message_id", "dedupe_key", "incident__code")
    list_select_related = ("incident",)
    raw_id_fields = ("incident",)
    date_hierarchy = "created_at"
    readonly_fields = (
        "incident",
        "kind",
        "channel",
        "message_id",
        "dedupe_key",
        "to",
        "cc",
        "subject",
        "body_text",
        "headers",
        "state",
        "attempts",
        "next_attempt_at",
        "claimed_at",
        "sent_at",
        "last_error",
        "created_at",
    )
    actions = ["retry_now"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description=_("Send again now (failed or waiting messages)"))
    def retry_now(self, request, queryset: QuerySet[OutboundEmail]) -> None:
        count = queryset.filter(
            state__in=[OutboundEmail.State.FAILED, OutboundEmail.State.QUEUED]
        ).update(state=OutboundEmail.State.QUEUED, attempts=0, next_attempt_at=timezone.now())
        self.message_user(
            request,
            ngettext("%d message queued again.", "%d messages queued again.", count) % count,
            messages.SUCCESS,
        )
