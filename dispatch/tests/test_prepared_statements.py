"""Fixed statements prepared once per PostgreSQL connection (dispatch/prepared_statements.py):
planned for their first runs only, the same rows as the statement run as is, prepared again on a
new connection, kept after a rolled-back transaction; other databases run the statement as is."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from dispatch.prepared_statements import fetch_all, statement_name
from incidents.defaults import load_defaults
from incidents.tests.factories import make_request

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's"
)
SQL = "SELECT subject FROM incidents_incident WHERE id = %s"


@pytest.fixture
def defaults(db) -> None:
    load_defaults()


def prepared_plans(sql: str) -> tuple[int, int] | None:
    """(generic plans, custom plans) of ``sql`` prepared on this connection, None if it is not."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE name = %s",
            [statement_name(sql)],
        )
        row = cursor.fetchone()
    return None if row is None else tuple(row)


@pytest.mark.django_db
def test_a_statement_returns_its_rows_for_each_value(defaults):
    first = make_request(subject="Первая")
    second = make_request(subject="Вторая", message_id="<second@x>")
    assert fetch_all(SQL, [first.pk]) == [("Первая",)]
    assert fetch_all(SQL, [second.pk]) == [("Вторая",)]
    assert fetch_all(SQL, [0]) == []


@postgres_only
def test_prepared_again_on_a_new_connection_and_kept_after_a_rollback(transactional_db):
    load_defaults()
    incident = make_request(subject="Опора")
    with transaction.atomic():
        assert fetch_all(SQL, [incident.pk]) == [("Опора",)]  # prepared in this transaction
        transaction.set_rollback(True)
    assert prepared_plans(SQL) is not None
    assert fetch_all(SQL, [incident.pk]) == [("Опора",)]
    connection.close()
    assert fetch_all(SQL, [incident.pk]) == [("Опора",)]  # a new session: prepared again
    assert prepared_plans(SQL) == (0, 1)
