"""Dispatcher load overview: open incidents per dispatcher, shift, SLA trouble."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from console.selectors import dispatcher_load
from incidents.models import Incident, SlaState
from incidents.tests.factories import make_request
from users.models import Role, User, WorkShift

pytestmark = pytest.mark.django_db


def test_load_counts_per_dispatcher(client, dispatcher, django_assert_max_num_queries):
    boris = User.objects.create_user(email="boris@dispatch.example", role=Role.DISPATCH)
    today = timezone.localtime().weekday()
    WorkShift.objects.create(
        user=boris, weekday=(today + 3) % 7, start_time=time(9), end_time=time(10)
    )
    for n in range(3):
        make_request(message_id=f"<l{n}@x>")
    Incident.objects.update(assignee=dispatcher)
    old = Incident.objects.order_by("id").first()
    Incident.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(days=2), sla_state=SlaState.EXPIRED
    )
    with django_assert_max_num_queries(2):
        rows = dispatcher_load()
    by_user = {row.user: row for row in rows}
    anna = by_user[dispatcher]
    assert (anna.open_total, anna.open_in_window, anna.expired, anna.on_shift) == (3, 2, 1, True)
    assert (by_user[boris].open_total, by_user[boris].on_shift) == (0, False)
    assert rows[0].user == dispatcher  # most loaded first

    client.force_login(dispatcher)
    page = client.get(reverse("console:load")).content.decode()
    assert "Анна Петрова" in page
    assert f'{boris.pk}">boris</a>' in page  # no name: the login
    assert f"?assignee={dispatcher.pk}" in page
