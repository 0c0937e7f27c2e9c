"""No index the intake writes is one that no query needs (issue #23: every index entry costs
the server CPU at each stored e-mail and each new incident).

Redundant: a plain index whose columns begin another plain index's (that one answers the same
lookups), and on PostgreSQL Django's ``varchar_pattern_ops`` copies (``LIKE 'prefix%'`` only).
Unique and partial indexes are constraints or cover other rows, never redundant by this rule.
"""

from __future__ import annotations

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db

# The tables ingestion writes for each message and each incident it opens.
INTAKE_TABLES = [
    "emails_emailmessage",
    "emails_emailraw",
    "emails_emaillocation",
    "emails_emailreference",
    "emails_emailrecipient",
    "emails_emailattachment",
    "incidents_incident",
    "incidents_incidentstatushistory",
]


def _indexes(table: str) -> dict[str, tuple[tuple[str, ...], bool]]:
    """Indexes on columns (no expression), not partial: name → (columns in order, unique)."""
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, table)
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT c.relname FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid "
                "WHERE x.indrelid = %s::regclass "
                "AND (x.indpred IS NOT NULL OR x.indexprs IS NOT NULL)",
                [table],
            )
            skipped = {name for (name,) in cursor.fetchall()}
        else:
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s",
                [table],
            )
            skipped = {name for name, sql in cursor.fetchall() if " WHERE " in (sql or "").upper()}
    return {
        name: (tuple(info["columns"]), info["unique"])
        for name, info in found.items()
        if (info["index"] or info["unique"])
        and name not in skipped
        and info["columns"]
        and all(info["columns"])
    }


@pytest.mark.parametrize("table", INTAKE_TABLES)
def test_no_index_of_the_intake_is_covered_by_another(table):
    indexes = _indexes(table)
    covered = {
        name: other
        for name, (columns, unique) in indexes.items()
        for other, (other_columns, _) in indexes.items()
        if not unique and other != name and other_columns[: len(columns)] == columns
    }
    assert covered == {}, covered


@pytest.mark.skipif(connection.vendor != "postgresql", reason="Django adds them on PostgreSQL")
def test_no_pattern_ops_copies_on_the_intake_tables():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = ANY(%s) "
            "AND indexdef LIKE '%%pattern_ops%%'",
            [INTAKE_TABLES],
        )
        assert cursor.fetchall() == []
