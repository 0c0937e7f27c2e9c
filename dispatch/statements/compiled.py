"""ORM read queries compiled once per database, then only run with other values.

Compiling a queryset to SQL costs 0.3–1.4 ms of CPU each time (PostgreSQL, 2026-12-04), more
than running a small statement. A ``CompiledQuery`` asks the ORM once per database for the SQL
of its queryset, built with markers in place of the values (and of the SQL fragments) a run
changes, remembers where the markers went, and afterwards runs that SQL with the real values,
converting the columns as the ORM would (``compiler.get_converters``: SQLite's datetimes,
booleans and the like). The queryset stays the one definition of what is read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connections, router
from django.db.models import Model, QuerySet

from dispatch.statements.execute import Converters, converted, run

NO_ID = -(2**62) + 4127  # an id no row has: a marker for one


class Many:
    """A marker standing for a list of values (``pk__in=[marker]``): the one placeholder it
    compiles to is repeated for each value given at run time."""

    def __init__(self, marker: Any) -> None:
        self.marker = marker


class Splice:
    """A marker standing for an SQL fragment with its own parameters (a subquery choosing the
    ids of a page): ``build`` is given ``text`` to put in the queryset as ``RawSQL(text, ())``,
    a run takes ``(sql, params)`` for it."""

    def __init__(self, text: str) -> None:
        self.text = text


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple
    slots: tuple[tuple[int, int], ...]  # (place among the parameters, marker), value markers
    lists: tuple[tuple[int, int], ...]  # (place, marker) of the ``Many`` markers
    splices: tuple[tuple[int, int], ...]  # (parameters before it, marker) of the ``Splice``s
    converters: Converters
    pieces: tuple[str, ...]  # ``sql`` split at its placeholders (where lists widen)


class CompiledQuery:
    """``build(*markers)`` is a ``values_list`` queryset; ``rows(*values)`` runs it for values.

    Each marker must reach the compiled parameters unchanged (a string marker for a text
    column, an unusual integer such as ``NO_ID`` for an integer column; every place it
    reaches takes its value); ``Many(marker)`` is passed to ``build`` as ``[marker]`` and takes
    a sequence of values; ``Splice(text)`` is passed as ``text`` and takes ``(sql, params)``.
    Values go to the database as given: pass them as the column's Python type (a ``datetime``
    is adapted as the ORM adapts it for the database: SQLite stores text). With ``prepare``
    the statement is prepared on a PostgreSQL connection (``execute.fetch_all``).
    """

    def __init__(self, build: Callable[..., QuerySet], *markers: Any, prepare: bool = False):
        self.build = build
        self.markers = markers
        self.prepare = prepare
        self._model: type[Model] | None = None
        self._compiled: dict[str, _Compiled] = {}

    def rows(
        self, *values: Any, using: str | None = None, limit: int | None = None, offset: int = 0
    ) -> list[tuple]:
        """The rows for ``values`` (in the markers' order), converted as the ORM converts them.
        An empty list for a ``Many`` marker matches nothing (no query). ``limit`` and
        ``offset`` are parameters (the ORM writes a slice's bounds into the SQL text)."""
        if using is None:
            if self._model is None:
                self._model = self._built().model
            using = router.db_for_read(self._model)
        connection = connections[using]
        compiled = self._compile(using)
        bound = self._bind(compiled, values, connection, limit, offset)
        if bound is None:
            return []
        return converted(
            run(connection, *bound, prepare=self.prepare), compiled.converters, connection
        )

    def first(self, *values: Any) -> tuple | None:
        rows = self.rows(*values)
        return rows[0] if rows else None

    def bind(self, *values: Any, using: str) -> tuple[str, list] | None:
        """The SQL and parameters ``rows`` runs for ``values`` (what an EXPLAIN of it needs);
        None where it runs nothing."""
        return self._bind(self._compile(using), values, connections[using], None, 0)

    def sql(self, using: str = "default") -> str:
        """The compiled statement (one placeholder for each ``Many`` list)."""
        return self._compile(using).sql

    def _built(self) -> QuerySet:
        return self.build(*(
            [marker.marker] if isinstance(marker, Many)
            else marker.text if isinstance(marker, Splice)
            else marker
            for marker in self.markers
        ))  # fmt: skip

    def _compile(self, alias: str) -> _Compiled:
        compiled = self._compiled.get(alias)
        if compiled is None:
            compiled = self._compiled[alias] = self._compiled_for(alias)
        return compiled

    def _compiled_for(self, alias: str) -> _Compiled:
        connection = connections[alias]
        compiler = self._built().query.get_compiler(alias)
        sql, params = compiler.as_sql()
        if "%%" in sql or sql.count("%s") != len(params):
            raise ValueError(f"cannot place the parameters of {sql}")
        values = {
            n: _adapted(marker.marker if isinstance(marker, Many) else marker, connection)
            for n, marker in enumerate(self.markers)
            if not isinstance(marker, Splice)
        }
        slots, lists, splices = [], [], []
        for place, value in enumerate(params):
            found = [
                n for n, marker in values.items() if type(marker) is type(value) and marker == value
            ]
            if len(found) > 1:
                raise ValueError(f"markers must differ: {found}")
            if found:
                (lists if isinstance(self.markers[found[0]], Many) else slots).append(
                    (place, found[0])
                )
        for n, marker in enumerate(self.markers):
            if isinstance(marker, Splice) and sql.count(marker.text) == 1:
                splices.append((sql[: sql.index(marker.text)].count("%s"), n))
        carried = {n for _place, n in (*slots, *lists, *splices)}
        if carried != set(range(len(self.markers))):
            raise ValueError(f"each marker must appear in the parameters: {sql}")
        fields = [column for column, _sql, _alias in compiler.select[: compiler.col_count]]
        converters = tuple(
            (column, tuple(functions), expression)
            for column, (functions, expression) in sorted(compiler.get_converters(fields).items())
        )
        return _Compiled(
            sql, tuple(params), tuple(slots), tuple(lists), tuple(sorted(splices)), converters,
            tuple(sql.split("%s")),
        )  # fmt: skip

    def _bind(
        self, compiled: _Compiled, values: tuple, connection, limit: int | None, offset: int
    ) -> tuple[str, list] | None:
        sql, params = compiled.sql, list(compiled.params)
        for place, n in compiled.slots:
            params[place] = _adapted(values[n], connection)
        lists: dict[int, Sequence[Any]] = {}
        if compiled.lists:
            lists = {place: values[n] for place, n in compiled.lists}
            if not all(lists.values()):
                return None
            parts, arguments = [compiled.pieces[0]], []
            for place, (piece, value) in enumerate(zip(compiled.pieces[1:], params, strict=True)):
                many = lists.get(place)
                if many is None:
                    parts.append("%s")
                    arguments.append(value)
                else:
                    parts.append(", ".join(["%s"] * len(many)))
                    arguments.extend(many)
                parts.append(piece)
            sql, params = "".join(parts), arguments
        for before, n in reversed(compiled.splices):
            fragment, fragment_params = values[n]
            widened = sum(len(many) - 1 for place, many in lists.items() if place < before)
            sql = sql.replace(self.markers[n].text, fragment)
            params[before + widened : before + widened] = fragment_params
        if limit is not None:
            sql += " LIMIT %s OFFSET %s"
            params.extend((int(limit), int(offset)))
        return sql, params


def ordered_rows(
    model: type[Model], key: str, order: Sequence[str], columns: Sequence[str]
) -> CompiledQuery:
    """``columns`` of ``model``'s rows whose ``key`` is the one value given, ordered by
    ``order``: e.g. one incident's e-mails as they arrived."""
    return CompiledQuery(
        lambda value: (
            model._default_manager.filter(**{key: value}).order_by(*order).values_list(*columns)
        ),
        NO_ID,
    )


def _adapted(value: Any, connection) -> Any:
    """``value`` as the ORM passes it to ``connection`` (only datetimes differ: SQLite's text)."""
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    return value
