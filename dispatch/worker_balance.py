"""Even shares of the requests between the web workers.

A keep-alive connection stays with the worker that accepted it, and which worker accepts a new
connection is a race, not a choice by load. Twenty dispatchers' browsers connected straight to
gunicorn split 15 / 5, 16 / 4 or 13 / 7 between two workers (measured with ``ss`` under
``bench/load.py``, 2026-12-04): both workers were busy, so the fifteen waited three times as long
as the five, and the page's 95th percentile was the crowded worker's.

Each worker counts its active connections (those that sent a request within the last second)
in a table in memory shared by all workers (made by the gunicorn master before it forks them, one
slot a worker). When a response starts while this worker is busy (requests waiting for its
threads) and holds more than one connection above the workers' mean, the response says
``Connection: close``: the client's next request opens a new connection, which the other worker
accepts as often as not. Idle browsers never trigger it; a crowded worker sheds connections until
the shares are even, and then none. Without the table (``runserver``, tests, one worker) nothing
changes.
"""

from __future__ import annotations

import mmap
import os
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

# Slots for gunicorn's workers, more than any host runs (TTIN may add workers at run time).
SLOTS = 64
CLOSE = (b"connection", b"close")

ACTIVE_SECONDS = 1.0  # a connection counts while it sent a request this recently

_pids: Any = None  # the pid in each slot, 0 = free (memory shared by the workers)
_active: Any = None  # active connections per slot (same memory)
_slot: int | None = None  # this worker's slot
_threads = 1
# This worker's own state, touched on its event loop thread only.
_seen: dict[tuple, float] = {}  # client address (one per connection) -> its last request
_in_hand = 0  # requests running or waiting for a thread
_pruned = 0.0


def create() -> None:
    """Make the shared table. Called in the gunicorn master before it forks any worker."""
    global _pids, _active
    table = memoryview(mmap.mmap(-1, 2 * SLOTS * 8)).cast("q")  # anonymous: shared over fork
    _pids, _active = table[:SLOTS], table[SLOTS:]


def free_slot(taken: Iterable[int | None]) -> int | None:
    """A slot no live worker holds (master side, before the fork); None without a table."""
    if _pids is None:
        return None
    used = set(taken)
    return next((slot for slot in range(SLOTS) if slot not in used), None)


def attach(slot: int | None, threads: int) -> None:
    """Take ``slot`` for this worker process (after the fork), with ``threads`` request threads."""
    global _slot, _threads
    if _pids is None or slot is None:
        return
    _active[slot] = 0
    _pids[slot] = os.getpid()
    _slot, _threads = slot, max(1, threads)


def release(slot: int | None) -> None:
    """Free a dead worker's slot (master side), so its last count no longer weighs."""
    if _pids is not None and slot is not None:
        _pids[slot] = 0
        _active[slot] = 0


def over_share(mine: int, loads: list[int]) -> bool:
    """Whether a busy worker holding ``mine`` active connections sheds one, given every live
    worker's count (``loads``, its own included): when it holds more than one above the mean."""
    return len(loads) > 1 and mine * len(loads) > sum(loads) + len(loads)


def _loads() -> list[int]:
    return [_active[slot] for slot in range(SLOTS) if _pids[slot]]


def _arrived(client: tuple, slot: int) -> None:
    """Count ``client``'s connection as active; forget connections quiet for a while."""
    global _pruned
    now = time.monotonic()
    _seen[client] = now
    if now - _pruned > ACTIVE_SECONDS / 2:
        _pruned = now
        for quiet in [key for key, seen in _seen.items() if now - seen > ACTIVE_SECONDS]:
            del _seen[quiet]
    _active[slot] = len(_seen)


def _sheds(client: tuple, slot: int) -> bool:
    """Whether this response closes ``client``'s connection (then no longer counted)."""
    if _in_hand <= _threads or not over_share(len(_seen), _loads()):
        return False
    _seen.pop(client, None)
    _active[slot] = len(_seen)
    return True


Send = Callable[[dict], Awaitable[None]]


async def serve(app: Callable[..., Awaitable[None]], scope: dict, receive, send: Send) -> None:
    """Run the ASGI ``app`` for one request, counted; close its connection after the response
    when this worker is busy and holds more than its share. Runs on the worker's event loop
    thread only, so its own state needs no lock; other workers read its count a moment stale at
    worst."""
    global _in_hand
    slot, client = _slot, scope.get("client")
    if slot is None or not client:
        await app(scope, receive, send)
        return
    client = tuple(client)

    async def send_balanced(message: dict) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", ()))
            has_own = any(name.lower() == b"connection" for name, _value in headers)
            if not has_own and _sheds(client, slot):
                message = {**message, "headers": [*headers, CLOSE]}
        await send(message)

    _arrived(client, slot)
    _in_hand += 1
    try:
        await app(scope, receive, send_balanced)
    finally:
        _in_hand -= 1
