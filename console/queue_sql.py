"""The queue's two statements of every view — the header counters and one page's rows — compiled
by the ORM once a process, then only executed.

Building and compiling them anew cost ~1.1 ms (counters) and ~1.4 ms (rows) of CPU a view on
PostgreSQL against ~0.3 ms each to run (2026-12-04). Each statement is the ORM's own SQL for the
same querysets (``selectors.overdue`` and ``selectors.untyped_late`` stay the one definition of
«late»), compiled with a sentinel in place of each per-request value: the dispatcher-SLA deadline,
the viewer's id, the subquery choosing the page's ids. A view puts its values in those places;
the result is the ORM's (its converters applied: SQLite returns dates as text).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from django.db import connections
from django.db.models import QuerySet

# Values no request can carry (found again in the compiled parameters by equality).
DEADLINE = datetime(1901, 1, 1, tzinfo=UTC)
USER_ID = -7_070_707
PAGE = "SELECT NULL /* the page's ids */"  # RawSQL in the rows query, replaced by the subquery
STATEMENT_MEMO_SIZE = 64  # (database alias, builder, its arguments): a dozen in practice


@dataclass(frozen=True)
class Statement:
    """SQL with its parameters; ``slots``: the positions of each sentinel in ``params``."""

    sql: str
    params: tuple
    slots: dict[str, tuple[int, ...]]
    converters: dict
    splice_at: int  # parameters before ``PAGE`` in ``sql`` (-1: no page subquery)


def compile_once(alias: str, queryset: QuerySet) -> Statement:
    """``queryset`` (built with the sentinels) compiled for ``alias``."""
    connection = connections[alias]
    compiler = queryset.query.get_compiler(alias)
    sql, params = compiler.as_sql()
    deadline = connection.ops.adapt_datetimefield_value(DEADLINE)
    slots = {
        "deadline": tuple(n for n, value in enumerate(params) if value == deadline),
        "user_id": tuple(n for n, value in enumerate(params) if value == USER_ID),
    }
    fields = [column[0] for column in compiler.select[: compiler.col_count]]
    splice_at = sql[: sql.index(PAGE)].count("%s") if PAGE in sql else -1
    return Statement(sql, tuple(params), slots, compiler.get_converters(fields), splice_at)


@lru_cache(maxsize=STATEMENT_MEMO_SIZE)
def statement(alias: str, build: Callable[..., QuerySet], *args: object) -> Statement:
    """``build(*args)`` compiled for ``alias``, once. ``build`` is a module-level function whose
    queryset depends on ``args`` and the sentinels alone (the memo key says everything the SQL
    depends on)."""
    return compile_once(alias, build(*args))


def run(
    alias: str,
    compiled: Statement,
    *,
    deadline: datetime | None = None,
    user_id: int | None = None,
    page: tuple[str, Sequence] | None = None,
) -> list[tuple]:
    """The rows of ``compiled`` with the request's values in the sentinels' places and
    ``page`` = (SQL, parameters) of the page-ids subquery."""
    connection = connections[alias]
    sql, params = bind(alias, compiled, deadline=deadline, user_id=user_id, page=page)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not compiled.converters:
        return rows
    converted = []
    for row in rows:
        cells = list(row)
        for position, (functions, expression) in compiled.converters.items():
            for function in functions:
                cells[position] = function(cells[position], expression, connection)
        converted.append(tuple(cells))
    return converted


def bind(
    alias: str,
    compiled: Statement,
    *,
    deadline: datetime | None = None,
    user_id: int | None = None,
    page: tuple[str, Sequence] | None = None,
) -> tuple[str, list]:
    """The SQL and parameters ``run`` executes (also what an EXPLAIN of it needs)."""
    connection = connections[alias]
    params = list(compiled.params)
    values = {
        "deadline": connection.ops.adapt_datetimefield_value(deadline),
        "user_id": user_id,
    }
    for name, positions in compiled.slots.items():
        for position in positions:
            params[position] = values[name]
    sql = compiled.sql
    if compiled.splice_at >= 0:
        page_sql, page_params = page  # type: ignore[misc]
        sql = sql.replace(PAGE, page_sql)
        params[compiled.splice_at : compiled.splice_at] = page_params
    return sql, params


def clear() -> None:
    """Forget the compiled statements (tests that change the schema's SQL, e.g. the database)."""
    statement.cache_clear()
