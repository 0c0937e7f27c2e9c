"""Only one pull runs at a time across workers (PostgreSQL advisory lock)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from yandex_tracker.client import TrackerClient
from yandex_tracker.fields import TrackerDirectory
from yandex_tracker.pull import pull_cycle, single_puller

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_second_worker_is_busy_while_the_first_pulls(tracker_settings, defaults):
    holding, release = threading.Event(), threading.Event()

    def first_worker() -> None:
        try:
            with single_puller() as mine:
                assert mine
                holding.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=first_worker)
    thread.start()
    assert holding.wait(10)
    client = TrackerClient()
    report = pull_cycle(client, TrackerDirectory(client))
    assert report.busy and client.request_count == 0
    release.set()
    thread.join(10)
    after = pull_cycle(client, TrackerDirectory(client))
    assert not after.busy and client.request_count == 2  # the tracker's users, the search
