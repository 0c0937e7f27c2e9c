"""Loading base stations or poles (with pole and contractor) by id in one cheap query.

Recognition runs for every incoming message; building the equivalent ORM query
(``select_related``) costs ~300 µs of Python per call, more than the query itself. Here the SQL
is written once per database connection and rows become ordinary model instances through
``Model.from_db`` after the same value converters the ORM applies, with the related objects
cached, so ``station.pole.contractor`` needs no further query.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.db import connections
from django.db.models import Model

from ts.models import BaseStation, Contractor, Pole

_CHUNK = 500


@dataclass(frozen=True)
class _Columns:
    """The concrete columns of one model in a SELECT, with their value converters."""

    model: type[Model]
    alias: str
    attnames: list[str]
    converters: list[tuple[int, list[Callable], Any]]

    @classmethod
    def of(cls, model: type[Model], alias: str, using: str) -> _Columns:
        connection = connections[using]
        fields = model._meta.concrete_fields
        converters = []
        for position, field in enumerate(fields):
            column = field.get_col(alias)
            found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
            if found:
                converters.append((position, found, column))
        return cls(model, alias, [f.attname for f in fields], converters)

    def sql(self, quote: Callable[[str], str]) -> str:
        fields = self.model._meta.concrete_fields
        return ", ".join(f"{quote(self.alias)}.{quote(f.column)}" for f in fields)

    def build(self, values: Sequence[Any], using: str) -> Model | None:
        values = list(values)
        if values[0] is None:  # LEFT JOIN without a match
            return None
        connection = connections[using]
        for position, converters, column in self.converters:
            for converter in converters:
                values[position] = converter(values[position], column, connection)
        return self.model.from_db(using, self.attnames, values)


@dataclass(frozen=True)
class _Loader:
    sql: str
    parts: list[_Columns]

    def load(self, pks: list[int], using: str) -> dict[int, list[Model | None]]:
        """The records of each of ``pks`` that exists (one query per 500 ids)."""
        found: dict[int, list[Model | None]] = {}
        for start in range(0, len(pks), _CHUNK):
            chunk = pks[start : start + _CHUNK]
            with connections[using].cursor() as cursor:
                cursor.execute(self.sql % ", ".join(["%s"] * len(chunk)), chunk)
                rows = cursor.fetchall()
            for row in rows:
                objects, position = [], 0
                for part in self.parts:
                    width = len(part.attnames)
                    objects.append(part.build(row[position : position + width], using))
                    position += width
                found[objects[0].pk] = objects
        return found


@cache
def _loader(kind: str, using: str, vendor: str) -> _Loader:
    """The SQL and column layout for ``kind`` ("pole" or "station"); only model metadata is
    interpolated into the SQL, the id is a parameter."""
    q = connections[using].ops.quote_name
    pole, contractor = _Columns.of(Pole, "p", using), _Columns.of(Contractor, "c", using)
    parts = [pole, contractor]
    source = f"{q(Pole._meta.db_table)} {q('p')}"
    where = f"{q('p')}.{q(Pole._meta.pk.column)} IN (%s)"
    if kind == "station":
        parts.insert(0, _Columns.of(BaseStation, "s", using))
        source = (
            f"{q(BaseStation._meta.db_table)} {q('s')} JOIN {source}"
            f" ON {q('p')}.{q(Pole._meta.pk.column)}"
            f" = {q('s')}.{q(BaseStation._meta.get_field('pole').column)}"
        )
        where = f"{q('s')}.{q(BaseStation._meta.pk.column)} IN (%s)"
    tables = (
        f"{source} LEFT JOIN {q(Contractor._meta.db_table)} {q('c')}"
        f" ON {q('c')}.{q(Contractor._meta.pk.column)}"
        f" = {q('p')}.{q(Pole._meta.get_field('contractor').column)}"
    )
    columns = ", ".join(part.sql(q) for part in parts)
    # ``IN (%s)`` takes the list of id placeholders per call (the only ``%`` in the SQL)
    return _Loader(f"SELECT {columns} FROM {tables} WHERE {where}", parts)  # noqa: S608


def load_poles(pks: list[int], using: str = "default") -> dict[int, Pole]:
    """The poles among ``pks`` that exist, by id, each with its contractor cached."""
    poles = {}
    for pk, (pole, contractor) in (
        _loader("pole", using, connections[using].vendor).load(pks, using).items()
    ):
        Pole.contractor.field.set_cached_value(pole, contractor)
        poles[pk] = pole
    return poles


def load_base_stations(pks: list[int], using: str = "default") -> dict[int, BaseStation]:
    """The base stations among ``pks`` that exist, by id, each with its pole and the pole's
    contractor cached."""
    stations = {}
    loaded = _loader("station", using, connections[using].vendor).load(pks, using)
    for pk, (station, pole, contractor) in loaded.items():
        Pole.contractor.field.set_cached_value(pole, contractor)
        BaseStation.pole.field.set_cached_value(station, pole)
        stations[pk] = station
    return stations


def load_pole(pk: int, using: str = "default") -> Pole | None:
    """The pole with its contractor cached, or None."""
    return load_poles([pk], using).get(pk)


def load_base_station(pk: int, using: str = "default") -> BaseStation | None:
    """The base station with its pole and the pole's contractor cached, or None."""
    return load_base_stations([pk], using).get(pk)
