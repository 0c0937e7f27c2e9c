"""Django's PostgreSQL backend, with ``timestamptz`` values decoded by psycopg's compiled loader.

Django decodes every ``timestamptz`` with a Python subclass of psycopg's loader (to relabel the
value with its own tzinfo): ~4 µs a value, ~1 ms for the ~250 timestamps of a 50-incident API
page (2026-12-04). With ``USE_TZ`` Django sets the session's time zone to its own on connecting,
so psycopg's compiled loader (``psycopg[binary]``) gives the same instant at the same wall-clock
time, only with the zone as ``zoneinfo`` names it. It is registered on each cursor (a lazy copy
of the connection's adapters, ~4 µs); everything else is Django's backend.
"""

from __future__ import annotations

import psycopg
from django.conf import settings
from django.db.backends.postgresql import base
from psycopg.pq import Format

TIMESTAMPTZ_OID = psycopg.adapters.types["timestamptz"].oid
# psycopg's own default loader: the compiled one when psycopg[binary] or psycopg[c] is installed.
DEFAULT_LOADER = psycopg.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)
COMPILED_LOADER = None if DEFAULT_LOADER.__module__.startswith("psycopg.") else DEFAULT_LOADER


class DatabaseWrapper(base.DatabaseWrapper):
    """``ENGINE = "dispatch.postgresql"``."""

    def create_cursor(self, name=None):
        cursor = super().create_cursor(name)
        if COMPILED_LOADER is not None and settings.USE_TZ:
            cursor.adapters.register_loader(TIMESTAMPTZ_OID, COMPILED_LOADER)
        return cursor
