"""A fast path for the stdlib MIME parser on well-formed mail.

The stdlib feed parser (compat32) reads a message line by line in Python: for desk mail, most
of whose lines are base64, that is most of the cost of parsing. :func:`parse` builds the very
same :class:`email.message.Message` tree for the common shapes (headers, a blank line, a text
body or nested multiparts) by finding the blank line and the boundary lines with ``bytes.find``
(only what is stored is decoded, as the stdlib decodes it: other bytes than ASCII become
surrogates), and declines (returns None) whatever it does not reproduce exactly: mixed or bare
CR line endings, envelope ``From`` lines, header lines the stdlib would take for the body,
missing, repeated or unterminated boundaries, ``message/*`` parts, digests, odd boundaries or
transfer encodings, deep nesting, many parts. The caller then runs the stdlib parser, so results
and defects on unusual or hostile mail are the stdlib's. Every step is a bounded scan: linear.
"""

from __future__ import annotations

import re
from email.message import Message
from itertools import pairwise

# The stdlib feed parser's header-line test (``email.feedparser.headerRE``).
_HEADER_LINE = re.compile(r"From |[\041-\071\073-\176]*:|[\t ]")
# Boundaries as RFC 2046 writes them (no spaces): anything else is left to the stdlib.
_BOUNDARY = re.compile(r"[0-9A-Za-z'()+_,./:=?-]{1,70}")
# What may follow ``--boundary`` on a boundary line (``email.feedparser``'s ``boundaryre``).
_BOUNDARY_TAIL = re.compile(rb"(?:--)?[ \t]*")
_LF = ord("\n")
_PLAIN_ENCODINGS = ("7bit", "8bit", "binary")
MAX_DEPTH = 4  # multipart levels: the parser's work budget (message.py) is never approached
MAX_PARTS = 64


class _Decline(Exception):
    """The message has a shape the fast path does not reproduce exactly."""


def line_ending(raw: bytes) -> bytes | None:
    """``b"\\n"`` or ``b"\\r\\n"`` when every line of ``raw`` ends that way, else None."""
    carriage_returns = raw.count(b"\r")
    if not carriage_returns:
        return b"\n"
    if carriage_returns == raw.count(b"\r\n") == raw.count(b"\n"):
        return b"\r\n"
    return None


def parse(raw: bytes) -> Message | None:
    """The message tree the stdlib's ``BytesFeedParser`` (compat32) builds for ``raw``, or None
    when ``raw`` is not of a shape this fast path handles."""
    newline = line_ending(raw)
    if newline is None:
        return None
    try:
        return _Parser(raw, newline).part(0, len(raw), 0, nested=False)
    except _Decline:
        return None


class _Parser:
    """One message's bytes and its line ending."""

    def __init__(self, raw: bytes, newline: bytes) -> None:
        self.raw = raw
        self.view = memoryview(raw)
        self.newline = newline
        self.text_newline = newline.decode()
        self.parts = 0

    def text(self, start: int, end: int) -> str:
        """``raw[start:end]`` as the stdlib decodes it (without copying the bytes first)."""
        return str(self.view[start:end], "ascii", "surrogateescape")

    def part(self, start: int, end: int, depth: int, *, nested: bool) -> Message:
        """The part in ``raw[start:end]``: its headers, then its body. ``nested`` (a part of a
        multipart): without the line end before the next boundary, which belongs to it."""
        self.parts += 1
        if self.parts > MAX_PARTS:
            raise _Decline
        msg = Message()
        body = self._headers(msg, start, end)
        maintype = msg.get_content_maintype()
        if maintype == "message":  # (message/rfc822, message/delivery-status …)
            raise _Decline
        if maintype == "multipart":
            self._multipart(msg, body, end, depth + 1, nested=nested)
        else:
            msg._payload = self.text(body, self._unterminated(body, end) if nested else end)
        return msg

    def _unterminated(self, start: int, end: int) -> int:
        """``end`` without the line end ``raw[start:end]`` ends with."""
        return end - len(self.newline) if self.raw.endswith(self.newline, start, end) else end

    def _headers(self, msg: Message, start: int, end: int) -> int:
        """Store the header block's (name, value) pairs as compat32 does; the body's start."""
        raw, newline = self.raw, self.newline
        if raw.startswith(newline, start, end):
            return start + len(newline)
        stop = raw.find(newline + newline, start, end)
        if stop < 0:  # headers up to the end: the stdlib's corner cases, not ours
            raise _Decline
        lines = self.text(start, stop).split(self.text_newline)
        first = 0
        for number, line in enumerate(lines):
            if not _HEADER_LINE.match(line) or line.startswith("From "):
                raise _Decline  # body text or an envelope line among the headers
            if line[0] in " \t":
                if number == 0:
                    raise _Decline
                continue
            if number:
                msg.set_raw(*self._header(lines[first:number]))
            first = number
        msg.set_raw(*self._header(lines[first:]))
        return stop + 2 * len(newline)

    def _header(self, lines: list[str]) -> tuple[str, str]:
        """``compat32.header_source_parse`` of one header's lines (given without line ends)."""
        name, value = lines[0].split(":", 1)
        if not name:
            raise _Decline  # the stdlib notes a defect and drops the line
        newline = self.text_newline
        value = (value + newline).lstrip(" \t") + "".join(line + newline for line in lines[1:])
        return name, value.rstrip("\r\n")

    def _boundary_lines(
        self, delimiter: bytes, start: int, end: int
    ) -> list[tuple[int, int, bool]]:
        """(start, end, is the close delimiter) of each line in ``raw[start:end]`` that the
        stdlib reads as a boundary of ``delimiter``; ``end`` includes the line ending."""
        raw, newline = self.raw, self.newline
        found = []
        position = raw.find(delimiter, start, end)
        while position >= 0:
            if position == start or raw[position - 1] == _LF:
                line_end = raw.find(newline, position, end)
                tail_end = end if line_end < 0 else line_end
                tail = self.view[position + len(delimiter) : tail_end]
                if _BOUNDARY_TAIL.fullmatch(tail):
                    after = end if line_end < 0 else line_end + len(newline)
                    found.append((position, after, tail[:2] == b"--"))
            position = raw.find(delimiter, position + len(delimiter), end)
        return found

    def _multipart(self, msg: Message, start: int, end: int, depth: int, *, nested: bool) -> None:
        """Preamble, parts and epilogue of a multipart body in ``raw[start:end]``."""
        if depth > MAX_DEPTH or msg.get_content_type() == "multipart/digest":
            raise _Decline
        boundary = msg.get_boundary()
        encoding = str(msg.get("content-transfer-encoding", "8bit")).lower()
        if boundary is None or not _BOUNDARY.fullmatch(boundary):
            raise _Decline
        if encoding not in _PLAIN_ENCODINGS:
            raise _Decline
        lines = self._boundary_lines(b"--" + boundary.encode("ascii"), start, end)
        if not lines or lines[0][2]:
            raise _Decline  # no start boundary
        if lines[0][0] > start:  # the line end before the boundary belongs to it
            msg.preamble = self.text(start, lines[0][0] - len(self.newline))
        children = []
        for (_, part_start, _), (next_start, _, _) in pairwise(lines):
            if part_start in (next_start, end):
                raise _Decline  # repeated boundary lines or a boundary at the very end
            children.append(self.part(part_start, next_start, depth, nested=True))
            if lines[len(children)][2]:
                break
        else:
            raise _Decline  # no close boundary
        msg._payload = children
        close_end = lines[len(children)][1]
        if self.raw[close_end - 1] != _LF or close_end == end:  # an empty epilogue
            msg.epilogue = None if nested else ""
        else:
            msg.epilogue = self.text(
                close_end, self._unterminated(close_end, end) if nested else end
            )
