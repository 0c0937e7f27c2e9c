"""Rows updated without model instances: each row's own values in one statement.

``bulk_update`` writes ``SET column = CASE WHEN id = … THEN … END`` for every column, an
expression a row compiled by the ORM each call: 29 ms of the ingest worker's CPU for seven
incidents a batch (2026-12-04, SQLite, under a profiler). Here the caller gives ``(pk, *values)``
tuples; PostgreSQL gets the values as one array a column (``UPDATE … FROM unnest(…)``: linear,
one parameter a column), other databases one ``UPDATE … WHERE pk = %s`` run for every row
(``executemany``: one statement prepared, one query logged).

Values are what the column stores (a related object's id, not the object), prepared by their
field as ``bulk_update`` prepares them. Names come from the models' metadata, values are
parameters.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import Model


def update_rows(model: type[Model], fields: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Store the ``fields`` of ``rows`` (``(pk, *values)`` tuples, one per row to change)."""
    if not rows:
        return
    meta = model._meta
    columns = [meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    table, pk = quote(meta.db_table), quote(meta.pk.column)
    values = [
        [column.get_db_prep_save(row[n], connection) for row in rows]
        for n, column in enumerate(columns, start=1)
    ]
    if connection.vendor == "postgresql":
        types = [
            meta.pk.rel_db_type(connection),
            *(column.db_type(connection) for column in columns),
        ]
        names = [meta.pk.column, *(column.column for column in columns)]
        sets = ", ".join(f"{quote(name)} = v.{quote(name)}" for name in names[1:])
        unnest = ", ".join(f"%s::{kind}[]" for kind in types)
        alias = ", ".join(quote(name) for name in names)
        sql = f"UPDATE {table} AS t SET {sets} FROM unnest({unnest}) AS v({alias}) WHERE t.{pk} = v.{pk}"  # noqa: E501, S608
        with connection.cursor() as cursor:
            cursor.execute(sql, [[row[0] for row in rows], *values])
        return
    sets = ", ".join(f"{quote(column.column)} = %s" for column in columns)
    sql = f"UPDATE {table} SET {sets} WHERE {pk} = %s"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.executemany(
            sql, [(*cells, row[0]) for row, *cells in zip(rows, *values, strict=True)]
        )
