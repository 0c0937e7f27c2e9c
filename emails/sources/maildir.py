"""Maildir source (the embedded default and the demo mailbox), read without modifying anything.

Maildir has no UIDs: a message's UID is a stable 63-bit hash of its unique file name (without
the ``:2,flags`` suffix), so renames by other readers do not change it. ``uids_after`` returns
every UID; the pipeline skips the ones it already stored. Sub-folders follow Maildir++
(``.Sent``, non-ASCII names in modified UTF-7 as Dovecot writes them, or in UTF-8); ``INBOX`` is
the root.
"""

from __future__ import annotations

import contextlib
import hashlib
import shutil
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from emails.folders import decode_folder_name, encode_folder_name
from emails.sources.base import (
    FetchedMessage,
    FolderNotFound,
    FolderReader,
    HeaderInfo,
    MailSource,
)

UIDVALIDITY = 1


def file_uid(name: str) -> int:
    unique = name.split(":", 1)[0]
    return int.from_bytes(hashlib.sha256(unique.encode()).digest()[:8], "big") >> 1


class MaildirFolder(FolderReader):
    uidvalidity = UIDVALIDITY

    def __init__(self, path: Path) -> None:
        self.path = path
        self._files: dict[int, Path] = {}
        for sub in ("cur", "new"):
            directory = path / sub
            if directory.is_dir():
                for file in directory.iterdir():
                    if file.is_file() and not file.name.startswith("."):
                        self._files[file_uid(file.name)] = file

    def uids_after(self, last_uid: int) -> list[int]:
        return sorted(self._files, key=lambda uid: self._files[uid].name)

    def _read(self, uid: int) -> bytes | None:
        file = self._files.get(uid)
        if file is None:
            return None
        try:
            return file.read_bytes()
        except FileNotFoundError:  # moved between cur/new by another reader
            for sub in ("cur", "new"):
                for candidate in (self.path / sub).glob(file.name.split(":", 1)[0] + "*"):
                    return candidate.read_bytes()
            return None

    def fetch_headers(self, uids: list[int]) -> dict[int, HeaderInfo]:
        result = {}
        for uid in uids:
            raw = self._read(uid)
            if raw is None:
                continue
            head = raw.split(b"\n\n", 1)[0].split(b"\r\n\r\n", 1)[0]
            value = ""
            for line in head.splitlines():
                if line[:11].lower() == b"message-id:":
                    value = line[11:].decode("ascii", "replace").strip()
                    break
            result[uid] = HeaderInfo(value, len(raw))
        return result

    def fetch(self, uids: list[int]) -> Iterator[FetchedMessage]:
        for uid in uids:
            raw = self._read(uid)
            if raw is None:
                continue
            moment = None
            with contextlib.suppress(OSError, ValueError):
                moment = datetime.fromtimestamp(self._files[uid].stat().st_mtime, tz=UTC)
            yield FetchedMessage(uid, raw, moment)


class MaildirSource(MailSource):
    def __init__(self, path: Path | str) -> None:
        self.root = Path(path).resolve()
        self.identity = f"maildir:{self.root}"

    def create_from(self, template: Path) -> bool:
        """Create a missing Maildir as a copy of ``template`` (the demo mailbox); True if made."""
        if self.root.exists():
            return False
        self.root.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".maildir-", dir=self.root.parent))
        try:
            shutil.copytree(template, staging / "maildir")
            (staging / "maildir").rename(self.root)  # atomic: a concurrent worker may win
        except OSError:
            if not self.root.exists():
                raise
            return False
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return True

    def folder_path(self, name: str) -> Path:
        """The directory of folder ``name``: the modified UTF-7 one when it exists, else UTF-8."""
        if name.upper() == "INBOX":
            return self.root
        dotted = name.replace("/", ".")
        encoded = self.root / f".{encode_folder_name(dotted)}"
        return encoded if _is_maildir(encoded) else self.root / f".{dotted}"

    def list_folders(self) -> list[str]:
        if not self.root.is_dir():
            return []
        names = ["INBOX"] if _is_maildir(self.root) else []
        for path in sorted(self.root.iterdir()):
            if path.name.startswith(".") and len(path.name) > 1 and _is_maildir(path):
                names.append(decode_folder_name(path.name[1:]).replace(".", "/"))
        return names

    @contextlib.contextmanager
    def open_folder(self, name: str) -> Iterator[MaildirFolder]:
        path = self.folder_path(name)
        if not _is_maildir(path):
            raise FolderNotFound(name, self.list_folders())
        yield MaildirFolder(path)


def _is_maildir(path: Path) -> bool:
    return (path / "cur").is_dir() or (path / "new").is_dir()
