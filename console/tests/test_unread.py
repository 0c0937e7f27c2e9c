"""Unread incidents in the console: bold rows, the count and the filter of the queue; opening the
incident page reads it for its dispatcher (anyone who works incidents while none is assigned)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from incidents.models import Incident
from incidents.services import mark_unread
from incidents.tests.factories import make_request
from users.models import Role, User

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _incident(n: int, **fields) -> Incident:
    return make_request(subject=f"Авария {n}", message_id=f"<req-{n}@operator.example>", **fields)


def _unread(incident: Incident) -> bool:
    return Incident.objects.get(pk=incident.pk).unread_since is not None


def test_queue_shows_unread_rows_bold_with_a_count_and_a_filter(client, dispatcher):
    read, unread = _incident(1), _incident(2)
    mark_unread([unread.pk])
    client.force_login(dispatcher)
    page = client.get(reverse("console:queue")).content.decode()
    assert f'class="sla-unknown unread" data-incident="{unread.pk}" data-unread="true"' in page
    assert f'class="sla-unknown" data-incident="{read.pk}" data-href' in page
    assert 'href="/?unread=on">Непрочитанные: <strong data-count="unread">1</strong>' in page
    filtered = client.get(reverse("console:queue"), {"unread": "on"}).content.decode()
    assert f'data-incident="{unread.pk}"' in filtered
    assert f'data-incident="{read.pk}"' not in filtered


def test_the_assignee_reads_it_others_do_not(client, dispatcher):
    other = User.objects.create_user(
        email="boris@dispatch.example", password=PASSWORD, role=Role.DISPATCH
    )
    incident = _incident(1)
    Incident.objects.filter(pk=incident.pk).update(assignee=dispatcher)
    mark_unread([incident.pk])
    url = reverse("console:incident", args=[incident.pk])
    client.force_login(other)
    assert client.get(url).status_code == 200
    assert _unread(incident)  # not Boris's incident: still unread for Anna
    client.force_login(dispatcher)
    before = Incident.objects.get(pk=incident.pk).updated_at
    client.get(url)
    after = Incident.objects.get(pk=incident.pk)
    assert after.unread_since is None
    assert after.updated_at > before  # the live queue pushes the change


def test_unassigned_is_read_by_whoever_works_incidents(client, dispatcher, reader):
    incident = _incident(1)
    Incident.objects.filter(pk=incident.pk).update(assignee=None)
    mark_unread([incident.pk])
    url = reverse("console:incident", args=[incident.pk])
    client.force_login(reader)  # a read-only user does not read it for the desk
    client.get(url)
    assert _unread(incident)
    client.force_login(dispatcher)
    client.get(url)
    assert not _unread(incident)


def test_mark_unread_keeps_the_first_moment(dispatcher):
    incident = _incident(1)
    mark_unread([incident.pk])
    first = Incident.objects.get(pk=incident.pk).unread_since
    mark_unread([incident.pk, incident.pk])
    assert Incident.objects.get(pk=incident.pk).unread_since == first


def test_api_shows_and_filters_unread(client, dispatcher):
    read, unread = _incident(1), _incident(2)
    mark_unread([unread.pk])
    client.force_login(dispatcher)
    listed = client.get("/api/v1/incidents/", {"unread": "true"}).json()
    assert [row["id"] for row in listed["results"]] == [unread.pk]
    assert listed["results"][0]["unread_since"] is not None
    rest = client.get("/api/v1/incidents/", {"unread": "false"}).json()
    assert [row["id"] for row in rest["results"]] == [read.pk]
    assert rest["results"][0]["unread_since"] is None
