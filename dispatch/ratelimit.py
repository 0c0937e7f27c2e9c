"""Fixed-window rate limits counted in the database, shared by every web worker.

A per-process cache would let each worker count on its own (N workers = N × the limit). Each
hit is one statement, ``INSERT … ON CONFLICT (key) DO UPDATE SET count = count + 1 RETURNING
count``, atomic on PostgreSQL and SQLite (3.35+) alike, so counting costs a request one query.
On PostgreSQL that statement commits asynchronously (``synchronous_commit`` off for its own
transaction only, so never inside a caller's ``atomic`` block): a read of the API would otherwise
wait for a WAL flush to disk. Other workers see the new count at commit all the same, so the
limit holds exactly across workers; only a crash of PostgreSQL itself can lose the last fraction
of a second of counts.
Counters of windows that are over are removed by the ``purge_rate_counters`` cron job. Used by
the account forms (``users.ratelimit``) and the API throttles (``dispatch.api.throttling``).
"""

from __future__ import annotations

import functools
import time
from datetime import UTC, datetime

from django.db import connection
from django.utils import timezone

from dispatch.models import RateCounter


@functools.cache
def _upsert_sql(vendor: str, asynchronous: bool) -> str:
    """The counting statement, built once per database vendor (it is on every request's path);
    ``asynchronous``: it commits without waiting for the disk (PostgreSQL, own transaction)."""
    quote = connection.ops.quote_name
    table = quote(RateCounter._meta.db_table)
    key, count, expires = (quote(RateCounter._meta.get_field(f).column) for f in
                           ("key", "count", "expires_at"))  # fmt: skip
    # Only quoted identifiers from the model's meta are interpolated; values are parameters.
    values = "VALUES (%s, 1, %s)"
    if vendor == "postgresql" and asynchronous:
        # set_config(…, true) lasts until this statement's own (autocommit) transaction ends.
        values = "SELECT %s, 1, %s FROM (SELECT set_config('synchronous_commit', 'off', true)) s"
    return (
        f"INSERT INTO {table} ({key}, {count}, {expires}) {values} "
        f"ON CONFLICT ({key}) DO UPDATE SET {count} = {table}.{count} + 1 "
        f"RETURNING {count}"
    )


def hit(scope: str, ident: str, limit: int, period: int) -> int:
    """Count one request of ``ident`` under ``scope``; 0 when within ``limit`` per ``period``
    seconds, else the seconds until the window ends (at least 1)."""
    now = time.time()
    window = int(now) // period
    key = f"{scope}:{ident}:{period}:{window}"[:255]
    ends = datetime.fromtimestamp((window + 1) * period, tz=UTC)
    with connection.cursor() as cursor:
        cursor.execute(
            _upsert_sql(connection.vendor, not connection.in_atomic_block),
            [key, connection.ops.adapt_datetimefield_value(ends)],
        )
        count = cursor.fetchone()[0]
    if count <= limit:
        return 0
    return max(1, (window + 1) * period - int(now))


def purge_expired() -> int:
    """Remove the counters of windows that are over; returns how many went."""
    deleted, _ = RateCounter.objects.filter(expires_at__lt=timezone.now()).delete()
    return deleted
