"""Parsing one part of a folder in a second process while the worker commits the previous one.

The stdlib MIME parser is pure Python: on a thread it holds the interpreter lock the commit's
ORM work needs (tried, it did not pay — docs/mail.md), so the parts are parsed in a forked
process. One part at a time is in flight (the worker sends a part, commits the one before, then
takes the result), so at most two parts are in memory. The process only parses and writes the
attachment files (:mod:`emails.attachment_files`): it never uses the database or IMAP
connections it inherits, ignores SIGINT/SIGTERM (the worker decides when to stop) and exits
when the worker closes the pipe or dies. Nothing it returns is acknowledged before the worker
has committed it.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import signal
import traceback
from datetime import datetime
from multiprocessing.connection import Connection

from django.core.exceptions import SuspiciousOperation

from emails.attachment_files import store_attachment_files
from emails.parsing import ParsedEmail, ParseError, parse_email
from emails.parsing.text import strip_quoted
from ts.recognition import message_tokens

logger = logging.getLogger(__name__)

# A message's outcome: parsed, or the reason it could not be (the raw message is quarantined).
Outcome = ParsedEmail | str


class ParserFailed(Exception):
    """The parser process died or failed outside any one message: the part it held is not
    committed and the folder stops at the last committed part."""


def parse_outcomes(
    messages: list[tuple[bytes, datetime | None]], *, tokens: bool = False
) -> list[Outcome]:
    """Parse each message (raw bytes, INTERNALDATE) and write its attachment files
    (:func:`emails.attachment_files.store_attachment_files`: only their names go on). A message
    that cannot be parsed gives its reason, never an exception (a parser bug must not stop the
    mailbox: the message is quarantined and the rest goes on); a file that cannot be written
    stops the part, as a failed write always stopped the cycle. ``tokens``: also tokenise for
    pole recognition what the worker would read (``ParsedEmail.pole_tokens`` of a message that
    answers none, ``reply_tokens`` of a reply), so its commit only looks them up; a reply that
    opens an incident after all is tokenised by the worker."""
    outcomes: list[Outcome] = []
    for raw, received in messages:
        try:
            parsed = parse_email(raw)
            if tokens:
                _tokenise(parsed)
        except ParseError as exc:
            outcomes.append(str(exc))
            continue
        except Exception as exc:
            logger.exception("parse failed")
            outcomes.append(f"{type(exc).__name__}: {exc}")
            continue
        try:
            store_attachment_files(parsed, received)
        except SuspiciousOperation as exc:  # a file the storage refuses: this message only
            outcomes.append(f"attachment refused by the storage: {exc}")
            continue
        outcomes.append(parsed)
    return outcomes


def _tokenise(parsed: ParsedEmail) -> None:
    """Set the recognition tokens of ``parsed`` (see :func:`parse_outcomes`)."""
    if parsed.in_reply_to or parsed.references:
        parsed.reply_tokens = message_tokens(parsed.subject, strip_quoted(parsed.body_text))
    else:
        parsed.pole_tokens = message_tokens(parsed.subject, parsed.body_text)


def _serve(conn: Connection, worker_end: Connection) -> None:
    """The parser process: parse each part received until the pipe closes."""
    worker_end.close()  # so the worker's death reads as end of file here
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    while True:
        try:
            messages = conn.recv()
        except (EOFError, OSError):
            return
        if messages is None:
            return
        try:
            reply = ("ok", parse_outcomes(messages, tokens=True))
        except BaseException:  # e.g. MemoryError: the worker stops with this traceback
            reply = ("error", traceback.format_exc())
        try:
            conn.send(reply)
        except OSError:  # the worker is gone
            return
        except Exception:  # the outcomes could not be pickled
            conn.send(("error", traceback.format_exc()))


class ParseAhead:
    """A parser process for one folder's cycle, started on the first :meth:`submit`."""

    def __init__(self) -> None:
        self._process: multiprocessing.process.BaseProcess | None = None
        self._conn: Connection | None = None
        self._pending = False

    def submit(self, messages: list[tuple[bytes, datetime | None]]) -> None:
        """Send a part to parse (each message's raw bytes and INTERNALDATE); its outcomes are
        taken by :meth:`result`."""
        if self._pending:
            raise RuntimeError("the previous part's result was not taken")
        if self._conn is None:
            context = multiprocessing.get_context("fork")
            self._conn, child_end = context.Pipe()
            self._process = context.Process(
                target=_serve, args=(child_end, self._conn), name="mail-parser", daemon=True
            )
            self._process.start()
            child_end.close()
        try:
            self._conn.send(messages)
        except OSError as exc:
            raise ParserFailed(f"the parser process is gone ({self._exit()})") from exc
        self._pending = True

    def result(self) -> list[Outcome]:
        """The outcomes of the part submitted last, one per message in its order."""
        if not self._pending or self._conn is None:
            raise RuntimeError("no part submitted")
        try:
            status, payload = self._conn.recv()
        except (EOFError, OSError) as exc:
            self._pending = False
            raise ParserFailed(f"the parser process died while parsing ({self._exit()})") from exc
        self._pending = False
        if status != "ok":
            raise ParserFailed(f"the parser process failed:\n{payload}")
        return payload

    def close(self) -> None:
        """Stop the process: at once when a part is still being parsed (it is dropped)."""
        if self._process is None or self._conn is None:
            return
        if self._pending:
            self._process.kill()
        else:
            with contextlib.suppress(OSError):
                self._conn.send(None)
        self._conn.close()
        self._process.join(timeout=10)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()
        self._process, self._conn, self._pending = None, None, False

    def _exit(self) -> str:
        if self._process is None:
            raise RuntimeError("the parser process was never started")
        self._process.join(timeout=5)
        code = self._process.exitcode
        if code is None:
            return "still running"
        if code < 0:
            return f"killed by signal {-code}"
        return f"exit code {code}"
