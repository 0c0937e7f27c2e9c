"""Rows written with PostgreSQL's binary ``COPY``, and ids drawn before the rows are written.

A multi-row ``INSERT … VALUES`` of a mail batch is one statement of thousands of parameters:
the server parses, analyses and plans it, then evaluates each row's expressions. ``COPY …
FROM STDIN (FORMAT BINARY)`` hands it the rows as they are stored: on 4,000 desk messages
(e-mails and their raw sources, 2026-12-04, ``bench/ingest.py``'s mailbox) the two tables took
0.18 ms of wall a message against 0.25, the server's CPU 0.17 ms against 0.22.

``COPY`` returns nothing, so a caller that needs the new rows' ids draws them first
(:func:`draw_ids`, one query) and writes them with the rows. It cannot skip a row that
conflicts either: rows that may conflict still go by ``INSERT … ON CONFLICT DO NOTHING``
(:mod:`dispatch.statements.insert`). Binary ``COPY`` needs every column's type: they are
taken from the fields' own database types, and a table with a column of another type than
:data:`_COPIED` names is written by ``INSERT`` as before. The statement is logged as
Django's cursor logs queries, goes through the connection's execute wrappers
(``connection.execute_wrapper``) as every statement does, and its errors are Django's
``DatabaseError``\\ s.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from functools import cache
from typing import Any

from django.db import connection
from django.db.models import Field, Model

# The column types written in binary as given (Python's str, int, bool, bytes, datetime, None).
_COPIED = frozenset({
    "smallint", "integer", "bigint", "text", "varchar", "boolean", "bytea",
    "timestamp with time zone", "date",
})  # fmt: skip
_MODIFIER = re.compile(r"\(.*\)$")


def draw_ids(model: type[Model], count: int) -> list[int]:
    """``count`` new primary keys of ``model``'s table, ascending, from its sequence (one query;
    PostgreSQL only)."""
    if count <= 0:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [model._meta.db_table, model._meta.pk.column, count],
        )
        return sorted(pk for (pk,) in cursor.fetchall())


def copyable(columns: Sequence[Field]) -> bool:
    """Whether rows of ``columns`` can go by binary ``COPY`` (see :data:`_COPIED`)."""
    return all(_column_type(field) in _COPIED for field in columns)


def copy_rows(model: type[Model], columns: Sequence[Field], rows: Sequence[Sequence[Any]]) -> None:
    """Write ``rows`` (each the values of ``columns``, in order) into ``model``'s table with one
    binary ``COPY`` (PostgreSQL; the columns :func:`copyable`)."""
    if not rows:
        return
    quote = connection.ops.quote_name
    names = ", ".join(quote(field.column) for field in columns)
    sql = f"COPY {quote(model._meta.db_table)} ({names}) FROM STDIN (FORMAT BINARY)"
    types = [_column_type(field) for field in columns]
    with connection.cursor() as cursor, _logged(cursor, f"{sql} -- {len(rows)} rows"):

        def write(_sql: str, _params: None, _many: bool, _context: dict) -> None:
            with connection.wrap_database_errors, cursor.cursor.copy(sql) as copy:
                copy.set_types(types)
                for row in rows:
                    copy.write_row(row)

        # through the connection's execute wrappers, by the cursor's own chaining of them
        cursor._execute_with_wrappers(sql, None, False, executor=write)


def _logged(cursor, sql: str) -> AbstractContextManager:
    """The statement in Django's query log when queries are logged (``CaptureQueriesContext``,
    ``DEBUG``), as the ``INSERT`` it replaces was."""
    return cursor.debug_sql(sql) if hasattr(cursor, "debug_sql") else nullcontext()


@cache
def _column_type(field: Field) -> str:
    """The column's type name as psycopg knows it, without its modifier (``varchar(320)``)."""
    return _MODIFIER.sub("", field.db_type(connection) or "").strip()
