"""PostgreSQL timestamps are decoded by psycopg's compiled loader and read as Django's did."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.db import connection
from django.db.backends.postgresql.psycopg_any import register_tzloader

from dispatch.api.testing import client_for, make_incident, make_user
from incidents.defaults import load_defaults
from incidents.models import Incident

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's loader"),
]

LITERALS = [
    "2026-12-04 01:02:03.456789+03",
    "2026-03-29 02:30:00-05:30",
    "1999-12-31 23:59:59.999999+00",
    "0099-01-01 00:00:00+00",
    "9999-12-31 23:59:59+00",
]


def _read(cursor) -> list[datetime]:
    sql = ", ".join(["%s::timestamptz"] * len(LITERALS))
    cursor.execute(f"SELECT {sql}", LITERALS)
    return list(cursor.fetchone())


def test_cursors_decode_timestamps_with_the_compiled_loader():
    from dispatch.postgresql.base import COMPILED_LOADER, TIMESTAMPTZ_OID

    assert COMPILED_LOADER is not None, "psycopg[binary] is a requirement"
    with connection.cursor() as cursor:
        loader = cursor.cursor.adapters.get_loader(TIMESTAMPTZ_OID, 0)
    assert loader is COMPILED_LOADER


def test_timestamps_read_the_same_instants_and_wall_clock_as_djangos_loader():
    with connection.cursor() as cursor:
        fast = _read(cursor)
    with connection.cursor() as cursor:
        register_tzloader(connection.timezone, cursor.cursor)  # Django's own Python loader
        django_read = _read(cursor)
    assert fast == django_read
    for ours, theirs in zip(fast, django_read, strict=True):
        assert ours.utcoffset() == theirs.utcoffset() == timedelta(0)
        assert ours.isoformat() == theirs.isoformat()
        assert ours.timetuple() == theirs.timetuple()
    assert fast[0] == datetime(2026, 12, 3, 22, 2, 3, 456789, tzinfo=UTC)
    assert fast[1] == datetime(2026, 3, 29, 2, 30, tzinfo=timezone(-timedelta(hours=5, minutes=30)))


def test_a_saved_incident_reads_back_its_moment_through_the_orm_and_the_api():
    moment = datetime(2026, 12, 4, 4, 5, 6, 789012, tzinfo=timezone(timedelta(hours=3)))
    load_defaults()
    incident = make_incident(subject="x")
    Incident.objects.filter(pk=incident.pk).update(incident_date=moment)
    stored = Incident.objects.values_list("incident_date", flat=True).get(pk=incident.pk)
    assert stored == moment
    assert stored.utcoffset() == timedelta(0)
    assert stored.isoformat() == "2026-12-04T01:05:06.789012+00:00"
    detail = client_for(make_user()).get(f"/api/v1/incidents/{incident.pk}/").json()
    assert detail["incident_date"] == "2026-12-04T04:05:06.789012+03:00"
