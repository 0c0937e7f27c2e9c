"""PostgreSQL advisory locks: how DISPATCH's processes, on any number of machines, take turns.

A *session* lock is held until released or until the connection ends (a killed worker frees it);
a *transaction* lock until the current transaction ends. On other databases (SQLite: one
machine, one writer at a time) every lock is granted at once.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator

from django.db import connection


def name_key(*parts: str) -> int:
    """A lock key (signed 64-bit) for a lock named by ``parts``."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def try_session_lock(key: int) -> bool:
    """Take the session lock ``key`` if it is free; True when this connection holds it."""
    if not _postgres():
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        return bool(cursor.fetchone()[0])


@contextlib.contextmanager
def session_lock(key: int) -> Iterator[bool]:
    """Hold the session lock ``key`` for the block if it is free; yields whether it was."""
    acquired = try_session_lock(key)
    try:
        yield acquired
    finally:
        if acquired and _postgres():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])


def transaction_lock(key: int) -> None:
    """Wait for the lock ``key`` and hold it until the current transaction ends."""
    if _postgres():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])
