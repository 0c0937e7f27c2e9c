"""Supervisor event-listener protocol and the rule that turns process events into alerts.

Supervisor writes ``<header line>\\n<payload of len bytes>`` to the listener's stdin after the
listener printed ``READY``; the listener answers ``RESULT 2\\nOK``. A program that exits while it
was expected to run (``PROCESS_STATE_EXITED expected:0``) or that Supervisor gave up on
(``PROCESS_STATE_FATAL``) is a failure; its next ``PROCESS_STATE_RUNNING`` is the recovery.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import IO

from dispatch.alerts import FAILURE, RECOVERY

READY = "READY\n"
OK = "RESULT 2\nOK"


def parse_tokens(line: str) -> dict[str, str]:
    """``a:1 b:2`` -> ``{"a": "1", "b": "2"}``."""
    return dict(token.split(":", 1) for token in line.split() if ":" in token)


def read_event(stdin: IO[str]) -> tuple[str, dict[str, str]] | None:
    """Block for the next event: (event name, payload tokens), or None at end of input."""
    header_line = stdin.readline()
    if not header_line:
        return None
    header = parse_tokens(header_line)
    payload = stdin.read(int(header.get("len", "0")))
    return header.get("eventname", ""), parse_tokens(payload.split("\n", 1)[0])


@dataclass
class ProgramWatch:
    """Remembers which programs failed, to report their recovery once."""

    failed: set[str] = field(default_factory=set)

    def classify(self, event: str, payload: dict[str, str]) -> tuple[str, str, str] | None:
        """(kind, program, detail) when the event deserves an alert, else None."""
        program = payload.get("processname", "")
        if not program:
            return None
        if event == "PROCESS_STATE_FATAL":
            self.failed.add(program)
            return FAILURE, program, "FATAL"
        if event == "PROCESS_STATE_EXITED" and payload.get("expected") == "0":
            self.failed.add(program)
            return FAILURE, program, "exited"
        if event == "PROCESS_STATE_RUNNING" and program in self.failed:
            self.failed.discard(program)
            return RECOVERY, program, ""
        return None
