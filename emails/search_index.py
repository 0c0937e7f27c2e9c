"""Filling the search documents of e-mails the ingest stored, off the ingest's critical path.

PostgreSQL only (SQLite has no stored document). The ingest's batch transaction sets
``dispatch.search_deferred`` (:func:`defer_in_transaction`), so the trigger of migration
emails 0014 inserts its e-mails with ``search_document`` NULL. After the batch commits the worker
hands its new e-mail ids to a :class:`SearchIndexer`: a thread with its own connection that fills
them with one UPDATE a batch while the worker goes on with the next. :func:`sweep` fills whatever
is still NULL (a worker killed between a commit and its indexing, a failed indexing statement)
through the partial index ``email_search_pending_idx``; the ingest runs it at the start of each
cycle, operators with ``manage.py index_mail_search``.

Row locks: a batch's transaction may lock e-mails of the batch before (adopting replies), so the
thread takes its rows with ``SKIP LOCKED`` and never waits for the worker (no deadlock); rows it
skipped are filled, waiting for their locks, when the ingest closes it and the worker is idle.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Iterable

from django.db import DEFAULT_DB_ALIAS, connections

from emails.models import EmailMessage
from emails.search import FTS_COLUMN, fts_document

logger = logging.getLogger(__name__)

DEFERRED_SETTING = "dispatch.search_deferred"  # read by the trigger (migration emails 0014)
SWEEP_BATCH = 1000

_TABLE = EmailMessage._meta.db_table
# Constants of this module and emails.search only; the ids are parameters.
_FILL = (
    f"UPDATE {_TABLE} SET {FTS_COLUMN} = {fts_document(_TABLE)} "  # noqa: S608
    f"FROM (SELECT id FROM {_TABLE} WHERE {{where}} AND {FTS_COLUMN} IS NULL "
    f"ORDER BY id {{limit}} FOR NO KEY UPDATE{{skip}}) AS pending "
    f"WHERE {_TABLE}.id = pending.id RETURNING {_TABLE}.id"
)
FILL_IDS = _FILL.format(where="id = ANY(%s)", limit="", skip=" SKIP LOCKED")
FILL_IDS_WAITING = _FILL.format(where="id = ANY(%s)", limit="", skip="")
FILL_UP_TO = _FILL.format(where="id <= %s", limit="LIMIT %s", skip=" SKIP LOCKED")


def deferred_on(using: str = DEFAULT_DB_ALIAS) -> bool:
    """Whether e-mails stored on this connection now can be indexed after their commit: on
    PostgreSQL, outside any transaction (inside one the indexing thread could not see them
    before the outer transaction commits, so the trigger computes them as before)."""
    connection = connections[using]
    return connection.vendor == "postgresql" and not connection.in_atomic_block


def defer_in_transaction(using: str = DEFAULT_DB_ALIAS) -> None:
    """Let the current transaction insert e-mails without their search document."""
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT set_config(%s, 'on', true)", [DEFERRED_SETTING])


def sweep(*, batch: int = SWEEP_BATCH, using: str = DEFAULT_DB_ALIAS) -> int:
    """Fill every search document still NULL (stored before the sweep began), ``batch`` rows a
    statement; rows another transaction holds are left to the next sweep. Returns how many."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return 0
    filled = 0
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT max(id) FROM {_TABLE} WHERE {FTS_COLUMN} IS NULL")  # noqa: S608
        (last,) = cursor.fetchone()
        while last is not None:
            cursor.execute(FILL_UP_TO, [last, batch])
            done = cursor.rowcount
            filled += done
            if done < batch:
                break
    if filled:
        logger.info("search documents filled by the sweep: %d", filled)
    return filled


class SearchIndexer:
    """A thread filling the documents of committed batches on its own connection, at most one
    batch behind the worker (:meth:`submit` waits while one batch is queued). :meth:`close`
    waits until all are filled and the thread has closed its connection. A failed statement is
    logged and its e-mails stay NULL for :func:`sweep`; nothing the worker stored is affected."""

    def __init__(self, using: str = DEFAULT_DB_ALIAS) -> None:
        self.using = using
        self.filled = 0
        self.failed = 0
        self._queue: queue.Queue[list[int] | None] = queue.Queue(maxsize=1)
        self._thread: threading.Thread | None = None

    def submit(self, ids: Iterable[int]) -> None:
        """Hand over the ids of a committed batch (the thread starts with the first)."""
        ids = list(ids)
        if not ids:
            return
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="search-index", daemon=True)
            self._thread.start()
        self._put(ids)

    def close(self) -> None:
        """Fill what is left, then stop the thread (it closes its connection)."""
        if self._thread is None:
            return
        self._put(None)
        self._thread.join()
        self._thread = None

    def _put(self, item: list[int] | None) -> None:
        thread = self._thread
        while thread is not None:
            try:
                self._queue.put(item, timeout=1)
                return
            except queue.Full:
                if not thread.is_alive():  # cannot happen short of a crash: the sweep fills them
                    logger.error("the search indexing thread is gone; the sweep fills the rest")
                    return

    def _run(self) -> None:
        connection = connections[self.using]
        skipped: list[int] = []
        try:
            while (ids := self._queue.get()) is not None:
                filled = self._fill(FILL_IDS, ids)
                if filled is not None:
                    skipped += set(ids) - filled
            if skipped:  # the worker is idle now: wait for whatever holds them
                self._fill(FILL_IDS_WAITING, skipped)
        finally:
            connection.close()

    def _fill(self, statement: str, ids: list[int]) -> set[int] | None:
        """One statement; the ids it filled, None when it failed (logged)."""
        connection = connections[self.using]
        try:
            with connection.cursor() as cursor:
                cursor.execute(statement, [ids])
                filled = {row[0] for row in cursor.fetchall()}
        except Exception:
            self.failed += len(ids)
            logger.exception("search indexing of %d e-mails failed; the sweep fills them", len(ids))
            connection.close_if_unusable_or_obsolete()
            return None
        self.filled += len(filled)
        return filled
