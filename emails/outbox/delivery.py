"""How queued mail leaves the building: delivery backends keyed by channel.

The interface is one method. A backend is any object with::

    def deliver(self, message: OutboundEmail) -> str:
        '''Send ``message`` once; return a provider reference (may be "").'''

It is called by the ``send_outbox`` worker **outside any database transaction**, after the row
was claimed (state ``sending``). It must not write the outbox row itself. It reports failure by
raising:

* ``TemporaryDeliveryError`` (or any other exception) — retried later with back-off until
  ``OUTBOX_MAX_ATTEMPTS``;
* ``PermanentDeliveryError`` — no retry, the row becomes ``failed`` at once (e.g. every
  recipient refused, the tracker issue is gone).

What the backend may read from the row: ``to``, ``cc`` (lists of addresses), ``subject``,
``body_text``, ``message_id`` (``<…@MESSAGE_ID_DOMAIN>``), ``headers`` (``In-Reply-To``,
``References``, ``Auto-Submitted``, …), ``incident``, ``kind`` and ``attachments`` (stored
e-mail attachments forwarded by reference; a backend that cannot carry files gets none: such
rows are queued on ``smtp``).

A backend may also have ``close()``: it is called after every cycle (e.g. to end an SMTP
connection kept open for the batch).

Register a backend once, e.g. in an ``AppConfig.ready()``::

    from emails.outbox.delivery import register_channel
    register_channel("tracker", TrackerCommentDelivery())

``smtp`` (Django's mail backend configured by ``EMAIL_*``/``EMAIL_DELIVERY``) is built in.
Rows are queued with a channel (``queue_notification(..., channel="tracker")``); a row whose
channel has no backend registered stays queued and is retried, never dropped.
"""

from __future__ import annotations

import contextlib
import re
import smtplib
import threading
from email import policy
from email.message import EmailMessage as MimeMessage
from email.utils import formatdate
from typing import TYPE_CHECKING, Protocol

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.core.mail.message import sanitize_address

if TYPE_CHECKING:
    from emails.outbox.models import OutboundEmail

CONTENT_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,63}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}")


class DeliveryError(Exception):
    """Base class of delivery failures."""


class TemporaryDeliveryError(DeliveryError):
    """Try again later (server down, timeout, 4xx)."""


class PermanentDeliveryError(DeliveryError):
    """Retrying will not help (all recipients refused, 5xx on the message)."""


class DeliveryBackend(Protocol):
    def deliver(self, message: OutboundEmail) -> str: ...


_registry: dict[str, DeliveryBackend] = {}


def register_channel(channel: str, backend: DeliveryBackend) -> None:
    """Make ``backend`` deliver the rows queued with ``channel`` (replaces an earlier one)."""
    _registry[channel] = backend


def get_backend(channel: str) -> DeliveryBackend:
    """The backend for ``channel``; ``TemporaryDeliveryError`` when none is registered."""
    try:
        return _registry[channel]
    except KeyError:
        raise TemporaryDeliveryError(
            f"no delivery backend registered for channel {channel!r}"
        ) from None


def channels() -> list[str]:
    return sorted(_registry)


class _MimeMessage(MimeMessage):
    """A stdlib message that also takes Django's ``as_bytes(linesep=...)`` call."""

    def as_bytes(self, unixfrom: bool = False, linesep: str = "\n", policy=None) -> bytes:  # type: ignore[override]
        return super().as_bytes(unixfrom, policy=(policy or self.policy).clone(linesep=linesep))


class OutboundMime(EmailMessage):
    """Django's message built with the modern ``email`` API (clean RFC 2047 headers)."""

    def message(self) -> _MimeMessage:  # type: ignore[override]
        mime = _MimeMessage(policy=policy.SMTP)
        mime["Subject"] = self.subject
        mime["From"] = self.from_email
        if self.to:
            mime["To"] = ", ".join(self.to)
        if self.cc:
            mime["Cc"] = ", ".join(self.cc)
        mime["Date"] = formatdate(localtime=True)
        for name, value in self.extra_headers.items():
            mime[name] = value
        mime.set_content(self.body, charset="utf-8")
        for filename, content, mimetype in self.attachments:
            maintype, _slash, subtype = mimetype.partition("/")
            mime.add_attachment(content, maintype, subtype, filename=filename)
        return mime


def _content_type(value: str) -> str:
    """The stored (sender-given) content type when it is well-formed, else a neutral one."""
    value = (value or "").strip().lower()
    return value if CONTENT_TYPE.fullmatch(value) else "application/octet-stream"


def _forwarded(message: OutboundEmail) -> list[tuple[str, bytes, str]]:
    """The stored attachments the row forwards; a file gone from storage fails it for good."""
    files = []
    for attachment in message.attachments.all() if message.pk else []:
        try:
            with attachment.file.open("rb") as handle:
                content = handle.read()
        except (OSError, ValueError) as exc:
            raise PermanentDeliveryError(
                f"forwarded attachment {attachment.pk} is not readable: {exc}"
            ) from exc
        files.append((attachment.offered_name, content, _content_type(attachment.content_type)))
    return files


def build_email(message: OutboundEmail) -> EmailMessage:
    """The MIME message for a row: our From and Message-ID, threading and loop headers, the
    forwarded attachments."""
    headers = {"Message-ID": message.message_id, **(message.headers or {})}
    return OutboundMime(
        subject=message.subject,
        body=message.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=list(message.to),
        cc=list(message.cc),
        headers=headers,
        attachments=_forwarded(message),
    )


class SmtpDelivery:
    """Delivery through Django's configured mail backend (SMTP in production, files locally).

    One connection is kept per thread for the whole cycle (``close()`` ends it) and dropped on
    any error, so a batch costs one SMTP handshake instead of one per message.
    """

    def __init__(self) -> None:
        self._local = threading.local()

    def _connection(self):
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = get_connection(fail_silently=False)
            connection.open()
            self._local.connection = connection
        return connection

    def close(self) -> None:
        connection = getattr(self._local, "connection", None)
        self._local.connection = None
        if connection is not None:
            with contextlib.suppress(Exception):  # closing a broken connection
                connection.close()

    def deliver(self, message: OutboundEmail) -> str:
        email = build_email(message)
        try:
            connection = self._connection()
            if isinstance(connection, SmtpBackend) and connection.connection is not None:
                return self._send_smtp(connection, email, message)
            sent = connection.send_messages([email])
        except smtplib.SMTPRecipientsRefused as exc:
            self.close()
            raise PermanentDeliveryError(f"all recipients refused: {exc.recipients}") from exc
        except smtplib.SMTPResponseException as exc:
            self.close()
            text = f"SMTP {exc.smtp_code}: {exc.smtp_error!r}"
            if 500 <= exc.smtp_code < 600:
                raise PermanentDeliveryError(text) from exc
            raise TemporaryDeliveryError(text) from exc
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise TemporaryDeliveryError(f"{type(exc).__name__}: {exc}") from exc
        if not sent:
            self.close()
            raise TemporaryDeliveryError("mail backend reported nothing sent")
        return ""

    @staticmethod
    def _send_smtp(connection: SmtpBackend, email: EmailMessage, message: OutboundEmail) -> str:
        """Send over the open SMTP session and look at refused recipients (Django ignores them).

        All addressees (To) refused → permanent failure, even if a CC copy went out.
        """
        encoding = email.encoding or settings.DEFAULT_CHARSET
        recipients = [sanitize_address(a, encoding) for a in email.recipients()]
        refused = connection.connection.sendmail(
            sanitize_address(email.from_email, encoding),
            recipients,
            email.message().as_bytes(linesep="\r\n"),
        )
        refused_lower = {address.lower() for address in refused}
        if message.to and all(a.lower() in refused_lower for a in message.to):
            raise PermanentDeliveryError(f"addressees refused: {', '.join(message.to)} ({refused})")
        return ""


def close_all() -> None:
    """End of a cycle: let backends with an optional ``close()`` release connections."""
    for backend in _registry.values():
        close = getattr(backend, "close", None)
        if callable(close):
            close()


register_channel("smtp", SmtpDelivery())
