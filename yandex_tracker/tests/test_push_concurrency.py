"""Several push workers at once (PostgreSQL): every incident becomes exactly one issue."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from yandex_tracker.client import TrackerClient
from yandex_tracker.fields import TrackerDirectory
from yandex_tracker.models import TrackerIssue
from yandex_tracker.push import push_cycle

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_three_workers_push_each_incident_once(make_incident, fake_tracker):
    incidents = [make_incident() for _ in range(30)]
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            client = TrackerClient(sleep=lambda s: None)
            for _ in range(3):
                push_cycle(client, TrackerDirectory(client), limit=7)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(fake_tracker.state.issues) == len(incidents)
    assert fake_tracker.state.request_count("POST", "/issues/") == len(incidents)
    keys = set(TrackerIssue.objects.values_list("key", flat=True))
    assert len(keys) == len(incidents) and None not in keys
