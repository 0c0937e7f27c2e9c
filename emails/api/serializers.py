"""E-mail representations: attachments are metadata only (files go to logged-in staff)."""

from __future__ import annotations

from rest_framework import serializers

from emails.models import EmailAttachment, EmailMessage, EmailRecipient

ATTACHMENT_FIELDS = (
    "id",
    "filename",
    "content_type",
    "size",
    "sha256",
    "is_inline",
    "is_stored",
    "rejected_reason",
)


class AttachmentSerializer(serializers.ModelSerializer):
    filename = serializers.CharField(source="offered_name", read_only=True)
    is_stored = serializers.SerializerMethodField()

    class Meta:
        model = EmailAttachment
        fields = list(ATTACHMENT_FIELDS)

    def get_is_stored(self, attachment: EmailAttachment) -> bool:
        return bool(attachment.file)


class RecipientSerializer(serializers.ModelSerializer):
    class Meta:
        model = EmailRecipient
        fields = ["kind", "address", "name"]


# The e-mail's own columns an incident's e-mail list shows (also what its query loads).
SUMMARY_COLUMNS = (
    "id",
    "message_id",
    "subject",
    "from_address",
    "from_name",
    "sent_at",
    "direction",
    "auto_kind",
    "is_first",
)


class EmailSummarySerializer(serializers.ModelSerializer):
    """An e-mail without its body, as embedded in an incident."""

    recipients = RecipientSerializer(many=True)
    attachments = AttachmentSerializer(many=True)

    class Meta:
        model = EmailMessage
        fields = [*SUMMARY_COLUMNS, "recipients", "attachments"]


class EmailSerializer(EmailSummarySerializer):
    """An e-mail with its (plain-text) body."""

    class Meta(EmailSummarySerializer.Meta):
        fields = [*EmailSummarySerializer.Meta.fields, "in_reply_to", "body_text"]
