"""Fixtures for e-mail tests: a real Dovecot per test, message builders, default statuses."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage as MimeMessage
from email.utils import format_datetime, make_msgid

import pytest
from django.db import connection

from dispatch.testing.dovecot import DovecotServer, available, start_dovecot
from emails.sources.imap import ImapSource

MAILBOX_USER = "dispatch@example.test"
MAILBOX_PASSWORD = "secret"


@pytest.fixture
def dovecot() -> Iterator[DovecotServer]:
    """A fresh Dovecot with INBOX and Sent, stopped after the test."""
    if not available():
        pytest.skip("dovecot-imapd is not installed")
    server = start_dovecot({MAILBOX_USER: MAILBOX_PASSWORD}, folders=("Sent", "Отправленные"))
    yield server
    server.stop()


@pytest.fixture
def imap_source(dovecot: DovecotServer) -> ImapSource:
    return ImapSource("127.0.0.1", dovecot.port, MAILBOX_USER, MAILBOX_PASSWORD, ssl=False)


@pytest.fixture
def statuses(db) -> None:
    from incidents.defaults import load_defaults

    load_defaults()


def build_message(
    subject: str = "Нет связи на опоре 02-00123",
    body: str = "Добрый день! Прошу проверить.",
    *,
    sender: str = "engineer@operator.example",
    to: str = MAILBOX_USER,
    message_id: str | None = None,
    in_reply_to: str | None = None,
    references: list[str] | None = None,
    date: datetime | None = None,
    headers: dict[str, str] | None = None,
) -> bytes:
    """A simple UTF-8 message as bytes."""
    msg = MimeMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(date or datetime(2026, 11, 20, 9, 30, tzinfo=UTC))
    msg["Message-ID"] = message_id or make_msgid(domain="operator.example")
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = " ".join(references)
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    return msg.as_bytes()


def ingest_worker_env(imap_port: int) -> dict[str, str]:
    """Environment of a real ``ingest_mail`` subprocess: this test database and the test mailbox
    on 127.0.0.1:``imap_port``."""
    db = connection.settings_dict
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "dispatch.testing.settings",
        "DB_HOST": db["HOST"],
        "DB_PORT": str(db["PORT"]),
        "POSTGRES_DB": db["NAME"],
        "POSTGRES_USER": db["USER"],
        "PARSING_EMAIL_SERVER": "127.0.0.1",
        "PARSING_EMAIL_PORT": str(imap_port),
        "PARSING_EMAIL_LOGIN": MAILBOX_USER,
        "PARSING_EMAIL_PSWD": MAILBOX_PASSWORD,
        "PARSING_EMAIL_SSL": "false",
    }


def point_ingest_at(settings, server: DovecotServer) -> None:
    """Point the ``ingest_mail`` command (run in this process) at the test mailbox."""
    settings.PARSING_EMAIL_SERVER = "127.0.0.1"
    settings.PARSING_EMAIL_PORT = server.port
    settings.PARSING_EMAIL_LOGIN = MAILBOX_USER
    settings.PARSING_EMAIL_PSWD = MAILBOX_PASSWORD
    settings.PARSING_EMAIL_SSL = False
