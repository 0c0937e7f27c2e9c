"""A dispatcher stops (and resumes) linking new mail to an incident by thread; the change is in
the incident's change log; read-only users cannot."""

from __future__ import annotations

import pytest
from django.urls import reverse

from incidents.models import Incident
from incidents.tests.factories import make_request

pytestmark = pytest.mark.django_db


def test_dispatcher_toggles_thread_linking(client, dispatcher):
    incident = make_request()
    client.force_login(dispatcher)
    url = reverse("console:thread_linking", args=[incident.pk])
    page = client.post(url, {"no_thread_linking": "1"}, follow=True).content.decode()
    assert Incident.objects.get(pk=incident.pk).no_thread_linking
    assert "будут открывать новый инцидент" in page
    assert "Снова привязывать по переписке" in page
    change = incident.changes.get()
    assert (change.field, change.old_value, change.new_value) == ("no_thread_linking", "нет", "да")
    assert change.user == dispatcher
    client.post(url, {"no_thread_linking": "0"})
    assert not Incident.objects.get(pk=incident.pk).no_thread_linking


def test_reader_cannot_toggle(client, reader):
    incident = make_request()
    client.force_login(reader)
    response = client.post(
        reverse("console:thread_linking", args=[incident.pk]), {"no_thread_linking": "1"}
    )
    assert response.status_code == 403
    assert not Incident.objects.get(pk=incident.pk).no_thread_linking
