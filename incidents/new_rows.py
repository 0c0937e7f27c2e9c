"""Writing a batch of new incidents' rows — each incident (its code included) and its one history
row — without model instances (:mod:`dispatch.statements.insert`): two queries on PostgreSQL
however many incidents (up to :data:`PG_INCIDENTS_A_STATEMENT`), three elsewhere."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import connection

from dispatch.statements.copy import draw_ids
from dispatch.statements.insert import execute, insert_rows, insert_statement
from dispatch.statements.update import update_rows
from incidents.models import Incident, IncidentStatusHistory

# The columns of a new incident written (the others take their defaults), of its history row.
INCIDENT_FIELDS = [
    "id", "code", "subject", "description", "requester_email", "source", "incident_date",
    "status", "assignee", "pole", "base_station", "created_at", "updated_at",
]  # fmt: skip
ID, CODE, STATUS, CREATED = 0, 1, 7, 11
HISTORY_FIELDS = ["actor", "user", "incident", "status", "created_at"]
# Incidents in one statement on PostgreSQL (its protocol carries at most 65,535 values).
PG_INCIDENTS_A_STATEMENT = 1000


def insert_incident_rows(
    rows: list[list[Any]], history: list[tuple[str, int | None]], *, builtin_codes: bool
) -> None:
    """Insert ``rows`` (lists of the :data:`INCIDENT_FIELDS`' values, the id None) with each
    one's history row ((actor, user id) given); each row gets its id and, when
    ``builtin_codes``, a row without a code gets ``<INCIDENT_CODE_PREFIX>-<id>``.

    On PostgreSQL the ids are drawn first (``nextval`` once per row, one query), so the INSERT
    writes the codes, and the history rows in the same statement (a ``WITH``). Elsewhere the
    INSERT returns the ids, one UPDATE writes the codes, one INSERT the history rows.
    """
    prefix = f"{settings.INCIDENT_CODE_PREFIX}-"
    if connection.vendor == "postgresql":
        for start in range(0, len(rows), PG_INCIDENTS_A_STATEMENT):
            part = slice(start, start + PG_INCIDENTS_A_STATEMENT)
            _insert_drawing_ids(rows[part], history[part], prefix if builtin_codes else None)
        return
    coded = [row for row in rows if builtin_codes and row[CODE] is None]
    ids = insert_rows(Incident, INCIDENT_FIELDS[1:], [row[1:] for row in rows], returning=True)
    for row, pk in zip(rows, ids, strict=True):
        row[ID] = pk
    for row in coded:
        row[CODE] = f"{prefix}{row[ID]}"
    update_rows(Incident, ["code"], [(row[ID], row[CODE]) for row in coded])
    insert_rows(IncidentStatusHistory, HISTORY_FIELDS, _history_rows(rows, history))


def _insert_drawing_ids(
    rows: list[list[Any]], history: list[tuple[str, int | None]], prefix: str | None
) -> None:
    """PostgreSQL: draw the ids, then insert the incidents and their history rows at once."""
    for row, pk in zip(rows, draw_ids(Incident, len(rows)), strict=True):
        row[ID] = pk
        if prefix is not None and row[CODE] is None:
            row[CODE] = f"{prefix}{pk}"
    incidents = insert_statement(Incident, INCIDENT_FIELDS, rows)
    then = insert_statement(IncidentStatusHistory, HISTORY_FIELDS, _history_rows(rows, history))
    execute(f"WITH new_incidents AS ({incidents[0]}) {then[0]}", [*incidents[1], *then[1]])


def _history_rows(rows: list[list[Any]], history: list[tuple[str, int | None]]) -> list[tuple]:
    """Each new incident's one history row: its status «Новый» at its creation."""
    return [
        (actor, user, row[ID], row[STATUS], row[CREATED])
        for row, (actor, user) in zip(rows, history, strict=True)
    ]
