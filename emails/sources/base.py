"""The mail source interface: a mailbox with folders, each read by UID, never modified."""

from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime


class SourceError(Exception):
    """The mailbox could not be reached or read (the cycle fails and is retried)."""


class FolderNotFound(SourceError):
    """The mailbox has no folder by that name; the message names the setting that asked for it
    (when one did) and lists the folders the mailbox has."""

    def __init__(self, name: str, available: list[str], setting: str = "") -> None:
        available = sorted(available, key=lambda folder: (folder.upper() != "INBOX", folder))
        self.name, self.available, self.setting = name, available, setting
        asked = f" ({setting})" if setting else ""
        listing = ", ".join(available) if available else "none"
        super().__init__(f"folder {name!r}{asked} does not exist; the mailbox has: {listing}")


@dataclass
class HeaderInfo:
    """What is known about a message before downloading it."""

    message_id: str  # the raw Message-ID header ("" when missing)
    size: int  # bytes


@dataclass
class FetchedMessage:
    uid: int
    raw: bytes
    internal_date: datetime | None = None


class FolderReader(ABC):
    """One folder opened read-only. UIDs only grow while ``uidvalidity`` stays the same."""

    uidvalidity: int

    @abstractmethod
    def uids_after(self, last_uid: int) -> list[int]:
        """UIDs greater than ``last_uid`` (a source without ordered UIDs returns all)."""

    @abstractmethod
    def fetch_headers(self, uids: list[int]) -> dict[int, HeaderInfo]:
        """Message-ID and size of each UID, without downloading the messages."""

    @abstractmethod
    def fetch(self, uids: list[int]) -> Iterator[FetchedMessage]:
        """The full raw messages, in UID order; vanished UIDs are skipped."""


class MailSource(ABC):
    """A mailbox: ``identity`` names it in the database (``login@host`` or a Maildir path)."""

    identity: str

    @abstractmethod
    def open_folder(self, name: str) -> AbstractContextManager[FolderReader]:
        """Open folder ``name`` (decoded Unicode) read-only for one cycle; a folder that does not
        exist raises :class:`FolderNotFound`."""

    @abstractmethod
    def list_folders(self) -> list[str]:
        """The names (decoded Unicode) of every folder the mailbox has."""

    @contextlib.contextmanager
    def cycle(self) -> Iterator[None]:
        """One worker cycle: a source with a connection keeps one open for every folder read
        inside the block (by default nothing is shared)."""
        yield
