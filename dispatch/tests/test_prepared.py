"""A prepared query answers as its queryset does, for any values, lists included."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dispatch.api.testing import make_user
from dispatch.prepared import Many, PreparedQuery
from users.models import User

pytestmark = pytest.mark.django_db

MARK = -(2**62) + 99


def _users_by_ids(ids):
    return (
        User.objects.filter(pk__in=ids, is_active=True)
        .order_by("pk")
        .values_list("pk", "email", "date_joined", "is_staff")
    )


def test_the_same_rows_as_the_orm_for_any_list_and_one_compilation():
    users = [make_user() for _ in range(4)]
    users[1].is_active = False
    users[1].save()
    prepared = PreparedQuery(_users_by_ids, Many(MARK))
    for ids in ([users[0].pk], [u.pk for u in users], [users[3].pk, users[2].pk, 10**12]):
        assert prepared.rows(ids) == list(_users_by_ids(ids))
    rows = prepared.rows([users[0].pk])
    assert rows[0][2].utcoffset() is not None and rows[0][3] is False  # converted as the ORM does
    assert list(prepared._compiled) == [connection.alias]  # compiled once for every list
    assert prepared.sql(connection.alias).count("%s") == 1


def test_an_empty_list_matches_nothing_without_a_query():
    prepared = PreparedQuery(_users_by_ids, Many(MARK))
    prepared.sql(connection.alias)
    with CaptureQueriesContext(connection) as queries:
        assert prepared.rows([]) == []
    assert len(queries) == 0


def test_a_single_value_and_hostile_text_are_parameters():
    user = make_user(first_name="'; DROP TABLE users_user; --")
    prepared = PreparedQuery(
        lambda name: User.objects.filter(first_name=name).values_list("pk"), "\x00marker"
    )
    assert prepared.first("'; DROP TABLE users_user; --") == (user.pk,)
    assert prepared.first("nobody") is None
    assert User.objects.filter(pk=user.pk).exists()


def test_a_marker_the_query_does_not_carry_is_refused():
    prepared = PreparedQuery(lambda pk: User.objects.filter(pk__gt=0).values_list("pk"), MARK)
    with pytest.raises(ValueError, match="each marker"):
        prepared.rows(1)


def test_limit_and_offset_page_as_an_orm_slice():
    users = [make_user() for _ in range(5)]
    prepared = PreparedQuery(lambda: User.objects.order_by("-pk").values_list("pk"))
    ordered = list(User.objects.order_by("-pk").values_list("pk"))
    assert prepared.rows(limit=2, offset=1) == ordered[1:3]
    assert prepared.rows(limit=10, offset=4) == ordered[4:]
    assert len(ordered) == len(users)
