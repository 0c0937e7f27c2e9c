"""Statements read fast (dispatch/statements): a compiled query answers as its queryset does, for
any values, lists and spliced fragments included; a statement prepared once per PostgreSQL
connection is planned for its first runs only, gives the rows of the statement run as is, is
prepared again on a new connection and kept after a rolled-back transaction; other databases
run the statement as is."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.test.utils import CaptureQueriesContext

from dispatch.api.testing import make_user
from dispatch.statements import NO_ID, CompiledQuery, Many, Splice, fetch_all, statement_name
from incidents.defaults import load_defaults
from incidents.models import Incident
from incidents.tests.factories import make_request
from users.models import User

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's"
)
SQL = "SELECT subject FROM incidents_incident WHERE id = %s"
NAME = "\x00marker"


def prepared_plans(sql: str) -> tuple[int, int] | None:
    """(generic plans, custom plans) of ``sql`` prepared on this connection, None if it is not."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE name = %s",
            [statement_name(sql)],
        )
        row = cursor.fetchone()
    return None if row is None else tuple(row)


def _users_by_ids(ids):
    return (
        User.objects.filter(pk__in=ids, is_active=True)
        .order_by("pk")
        .values_list("pk", "email", "date_joined", "is_staff")
    )


@pytest.mark.django_db
def test_the_same_rows_as_the_orm_for_any_list_and_one_compilation():
    users = [make_user() for _ in range(4)]
    users[1].is_active = False
    users[1].save()
    query = CompiledQuery(_users_by_ids, Many(NO_ID))
    for ids in ([users[0].pk], [u.pk for u in users], [users[3].pk, users[2].pk, 10**12]):
        assert query.rows(ids) == list(_users_by_ids(ids))
    rows = query.rows([users[0].pk])
    assert rows[0][2].utcoffset() is not None and rows[0][3] is False  # converted as the ORM does
    assert list(query._compiled) == [connection.alias]  # compiled once for every list
    assert query.sql(connection.alias).count("%s") == 1


@pytest.mark.django_db
def test_an_empty_list_matches_nothing_without_a_query():
    query = CompiledQuery(_users_by_ids, Many(NO_ID))
    query.sql(connection.alias)
    with CaptureQueriesContext(connection) as queries:
        assert query.rows([]) == []
    assert len(queries) == 0


@pytest.mark.django_db
def test_a_single_value_and_hostile_text_are_parameters():
    user = make_user(first_name="'; DROP TABLE users_user; --")
    query = CompiledQuery(lambda name: User.objects.filter(first_name=name).values_list("pk"), NAME)
    assert query.first("'; DROP TABLE users_user; --") == (user.pk,)
    assert query.first("nobody") is None
    assert User.objects.filter(pk=user.pk).exists()


@pytest.mark.django_db
def test_a_marker_in_two_places_takes_its_value_in_both():
    named = make_user(first_name="Ольга", last_name="Иванова")
    surnamed = make_user(first_name="Анна", last_name="Ольга")
    make_user(first_name="Анна", last_name="Петрова")
    query = CompiledQuery(
        lambda name: (
            User.objects.filter(Q(first_name=name) | Q(last_name=name))
            .order_by("pk")
            .values_list("pk")
        ),
        NAME,
    )
    assert query.rows("Ольга") == [(named.pk,), (surnamed.pk,)]


@pytest.mark.django_db
def test_a_spliced_fragment_brings_its_parameters_between_the_others():
    """A list widened before the fragment, a value after it: every parameter in its place."""
    users = [make_user(first_name=f"Имя {n}", is_staff=n % 2 == 0) for n in range(6)]

    def build(ids, page, name):
        return (
            User.objects.filter(pk__in=ids)
            .filter(pk__in=RawSQL(page, ()))
            .exclude(first_name=name)
            .order_by("pk")
            .values_list("pk", "first_name")
        )

    query = CompiledQuery(build, Many(NO_ID), Splice("SELECT NULL /* page */"), NAME)
    ids = [user.pk for user in users[:5]]
    page = User.objects.filter(is_staff=True, first_name__startswith="Имя").values("pk")
    sql, params = page.query.get_compiler(connection.alias).as_sql()
    expected = list(
        User.objects.filter(pk__in=ids)
        .filter(pk__in=page)
        .exclude(first_name="Имя 2")
        .order_by("pk")
        .values_list("pk", "first_name")
    )
    assert query.rows(ids, (sql, params), "Имя 2") == expected
    assert expected == [(users[0].pk, "Имя 0"), (users[4].pk, "Имя 4")]


@pytest.mark.django_db
def test_a_marker_the_query_does_not_carry_is_refused():
    query = CompiledQuery(lambda pk: User.objects.filter(pk__gt=0).values_list("pk"), NO_ID)
    with pytest.raises(ValueError, match="each marker"):
        query.rows(1)
    spliced = CompiledQuery(lambda page: User.objects.values_list("pk"), Splice("SELECT 1"))
    with pytest.raises(ValueError, match="each marker"):
        spliced.rows(("SELECT 1", []))


@pytest.mark.django_db
def test_limit_and_offset_page_as_an_orm_slice():
    users = [make_user() for _ in range(5)]
    query = CompiledQuery(lambda: User.objects.order_by("-pk").values_list("pk"))
    ordered = list(User.objects.order_by("-pk").values_list("pk"))
    assert query.rows(limit=2, offset=1) == ordered[1:3]
    assert query.rows(limit=10, offset=4) == ordered[4:]
    assert len(ordered) == len(users)


@pytest.fixture
def defaults(db) -> None:
    load_defaults()


@pytest.mark.django_db
def test_a_prepared_statement_returns_its_rows_for_each_value(defaults):
    first = make_request(subject="Первая")
    second = make_request(subject="Вторая", message_id="<second@x>")
    assert fetch_all(SQL, [first.pk], prepare=True) == [("Первая",)]
    assert fetch_all(SQL, [second.pk], prepare=True) == [("Вторая",)]
    assert fetch_all(SQL, [0], prepare=True) == []


def _subjects(ids):
    return (
        Incident.objects.filter(pk__in=ids)
        .order_by("pk")
        .values_list("pk", "subject", "incident_date")
    )


@pytest.mark.django_db
def test_a_compiled_query_run_prepared_gives_the_orms_rows(defaults):
    made = [make_request(subject=f"Тема {n}", message_id=f"<p{n}@x>") for n in range(3)]
    query = CompiledQuery(_subjects, Many(NO_ID), prepare=True)
    ids = [incident.pk for incident in made[1:]]
    with CaptureQueriesContext(connection) as queries:
        rows = query.rows(ids)
    assert rows == list(_subjects(ids)) and len(rows) == 2
    assert rows[0][2].utcoffset() is not None  # converted as the ORM does
    (executed,) = (query["sql"] for query in queries)
    assert executed.startswith("EXECUTE ") == (connection.vendor == "postgresql")


@postgres_only
def test_prepared_again_on_a_new_connection_and_kept_after_a_rollback(transactional_db):
    load_defaults()
    incident = make_request(subject="Опора")
    with transaction.atomic():
        assert fetch_all(SQL, [incident.pk], prepare=True) == [("Опора",)]  # in this transaction
        transaction.set_rollback(True)
    assert prepared_plans(SQL) is not None
    assert fetch_all(SQL, [incident.pk], prepare=True) == [("Опора",)]
    connection.close()
    assert fetch_all(SQL, [incident.pk], prepare=True) == [("Опора",)]  # a new session: again
    assert prepared_plans(SQL) == (0, 1)
