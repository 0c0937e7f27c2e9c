"""Attachment files written where a message is parsed for ingestion, before it is stored.

The parser process (:mod:`emails.parse_ahead`) — or the worker itself when it parses — writes
each attachment's file to the storage of ``EmailAttachment.file`` and keeps only the name, so
the bytes never cross the pipe and the worker, the busier of the two, only inserts the rows
(:func:`attachment_rows`).

Paths are ``attachments/<message date>/<SHA-256 of the content, 32 hex>/<sanitised name>``
(:func:`emails.models.attachment_upload_to`): the e-mail's id is not known before its batch
commits, and the same content under the same name lands on the same path. A file already there
with the content's size is used again: a part that is parsed again after its batch failed to
commit or the worker was killed, or a copy of a stored message (INBOX and Sent), writes nothing
new. A file whose message is never committed (the worker killed before the commit, a message
quarantined because it could not be stored) stays unreferenced, as files written before a failed
commit always did; ``cleanup_attachments`` deletes files only once no row names them.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils import timezone

from emails.models import EmailAttachment, EmailMessage
from emails.parsing import ParsedEmail
from emails.parsing.message import ParsedAttachment

# The columns of an attachment row (``insert_rows``), as :func:`attachment_rows` gives them.
ATTACHMENT_FIELDS = [
    "email", "file", "filename", "content_type", "size", "sha256", "is_inline", "content_id",
    "rejected_reason",
]  # fmt: skip


def store_attachment_files(parsed: ParsedEmail, received: datetime | None = None) -> None:
    """Write the file of each attachment of ``parsed`` (once per SHA-256 and name), or reject it
    when larger than ``MAX_ATTACHMENT_SIZE``; set its ``file`` and ``rejected_reason`` and drop
    its bytes. ``received``: the mailbox's INTERNALDATE — the path's date is the e-mail's
    ``sent_at`` (its Date header, else the receipt, else now)."""
    sent_at = parsed.date or received or timezone.now()
    done: dict[tuple[str, str], tuple[str, str]] = {}
    for attachment in parsed.attachments:
        key = (attachment.sha256, attachment.filename[:255])
        if key not in done:
            done[key] = _stored(attachment, sent_at)
        attachment.file, attachment.rejected_reason = done[key]
        attachment.data = b""


def _stored(attachment: ParsedAttachment, sent_at: datetime) -> tuple[str, str]:
    """(stored name, rejected reason) of one attachment's file."""
    if attachment.size > settings.MAX_ATTACHMENT_SIZE:
        return "", f"larger than {settings.MAX_ATTACHMENT_SIZE} bytes"
    row = EmailAttachment(
        email=EmailMessage(sent_at=sent_at), filename=attachment.filename, sha256=attachment.sha256
    )
    field = row.file.field
    name = field.generate_filename(row, attachment.filename)
    if field.storage.exists(name) and field.storage.size(name) == attachment.size:
        return name, ""  # written before: this content under this name
    # what FieldFile.save does, without generating the name a second time
    return field.storage.save(name, ContentFile(attachment.data), max_length=field.max_length), ""


def attachment_rows(email_id: int, parsed: ParsedEmail, sent_at: datetime) -> list[tuple]:
    """The e-mail's attachment rows (:data:`ATTACHMENT_FIELDS`), one per SHA-256 and name; the
    files are written first when the parse did not write them (``parse_email`` called directly,
    e.g. a quarantined message tried again)."""
    if any(attachment.file is None for attachment in parsed.attachments):
        store_attachment_files(parsed, sent_at)
    rows: dict[tuple[str, str], tuple] = {}
    for part in parsed.attachments:
        filename = part.filename[:255]
        rows.setdefault(
            (part.sha256, filename),
            (email_id, part.file, filename, part.content_type, part.size, part.sha256,
             part.is_inline, part.content_id, part.rejected_reason),
        )  # fmt: skip
    return list(rows.values())
