"""Dispatchers' actions on the quarantine: try a message again, or release it as a new incident.

Releasing reads only what cannot fail: the header block (with the lenient header parser and the
project's decoders) and the rest of the bytes as text, cut at ``RELEASE_BODY_CHARS``. The
original bytes stay with the stored e-mail (``EmailRaw``) for download.
"""

from __future__ import annotations

from email.parser import BytesHeaderParser
from email.policy import compat32

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from emails.ingest import retry_quarantined
from emails.models import EmailMessage, EmailRaw, QuarantinedEmail
from emails.parsing.charsets import guess_decode
from emails.parsing.headers import addresses, decode_header_value, normalise_message_id, parse_date
from incidents.models import Actor, Incident, IncidentSource
from incidents.services import create_incident, mark_unread

RELEASE_BODY_CHARS = 100_000
HEADER_BYTES = 256 * 1024


class QuarantineError(Exception):
    """The action cannot be done; ``str()`` says why (Russian)."""


def retry(row: QuarantinedEmail) -> bool:
    """Ingest the message again now; True when it is stored (the error is kept otherwise)."""
    if row.folder_id is None:
        raise QuarantineError(_("This message came from no mailbox folder; release it instead."))
    return retry_quarantined(row)


def _split(raw: bytes) -> tuple[bytes, bytes]:
    head = raw[:HEADER_BYTES]
    for separator in (b"\r\n\r\n", b"\n\n"):
        at = head.find(separator)
        if at >= 0:
            return raw[: at + len(separator)], raw[at + len(separator) :]
    return head, raw[len(head) :]


def release(pk: int, *, user) -> Incident:
    """Open a new incident from quarantined message ``pk`` with the message as its first e-mail,
    unread for the desk; the quarantine row is resolved. QuarantineError when it is gone."""
    with transaction.atomic():
        row = (
            QuarantinedEmail.objects.select_for_update()
            .filter(pk=pk, resolved_at__isnull=True)
            .first()
        )
        if row is None:
            raise QuarantineError(_("This message is no longer in the quarantine."))
        raw = bytes(row.raw)
        head, body = _split(raw)
        headers = BytesHeaderParser(policy=compat32).parsebytes(head)
        subject = decode_header_value(headers.get("Subject"))[:1024]
        sender = (addresses(headers.get_all("From") or []) or [("", "")])[0]
        sent_at = parse_date(headers.get("Date")) or row.created_at
        message_id = normalise_message_id(headers.get("Message-ID")) or row.message_id
        synthetic = not message_id or EmailMessage.objects.filter(message_id=message_id).exists()
        if synthetic:
            message_id = f"<quarantine.{row.pk}@{settings.MESSAGE_ID_DOMAIN}>"
        incident = create_incident(
            incident_date=sent_at,
            subject=subject or _("Message from the quarantine"),
            requester_email=sender[1],
            source=IncidentSource.EMAIL,
            actor=Actor.CONSOLE,
            user=user,
        )
        email = EmailMessage.objects.create(
            message_id=message_id,
            has_synthetic_id=synthetic,
            subject=subject,
            from_address=sender[1],
            from_name=sender[0],
            sent_at=sent_at,
            body_text=guess_decode(body[: RELEASE_BODY_CHARS * 4])[:RELEASE_BODY_CHARS].replace(
                "\x00", ""
            ),
            direction=EmailMessage.Direction.INBOUND,
            is_first=True,
            incident=incident,
        )
        EmailRaw.objects.create(email=email, data=raw)
        QuarantinedEmail.objects.filter(pk=row.pk).update(resolved_at=timezone.now())
        mark_unread([incident.pk])
    return incident
