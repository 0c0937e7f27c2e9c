"""Sliding-window rate limits counted in the database, shared by every web worker.

Each window of ``period`` seconds has a counter; a request is counted against this window's
count plus the previous window's, weighted by how much of the previous window still lies within
the last ``period`` seconds (the usual two-counter estimate of a sliding window). A fixed window
alone would let a client send twice the limit across a window boundary, and would reset a
client that is being limited at every boundary.

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
import math
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
    previous = f"(SELECT p.{count} FROM {table} p WHERE p.{key} = %s)"  # noqa: S608
    return (
        f"INSERT INTO {table} ({key}, {count}, {expires}) {values} "
        f"ON CONFLICT ({key}) DO UPDATE SET {count} = {table}.{count} + 1 "
        f"RETURNING {count}, {previous}"
    )


def _key(scope: str, ident: str, period: int, window: int) -> str:
    """A window's counter key (255 characters at most, the window number never cut off)."""
    return f"{scope}:{ident}"[:230] + f":{period}:{window}"


def hit(scope: str, ident: str, limit: int, period: int) -> int:
    """Count one request of ``ident`` under ``scope``; 0 when within ``limit`` per ``period``
    seconds (sliding), else the whole seconds until one more request would be let through."""
    now = time.time()
    window = int(now // period)
    # A counter is read as "the previous window" during the next one, so it lives two periods.
    expires = datetime.fromtimestamp((window + 2) * period, tz=UTC)
    with connection.cursor() as cursor:
        cursor.execute(
            _upsert_sql(connection.vendor, not connection.in_atomic_block),
            [
                _key(scope, ident, period, window),
                connection.ops.adapt_datetimefield_value(expires),
                _key(scope, ident, period, window - 1),
            ],
        )
        count, previous = cursor.fetchone()
    return retry_after(count, previous or 0, limit, period, now)


def retry_after(count: int, previous: int, limit: int, period: int, now: float) -> int:
    """0 when ``count`` requests in this window and ``previous`` in the last are within
    ``limit``, else the whole seconds (at least 1) until the estimate leaves room for one more."""
    elapsed = now % period
    if count + previous * (1 - elapsed / period) <= limit:
        return 0
    if previous and count + 1 <= limit:
        # Room comes back in this window as the previous one's weight shrinks:
        # count + 1 + previous·(1 − t/period) ≤ limit.
        at = period * (1 - (limit - count - 1) / previous)
    else:
        # Next window, where this window's count is the weighted previous one:
        # 1 + count·(1 − t/period) ≤ limit.
        at = period + max(0.0, period * (1 - (limit - 1) / count))
    return max(1, math.ceil(at - elapsed))


def purge_expired() -> int:
    """Remove the counters of windows that are over; returns how many went."""
    deleted, _ = RateCounter.objects.filter(expires_at__lt=timezone.now()).delete()
    return deleted
