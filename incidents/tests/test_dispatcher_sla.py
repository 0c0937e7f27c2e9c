"""The dispatcher SLA: arrival → the first action of a person (status, edit, comment, link,
work), DISPATCHER_SLA_MINUTES; automatic changes do not count; breaches shown in the API and
on the incident page."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from incidents.comments import add_comment
from incidents.defaults import load_defaults
from incidents.dispatcher_sla import dispatcher_sla
from incidents.models import StatusKey
from incidents.services import create_incident, record_status, update_incident
from users.models import Role, User

pytestmark = pytest.mark.django_db

MSK = ZoneInfo("Europe/Moscow")
ARRIVAL = datetime(2026, 11, 2, 10, 0, tzinfo=MSK)


@pytest.fixture(autouse=True)
def _setup(settings):
    load_defaults()
    settings.DISPATCHER_SLA_MINUTES = 10


@pytest.fixture
def person():
    return User.objects.create_user(email="d@x.example", password="x", role=Role.DISPATCH)


def arrived():
    with time_machine.travel(ARRIVAL, tick=False):
        return create_incident(incident_date=ARRIVAL, subject="Авария")


def test_a_comment_within_ten_minutes_keeps_the_sla(person):
    incident = arrived()
    update_incident(incident, changes={"subject": "Авария!"}, actor="email")  # not a person
    assert dispatcher_sla(incident, ARRIVAL + timedelta(minutes=5)).is_breached is False
    with time_machine.travel(ARRIVAL + timedelta(minutes=7), tick=False):
        add_comment(incident, body="Смотрю", user=person)
    incident.refresh_from_db()
    sla = dispatcher_sla(incident, ARRIVAL + timedelta(hours=5))
    assert sla.first_action_at == ARRIVAL + timedelta(minutes=7) and not sla.is_breached


def test_late_first_status_change_is_a_breach_and_later_actions_do_not_move_it(person):
    incident = arrived()
    assert dispatcher_sla(incident, ARRIVAL + timedelta(minutes=11)).is_breached
    record_status(
        incident,
        StatusKey.IN_PROGRESS,
        actor="console",
        user=person,
        at=ARRIVAL + timedelta(minutes=12),
    )
    record_status(
        incident, StatusKey.ERROR, actor="console", user=person, at=ARRIVAL + timedelta(minutes=13)
    )
    incident.refresh_from_db()
    sla = dispatcher_sla(incident)
    assert sla.first_action_at == ARRIVAL + timedelta(minutes=12) and sla.is_breached


def test_breach_is_shown_in_the_api_and_on_the_page(client, person):
    incident = arrived()
    from dispatch.api.testing import client_for

    row = client_for(person).get(reverse("api:incident-detail", args=[incident.pk])).json()
    assert row["dispatcher_sla"]["is_breached"] is True
    assert row["dispatcher_sla"]["first_action_at"] is None
    client.force_login(person)
    page = client.get(reverse("console:incident", args=[incident.pk])).content.decode()
    sla = page.split('id="dispatcher-sla"', 1)[1].split("</dd>", 1)[0]
    assert "действий ещё не было" in sla and "нарушен" in sla and "02.11.2026 10:10" in sla
