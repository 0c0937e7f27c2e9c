"""The ingest workers' locks, so several can run at once (see ``dispatch.locks``)."""

from __future__ import annotations

from contextlib import AbstractContextManager

from dispatch.locks import name_key, session_lock, transaction_lock


def folder_lock(mailbox: str, folder: str) -> AbstractContextManager[bool]:
    """Hold the session lock of one mailbox folder; yields False when another worker has it."""
    return session_lock(name_key("emails.folder", mailbox, folder))


def lock_mailbox_for_transaction(mailbox: str) -> None:
    """Serialise threading/linking across the folders of one mailbox until the transaction ends."""
    transaction_lock(name_key("emails.mailbox", mailbox))
