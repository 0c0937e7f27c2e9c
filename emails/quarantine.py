"""The quarantine's retries and dispatchers' actions on it: try a message again, or release it
as a new incident.

Automatic retries (``ingest_mail`` each cycle) back off with the attempts and are bounded: a
message over the parser's budget fails the same way every time, so once a retry sees that again
it is not retried automatically any more; any other failure stops after
``QUARANTINE_MAX_ATTEMPTS``. A dispatcher can still retry by hand (after an upgrade) or release.

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

from emails.locks import lock_mailbox_for_transaction
from emails.models import EmailMessage, EmailRaw, QuarantinedEmail
from emails.parsing import parse_email
from emails.parsing.charsets import guess_decode
from emails.parsing.headers import addresses, decode_header_value, normalise_message_id, parse_date
from emails.parsing.message import OverBudget
from emails.services import Incoming, store_messages
from incidents.models import Actor, Incident, IncidentSource
from incidents.services import create_incident, mark_unread

RELEASE_BODY_CHARS = 100_000
HEADER_BYTES = 256 * 1024
QUARANTINE_RETRY_SECONDS = 600  # the wait after the n-th failure: n times this
QUARANTINE_MAX_ATTEMPTS = 10  # failures (the first included) after which automatic retries stop


class QuarantineError(Exception):
    """The action cannot be done; ``str()`` says why (Russian)."""


def _attempt(row: QuarantinedEmail) -> Exception | None:
    """Parse and store one quarantined message again; the failure (recorded on the row) or None.
    Automatic retries stop when it is over budget or was the last automatic attempt."""
    raw = bytes(row.raw)
    try:
        parsed = parse_email(raw)
        with transaction.atomic():
            lock_mailbox_for_transaction(row.folder.mailbox)
            store_messages(row.folder, row.uidvalidity or 0, [Incoming(row.uid, raw, parsed)])
            QuarantinedEmail.objects.filter(pk=row.pk).update(resolved_at=timezone.now())
    except Exception as exc:  # recorded on the row, retried later with back-off (or not)
        attempts = row.attempts + 1
        over_budget = isinstance(exc, OverBudget)
        QuarantinedEmail.objects.filter(pk=row.pk).update(
            attempts=attempts,
            last_attempt_at=timezone.now(),
            error=str(exc) if over_budget else f"{type(exc).__name__}: {exc}",
            auto_retry=row.auto_retry and not over_budget and attempts < QUARANTINE_MAX_ATTEMPTS,
        )
        return exc
    return None


def retry_quarantined(row: QuarantinedEmail) -> bool:
    """Try one quarantined message again; True when it is now stored."""
    return _attempt(row) is None


def retry_quarantine(limit: int = 50) -> tuple[int, int]:
    """Try up to ``limit`` due quarantined messages again, the longest waiting first (the wait
    grows with the attempts); (resolved, failing). Only ids and times are read to choose, so
    rows not due yet never crowd out a due one and no raw message is loaded for nothing."""
    now = timezone.now()
    waiting = QuarantinedEmail.objects.filter(
        resolved_at__isnull=True, folder__isnull=False, auto_retry=True
    ).order_by("last_attempt_at", "pk")
    due = [
        pk
        for pk, attempts, last in waiting.values_list("pk", "attempts", "last_attempt_at")
        if (now - last).total_seconds() >= QUARANTINE_RETRY_SECONDS * attempts
    ][:limit]
    resolved = failing = 0
    for pk in due:
        row = QuarantinedEmail.objects.select_related("folder").filter(pk=pk).first()
        if row is None or row.resolved_at is not None:
            continue
        if retry_quarantined(row):
            resolved += 1
        else:
            failing += 1
    return resolved, failing


def retry(row: QuarantinedEmail) -> bool:
    """A dispatcher's retry: ingest the message again now; True when it is stored (the error is
    kept otherwise). QuarantineError when it came from no folder or is still over budget."""
    if row.folder_id is None:
        raise QuarantineError(_("This message came from no mailbox folder; release it instead."))
    failure = _attempt(row)
    if isinstance(failure, OverBudget):
        raise QuarantineError(
            _(
                "The message is still over the parser's budget (%(error)s): retrying cannot "
                "help. Open an incident from it with “Release as a new incident”."
            )
            % {"error": failure}
        )
    return failure is None


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
