"""Filling the search documents of e-mails the ingest stored, outside the intake.

PostgreSQL only (SQLite has no stored document). ``to_tsvector`` costs the server more CPU than
everything else a message needs, so the intake leaves it out: the ingest's batch transaction sets
``dispatch.search_deferred`` (:func:`defer_in_transaction`) and the trigger of migration emails
0014 inserts its e-mails with ``search_document`` NULL. :func:`sweep` fills every NULL through the
partial index ``email_search_pending_idx``: each cycle of a mail worker runs it first
(:func:`fill_pending`), so a burst is stored first and indexed when a worker comes round again;
operators run ``manage.py index_mail_search``. Until then search computes the document of those
rows on the fly (:func:`emails.search.search_text`): the same words are found before and after.

Row locks: a batch's transaction may hold e-mails of earlier batches (adopting replies), so the
sweep takes its rows with ``SKIP LOCKED`` and never waits for a worker; what it skipped is the
next sweep's.
"""

from __future__ import annotations

import logging

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

from emails.models import EmailMessage
from emails.search import FTS_COLUMN, fts_document

logger = logging.getLogger(__name__)

DEFERRED_SETTING = "dispatch.search_deferred"  # read by the trigger (migration emails 0014)
SWEEP_BATCH = 1000

_TABLE = EmailMessage._meta.db_table
# Constants of this module and emails.search only; the last id and the limit are parameters.
FILL_UP_TO = (
    f"UPDATE {_TABLE} SET {FTS_COLUMN} = {fts_document(_TABLE)} "  # noqa: S608
    f"FROM (SELECT id FROM {_TABLE} WHERE id <= %s AND {FTS_COLUMN} IS NULL "
    f"ORDER BY id LIMIT %s FOR NO KEY UPDATE SKIP LOCKED) AS pending "
    f"WHERE {_TABLE}.id = pending.id"
)


def deferred_on(using: str = DEFAULT_DB_ALIAS) -> bool:
    """Whether e-mails stored on this connection now can be left to the sweep: on PostgreSQL,
    outside any transaction (a caller's transaction, e.g. a test's or a console action's, gets
    its documents from the trigger at once, as every other insert does)."""
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


def fill_pending() -> int:
    """The sweep a mail worker's cycle starts with: a failure is logged and never stops the
    intake (search computes the documents still missing; the next cycle tries again)."""
    try:
        return sweep()
    except DatabaseError:
        logger.exception("filling search documents failed; the next cycle tries again")
        return 0
