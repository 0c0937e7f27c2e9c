"""Rows updated without model instances (dispatch/statements/update.py) end as ``bulk_update``
leaves them — related ids, datetimes to the microsecond, NULLs, any text — each row with its
own values, in one statement however many rows, and nothing runs for no rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext

from dispatch.api.testing import make_user
from dispatch.statements.update import update_rows
from incidents.defaults import load_defaults
from incidents.models import Incident
from incidents.tests.factories import make_manual
from ts.tests.factories import make_base_station, make_pole
from users.models import User

pytestmark = pytest.mark.django_db
MOMENT = datetime(2026, 12, 4, 10, 30, 15, 123456, tzinfo=UTC)
ODD = 'It\'s "quoted" \\ 100%s $1 %% ?, Ёлка\n'
FIELDS = ["pole", "base_station", "subject", "sla_deadline", "sla_state", "updated_at"]
BORN = ("code", "incident_date", "created_at")  # differ between incidents made apart


def stored(model, pk: int, *skip: str) -> dict:
    row = model_to_dict(model.objects.get(pk=pk))
    for name in ("id", *skip):
        row.pop(name, None)
    return row


def test_every_column_ends_as_bulk_update_leaves_it():
    load_defaults()
    pole = make_pole("77-0101")
    station = make_base_station("BS-7", pole)
    changes = [
        {"pole": pole, "base_station": station, "subject": ODD, "sla_deadline": MOMENT,
         "sla_state": "expired", "updated_at": MOMENT + timedelta(hours=n)}
        for n in range(3)
    ]  # fmt: skip
    changes[1].update(base_station=None, sla_deadline=None)
    theirs = [make_manual() for _ in changes]
    mine = [make_manual() for _ in changes]
    for incident, change in zip(theirs, changes, strict=True):
        for name, value in change.items():
            setattr(incident, name, value)
    Incident.objects.bulk_update(theirs, FIELDS)
    attnames = [Incident._meta.get_field(name).attname for name in FIELDS]
    rows = [
        (incident.pk, *(getattr(value, "pk", value) for value in change.values()))
        for incident, change in zip(mine, changes, strict=True)
    ]
    with CaptureQueriesContext(connection) as queries:
        update_rows(Incident, attnames, rows)
    assert len(queries) == 1
    for their, my in zip(theirs, mine, strict=True):
        assert stored(Incident, my.pk, *BORN) == stored(Incident, their.pk, *BORN)
    assert Incident.objects.get(pk=mine[2].pk).updated_at == MOMENT + timedelta(hours=2)


def test_a_model_of_another_key_type_and_rows_not_named_are_left_alone():
    users = [make_user() for _ in range(4)]
    User.objects.filter(pk__in=[users[2].pk, users[3].pk]).update(last_assigned_at=MOMENT)
    update_rows(User, ["last_assigned_at"], [(users[0].pk, MOMENT), (users[2].pk, None)])
    assert User.objects.get(pk=users[0].pk).last_assigned_at == MOMENT
    assert User.objects.get(pk=users[2].pk).last_assigned_at is None
    assert User.objects.get(pk=users[1].pk).last_assigned_at is None
    assert User.objects.get(pk=users[3].pk).last_assigned_at == MOMENT


def test_nothing_to_update_runs_nothing():
    with CaptureQueriesContext(connection) as queries:
        update_rows(Incident, ["subject"], [])
    assert len(queries) == 0
