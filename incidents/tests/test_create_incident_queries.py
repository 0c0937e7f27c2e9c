"""Opening an incident takes a fixed, small number of queries (mail ingestion opens thousands)."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents.defaults import load_defaults
from incidents.models import Incident, IncidentStatus, StatusKey
from incidents.selectors import get_status_id
from incidents.services import NewIncident, create_incident, create_incidents
from users.models import Role, User

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _setup(settings):
    load_defaults()
    settings.YT_ENABLED = False
    settings.INCIDENT_CODE_PREFIX = "DSP"


def open_one() -> Incident:
    return create_incident(incident_date=timezone.now(), subject="Авария", requester_email="a@b.ru")


def assert_opened_correctly(incident: Incident) -> None:
    stored = Incident.objects.get(pk=incident.pk)
    assert stored.code == incident.code == f"DSP-{incident.pk}"
    assert stored.status.key == StatusKey.NEW
    assert [h.status.key for h in stored.status_history.all()] == [StatusKey.NEW]


def test_opening_an_incident_inside_a_batch_takes_at_most_four_queries_without_dispatchers(
    django_assert_max_num_queries,
):
    open_one()  # reads the «Новый» status id once
    with transaction.atomic(), django_assert_max_num_queries(4):
        # PostgreSQL: lock, dispatchers, insert (code included), history row;
        # SQLite: dispatchers, insert, code update, history row.
        incident = open_one()
    assert incident.assignee is None
    assert_opened_correctly(incident)


def test_opening_an_assigned_incident_inside_a_batch_takes_at_most_six_queries(
    django_assert_max_num_queries,
):
    ivanov = User.objects.create_user(email="ivanov@example.ru", username="iv", role=Role.DISPATCH)
    open_one()
    with transaction.atomic(), django_assert_max_num_queries(6):
        # + the dispatchers' shifts and the dispatcher's last assignment time
        incident = open_one()
    assert incident.assignee == ivanov
    assert Incident.objects.get(pk=incident.pk).assignee == ivanov
    assert_opened_correctly(incident)


def test_no_savepoint_is_taken_inside_the_callers_transaction():
    open_one()
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        open_one()
    assert not [q for q in queries if "SAVEPOINT" in q["sql"].upper()]


def test_consecutive_incidents_get_codes_from_their_own_ids():
    incidents = [open_one() for _ in range(3)]
    for incident in incidents:
        assert_opened_correctly(incident)
    assert len({incident.code for incident in incidents}) == 3


def test_the_cached_status_id_follows_statuses_recreated_in_the_database():
    first = get_status_id(StatusKey.NEW)
    IncidentStatus.objects.filter(key=StatusKey.NEW).delete()  # queryset delete sends post_delete
    load_defaults()
    assert get_status_id(StatusKey.NEW) == IncidentStatus.objects.get(key=StatusKey.NEW).pk != first
    assert_opened_correctly(open_one())


def open_batch(count: int) -> list[Incident]:
    return create_incidents(
        [
            NewIncident(
                incident_date=timezone.now(), subject=f"Авария {n}", requester_email="a@b.ru"
            )
            for n in range(count)
        ]
    )


@pytest.mark.parametrize("dispatchers", [0, 3])
def test_opening_a_batch_takes_the_same_queries_whatever_its_size(dispatchers):
    for n in range(dispatchers):
        User.objects.create_user(email=f"d{n}@example.ru", username=f"d{n}", role=Role.DISPATCH)
    open_one()  # reads the «Новый» status id once
    counts = []
    for size in (2, 40):
        with transaction.atomic(), CaptureQueriesContext(connection) as queries:
            incidents = open_batch(size)
        counts.append(len(queries))
        for incident in incidents:
            assert_opened_correctly(incident)
    # lock, dispatchers (+ shifts), ids / code update, insert, history (+ last assignment)
    assert counts[0] == counts[1] <= 7
    codes = list(Incident.objects.values_list("code", flat=True))
    assert len(set(codes)) == len(codes) == 43
