"""Admin for e-mail: messages with their raw source (read-only), quarantine, outbox, folders."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from emails.models import (
    EmailAttachment,
    EmailMessage,
    EmailRecipient,
    EmailReference,
    IgnoredSender,
    MailFolder,
    QuarantinedEmail,
)


class RecipientInline(admin.TabularInline):
    model = EmailRecipient
    extra = 0
    readonly_fields = ("kind", "address", "name")
    can_delete = False


class ReferenceInline(admin.TabularInline):
    model = EmailReference
    extra = 0
    readonly_fields = ("position", "message_id")
    can_delete = False


class AttachmentInline(admin.TabularInline):
    model = EmailAttachment
    extra = 0
    readonly_fields = ("filename", "content_type", "size", "is_inline", "rejected_reason")
    exclude = ("file", "sha256", "content_id")
    can_delete = False


def _raw_preview(raw: bytes | memoryview | None) -> str:
    """Raw bytes shown as text (never rendered as HTML; Django escapes it)."""
    if raw is None:
        return ""
    return bytes(raw)[:200_000].decode("utf-8", errors="backslashreplace")


@admin.register(EmailMessage)
class EmailMessageAdmin(admin.ModelAdmin):
    list_display = (
        "sent_at",
        "from_address",
        "subject",
        "direction",
        "auto_kind",
        "review",
        "incident",
    )
    list_filter = ("direction", "auto_kind", "review", "is_first", "tracker_state")
    search_fields = ("message_id", "subject", "from_address")
    list_select_related = ("incident",)
    date_hierarchy = "sent_at"
    raw_id_fields = ("incident",)
    readonly_fields = (
        "message_id",
        "has_synthetic_id",
        "in_reply_to",
        "subject",
        "from_address",
        "from_name",
        "sent_at",
        "received_at",
        "body_text",
        "direction",
        "auto_kind",
        "is_first",
        "tracker_state",
        "tracker_comment_id",
        "duplicate_of",
        "raw_message",
    )
    inlines = [RecipientInline, ReferenceInline, AttachmentInline]

    def has_add_permission(self, request) -> bool:
        return False  # e-mails come from the mailbox only

    @admin.display(description=_("raw message"))
    def raw_message(self, obj: EmailMessage) -> str:
        raw = getattr(obj, "raw", None)
        return _raw_preview(raw.data if raw else None)


@admin.register(QuarantinedEmail)
class QuarantinedEmailAdmin(admin.ModelAdmin):
    list_display = ("created_at", "folder", "uid", "message_id", "attempts", "resolved_at")
    list_filter = ("resolved_at", "folder")
    search_fields = ("message_id", "error")
    readonly_fields = (
        "folder",
        "uidvalidity",
        "uid",
        "message_id",
        "error",
        "attempts",
        "created_at",
        "last_attempt_at",
        "resolved_at",
        "raw_message",
    )
    exclude = ("raw",)
    actions = ("retry_now",)

    def has_add_permission(self, request) -> bool:
        return False  # only the ingest quarantines mail

    @admin.display(description=_("raw message"))
    def raw_message(self, obj: QuarantinedEmail) -> str:
        return _raw_preview(obj.raw)

    @admin.action(description=_("Retry ingesting the selected e-mails now"))
    def retry_now(self, request, queryset) -> None:
        from emails.quarantine import retry_quarantined

        rows = queryset.filter(resolved_at__isnull=True, folder__isnull=False)
        results = [retry_quarantined(row) for row in rows.select_related("folder")]
        self.message_user(
            request,
            _("Stored: %(ok)d, still failing: %(failed)d.")
            % {"ok": results.count(True), "failed": results.count(False)},
        )


@admin.register(MailFolder)
class MailFolderAdmin(admin.ModelAdmin):
    list_display = ("mailbox", "name", "role", "uidvalidity", "last_uid", "last_polled_at")
    readonly_fields = ("uidvalidity", "last_uid", "last_polled_at")


@admin.register(IgnoredSender)
class IgnoredSenderAdmin(admin.ModelAdmin):
    """The sender ignore list: mail from these senders is stored but opens no incident and gets
    no automatic reply. Changes apply from the next ingest batch."""

    list_display = ("pattern", "kind", "reason", "is_active", "created_at")
    list_editable = ("is_active",)
    list_filter = ("kind", "is_active")
    search_fields = ("pattern", "reason")
    fields = ("pattern", "kind", "reason", "is_active", "created_at")
    readonly_fields = ("created_at",)
