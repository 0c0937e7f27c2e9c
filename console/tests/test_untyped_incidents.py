"""Incidents without a type are visible: marked as needing a type, counted, and overdue once the
dispatcher SLA (time to the first action) has passed without anyone acting."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from incidents.models import Incident
from incidents.tests.factories import make_request

pytestmark = pytest.mark.django_db
QUEUE = reverse("console:queue")


def _row(page: str, incident: Incident) -> str:
    return re.search(rf'<tr [^>]*data-incident="{incident.pk}".*?</tr>', page, re.S).group(0)


def test_an_untyped_incident_past_the_dispatcher_sla_is_overdue(client, dispatcher, settings):
    settings.DISPATCHER_SLA_MINUTES = 10
    old = make_request(message_id="<old@x>", sent_at=timezone.now() - timedelta(days=10))
    fresh = make_request(message_id="<fresh@x>", sent_at=timezone.now() - timedelta(minutes=2))
    acted = make_request(message_id="<acted@x>", sent_at=timezone.now() - timedelta(days=1))
    Incident.objects.update(incident_type=None)
    Incident.objects.filter(pk=acted.pk).update(first_action_at=timezone.now())
    client.force_login(dispatcher)
    page = client.get(QUEUE).text

    for incident in (old, fresh, acted):
        assert "Нужен тип" in _row(page, incident)
    assert 'class="sla-expired' in _row(page, old) and "нет первого действия" in _row(page, old)
    assert 'class="sla-unknown' in _row(page, fresh)
    assert 'class="sla-unknown' in _row(page, acted)
    assert '<strong data-count="untyped">3</strong>' in page
    assert '<strong data-count="expired">1</strong>' in page

    overdue = client.get(QUEUE, {"sla": "expired"}).text
    assert re.findall(r'data-incident="(\d+)"', overdue) == [str(old.pk)]


def test_the_row_follows_the_clock(client, dispatcher, settings):
    """The row memo never shows a stale «overdue»: lateness is part of the row's values."""
    settings.DISPATCHER_SLA_MINUTES = 10
    incident = make_request(message_id="<t@x>", sent_at=timezone.now() - timedelta(minutes=5))
    Incident.objects.update(incident_type=None)
    client.force_login(dispatcher)
    assert 'class="sla-unknown' in _row(client.get(QUEUE).text, incident)
    settings.DISPATCHER_SLA_MINUTES = 3
    assert 'class="sla-expired' in _row(client.get(QUEUE).text, incident)


def test_a_typed_or_finished_incident_is_not_marked(client, dispatcher, incident_type):
    typed = make_request(message_id="<ty@x>", sent_at=timezone.now() - timedelta(days=1))
    Incident.objects.filter(pk=typed.pk).update(incident_type=incident_type)
    client.force_login(dispatcher)
    row = _row(client.get(QUEUE).text, typed)
    assert "Нужен тип" not in row and incident_type.name in row
