"""The fast path through the queue: «Взять себе» on the queue and the incident page, bulk
actions on selected rows, previous / next incident within the queue's filters, «← К очереди»
keeping them, the skip link, the whole row as the link, filters summarised for the phone."""

from __future__ import annotations

import itertools
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from incidents.models import Incident, IncidentChange, StatusKey
from incidents.services import record_status
from incidents.tests.factories import make_request

pytestmark = pytest.mark.django_db
QUEUE = reverse("console:queue")


def _messages(response) -> str:
    return " ".join(str(m) for m in response.wsgi_request._messages)


@pytest.fixture
def three(dispatcher):
    """Three open unassigned incidents, newest last (so the queue shows c, b, a)."""
    now = timezone.now()
    made = [
        make_request(subject=f"Авария {n}", message_id=f"<{n}@x>", sent_at=now - timedelta(hours=h))
        for n, h in (("a", 3), ("b", 2), ("c", 1))
    ]
    Incident.objects.update(assignee=None)
    return made


def test_take_from_the_queue_returns_to_the_same_filters(client, dispatcher, three):
    client.force_login(dispatcher)
    page = client.get(QUEUE, {"assignee": "none"}).text
    take_url = reverse("console:take", args=[three[0].pk])
    assert f'form="take-form" formaction="{take_url}"' in page
    assert 'name="next" value="/?assignee=none"' in page
    response = client.post(take_url, {"next": "/?assignee=none"})
    assert response.status_code == 302 and response.url == "/?assignee=none"
    taken = Incident.objects.get(pk=three[0].pk)
    assert taken.assignee == dispatcher and taken.first_action_at is not None
    assert IncidentChange.objects.filter(incident=taken, field="assignee", user=dispatcher).exists()
    assert f'formaction="{take_url}"' not in client.get(QUEUE).text  # assigned now: no button


def test_take_without_next_opens_the_incident(client, dispatcher, three):
    client.force_login(dispatcher)
    url = reverse("console:incident", args=[three[1].pk])
    assert 'id="take-button"' in client.get(url).text  # the incident page's own «Взять себе»
    response = client.post(reverse("console:take", args=[three[1].pk]), follow=True)
    assert response.redirect_chain[-1][0] == url
    assert "Инцидент взят" in response.text
    taken = Incident.objects.get(pk=three[1].pk)
    assert taken.assignee == dispatcher and taken.status.key == StatusKey.IN_PROGRESS
    again = client.post(
        reverse("console:take", args=[three[1].pk]), {"next": "https://evil.example/"}
    )
    assert again.url == url  # a foreign «next» is ignored


def test_readers_cannot_take_or_select(client, reader, three):
    client.force_login(reader)
    page = client.get(QUEUE).text
    assert "take-button" not in page and 'name="ids"' not in page and "bulk-form" not in page
    response = client.post(reverse("console:take", args=[three[0].pk]))
    assert response.status_code in (302, 403)
    assert Incident.objects.get(pk=three[0].pk).assignee is None


def test_bulk_assign_set_type_and_status(client, dispatcher, three, incident_type):
    client.force_login(dispatcher)
    ids = [str(i.pk) for i in three[:2]]
    bulk = reverse("console:bulk")
    response = client.post(
        bulk, {"ids": ids, "action": "assign", "assignee": dispatcher.pk, "next": "/?sort=code"}
    )
    assert response.url == "/?sort=code"
    assert "Изменено инцидентов: 2" in _messages(response)
    assert set(Incident.objects.filter(assignee=dispatcher).values_list("pk", flat=True)) == {
        three[0].pk,
        three[1].pk,
    }
    client.post(bulk, {"ids": ids, "action": "type", "incident_type": incident_type.pk})
    assert Incident.objects.filter(incident_type=incident_type).count() == 2
    client.post(bulk, {"ids": ids, "action": "status", "status": StatusKey.IN_PROGRESS})
    assert set(Incident.objects.filter(pk__in=ids).values_list("status__key", flat=True)) == {
        StatusKey.IN_PROGRESS
    }
    assert Incident.objects.get(pk=three[2].pk).status.key == StatusKey.NEW  # not selected


def test_bulk_status_only_where_the_workflow_allows_it_for_all(client, dispatcher, three):
    record_status(three[0], StatusKey.IN_PROGRESS, actor="console")
    client.force_login(dispatcher)
    page = client.get(QUEUE).text
    transitions = re.search(r'id="status-transitions" type="application/json">(.*?)<', page)
    assert '"new": [' in transitions.group(1)  # the page tells queue.js what each status allows
    response = client.post(
        reverse("console:bulk"),
        {"ids": [three[0].pk, three[1].pk], "action": "status", "status": StatusKey.CLOSED},
    )
    assert "не допускает" in _messages(response) and str(three[1]) in _messages(response)
    assert Incident.objects.get(pk=three[0].pk).status.key == StatusKey.IN_PROGRESS  # unchanged
    empty = client.post(reverse("console:bulk"), {"action": "assign"})
    assert "Ничего не изменено" in _messages(empty)


def test_next_and_previous_follow_the_remembered_filters(client, dispatcher, three):
    a, b, c = three
    client.force_login(dispatcher)
    client.get(QUEUE, {"sort": "incident_date", "q": "Авария"})  # oldest first: a, b, c
    page = client.get(reverse("console:incident", args=[b.pk])).text
    assert (
        'href="/?sort=incident_date&amp;q=%D0%90%D0%B2%D0%B0%D1%80%D0%B8%D1%8F" id="back-to-queue"'
        in page
    )
    assert client.get(reverse("console:next", args=[b.pk])).url == f"/incidents/{c.pk}/"
    assert client.get(reverse("console:previous", args=[b.pk])).url == f"/incidents/{a.pk}/"
    last = client.get(reverse("console:next", args=[c.pk]), follow=True)
    assert last.redirect_chain[-1][0] == f"/incidents/{c.pk}/"
    assert "Других инцидентов" in last.text
    client.get(QUEUE)  # default order: newest first (c, b, a)
    assert client.get(reverse("console:next", args=[b.pk])).url == f"/incidents/{a.pk}/"
    assert (
        'href="/" id="back-to-queue"' in client.get(reverse("console:incident", args=[b.pk])).text
    )


def test_neighbours_with_empty_sla_deadlines(client, dispatcher, three):
    """Sorted by SLA deadline, incidents without one come last on every database."""
    a, b, c = three
    Incident.objects.filter(pk=b.pk).update(sla_deadline=timezone.now())
    Incident.objects.filter(pk__in=[a.pk, c.pk]).update(sla_deadline=None)
    client.force_login(dispatcher)
    client.get(QUEUE, {"sort": "sla_deadline"})  # b, then a and c (no deadline) by id
    order = [b.pk, a.pk, c.pk]
    assert re.findall(
        r'data-incident="(\d+)"', client.get(QUEUE, {"sort": "sla_deadline"}).text
    ) == [str(pk) for pk in order]
    for before, after in itertools.pairwise(order):
        assert client.get(reverse("console:next", args=[before])).url == f"/incidents/{after}/"
        assert client.get(reverse("console:previous", args=[after])).url == f"/incidents/{before}/"


def test_whole_row_link_skip_link_and_phone_filter_summary(client, dispatcher, three):
    client.force_login(dispatcher)
    page = client.get(QUEUE, {"assignee": "none", "unread": "on"}).text
    assert f'data-href="/incidents/{three[0].pk}/"' not in page  # none unread: no rows
    assert '<a class="skip-link" href="#queue-table"' in page and 'id="queue-table"' in page
    summary = re.search(r'<span class="filter-summary">(.*?)</span>', page).group(1)
    assert summary == "Диспетчер: Не назначен · Только непрочитанные"
    rows = client.get(QUEUE).text
    assert f'data-href="/incidents/{three[0].pk}/"' in rows
    assert 'class="filter-summary"' not in rows  # no filters: nothing to summarise
    assert 'src="/static/console/queue.js"' in rows and 'src="/static/console/shortcuts.js"' in rows


def test_browser_notifications_are_opt_in(client, dispatcher):
    client.force_login(dispatcher)
    assert 'data-notify="on"' not in client.get(QUEUE).text
    dispatcher.browser_notifications = True
    dispatcher.save(update_fields=["browser_notifications"])
    page = client.get(QUEUE).text
    assert 'data-notify="on"' in page and 'id="notify-permission"' in page
    profile = client.get(reverse("users:profile")).text
    assert 'name="browser_notifications"' in profile and "checked" in profile
