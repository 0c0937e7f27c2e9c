"""The incident page's reference lists are kept for a few seconds per process
(``console.reference_cache``): fewer queries a view, and a change saved through the admin shows
on the next view at once."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from console import reference_cache
from incidents.models import IncidentType
from users.models import Role, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def kept(settings):
    settings.CONSOLE_CHOICES_CACHE_SECONDS = 60
    reference_cache.clear()
    yield
    reference_cache.clear()


def _page(client, incident) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("console:incident", args=[incident.pk]))
    assert response.status_code == 200
    return response.content.decode(), len(queries)


def test_lists_are_read_once_and_an_admin_change_shows_at_once(
    kept, client, dispatcher, admin_user, incident
):
    client.force_login(dispatcher)
    _page(client, incident)
    page, warm = _page(client, incident)
    reference_cache.clear()
    _, cold = _page(client, incident)
    assert cold - warm == 4  # types, subtypes, dispatchers, РВР priorities
    assert "Новый тип из админки" not in page

    admin = client.__class__()
    admin.force_login(admin_user)
    url = reverse("admin:incidents_incidenttype_add")
    inline = re.search(r'name="([\w-]+)-TOTAL_FORMS"', admin.get(url).content.decode())[1]
    added = admin.post(
        url,
        {"name": "Новый тип из админки", "sla_minutes": "240", "sla_clock": "calendar",
         "is_active": "on", f"{inline}-TOTAL_FORMS": "0", f"{inline}-INITIAL_FORMS": "0"},
    )  # fmt: skip
    assert added.status_code == 302, added.content.decode()[:2000]
    page, _ = _page(client, incident)
    assert "Новый тип из админки" in page

    colleague = User.objects.create_user(
        email="boris@dispatch.example", role=Role.DISPATCH, first_name="Борис", last_name="Орлов"
    )
    assert "Борис Орлов" in _page(client, incident)[0]
    colleague.is_active = False
    colleague.save()
    assert "Борис Орлов" not in _page(client, incident)[0]
    assert IncidentType.objects.filter(name="Новый тип из админки").exists()


def test_without_a_cache_time_every_view_reads_the_lists(client, dispatcher, incident):
    client.force_login(dispatcher)
    _page(client, incident)
    assert _page(client, incident)[1] == _page(client, incident)[1]
    IncidentType.objects.create(name="Сразу видно", sla_minutes=60)
    assert "Сразу видно" in _page(client, incident)[0]


def test_queue_filters_are_read_once_and_a_new_dispatcher_shows_at_once(kept, client, dispatcher):
    client.force_login(dispatcher)

    def queue() -> tuple[str, int]:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("console:queue"))
        assert response.status_code == 200
        return response.content.decode(), len(queries)

    queue()
    page, warm = queue()
    reference_cache.clear()
    assert queue()[1] - warm == 3  # statuses, types, dispatchers
    assert "Вера Лукина" not in page
    User.objects.create_user(
        email="vera@dispatch.example", role=Role.DISPATCH, first_name="Вера", last_name="Лукина"
    )
    assert "Вера Лукина" in queue()[0]  # named as everywhere (display name, not e-mail)
