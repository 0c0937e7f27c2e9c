"""The incident page's incident, read by one fixed statement built from the models' meta.

The page reads the incident with its status, type, subtype, dispatcher, pole, contractor and base
station (what ``select_related`` over those would read) and, for the page, ``has_<list>`` flags
(``PRESENCE``) telling which of its often empty lists have rows. Compiling that queryset cost
2.5 ms of CPU a request and planning it 4.5 ms of PostgreSQL CPU (2026-12-04, PostgreSQL 15): the
statement here is built once a process and prepared once a connection
(``dispatch.statements.fetch_all``).
The instances are made as the ORM makes them (``Model.from_db`` after the database's and the
fields' converters), each related object cached on its parent.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import BooleanField, ForeignKey, Model
from django.db.models.expressions import RawSQL
from django.db.models.query import prefetch_related_objects
from django.http import Http404

from dispatch.statements import Converters, converted, fetch_all
from emails.models import EmailAttachment, EmailMessage, EmailRecipient
from emails.outbox.models import OutboundEmail
from incidents.models import (
    Incident,
    IncidentChange,
    IncidentComment,
    IncidentLink,
    IncidentStatusHistory,
    IncidentWork,
)
from ts.models import ContractorEmail, ContractorPhone, Pole

# What the page shows of the incident's references, as ``select_related`` paths.
RELATED = ("status", "incident_type", "subtype", "assignee", "pole", "pole__contractor",
           "base_station")  # fmt: skip

# The incident page's lists that are often empty → the rows that make one not empty, as SQL
# over the incident's id («{id}»). Most incidents have no links, works, comments or outbox rows,
# and most e-mails no attachments: one EXISTS each in the incident's query spares a query each.
PRESENCE = {
    "links": (IncidentLink, "incident_id = {id}"),
    "works": (IncidentWork, "incident_id = {id}"),
    "comments": (IncidentComment, "incident_id = {id}"),
    "changes": (IncidentChange, "incident_id = {id}"),
    "history": (IncidentStatusHistory, "incident_id = {id}"),
    "outbox": (OutboundEmail, "incident_id = {id}"),
    "recipients": (EmailRecipient, "email_id IN (SELECT id FROM {emails} WHERE {of_incident})"),
    "attachments": (EmailAttachment, "email_id IN (SELECT id FROM {emails} WHERE {of_incident})"),
    "contractor_emails": (
        ContractorEmail,
        "contractor_id = (SELECT contractor_id FROM {poles} WHERE id = {pole})",
    ),
    "contractor_phones": (
        ContractorPhone,
        "contractor_id = (SELECT contractor_id FROM {poles} WHERE id = {pole})",
    ),
}


def incident(pk: int, *, presence: bool, using: str = DEFAULT_DB_ALIAS) -> Incident:
    """The incident ``pk`` with its references (404 if unknown); with ``presence`` also its
    ``has_<list>`` flags."""
    statement = _statement(using, presence)
    rows = fetch_all(statement.sql, [pk], using=using, prepare=True)
    if not rows:
        raise Http404("No incident matches the given query.")
    found = statement.instance(rows[0], connections[using])
    if found.base_station is not None:
        prefetch_related_objects([found], "base_station__operators")
    return found


@dataclass(frozen=True)
class _Table:
    """One model's columns in the statement: where they are and how their values are read."""

    path: str  # "" for the incident, else its select_related path
    model: type[Model]
    alias: str
    start: int
    attnames: tuple[str, ...]
    pk: int  # the primary key's place among ``attnames``
    parent: str = ""  # the path of the instance this one is cached on, through ``field``
    field: ForeignKey | None = None

    @property
    def stop(self) -> int:
        return self.start + len(self.attnames)


@dataclass(frozen=True)
class _Statement:
    sql: str
    tables: tuple[_Table, ...]
    flags: tuple[tuple[int, str], ...]  # (column, attribute)
    converters: Converters

    def instance(self, row: tuple, connection) -> Incident:
        (values,) = converted([row], self.converters, connection)
        made: dict[str, Model | None] = {}
        for table in self.tables:
            parent = made.get(table.parent)
            if table.field is not None and parent is None:  # a reference of a missing one
                made[table.path] = None
                continue
            chunk = values[table.start : table.stop]
            obj = None if chunk[table.pk] is None else table.model.from_db(
                connection.alias, table.attnames, chunk
            )  # fmt: skip
            if table.field is not None:
                table.field.set_cached_value(parent, obj)
            made[table.path] = obj
        found = made[""]
        for column, attribute in self.flags:
            setattr(found, attribute, values[column])
        return found


def presence_sql(connection) -> dict[str, str]:
    """``EXISTS`` SQL of each ``PRESENCE`` list over the incident's row: table and column names
    only (no value)."""
    quote = connection.ops.quote_name
    incidents = quote(Incident._meta.db_table)
    names = {
        "id": f"{incidents}.{quote('id')}",
        "pole": f"{incidents}.{quote('pole_id')}",
        "emails": quote(EmailMessage._meta.db_table),
        "of_incident": f"incident_id = {incidents}.{quote('id')}",
        "poles": quote(Pole._meta.db_table),
    }
    return {
        name: f"EXISTS (SELECT 1 FROM {quote(model._meta.db_table)} "  # noqa: S608
        f"WHERE {where.format(**names)})"
        for name, (model, where) in PRESENCE.items()
    }


@functools.cache
def _statement(using: str, presence: bool) -> _Statement:
    """``SELECT`` the incident's columns, its references' (joined as ``select_related`` joins
    them: inner along non-null keys, else left outer) and the flags ``WHERE`` its id is ``%s``."""
    connection = connections[using]
    quote = connection.ops.quote_name
    columns: list[str] = []
    converters: list[tuple[int, tuple, object]] = []

    def select(expression, sql: str) -> None:
        found = tuple(
            connection.ops.get_db_converters(expression) + expression.get_db_converters(connection)
        )
        if found:
            converters.append((len(columns), found, expression))
        columns.append(sql)

    def add_table(path: str, model: type[Model], alias: str, **parent) -> _Table:
        fields = model._meta.concrete_fields
        attnames = tuple(field.attname for field in fields)
        pk = fields.index(model._meta.pk)
        table = _Table(path, model, alias, len(columns), attnames, pk, **parent)
        for field in fields:
            select(field.get_col(alias), f"{quote(alias)}.{quote(field.column)}")
        return table

    incidents = Incident._meta.db_table
    tables = {"": add_table("", Incident, incidents)}
    joins, outer = [], {""}
    for n, path in enumerate(RELATED, 1):
        parent_path, _, name = path.rpartition("__")
        parent = tables[parent_path]
        field = parent.model._meta.get_field(name)
        related = field.related_model
        tables[path] = add_table(path, related, f"r{n}", parent=parent_path, field=field)
        kind = "LEFT OUTER" if field.null or parent_path in outer else "INNER"
        if kind == "LEFT OUTER":
            outer.add(path)
        joins.append(
            f"{kind} JOIN {quote(related._meta.db_table)} {quote(f'r{n}')} ON "
            f"({quote(parent.alias)}.{quote(field.column)} = "
            f"{quote(f'r{n}')}.{quote(field.target_field.column)})"
        )
    flags = []
    if presence:
        for name, sql in presence_sql(connection).items():
            flags.append((len(columns), f"has_{name}"))
            select(RawSQL(sql, (), output_field=BooleanField()), sql)  # noqa: S611
    sql = (
        f"SELECT {', '.join(columns)} FROM {quote(incidents)} {' '.join(joins)} "  # noqa: S608
        f"WHERE {quote(incidents)}.{quote(Incident._meta.pk.column)} = %s"
    )
    return _Statement(sql, tuple(tables.values()), tuple(flags), tuple(converters))
