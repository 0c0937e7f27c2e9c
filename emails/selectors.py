"""E-mail reads for the console's mail pages: the searchable list, the quarantine, downloads."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from emails.models import EmailAttachment, EmailLocation, EmailMessage, MailFolder, QuarantinedEmail
from emails.search import search_emails

AUTO, HUMAN = "auto", "human"


@dataclass(frozen=True)
class MailFilters:
    """What the mail list was asked for (validated by the console's filter form)."""

    text: str = ""
    folder: int | None = None
    direction: str = ""  # "", "in", "out"
    automatic: str = ""  # "", "auto", "human"


def mail_list(filters: MailFilters) -> QuerySet[EmailMessage]:
    """Stored e-mails matching ``filters``, newest first, without their bodies; one query per
    page whatever the page holds (the incident is joined)."""
    emails = EmailMessage.objects.all()
    if filters.text:
        aliases, query = search_emails(filters.text)
        emails = emails.alias(**aliases).filter(query)
    if filters.folder:
        emails = emails.filter(
            Exists(EmailLocation.objects.filter(email=OuterRef("pk"), folder_id=filters.folder))
        )
    if filters.direction in EmailMessage.Direction.values:
        emails = emails.filter(direction=filters.direction)
    if filters.automatic == AUTO:
        emails = emails.exclude(auto_kind=EmailMessage.AutoKind.NONE)
    elif filters.automatic == HUMAN:
        emails = emails.filter(auto_kind=EmailMessage.AutoKind.NONE)
    return (
        emails.select_related("incident")
        .only(
            "pk",
            "subject",
            "from_address",
            "from_name",
            "sent_at",
            "received_at",
            "direction",
            "auto_kind",
            "review",
            "incident__id",
            "incident__code",
        )
        .order_by("-received_at", "-id")
    )


def folders() -> list[tuple[int, str]]:
    """(id, name) of the mailbox folders, for the folder filter."""
    return [
        (pk, name) for pk, name in MailFolder.objects.order_by("name").values_list("pk", "name")
    ]


def quarantine() -> QuerySet[QuarantinedEmail]:
    """Messages that could not be ingested and are not resolved yet, newest first (the raw
    bytes are not read)."""
    return (
        QuarantinedEmail.objects.filter(resolved_at__isnull=True)
        .select_related("folder")
        .defer("raw")
        .order_by("-created_at", "-id")
    )


def raw_message(pk: int) -> tuple[EmailMessage, bytes]:
    """An e-mail and its bytes exactly as the mailbox held them (404 if unknown)."""
    email = get_object_or_404(EmailMessage.objects.only("pk", "message_id"), pk=pk)
    raw = email.raw.data if hasattr(email, "raw") else None
    if raw is None:
        raise Http404("raw message not stored")
    return email, bytes(raw)


def stored_attachments(incident_id: int) -> list[EmailAttachment]:
    """The incident's attachments whose files were kept, in thread order."""
    return list(
        EmailAttachment.objects.filter(email__incident_id=incident_id)
        .exclude(file="")
        .order_by("email__sent_at", "email_id", "id")
    )
