"""A real SMTP server for tests: aiosmtpd on 127.0.0.1, recording every message it accepts.

Usage (any test module)::

    from dispatch.testing.smtp import smtp_sink  # noqa: F401  (pytest fixture)

    def test_something(smtp_sink, settings):
        smtp_sink.configure(settings)          # point Django's SMTP backend at the sink
        ...                                    # send mail
        [message] = smtp_sink.wait_for(1)      # parsed email.message.EmailMessage objects

Addresses put in ``refused_recipients`` are rejected with 550 (a permanent failure).
``stop()`` closes the port (SMTP "down": connections are refused) and ``start()`` opens the same
port again, so a test can prove that nothing is lost while the server is unreachable.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

HOST = "127.0.0.1"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


@dataclass
class ReceivedMessage:
    """One accepted SMTP transaction."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    peer: str = ""  # client address:port — one value per SMTP connection
    message: EmailMessage = field(init=False)

    def __post_init__(self) -> None:
        self.message = BytesParser(policy=policy.default).parsebytes(self.data)


class _RecordingHandler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list
    ) -> str:
        if address.lower() in self.sink.refused_recipients:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        data = envelope.original_content or envelope.content or b""
        if isinstance(data, str):
            data = data.encode("utf-8")
        self.sink._record(
            ReceivedMessage(
                mail_from=envelope.mail_from or "",
                rcpt_tos=list(envelope.rcpt_tos),
                data=bytes(data),
                peer=":".join(str(part) for part in session.peer or ()),
            )
        )
        return "250 Message accepted for delivery"


class SmtpSink:
    """An aiosmtpd server on a free 127.0.0.1 port that keeps what it receives in memory."""

    def __init__(self, port: int | None = None) -> None:
        self.host = HOST
        self.port = port or free_port()
        self.received: list[ReceivedMessage] = []
        # Addresses answered with "550 mailbox unavailable" at RCPT TO (permanent failure).
        self.refused_recipients: set[str] = set()
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._controller: Controller | None = None

    # --- lifecycle ------------------------------------------------------------------------
    def start(self) -> SmtpSink:
        """Listen (again) on the sink's port."""
        if self._controller is None:
            self._controller = Controller(
                _RecordingHandler(self),
                hostname=self.host,
                port=self.port,
                decode_data=False,
                enable_SMTPUTF8=True,
                ready_timeout=10,
            )
            self._controller.start()
        return self

    def stop(self) -> None:
        """Close the port: clients get "connection refused" until ``start()``."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    def __enter__(self) -> SmtpSink:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- what arrived ---------------------------------------------------------------------
    def _record(self, item: ReceivedMessage) -> None:
        with self._arrived:
            self.received.append(item)
            self._arrived.notify_all()

    @property
    def messages(self) -> list[EmailMessage]:
        with self._lock:
            return [item.message for item in self.received]

    def wait_for(self, count: int, timeout: float = 10.0) -> list[EmailMessage]:
        """Wait until at least ``count`` messages arrived (bounded), then return all of them."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self.received) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(
                        f"SMTP sink got {len(self.received)} message(s), expected {count}"
                    )
                self._arrived.wait(remaining)
            return [item.message for item in self.received]

    def clear(self) -> None:
        with self._lock:
            self.received.clear()

    # --- wiring ---------------------------------------------------------------------------
    def django_settings(self) -> dict[str, object]:
        """Django settings that make the SMTP backend deliver to this sink."""
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_DELIVERY": "smtp",
            "EMAIL_HOST": self.host,
            "EMAIL_PORT": self.port,
            "EMAIL_HOST_USER": "",
            "EMAIL_HOST_PASSWORD": "",
            "EMAIL_USE_TLS": False,
            "EMAIL_USE_SSL": False,
            "EMAIL_TIMEOUT": 5,
        }

    def configure(self, settings: object) -> None:
        """Apply ``django_settings()`` to pytest-django's ``settings`` fixture."""
        for name, value in self.django_settings().items():
            setattr(settings, name, value)


@pytest.fixture
def smtp_sink(settings) -> Iterator[SmtpSink]:
    """A running SMTP sink with Django's mail settings pointed at it; stopped afterwards."""
    sink = SmtpSink().start()
    sink.configure(settings)
    try:
        yield sink
    finally:
        sink.stop()
