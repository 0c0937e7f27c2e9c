"""Dispatchers' load API: active dispatchers only, counts as the assignment sees them."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dispatch.api.testing import client_for, make_incident, make_user
from incidents.defaults import load_defaults
from incidents.models import StatusKey
from users.models import Role

pytestmark = pytest.mark.django_db


def test_dispatchers_with_open_and_recent_load_least_loaded_first(settings):
    settings.ASSIGNMENT_WINDOW_HOURS = 12
    load_defaults()
    busy, idle = make_user(Role.DISPATCH), make_user(Role.DISPATCH)
    make_user(Role.USER)  # not a dispatcher
    make_user(Role.DISPATCH, is_active=False)
    make_incident(assignee=busy)
    old = make_incident(assignee=busy)
    old.created_at = timezone.now() - timedelta(hours=13)
    old.save(update_fields=["created_at"])
    make_incident(assignee=busy, statuses=(StatusKey.IN_PROGRESS, StatusKey.CLOSED))

    rows = client_for(make_user(Role.USER)).get(reverse("api:dispatcher-list")).json()["results"]
    assert [r["id"] for r in rows] == [idle.pk, busy.pk]
    assert rows[1]["open_incidents"] == 2
    assert rows[1]["recent_open_incidents"] == 1
    assert rows[0]["open_incidents"] == 0
