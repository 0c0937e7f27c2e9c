"""With Yandex Tracker on, incidents go only to dispatchers the tracker knows (they can be the
issue's assignee); the console's load page says why another dispatcher gets none."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from incidents.models import Incident
from users.models import Role, User
from yandex_tracker.pull import pull_cycle
from yandex_tracker.push import push_cycle

pytestmark = pytest.mark.django_db


def test_only_dispatchers_known_to_the_tracker_are_assigned(
    client, directory, fake_tracker, dispatcher, make_incident
):
    ivanov = User.objects.get(username="ivanov")  # a tracker user (see the fixture)
    User.objects.create_user(
        email="petrov@dispatch.ru", username="petrov", password="x", role=Role.DISPATCH
    )
    User.objects.create_user(
        email="sidorov@dispatch.ru",
        username="sidorov",
        tracker_login="a.sidorov",
        password="x",
        role=Role.DISPATCH,
    )
    assert make_incident().assignee is None  # the tracker's users have not been read yet
    pull_cycle(client, directory)
    for _ in range(3):  # petrov and sidorov have no load, yet every incident goes to ivanov
        assert make_incident().assignee == ivanov
    push_cycle(client, directory)
    uid = fake_tracker.state.user_by("ivanov")["uid"]
    assignees = [i.get("assignee") for i in fake_tracker.state.issues.values()]
    assert assignees.count(uid) == 3

    console = Client()
    console.force_login(ivanov)
    page = console.get(reverse("console:load")).content.decode()
    assert "Не получает новых инцидентов." in page
    assert "Логин в трекере не указан, а имя пользователя «petrov»" in page
    assert "Логин в трекере «a.sidorov» не найден среди пользователей Яндекс Трекера" in page
    assert Incident.objects.filter(assignee__username__in=["petrov", "sidorov"]).count() == 0
