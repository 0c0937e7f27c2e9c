"""E-mail storage: messages, their references, recipients, attachments, raw source, quarantine
and mailbox folder state. Mail we send lives in ``emails.outbox``."""

from __future__ import annotations

from pathlib import PurePosixPath

from django.core.exceptions import SuspiciousFileOperation
from django.db import models
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext_lazy as _


class MailFolder(models.Model):
    """Sync state of one mailbox folder (IMAP or Maildir)."""

    class Role(models.TextChoices):
        INBOX = "inbox", _("Inbox")
        SENT = "sent", _("Sent")
        OTHER = "other", _("Other")

    mailbox = models.CharField(
        _("mailbox"), max_length=255, help_text=_("Account identity, e.g. login@server or a path.")
    )
    name = models.CharField(_("folder"), max_length=255)
    role = models.CharField(_("role"), max_length=8, choices=Role.choices, default=Role.INBOX)
    uidvalidity = models.BigIntegerField(_("UIDVALIDITY"), null=True, blank=True)
    last_uid = models.BigIntegerField(_("last UID"), default=0)
    last_polled_at = models.DateTimeField(_("last polled"), null=True, blank=True)

    class Meta:
        verbose_name = _("mail folder")
        verbose_name_plural = _("mail folders")
        constraints = [
            models.UniqueConstraint(
                fields=["mailbox", "name"],
                name="emails_folder_unique",
                violation_error_message=_("This mailbox already has a folder with this name."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.mailbox}/{self.name}"


class EmailMessage(models.Model):
    """One e-mail, stored once whatever folders it was seen in."""

    class Direction(models.TextChoices):
        INBOUND = "in", _("Incoming")
        OUTBOUND = "out", _("Outgoing")

    class AutoKind(models.TextChoices):
        NONE = "", _("Human")
        AUTO_REPLY = "auto_reply", _("Auto-reply")
        BOUNCE = "bounce", _("Delivery report")
        LOOP = "loop", _("Our own mail")
        BULK = "bulk", _("Bulk / list")
        IGNORED = "ignored", _("Ignored sender")

    class Review(models.TextChoices):
        NONE = "", _("Nothing to check")
        OUTSIDER = (
            "outsider",
            _(
                "Linked by the incident code in the subject, but the sender is not a participant "
                "of the incident"
            ),
        )
        DUPLICATE_ID = (
            "duplicate_id",
            _("Same Message-ID as an earlier message, but different content"),
        )

    class TrackerState(models.TextChoices):
        PENDING = "pending", _("Waiting to be pushed")
        PUSHED = "pushed", _("Pushed")
        SKIPPED = "skipped", _("Not pushed")

    message_id = models.CharField(
        _("Message-ID"), max_length=998, unique=True, help_text=_("Normalised, with <>.")
    )
    has_synthetic_id = models.BooleanField(_("synthetic Message-ID"), default=False)
    in_reply_to = models.CharField(_("In-Reply-To"), max_length=998, blank=True, db_index=True)
    thread_root = models.CharField(
        _("Exchange conversation"),
        max_length=64,
        blank=True,
        db_index=True,
        help_text=_(
            "Root of the Thread-Index header (Outlook/Exchange), for replies without References."
        ),
    )
    subject = models.CharField(_("subject"), max_length=1024, blank=True)
    from_address = models.CharField(_("from"), max_length=320, blank=True, db_index=True)
    from_name = models.CharField(_("sender name"), max_length=256, blank=True)
    sent_at = models.DateTimeField(_("date"), db_index=True)
    received_at = models.DateTimeField(_("stored"), default=timezone.now)
    body_text = models.TextField(_("text"), blank=True)
    direction = models.CharField(
        _("direction"), max_length=3, choices=Direction.choices, default=Direction.INBOUND
    )
    auto_kind = models.CharField(
        _("automatic mail"), max_length=16, choices=AutoKind.choices, blank=True, default=""
    )
    is_first = models.BooleanField(_("starts a conversation"), default=False)
    incident = models.ForeignKey(
        "incidents.Incident",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="emails",
        verbose_name=_("incident"),
        db_index=False,  # ``email_incident_order_idx`` starts with it: one index less to write
    )
    tracker_state = models.CharField(
        _("tracker"), max_length=8, choices=TrackerState.choices, default=TrackerState.PENDING
    )
    tracker_comment_id = models.CharField(_("tracker comment id"), max_length=64, blank=True)
    review = models.CharField(
        _("needs the dispatcher's check"),
        max_length=16,
        choices=Review.choices,
        blank=True,
        default="",
        help_text=_("Set when the message is linked but should not be trusted without a look."),
    )
    duplicate_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="different_copies",
        verbose_name=_("same Message-ID as"),
        help_text=_("The earlier message whose Message-ID this one reused with other content."),
    )

    class Meta:
        verbose_name = _("e-mail")
        verbose_name_plural = _("e-mails")
        ordering = ["sent_at", "id"]
        indexes = [
            models.Index(fields=["incident", "sent_at", "id"], name="email_incident_order_idx"),
            models.Index(fields=["tracker_state", "id"], name="email_tracker_state_idx"),
        ]

    def __str__(self) -> str:
        return self.subject or self.message_id

    @property
    def is_from_outside(self) -> bool:
        """Mail a dispatcher has to read (what :func:`from_outside` selects): incoming, written
        by a person, not the tracker's."""
        return (
            self.direction == self.Direction.INBOUND
            and self.auto_kind == self.AutoKind.NONE
            and self.tracker_state != self.TrackerState.SKIPPED
        )


def from_outside() -> models.Q:
    """The e-mails :attr:`EmailMessage.is_from_outside` is true of, as a filter."""
    return models.Q(
        direction=EmailMessage.Direction.INBOUND, auto_kind=EmailMessage.AutoKind.NONE
    ) & ~models.Q(tracker_state=EmailMessage.TrackerState.SKIPPED)


class EmailLocation(models.Model):
    """Where a message sits in a mailbox (folder, UIDVALIDITY, UID): one row per sighting."""

    email = models.ForeignKey(EmailMessage, on_delete=models.CASCADE, related_name="locations")
    # ``emails_location_unique`` starts with it: one index less to write a message
    folder = models.ForeignKey(
        MailFolder, on_delete=models.CASCADE, related_name="locations", db_index=False
    )
    uidvalidity = models.BigIntegerField(_("UIDVALIDITY"))
    uid = models.BigIntegerField(_("UID"))

    class Meta:
        verbose_name = _("mailbox location")
        verbose_name_plural = _("mailbox locations")
        constraints = [
            models.UniqueConstraint(
                fields=["folder", "uidvalidity", "uid"],
                name="emails_location_unique",
                violation_error_message=_(
                    "This message is already stored at this place in the mailbox."
                ),
            )
        ]

    def __str__(self) -> str:
        return f"{self.folder_id}:{self.uidvalidity}:{self.uid}"


class EmailRaw(models.Model):
    """The message exactly as received, kept for audit, re-parsing and .eml download."""

    email = models.OneToOneField(
        EmailMessage, on_delete=models.CASCADE, related_name="raw", primary_key=True
    )
    data = models.BinaryField(_("raw message"))

    class Meta:
        verbose_name = _("raw message")
        verbose_name_plural = _("raw messages")

    def __str__(self) -> str:
        return f"raw #{self.pk}"


class EmailReference(models.Model):
    """One Message-ID from the References header, in header order."""

    # ``emails_reference_unique`` starts with it: one index less to write a reference
    email = models.ForeignKey(
        EmailMessage, on_delete=models.CASCADE, related_name="references", db_index=False
    )
    message_id = models.CharField(_("Message-ID"), max_length=998, db_index=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("reference")
        verbose_name_plural = _("references")
        ordering = ["email", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["email", "message_id"],
                name="emails_reference_unique",
                violation_error_message=_("This e-mail already refers to this Message-ID."),
            )
        ]

    def __str__(self) -> str:
        return self.message_id


class EmailRecipient(models.Model):
    class Kind(models.TextChoices):
        TO = "to", "To"
        CC = "cc", "Cc"
        BCC = "bcc", "Bcc"

    # ``emails_recipient_unique`` starts with it: one index less to write a recipient
    email = models.ForeignKey(
        EmailMessage, on_delete=models.CASCADE, related_name="recipients", db_index=False
    )
    kind = models.CharField(_("kind"), max_length=3, choices=Kind.choices)
    address = models.CharField(_("address"), max_length=320)
    name = models.CharField(_("name"), max_length=256, blank=True)

    class Meta:
        verbose_name = _("recipient")
        verbose_name_plural = _("recipients")
        ordering = ["id"]  # header order: To, then Cc, then Bcc, each as written
        constraints = [
            models.UniqueConstraint(
                fields=["email", "kind", "address"],
                name="emails_recipient_unique",
                violation_error_message=_(
                    "This address is already a recipient of this kind of the e-mail."
                ),
            )
        ]
        indexes = [models.Index(fields=["address"], name="email_recipient_addr_idx")]

    def __str__(self) -> str:
        return self.address


# A file system takes 255 bytes a path component; the storage may add "_" and 7 characters to
# a name already taken. A sanitised name has at most 150 characters: 300 bytes in Cyrillic.
MAX_FILE_NAME_BYTES = 200


def stored_file_name(filename: str) -> str:
    """The name the storage keeps of ``filename`` (letters, digits, ``-_.``; "attachment" when
    nothing or only an extension is left, e.g. of "💥" or "★.pdf", which the storage would
    refuse or hide), cut to :data:`MAX_FILE_NAME_BYTES` of UTF-8, its extension kept. The
    attachment row keeps the whole name."""
    try:
        filename = get_valid_filename(filename)
    except SuspiciousFileOperation:
        filename = ""
    if not filename or filename.startswith("."):
        filename = f"attachment{filename}"
    encoded = filename.encode()
    if len(encoded) <= MAX_FILE_NAME_BYTES:
        return filename
    suffix = PurePosixPath(filename).suffix.encode()
    suffix = suffix if len(suffix) <= 16 else b""
    head = encoded[: MAX_FILE_NAME_BYTES - len(suffix)].decode(errors="ignore")
    return head + suffix.decode()


def attachment_upload_to(instance: EmailAttachment, filename: str) -> str:
    """Private storage path: attachments/<YYYY-MM-DD>/<SHA-256 of the content, 32 hex>/<sanitised
    name, at most 200 bytes>, known before the e-mail is stored (``emails.attachment_files``).
    Files stored before December 2026 sit under the e-mail's id instead of the SHA-256."""
    day = (instance.email.sent_at or timezone.now()).date().isoformat()
    return f"attachments/{day}/{instance.sha256[:32]}/{stored_file_name(filename)}"


class EmailAttachment(models.Model):
    """A file attached to (or inline in) an e-mail. Served only to logged-in staff."""

    # ``emails_attachment_unique`` starts with it: one index less to write an attachment
    email = models.ForeignKey(
        EmailMessage, on_delete=models.CASCADE, related_name="attachments", db_index=False
    )
    file = models.FileField(_("file"), upload_to=attachment_upload_to, max_length=512, blank=True)
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=255)
    size = models.PositiveBigIntegerField(_("size, bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    is_inline = models.BooleanField(_("inline"), default=False)
    content_id = models.CharField(_("Content-ID"), max_length=998, blank=True)
    rejected_reason = models.CharField(
        _("not stored because"),
        max_length=256,
        blank=True,
        help_text=_("Set when the file broke a size or type limit; the metadata is still kept."),
    )

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["id"]  # the order of the message's parts
        constraints = [
            models.UniqueConstraint(
                fields=["email", "sha256", "filename"],
                name="emails_attachment_unique",
                violation_error_message=_("This e-mail already has this attachment."),
            )
        ]

    def __str__(self) -> str:
        return self.filename

    @property
    def offered_name(self) -> str:
        """The name shown and offered for download: rows stored by older code may still hold
        bidi or invisible characters, which are removed here too."""
        return offered_name(self.filename, self.pk)


def offered_name(filename: str, pk: int) -> str:
    """``EmailAttachment.offered_name`` from the stored name and the id."""
    from emails.parsing.attachments import sanitise_filename

    return sanitise_filename(filename, f"attachment-{pk}")


class QuarantinedEmail(models.Model):
    """A message that could not be ingested: kept raw with the reason, retried, never dropped."""

    folder = models.ForeignKey(
        MailFolder,
        on_delete=models.CASCADE,
        related_name="quarantine",
        null=True,
        blank=True,
        verbose_name=_("folder"),
    )
    uidvalidity = models.BigIntegerField(_("UIDVALIDITY"), null=True, blank=True)
    uid = models.BigIntegerField(_("UID"), null=True, blank=True)
    message_id = models.CharField(_("Message-ID"), max_length=998, blank=True)
    raw = models.BinaryField(_("raw message"))
    error = models.TextField(_("error"))
    attempts = models.PositiveIntegerField(_("attempts"), default=1)
    auto_retry = models.BooleanField(
        _("retried automatically"),
        default=True,
        help_text=_(
            "Cleared when retrying cannot help (the message is over the parser's budget) or "
            "after the last automatic attempt; a dispatcher can still retry or release it."
        ),
    )
    created_at = models.DateTimeField(_("first failure"), default=timezone.now)
    last_attempt_at = models.DateTimeField(_("last attempt"), default=timezone.now)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)

    class Meta:
        verbose_name = _("quarantined e-mail")
        verbose_name_plural = _("quarantined e-mails")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["folder", "uidvalidity", "uid"],
                condition=models.Q(uid__isnull=False),
                name="emails_quarantine_unique",
                violation_error_message=_("This message of the folder is already in quarantine."),
            )
        ]

    def __str__(self) -> str:
        return self.message_id or f"#{self.pk}"


class IgnoredSender(models.Model):
    """A sender on the ignore list (django-helpdesk's IgnoreEmail): their mail is stored and
    linked like any other but never opens an incident and never gets an automatic reply
    (``EmailMessage.auto_kind = ignored``). Admins edit the list; ingestion reads it once a batch
    (:mod:`emails.ignore`)."""

    class Kind(models.TextChoices):
        ADDRESS = "address", _("Address")
        GLOB = "glob", _("Pattern with * and ?")
        REGEX = "regex", _("Regular expression")

    pattern = models.CharField(
        _("address or pattern"),
        max_length=320,
        help_text=_(
            "An address (noreply@operator.example), a pattern with * and ? "
            "(*@spam.example, mailer-daemon@*), or a regular expression searched in the address; "
            "letter case is ignored."
        ),
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.ADDRESS)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("ignored sender")
        verbose_name_plural = _("ignored senders")
        ordering = ["pattern"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "pattern"],
                name="emails_ignored_unique",
                violation_error_message=_("This sender is already ignored."),
            )
        ]

    def __str__(self) -> str:
        return self.pattern

    def clean(self) -> None:
        from emails.ignore import check_rule

        self.pattern = self.pattern.strip()
        if self.kind != self.Kind.REGEX:
            self.pattern = self.pattern.lower()
        check_rule(self.kind, self.pattern)
