"""Incident model invariants: history order, finish date, calendar deadline."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from incidents.defaults import load_defaults
from incidents.models import Incident, IncidentStatus, IncidentStatusHistory, IncidentType

pytestmark = pytest.mark.django_db


@pytest.fixture
def statuses():
    load_defaults()
    return {s.key: s for s in IncidentStatus.objects.all()}


def make_incident(status: IncidentStatus, **kwargs) -> Incident:
    return Incident.objects.create(incident_date=timezone.now(), status=status, **kwargs)


def test_history_is_ordered_by_time_then_insertion(statuses):
    incident = make_incident(statuses["new"])
    moment = timezone.now()
    for key in ("new", "in_progress", "error"):
        IncidentStatusHistory.objects.create(
            incident=incident, status=statuses[key], created_at=moment
        )
    IncidentStatusHistory.objects.create(
        incident=incident, status=statuses["closed"], created_at=moment - timedelta(minutes=1)
    )
    keys = [h.status.key for h in incident.status_history.select_related("status")]
    assert keys == ["closed", "new", "in_progress", "error"]


def test_finished_incident_needs_a_finish_date(statuses):
    with pytest.raises(IntegrityError), transaction.atomic():
        make_incident(statuses["closed"], is_finished=True)
    incident = make_incident(statuses["closed"], is_finished=True, finished_at=timezone.now())
    assert incident.pk


def test_code_is_unique_but_optional(statuses):
    make_incident(statuses["new"])
    make_incident(statuses["new"])
    make_incident(statuses["new"], code="DISPATCH-1")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_incident(statuses["new"], code="DISPATCH-1")


def test_calendar_deadline_is_incident_date_plus_type_minutes(statuses):
    kind = IncidentType.objects.create(name="t", sla_minutes=240)
    incident = make_incident(statuses["new"], incident_type=kind)
    assert incident.compute_calendar_deadline() == incident.incident_date + timedelta(hours=4)
    assert make_incident(statuses["new"]).compute_calendar_deadline() is None
