"""The queue: filters, sorting, SLA colours, fixed query count, the live-update table."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from incidents.models import Incident, SlaState, StatusKey
from incidents.services import record_status
from incidents.tests.factories import make_request, make_site
from users.models import Role, User

pytestmark = pytest.mark.django_db


def _codes(response) -> list[str]:
    return re.findall(r'<tr class="sla-[a-z_]+" data-incident="(\d+)"', response.content.decode())


@pytest.fixture
def logged_in(client, dispatcher):
    client.force_login(dispatcher)
    return client


@pytest.fixture
def three(dispatcher):
    """Three incidents: oldest expired, middle unassigned closed, newest mine."""
    now = timezone.now()
    old = make_request(subject="Старый", message_id="<a@x>", sent_at=now - timedelta(days=2))
    Incident.objects.filter(pk=old.pk).update(
        sla_state=SlaState.EXPIRED, sla_deadline=now - timedelta(hours=3)
    )
    closed = make_request(subject="Закрытый", message_id="<b@x>", sent_at=now - timedelta(days=1))
    record_status(closed, StatusKey.IN_PROGRESS, actor="console")
    record_status(closed, StatusKey.CLOSED, actor="console")
    Incident.objects.filter(pk=closed.pk).update(assignee=None)
    pole, _ = make_site("77-012345")
    mine = make_request(subject="Свежий", message_id="<c@x>", sent_at=now, pole=pole)
    Incident.objects.filter(pk=mine.pk).update(
        sla_state=SlaState.LESS_THAN_HOUR, sla_deadline=now + timedelta(minutes=30)
    )
    return old, closed, mine


def test_default_shows_open_incidents_newest_first(logged_in, three):
    old, _closed, mine = three
    assert _codes(logged_in.get("/")) == [str(mine.pk), str(old.pk)]


def test_filters(logged_in, three, dispatcher):
    old, closed, mine = three
    get = logged_in.get
    assert _codes(get("/?scope=finished")) == [str(closed.pk)]
    assert _codes(get("/?scope=all&sort=incident_date")) == [
        str(old.pk),
        str(closed.pk),
        str(mine.pk),
    ]
    assert _codes(get("/?scope=all&status=closed")) == [str(closed.pk)]
    assert _codes(get("/?sla=expired")) == [str(old.pk)]
    assert _codes(get("/?scope=all&assignee=none")) == [str(closed.pk)]
    assert _codes(get(f"/?assignee={dispatcher.pk}")) == [str(mine.pk), str(old.pk)]
    assert _codes(get("/?q=77-0123")) == [str(mine.pk)]
    assert _codes(get("/?q=Стар")) == [str(old.pk)]
    assert _codes(get("/?q=старый")) == [str(old.pk)]  # Cyrillic case folded on SQLite too
    assert _codes(get("/?q=СВЕЖ")) == [str(mine.pk)]
    assert _codes(get("/?sort=sla_deadline")) == [str(old.pk), str(mine.pk)]


def test_me_filter_and_invalid_values_fall_back(logged_in, three, client):
    other = User.objects.create_user(email="boris@dispatch.example", role=Role.DISPATCH)
    old, _closed, mine = three
    Incident.objects.filter(pk=old.pk).update(assignee=other)
    assert _codes(logged_in.get("/?assignee=me")) == [str(mine.pk)]
    response = logged_in.get("/?sort=DROP+TABLE&status=nonsense&scope=x")
    assert response.status_code == 200
    assert _codes(response) == [str(mine.pk), str(old.pk)]


def test_sla_state_colours_and_labels(logged_in, three):
    page = logged_in.get("/").content.decode()
    assert 'class="sla-badge sla-expired">Просрочен' in page
    assert 'class="sla-badge sla-less_than_hour">' in page


def test_counts(logged_in, three):
    page = logged_in.get("/").content.decode()
    assert '<strong data-count="open">2</strong>' in page
    assert '<strong data-count="expired">1</strong>' in page


def test_query_count_does_not_grow_with_rows(logged_in, dispatcher, django_assert_max_num_queries):
    for n in range(3):
        make_request(message_id=f"<n{n}@x>")
    with django_assert_max_num_queries(14) as few:
        logged_in.get("/")
    for n in range(3, 30):
        make_request(message_id=f"<n{n}@x>")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = logged_in.get("/")
    assert len(_codes(response)) == 30


def test_rows_partial_is_the_table_for_live_updates(logged_in, three):
    response = logged_in.get(reverse("console:queue_rows") + "?scope=finished")
    page = response.content.decode()
    assert "<html" not in page
    assert _codes(response) == [str(three[1].pk)]
    assert 'data-count="open"' in page


def test_queue_page_wires_the_api_live_stream(logged_in):
    page = logged_in.get("/").content.decode()
    assert 'data-live-url="/api/v1/incidents/live/"' in page
    assert "console/console.js" in page
    assert "http://" not in page and "https://" not in page  # nothing from a CDN


def test_pagination(logged_in, dispatcher):
    for n in range(55):
        make_request(message_id=f"<p{n}@x>")
    first = logged_in.get("/?sort=-code")
    assert len(_codes(first)) == 50
    second = logged_in.get("/?sort=-code&page=2")
    assert len(_codes(second)) == 5
    assert 'rel="prev"' in second.content.decode()
