"""Worker: new incidents → tracker issues, later e-mails → comments (each exactly once)."""

from __future__ import annotations

from yandex_tracker.client import TrackerClient
from yandex_tracker.fields import TrackerDirectory
from yandex_tracker.push import push_cycle
from yandex_tracker.worker import TrackerWorkerCommand


class Command(TrackerWorkerCommand):
    help = "Push new incidents and e-mails to Yandex Tracker."
    default_interval = 5.0

    def tracker_cycle(self, client: TrackerClient, directory: TrackerDirectory) -> str:
        before = client.request_count
        report = push_cycle(client, directory, limit=self.batch)
        return f"{report} requests={client.request_count - before}"
