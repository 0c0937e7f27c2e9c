"""Several push workers at once (PostgreSQL): every incident becomes exactly one issue."""

from __future__ import annotations

import pytest

from dispatch.testing.threads import run_together
from yandex_tracker.client import TrackerClient
from yandex_tracker.fields import TrackerDirectory
from yandex_tracker.models import TrackerIssue
from yandex_tracker.push import push_cycle

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_three_workers_push_each_incident_once(make_incident, fake_tracker):
    incidents = [make_incident() for _ in range(30)]

    def worker() -> None:
        client = TrackerClient(sleep=lambda s: None)
        for _ in range(3):
            push_cycle(client, TrackerDirectory(client), limit=7)

    _results, errors = run_together(worker, 3)
    assert errors == []
    assert len(fake_tracker.state.issues) == len(incidents)
    assert fake_tracker.state.request_count("POST", "/issues/") == len(incidents)
    keys = set(TrackerIssue.objects.values_list("key", flat=True))
    assert len(keys) == len(incidents) and None not in keys
