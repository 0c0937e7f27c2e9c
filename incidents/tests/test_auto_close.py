"""Incidents waiting for the requester close by themselves after ``AUTO_CLOSE_HOURS`` without an
answer: the date is set on entering the waiting status, shown on the page, cleared by leaving it
or by the requester's mail, and acted on by ``sla_sweep``."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from incidents.defaults import load_defaults
from incidents.models import Incident, StatusKey
from incidents.services import mark_unread, record_status
from incidents.tests.factories import make_request
from users.models import Role, User

pytestmark = pytest.mark.django_db

S = StatusKey


@pytest.fixture
def dispatcher(db) -> User:
    load_defaults()
    return User.objects.create_user(email="anna@dispatch.example", role=Role.DISPATCH)


@pytest.fixture
def waiting(dispatcher, settings) -> Incident:
    settings.AUTO_CLOSE_HOURS = 48
    incident = make_request()
    record_status(incident, S.IN_PROGRESS, actor="console")
    record_status(incident, S.NEED_ACCEPTANCE, actor="console")
    return incident


def test_entering_a_waiting_status_sets_the_date_and_leaving_clears_it(waiting):
    stored = Incident.objects.get(pk=waiting.pk)
    entered = stored.status_history.order_by("-id").first().created_at
    assert stored.auto_close_date == entered + timedelta(hours=48)
    record_status(waiting, S.IN_PROGRESS, actor="console")
    assert Incident.objects.get(pk=waiting.pk).auto_close_date is None
    record_status(waiting, S.NOTIFIED_CLOSED, actor="console")
    assert Incident.objects.get(pk=waiting.pk).auto_close_date is not None


def test_sweep_closes_it_once_the_time_has_passed(waiting, caplog):
    call_command("sla_sweep", "--once")
    assert Incident.objects.get(pk=waiting.pk).status.key == S.NEED_ACCEPTANCE
    Incident.objects.filter(pk=waiting.pk).update(auto_close_date=timezone.now())
    call_command("sla_sweep", "--once")
    incident = Incident.objects.get(pk=waiting.pk)
    assert incident.status.key == S.CLOSED and incident.is_finished
    assert incident.auto_close_date is None
    last = incident.status_history.order_by("-id").first()
    assert last.actor == "system"
    assert "Ждем подтверждения" in last.comment and "автоматически" in last.comment
    assert "auto_closed=1" in caplog.text


def test_an_answer_from_outside_stops_the_clock(waiting):
    mark_unread([waiting.pk])
    assert Incident.objects.get(pk=waiting.pk).auto_close_date is None


def test_zero_hours_never_closes(dispatcher, settings):
    settings.AUTO_CLOSE_HOURS = 0
    incident = make_request()
    record_status(incident, S.NEED_ACCEPTANCE, actor="console")
    assert Incident.objects.get(pk=incident.pk).auto_close_date is None


def test_the_page_shows_the_date(client, dispatcher, waiting):
    client.force_login(dispatcher)
    page = client.get(reverse("console:incident", args=[waiting.pk])).content.decode()
    assert 'id="auto-close-date"' in page and "Закроется автоматически" in page
