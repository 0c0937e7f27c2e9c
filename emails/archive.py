"""A zip of files written while it is sent: nothing is held in memory but the current chunk.

``zipfile`` writes to an unseekable stream with data descriptors, so each file's bytes go out
as they are read; the caller caps the total before starting (the size is known from the rows).
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import BinaryIO

CHUNK = 64 * 1024


class _Pipe:
    """A write-only file whose writes are collected until the generator hands them out."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.chunks.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        """Nothing is buffered here."""

    def drain(self) -> bytes:
        data, self.chunks = b"".join(self.chunks), []
        return data


def unique_names(names: Iterable[str]) -> list[str]:
    """``names`` with repeats numbered: «photo.jpg», «photo (2).jpg»."""
    seen: set[str] = set()
    result = []
    for name in names:
        stem, dot, ext = name.rpartition(".")
        if not dot:
            stem, ext = name, ""
        candidate, n = name, 1
        while candidate.lower() in seen:
            n += 1
            candidate = f"{stem} ({n}){dot}{ext}"
        seen.add(candidate.lower())
        result.append(candidate)
    return result


def stream_zip(files: Iterable[tuple[str, datetime, Callable[[], BinaryIO]]]) -> Iterator[bytes]:
    """Zip bytes for ``(name, modified, open)`` triples, yielded as they are produced."""
    pipe = _Pipe()
    with zipfile.ZipFile(pipe, "w", compression=zipfile.ZIP_STORED) as archive:  # type: ignore[arg-type]
        for name, modified, opener in files:
            info = zipfile.ZipInfo(name, date_time=modified.timetuple()[:6])
            with opener() as source, archive.open(info, "w", force_zip64=True) as target:
                while chunk := source.read(CHUNK):
                    target.write(chunk)
                    if data := pipe.drain():
                        yield data
            if data := pipe.drain():
                yield data
    if data := pipe.drain():
        yield data
