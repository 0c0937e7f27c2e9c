"""PostgreSQL advisory locks so several ingest workers can run at once (no-ops elsewhere)."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator

from django.db import connection


def _key(*parts: str) -> int:
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _postgres() -> bool:
    return connection.vendor == "postgresql"


@contextlib.contextmanager
def folder_lock(mailbox: str, folder: str) -> Iterator[bool]:
    """Hold the session lock of one mailbox folder; yields False when another worker has it."""
    if not _postgres():
        yield True
        return
    key = _key("emails.folder", mailbox, folder)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        acquired = cursor.fetchone()[0]
    try:
        yield acquired
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])


def lock_mailbox_for_transaction(mailbox: str) -> None:
    """Serialise threading/linking across the folders of one mailbox until the transaction ends."""
    if _postgres():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_key("emails.mailbox", mailbox)])
