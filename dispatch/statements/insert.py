"""Rows inserted without model instances: a whole batch in one statement, values prepared once.

``bulk_create`` builds a model instance a row and prepares every value through its field
(``pre_save``, ``get_db_prep_save``); on mail ingestion that was most of the worker's database
CPU (2026-12-04). Here the caller gives tuples of the columns that vary; every other column
takes its field's default (``default``; ``auto_now``: the moment of the call), computed and
prepared once a call. On PostgreSQL rows that cannot conflict go by binary ``COPY``, their ids
drawn first when wanted (:mod:`dispatch.statements.copy`); rows that may conflict go as one
multi-row ``VALUES … ON CONFLICT DO NOTHING``, its values bound by the server (a cursor of
psycopg's own, still logged and error-wrapped by Django): Django's client-side binding escapes
each value into the SQL text, which cost 13 ms for 200 message bodies and 12 ms for their 5 MB
of raw source against 1 and 2 ms bound. On SQLite rows go as one multi-row ``VALUES``, or by
``executemany`` when they need no ids back.

Given values must be what the column stores: str, int, bool, bytes, None, aware datetimes (a
related object's id, not the object). Names come from the models' metadata, values are
parameters.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo
from functools import cache, lru_cache
from typing import Any

import psycopg
from django.db import connection
from django.db.models import NOT_PROVIDED, DateTimeField, Field, Model
from django.db.models.fields import AutoFieldMixin
from django.utils import timezone

from dispatch.statements.copy import copy_rows, copyable, draw_ids

# Parameters a statement may carry: PostgreSQL's protocol limit, SQLite's default
# SQLITE_MAX_VARIABLE_NUMBER since 3.32.
_PARAMETERS = {"postgresql": 65535, "sqlite": 32766}


def insert_rows(
    model: type[Model],
    fields: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    ignore_conflicts: bool = False,
    returning: bool = False,
) -> list[int]:
    """Insert ``rows`` (tuples of the ``fields``' values) in one statement (one per ~30,000
    values); with ``returning`` the new rows' primary keys, in the rows' order."""
    if not rows:
        return []
    if returning and ignore_conflicts:
        raise ValueError("the ids of rows that may not be inserted cannot be returned")
    fields = tuple(fields)
    if connection.vendor == "postgresql" and not ignore_conflicts:
        copied = _copied_columns(model, fields)
        if copied is not None:
            return _copy(model, fields, copied, rows, returning)
    if connection.vendor == "sqlite" and not returning:
        sql = _sql(model, fields, 1, ignore_conflicts, returning=False)
        defaults = tuple(_defaults(model, fields))
        with connection.cursor() as cursor:
            cursor.executemany(sql, [(*row, *defaults) for row in _converted(model, fields, rows)])
        return []
    step = max(1, _PARAMETERS[connection.vendor] // (len(fields) + len(_others(model, fields))))
    ids: list[int] = []
    for start in range(0, len(rows), step):
        sql, params = insert_statement(
            model, fields, rows[start : start + step], ignore_conflicts=ignore_conflicts,
            returning=returning,
        )  # fmt: skip
        ids += [pk for (pk,) in execute(sql, params, fetch=returning)]
    return ids


def _copy(
    model: type[Model],
    fields: tuple[str, ...],
    columns: list[Field],
    rows: Sequence[Sequence[Any]],
    returning: bool,
) -> list[int]:
    """PostgreSQL: ``rows`` by binary ``COPY`` (:mod:`dispatch.statements.copy`), their ids drawn
    first when wanted."""
    defaults = _default_values(columns[len(fields) :])
    if not returning:
        copy_rows(model, columns, [(*row, *defaults) for row in rows])
        return []
    ids = draw_ids(model, len(rows))
    copy_rows(
        model,
        [model._meta.pk, *columns],
        [(pk, *row, *defaults) for pk, row in zip(ids, rows, strict=True)],
    )
    return ids


@cache
def _copied_columns(model: type[Model], fields: tuple[str, ...]) -> list[Field] | None:
    """The columns a ``COPY`` of ``fields`` writes: those given, then the others that take
    their defaults — but not the nullable ones whose default is None, which the table fills
    with NULL itself (e.g. a search document of a type ``COPY`` is not given). None when
    a column is of a type binary ``COPY`` is not given here."""
    given = [model._meta.get_field(name) for name in fields]
    columns = given + [field for field in _others(model, fields) if not _null_by_default(field)]
    return columns if copyable(columns) else None


def _null_by_default(field: Field) -> bool:
    return (
        field.null
        and not field.has_default()
        and field.db_default is NOT_PROVIDED
        and not (isinstance(field, DateTimeField) and (field.auto_now or field.auto_now_add))
    )


def insert_statement(
    model: type[Model],
    fields: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    ignore_conflicts: bool = False,
    returning: bool = False,
) -> tuple[str, list[Any]]:
    """The SQL and parameters inserting ``rows`` (see :func:`insert_rows`), e.g. to run it in a
    ``WITH`` of another statement through :func:`execute`."""
    fields = tuple(fields)
    sql = _sql(model, fields, len(rows), ignore_conflicts, returning)
    defaults = _defaults(model, fields)
    return sql, [value for row in _converted(model, fields, rows) for value in (*row, *defaults)]


def execute(sql: str, params: Sequence[Any], *, fetch: bool = False) -> list[tuple]:
    """Run ``sql`` (its rows with ``fetch``); on PostgreSQL with the values bound by the server."""
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall() if fetch else []
    connection.ensure_connection()
    connection.validate_thread_sharing()
    bound = psycopg.RawCursor(connection.connection)
    logged = connection.queries_logged
    with connection.make_debug_cursor(bound) if logged else connection.make_cursor(bound) as cursor:
        cursor.execute(_numbered(sql), params)
        return cursor.fetchall() if fetch else []


@lru_cache(maxsize=64)
def _numbered(sql: str) -> str:
    """``sql`` with PostgreSQL's own placeholders (``$1``…) for its ``%s``: psycopg reads them
    as they are, where it splits a query of ``%s`` in Python (5 ms for 3,600) when the query is
    too long for its cache, as a batch's is."""
    pieces = sql.split("%s")
    return "".join(f"{piece}${n}" for n, piece in enumerate(pieces[:-1], 1)) + pieces[-1]


@cache
def _others(model: type[Model], fields: tuple[str, ...]) -> list[Field]:
    """The concrete columns not given, which take their defaults (an automatic id none)."""
    given = {model._meta.get_field(name).attname for name in fields}
    return [
        field
        for field in model._meta.concrete_fields
        if field.attname not in given and not isinstance(field, AutoFieldMixin)
    ]


def _sql(
    model: type[Model], fields: tuple[str, ...], count: int, ignore_conflicts: bool, returning: bool
) -> str:
    quote = connection.ops.quote_name
    columns = [model._meta.get_field(name) for name in fields] + _others(model, fields)
    names = ", ".join(quote(field.column) for field in columns)
    row = "(" + ", ".join(["%s"] * len(columns)) + ")"
    sqlite = connection.vendor == "sqlite"
    verb = "INSERT OR IGNORE" if ignore_conflicts and sqlite else "INSERT"
    tail = " ON CONFLICT DO NOTHING" if ignore_conflicts and not sqlite else ""
    if returning:
        tail += f" RETURNING {quote(model._meta.pk.column)}"
    values = ", ".join([row] * count)
    return f"{verb} INTO {quote(model._meta.db_table)} ({names}) VALUES {values}{tail}"


def _defaults(model: type[Model], fields: tuple[str, ...]) -> list[Any]:
    """The columns not given, each its field's default as ``Model.__init__`` and ``save`` give
    it (``auto_now``/``auto_now_add``: now), prepared for the database once."""
    return _default_values(_others(model, fields))


def _default_values(fields: Sequence[Field]) -> list[Any]:
    """The defaults of ``fields`` (see :func:`_defaults`)."""
    values = []
    for field in fields:
        if isinstance(field, DateTimeField) and (field.auto_now or field.auto_now_add):
            value = timezone.now()
        else:
            value = field.get_default()
        values.append(field.get_db_prep_save(value, connection))
    return values


def _converted(
    model: type[Model], fields: tuple[str, ...], rows: Sequence[Sequence[Any]]
) -> Sequence[Sequence[Any]]:
    """``rows`` with their datetimes as the database takes them (SQLite: the text Django's
    ``adapt_datetimefield_value`` writes, in the connection's zone; psycopg takes aware
    datetimes as they are)."""
    if connection.vendor == "postgresql":
        return rows
    moments = [
        n for n, name in enumerate(fields) if isinstance(model._meta.get_field(name), DateTimeField)
    ]
    if not moments:
        return rows
    zone = connection.timezone
    done = []
    for row in rows:
        cells = list(row)
        for n in moments:
            if cells[n] is not None:
                cells[n] = _moment(cells[n], zone)
        done.append(cells)
    return done


def _moment(value: datetime, zone: tzinfo) -> str:
    """What ``adapt_datetimefield_value`` gives for ``value`` (naive: in the current time zone)
    with USE_TZ: its wall time in ``zone``, as ``str()`` writes it — without its per-value
    checks (thousands of values a batch)."""
    if value.tzinfo is None:
        value = timezone.make_aware(value)
    return str(value.astimezone(zone).replace(tzinfo=None))
