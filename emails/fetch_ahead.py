"""Downloading a folder's next part on a thread while the worker commits the one before.

The worker's database work and the mail server's answer do not wait for each other: while the
worker stores one part, a thread of its own reads the next part from the mailbox (IMAP reads
spend their time in the socket, where the interpreter lock is free). One part at most is
fetched ahead. The thread only reads from the mailbox; it never touches the database, which
is why a re-sync (whose parts look stored Message-IDs up) downloads without it. Nothing it
fetches is acknowledged: the worker still commits in UID order, and a part fetched ahead but
not committed (a stop, a failure) is simply read again next cycle.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Generic, TypeVar

T = TypeVar("T")
_END = object()


class FetchAhead(Generic[T]):
    """Iterate ``items`` one item ahead on a thread; :meth:`close` before the mailbox closes."""

    def __init__(self, items: Iterator[T]) -> None:
        self._items = items
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mail-fetch")
        self._next: Future | None = self._executor.submit(next, items, _END)

    def __iter__(self) -> FetchAhead[T]:
        return self

    def __next__(self) -> T:
        if self._next is None:
            raise StopIteration
        item = self._next.result()  # an exception of the download is raised here
        if item is _END:
            self._next = None
            raise StopIteration
        self._next = self._executor.submit(next, self._items, _END)
        return item

    def close(self) -> None:
        """Wait for the download in hand (its part is dropped) and stop the thread."""
        self._next = None
        self._executor.shutdown(wait=True, cancel_futures=True)
