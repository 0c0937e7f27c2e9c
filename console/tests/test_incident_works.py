"""Work categories on the incident page: set with start, end and РВР priority, the deadline and
state shown, refused input shown with nothing saved, removal; recorded in the change log."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from incidents.models import IncidentChange, IncidentWork, RvrPriority
from incidents.work import set_work

pytestmark = pytest.mark.django_db

MSK = ZoneInfo("Europe/Moscow")


def _works(page: str) -> str:
    return page.split('id="works"', 1)[1].split("</section>", 1)[0]


@pytest.fixture
def urgent(defaults) -> RvrPriority:
    return RvrPriority.objects.create(name="Срочный (2 ч)", sla_minutes=120)


def test_dispatcher_sets_rvr_with_priority_and_sees_its_deadline(
    client, dispatcher, incident, urgent, settings
):
    settings.TIME_ZONE = "Europe/Moscow"
    client.force_login(dispatcher)
    with time_machine.travel(datetime(2026, 11, 2, 10, 30, tzinfo=MSK), tick=False):
        response = client.post(
            reverse("console:work", args=[incident.pk]),
            {"category": "rvr", "started_at": "2026-11-02T10:00", "priority": urgent.pk},
        )
        assert response.status_code == 302 and response["Location"].endswith("#works")
        page = client.get(response["Location"]).content.decode()
    rvr = IncidentWork.objects.get(incident=incident)
    assert rvr.started_at == datetime(2026, 11, 2, 10, 0, tzinfo=MSK)
    section = _works(page)
    assert "РВР" in section and "Срочный (2 ч)" in section
    assert "02.11.2026 12:00" in section and "В работе" in section
    change = IncidentChange.objects.get(incident=incident, field="work_rvr")
    assert (change.actor, change.user) == ("console", dispatcher)
    assert "РВР</strong>: — → 02.11.2026 10:00 – …, Срочный (2 ч)" in " ".join(
        page.split('id="changes"', 1)[1].split("</section>", 1)[0].split()
    )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"category": "avr", "started_at": ""}, "Обязательное поле"),
        (
            {"category": "avr", "started_at": "2026-11-02T10:00", "ended_at": "2026-11-02T09:00"},
            "раньше, чем начались",
        ),
        ({"category": "avr", "started_at": "2026-11-02T10:00", "priority": "URGENT"}, "priority"),
        ({"category": "xyz", "started_at": "2026-11-02T10:00"}, "category"),
    ],
)
def test_refused_work_is_shown_and_nothing_saved(client, dispatcher, incident, fields, message):
    client.force_login(dispatcher)
    response = client.post(reverse("console:work", args=[incident.pk]), fields)
    assert response.status_code == 422
    body = response.content.decode()
    assert message in body or f'id="id_{message}_error"' in body
    assert not IncidentWork.objects.exists()


def test_priority_on_avr_is_refused(client, dispatcher, incident, urgent):
    client.force_login(dispatcher)
    response = client.post(
        reverse("console:work", args=[incident.pk]),
        {"category": "avr", "started_at": "2026-11-02T10:00", "priority": urgent.pk},
    )
    assert response.status_code == 422
    assert "Приоритет бывает только у РВР." in response.content.decode()


def test_remove_work_and_reader_sees_but_cannot_change(client, dispatcher, reader, incident):
    set_work(incident, "dgu", started_at=incident.incident_date, actor="console")
    client.force_login(reader)
    page = client.get(reverse("console:incident", args=[incident.pk])).content.decode()
    assert "ДГУ" in _works(page) and 'id="work-form"' not in page
    url = reverse("console:work_remove", args=[incident.pk, "dgu"])
    assert client.post(url).status_code == 403
    client.force_login(dispatcher)
    assert client.post(url).status_code == 302
    assert not IncidentWork.objects.exists()
    assert client.post(reverse("console:work_remove", args=[incident.pk, "<x>"])).status_code == 302


def test_page_queries_do_not_grow_with_works(client, dispatcher, incident, urgent):
    client.force_login(dispatcher)
    url = reverse("console:incident", args=[incident.pk])
    set_work(incident, "avr", started_at=incident.incident_date, actor="console")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for category in ("rvr", "dgu", "eks"):
        set_work(incident, category, started_at=incident.incident_date, actor="console")
    with CaptureQueriesContext(connection) as many:
        page = client.get(url).content.decode()
    assert len(many) == len(few)
    assert _works(page).count('<tr class="work work-') == 4
