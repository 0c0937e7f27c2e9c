"""IMAP source (imap-tools): TLS or plain, read-only SELECT, batched UID FETCH."""

from __future__ import annotations

import contextlib
import imaplib
import logging
import re
import ssl as _ssl
from collections.abc import Iterator
from datetime import datetime

from imap_tools import MailBox, MailBoxUnencrypted
from imap_tools.errors import MailboxFolderSelectError, MailboxLoginError

from emails.sources.base import (
    FetchedMessage,
    FolderNotFound,
    FolderReader,
    HeaderInfo,
    MailSource,
    SourceError,
)

logger = logging.getLogger(__name__)
_UID = re.compile(rb"UID (\d+)")
_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")
_INTERNALDATE = re.compile(rb'INTERNALDATE "([^"]+)"')
# A FETCH command line stays well below server limits (imap_tools#230).
FETCH_CHUNK = 100


def _special_use_folder(mailbox: MailBox, name: str) -> str | None:
    """The server's SPECIAL-USE ``\\Sent`` folder when ``name`` is a sent folder that is absent."""
    if name.lower() not in {"sent", "sent items", "sent messages", "отправленные"}:
        return None
    for info in mailbox.folder.list():
        if "\\Sent" in info.flags:
            return info.name
    return None


def _uid_set(uids: list[int]) -> str:
    return ",".join(str(uid) for uid in uids)


class ImapFolder(FolderReader):
    def __init__(self, client: imaplib.IMAP4, uidvalidity: int) -> None:
        self.client = client
        self.uidvalidity = uidvalidity

    def _uid(self, *args: str) -> list:
        typ, data = self.client.uid(*args)
        if typ != "OK":
            raise SourceError(f"UID {args[0]} failed: {data!r}")
        return data

    def uids_after(self, last_uid: int) -> list[int]:
        data = self._uid("SEARCH", f"UID {last_uid + 1}:*")
        found = [int(token) for token in b" ".join(d for d in data if d).split()]
        return sorted(uid for uid in found if uid > last_uid)

    def _fetch(self, uids: list[int], items: str) -> Iterator[tuple[bytes, bytes]]:
        """(metadata, literal) per message; metadata after the literal is appended."""
        for start in range(0, len(uids), FETCH_CHUNK):
            chunk = uids[start : start + FETCH_CHUNK]
            entries: list[list[bytes]] = []
            for entry in self._uid("FETCH", _uid_set(chunk), items):
                if isinstance(entry, tuple):
                    entries.append([entry[0], entry[1]])
                elif isinstance(entry, bytes) and entries:
                    entries[-1][0] += entry
            yield from entries

    def fetch_headers(self, uids: list[int]) -> dict[int, HeaderInfo]:
        result: dict[int, HeaderInfo] = {}
        items = "(UID RFC822.SIZE BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])"
        for meta, payload in self._fetch(uids, items):
            match = _UID.search(meta)
            if match:
                size = _SIZE.search(meta)
                text = payload.decode("ascii", "replace")
                result[int(match.group(1))] = HeaderInfo(
                    text.partition(":")[2].strip(), int(size.group(1)) if size else 0
                )
        return result

    def fetch(self, uids: list[int]) -> Iterator[FetchedMessage]:
        for meta, payload in self._fetch(uids, "(UID INTERNALDATE BODY.PEEK[])"):
            match = _UID.search(meta)
            if not match:
                continue
            moment = None
            date_match = _INTERNALDATE.search(meta)
            if date_match:
                with contextlib.suppress(ValueError):
                    moment = datetime.strptime(date_match.group(1).decode(), "%d-%b-%Y %H:%M:%S %z")
            yield FetchedMessage(int(match.group(1)), payload, moment)


class ImapSource(MailSource):
    def __init__(
        self,
        host: str,
        port: int,
        login: str,
        password: str,
        *,
        ssl: bool = True,
        timeout: float = 60,
        ssl_context: _ssl.SSLContext | None = None,
    ) -> None:
        self.host, self.port, self.login, self.password = host, port, login, password
        self.ssl, self.timeout = ssl, timeout
        self.ssl_context = ssl_context
        self.identity = f"{login}@{host}:{port}"
        self._shared: MailBox | None = None

    @contextlib.contextmanager
    def cycle(self) -> Iterator[None]:
        """One login for every folder read in the block (a poll of INBOX and Sent costs one
        connection, not two)."""
        with self._session() as mailbox:
            self._shared = mailbox
            try:
                yield
            finally:
                self._shared = None

    @contextlib.contextmanager
    def _session(self) -> Iterator[MailBox]:
        """A logged-in connection, logged out at the end (the cycle's, when one is open)."""
        if self._shared is not None:
            try:
                yield self._shared
            except (OSError, imaplib.IMAP4.error) as exc:
                raise SourceError(f"IMAP error on {self.identity}: {exc}") from exc
            return
        try:
            if self.ssl:  # certificate and host name verified (system CAs unless a context given)
                context = self.ssl_context or _ssl.create_default_context()
                mailbox = MailBox(self.host, self.port, timeout=self.timeout, ssl_context=context)
            else:
                mailbox = MailBoxUnencrypted(self.host, self.port, timeout=self.timeout)
            mailbox.login(self.login, self.password, initial_folder=None)
        except (TimeoutError, OSError, imaplib.IMAP4.error, MailboxLoginError) as exc:
            raise SourceError(f"IMAP login to {self.host}:{self.port} failed: {exc}") from exc
        try:
            yield mailbox
        except (OSError, imaplib.IMAP4.error) as exc:
            raise SourceError(f"IMAP error on {self.identity}: {exc}") from exc
        finally:
            with contextlib.suppress(Exception):
                mailbox.logout()

    def list_folders(self) -> list[str]:
        with self._session() as mailbox:
            return [info.name for info in mailbox.folder.list()]

    @contextlib.contextmanager
    def open_folder(self, name: str) -> Iterator[ImapFolder]:
        with self._session() as mailbox:
            try:
                mailbox.folder.set(name, readonly=True)
            except MailboxFolderSelectError as exc:
                special = _special_use_folder(mailbox, name)
                if special is None:
                    folders = [info.name for info in mailbox.folder.list()]
                    raise FolderNotFound(name, folders) from exc
                logger.warning(
                    "IMAP folder %r not found; reading the \\Sent folder %r", name, special
                )
                mailbox.folder.set(special, readonly=True)
            _typ, data = mailbox.client.response("UIDVALIDITY")
            if not data or data[0] is None:
                raise SourceError(f"IMAP folder {name!r} reported no UIDVALIDITY")
            yield ImapFolder(mailbox.client, int(data[0]))
