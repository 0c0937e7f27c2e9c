"""A Message-ID reused with other content is kept, never taken for a copy.

Copies of one message (in INBOX and Sent, after a re-sync) share their Message-ID *and* their
content. A message that reuses a known Message-ID with different content (sender, subject, text or
attachments) is stored as a message of its own under a derived Message-ID, linked to the first
(``EmailMessage.duplicate_of``) and flagged for the dispatcher (``Review.DUPLICATE_ID``).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable

from emails.models import EmailAttachment, EmailMessage
from emails.parsing import ParsedEmail
from emails.parsing.message import SYNTHETIC_DOMAIN


def content_digest(
    from_address: str, subject: str, body_text: str, attachments: Iterable[str]
) -> str:
    """SHA-256 of what a person reads in a message (attachments by their SHA-256)."""
    digest = hashlib.sha256()
    for value in (from_address, subject, body_text, *sorted(set(attachments))):
        digest.update(value.encode("utf-8", "surrogatepass") + b"\0")
    return digest.hexdigest()


def parsed_digest(parsed: ParsedEmail) -> str:
    return content_digest(
        parsed.from_address[:320],
        parsed.subject,
        parsed.body_text,
        (attachment.sha256 for attachment in parsed.attachments),
    )


def stored_digests(message_ids: list[str]) -> dict[str, str]:
    """Message-ID → content digest of the stored messages among ``message_ids``."""
    rows = list(
        EmailMessage.objects.filter(message_id__in=message_ids).values_list(
            "pk", "message_id", "from_address", "subject", "body_text"
        )
    )
    files: dict[int, list[str]] = defaultdict(list)
    for email_id, sha in EmailAttachment.objects.filter(
        email_id__in=[row[0] for row in rows]
    ).values_list("email_id", "sha256"):
        files[email_id].append(sha)
    return {
        mid: content_digest(sender, subject, body, files[pk])
        for pk, mid, sender, subject, body in rows
    }


def derived_id(original: str, digest: str) -> str:
    """The Message-ID a different message reusing ``original`` is stored under (stable, so a
    second sighting of the same message is recognised)."""
    token = original.strip("<>")[:900]
    return f"<reused-{digest[:16]}.{token.replace('@', '.')}@{SYNTHETIC_DOMAIN}>"


def separate_reused_ids(batch: list[ParsedEmail]) -> dict[str, str]:
    """Give every message of ``batch`` that reuses a Message-ID (stored, or earlier in the
    batch) with other content its derived Message-ID, in place. Returns derived → original.
    Content digests are computed only for Message-IDs seen more than once."""
    first = stored_digests(sorted({parsed.message_id for parsed in batch}))
    unique: dict[str, ParsedEmail] = {}  # first sighting in the batch, digest not needed yet
    reused: dict[str, str] = {}
    for parsed in batch:
        mid = parsed.message_id
        if mid not in first:
            if mid not in unique:
                unique[mid] = parsed
                continue
            first[mid] = parsed_digest(unique[mid])
        digest = parsed_digest(parsed)
        if first[mid] != digest:
            parsed.message_id = derived_id(mid, digest)
            reused[parsed.message_id] = mid
    return reused
