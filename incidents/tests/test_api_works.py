"""Work categories through the API: listed, set (start, end, РВР priority) and removed, errors
in the one error shape; РВР priorities as reference data."""

import pytest
from django.urls import reverse

from dispatch.api.testing import client_for, make_incident, make_user
from incidents.defaults import load_defaults
from incidents.models import IncidentChange, IncidentWork, RvrPriority
from users.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _defaults():
    load_defaults()


def work_url(incident, category: str) -> str:
    return f"{reverse('api:incident-works', args=[incident.pk])}{category}/"


def test_set_list_and_remove_rvr_with_priority():
    urgent = RvrPriority.objects.create(name="Срочный", sla_minutes=120)
    incident = make_incident()
    client = client_for(make_user(Role.DISPATCH))
    body = {"started_at": "2026-11-02T10:00:00+03:00", "priority": urgent.pk}
    response = client.put(work_url(incident, "rvr"), body, format="json")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["category"] == "rvr" and data["priority"]["name"] == "Срочный"
    assert data["deadline"] == "2026-11-02T12:00:00+03:00" and data["state"] == "expired"
    listed = client_for(make_user(Role.USER)).get(reverse("api:incident-works", args=[incident.pk]))
    assert [w["category"] for w in listed.json()["results"]] == ["rvr"]
    assert IncidentChange.objects.get(incident=incident, field="work_rvr").actor == "api"
    priorities = client.get(reverse("api:rvr-priority-list")).json()["results"]
    assert [p["name"] for p in priorities] == ["Срочный"]
    assert client.delete(work_url(incident, "rvr")).status_code == 204
    assert client.delete(work_url(incident, "rvr")).status_code == 404
    assert not IncidentWork.objects.exists()


@pytest.mark.parametrize(
    ("category", "body", "status"),
    [
        ("rvr", {}, 400),
        ("rvr", {"started_at": "yesterday"}, 400),
        ("avr", {"started_at": "2026-11-02T10:00:00Z", "ended_at": "2026-11-01T10:00:00Z"}, 409),
        ("avr", {"started_at": "2026-11-02T10:00:00Z", "priority": 999999}, 409),
        ("dgu", {"started_at": "6001-12-25T23:17:56Z"}, 409),
        ("xyz", {"started_at": "2026-11-02T10:00:00Z"}, 404),
    ],
)
def test_invalid_work_is_refused(category, body, status):
    incident = make_incident()
    response = client_for(make_user()).put(work_url(incident, category), body, format="json")
    assert response.status_code == status, response.content
    assert not IncidentWork.objects.exists()


def test_reader_cannot_set_work():
    incident = make_incident()
    response = client_for(make_user(Role.USER)).put(
        work_url(incident, "avr"), {"started_at": "2026-11-02T10:00:00Z"}, format="json"
    )
    assert response.status_code == 403
