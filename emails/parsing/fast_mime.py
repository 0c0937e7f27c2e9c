"""A fast path for the stdlib MIME parser on well-formed mail.

The stdlib feed parser (compat32) reads a message line by line in Python: for desk mail, most
of whose lines are base64, that is most of the cost of parsing. :func:`parse` builds the very
same :class:`email.message.Message` tree for the common shapes (headers, a blank line, a text
body or nested multiparts) by finding the blank line and the boundary lines with ``str.find``,
and declines (returns None) whatever it does not reproduce exactly: mixed or bare CR line
endings, envelope ``From`` lines, header lines the stdlib would take for the body, missing,
repeated or unterminated boundaries, ``message/*`` parts, digests, odd boundaries or transfer
encodings, deep nesting, many parts. The caller then runs the stdlib parser, so results and
defects on unusual or hostile mail are the stdlib's. Every step is a bounded scan: linear time.
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
_BOUNDARY_TAIL = re.compile(r"(?:--)?[ \t]*")
_PLAIN_ENCODINGS = ("7bit", "8bit", "binary")
MAX_DEPTH = 4  # multipart levels: the parser's work budget (message.py) is never approached
MAX_PARTS = 64


class _Decline(Exception):
    """The message has a shape the fast path does not reproduce exactly."""


def line_ending(raw: bytes) -> str | None:
    """``"\\n"`` or ``"\\r\\n"`` when every line of ``raw`` ends that way, else None."""
    carriage_returns = raw.count(b"\r")
    if not carriage_returns:
        return "\n"
    if carriage_returns == raw.count(b"\r\n") == raw.count(b"\n"):
        return "\r\n"
    return None


def parse(raw: bytes) -> Message | None:
    """The message tree the stdlib's ``BytesFeedParser`` (compat32) builds for ``raw``, or None
    when ``raw`` is not of a shape this fast path handles."""
    newline = line_ending(raw)
    if newline is None:
        return None
    text = raw.decode("ascii", "surrogateescape")
    try:
        return _Parser(text, newline).part(0, len(text), 0)
    except _Decline:
        return None


class _Parser:
    """One message's text (bytes as the stdlib decodes them) and its line ending."""

    def __init__(self, text: str, newline: str) -> None:
        self.text = text
        self.newline = newline
        self.parts = 0

    def part(self, start: int, end: int, depth: int) -> Message:
        """The part in ``text[start:end]``: its headers, then its body."""
        self.parts += 1
        if self.parts > MAX_PARTS:
            raise _Decline
        msg = Message()
        body = self._headers(msg, start, end)
        maintype = msg.get_content_maintype()
        if maintype == "message":  # (message/rfc822, message/delivery-status …)
            raise _Decline
        if maintype == "multipart":
            self._multipart(msg, body, end, depth + 1)
        else:
            msg._payload = self.text[body:end]
        return msg

    def _headers(self, msg: Message, start: int, end: int) -> int:
        """Store the header block's (name, value) pairs as compat32 does; the body's start."""
        text, newline = self.text, self.newline
        if text.startswith(newline, start, end):
            return start + len(newline)
        stop = text.find(newline + newline, start, end)
        if stop < 0:  # headers up to the end: the stdlib's corner cases, not ours
            raise _Decline
        lines = text[start:stop].split(newline)
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
        newline = self.newline
        value = (value + newline).lstrip(" \t") + "".join(line + newline for line in lines[1:])
        return name, value.rstrip("\r\n")

    def _boundary_lines(self, delimiter: str, start: int, end: int) -> list[tuple[int, int, bool]]:
        """(start, end, is the close delimiter) of each line in ``text[start:end]`` that the
        stdlib reads as a boundary of ``delimiter``; ``end`` includes the line ending."""
        text, newline = self.text, self.newline
        found = []
        position = text.find(delimiter, start, end)
        while position >= 0:
            if position == start or text[position - 1] == "\n":
                line_end = text.find(newline, position, end)
                tail_end = end if line_end < 0 else line_end
                tail = text[position + len(delimiter) : tail_end]
                if _BOUNDARY_TAIL.fullmatch(tail):
                    after = end if line_end < 0 else line_end + len(newline)
                    found.append((position, after, tail.startswith("--")))
            position = text.find(delimiter, position + len(delimiter), end)
        return found

    def _multipart(self, msg: Message, start: int, end: int, depth: int) -> None:
        """Preamble, parts and epilogue of a multipart body in ``text[start:end]``."""
        if depth > MAX_DEPTH or msg.get_content_type() == "multipart/digest":
            raise _Decline
        boundary = msg.get_boundary()
        encoding = str(msg.get("content-transfer-encoding", "8bit")).lower()
        if boundary is None or not _BOUNDARY.fullmatch(boundary):
            raise _Decline
        if encoding not in _PLAIN_ENCODINGS:
            raise _Decline
        lines = self._boundary_lines("--" + boundary, start, end)
        if not lines or lines[0][2]:
            raise _Decline  # no start boundary
        newline = self.newline
        if lines[0][0] > start:  # the line end before the boundary belongs to it
            msg.preamble = self.text[start : lines[0][0] - len(newline)]
        children = []
        for (_, part_start, _), (next_start, _, _) in pairwise(lines):
            if part_start in (next_start, end):
                raise _Decline  # repeated boundary lines or a boundary at the very end
            children.append(self._child(part_start, next_start, depth))
            if lines[len(children)][2]:
                break
        else:
            raise _Decline  # no close boundary
        msg._payload = children
        close_end = lines[len(children)][1]
        text = self.text
        msg.epilogue = text[close_end:end] if text.endswith("\n", 0, close_end) else ""

    def _child(self, start: int, end: int, depth: int) -> Message:
        """A part of a multipart without the line end that belongs to the next boundary."""
        child = self.part(start, end, depth)
        newline = self.newline
        if isinstance(child._payload, list):
            epilogue = child.epilogue
            if epilogue == "":
                child.epilogue = None
            elif epilogue is not None and epilogue.endswith(newline):
                child.epilogue = epilogue[: -len(newline)]
        elif child._payload.endswith(newline):
            child._payload = child._payload[: -len(newline)]
        return child
