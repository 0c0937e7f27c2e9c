"""Fixtures for the account flows: a clean rate-limit cache and helpers to read captured mail."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache

from users.models import Role, User

PASSWORD = "Vetrov-Signal-2026"


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
