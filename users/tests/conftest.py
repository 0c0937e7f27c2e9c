"""Fixtures for the account flows: a clean rate-limit cache and helpers to read captured mail.

Account e-mails are queued in the outbox; ``mailoutbox`` here runs the real outbox worker
(``send_due``) each time a test looks at it, so tests read what was actually delivered.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import pytest
from django.core.cache import cache

from dispatch.testing.smtp import smtp_sink  # noqa: F401 (real SMTP server fixture)
from emails.outbox.services import send_due
from users.models import Role, User

PASSWORD = "Vetrov-Signal-2026"


class DeliveredMail(Sequence):
    """Django's captured mail, after the outbox worker delivered everything queued so far."""

    def __init__(self, captured: list) -> None:
        self._captured = captured

    def _delivered(self) -> list:
        send_due(limit=1000)
        return self._captured

    def __getitem__(self, index):
        return self._delivered()[index]

    def __len__(self) -> int:
        return len(self._delivered())

    def __eq__(self, other) -> bool:
        return self._delivered() == other

    def clear(self) -> None:
        self._delivered().clear()


@pytest.fixture
def mailoutbox(mailoutbox) -> DeliveredMail:
    return DeliveredMail(mailoutbox)


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


def link_in(message, path_prefix: str) -> str:
    """The path of the first link in a captured e-mail that starts with ``path_prefix``."""
    match = re.search(r"https?://[^/\s]+(" + re.escape(path_prefix) + r"\S*)", message.body)
    assert match, f"no {path_prefix} link in:\n{message.body}"
    return match.group(1)


def make_user(email: str, username: str, role: str = Role.USER, **extra) -> User:
    return User.objects.create_user(
        email=email, username=username, password=PASSWORD, role=role, **extra
    )


@pytest.fixture
def unused_port() -> int:
    """A 127.0.0.1 port nobody listens on (bound, then released)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
