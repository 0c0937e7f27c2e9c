"""Worker: take changes made in the tracker (statuses, dispatcher edits, manual issues)."""

from __future__ import annotations

from yandex_tracker.client import TrackerClient
from yandex_tracker.fields import TrackerDirectory
from yandex_tracker.pull import pull_cycle
from yandex_tracker.worker import TrackerWorkerCommand


class Command(TrackerWorkerCommand):
    help = "Pull issues changed in Yandex Tracker since the last sync and reconcile them."
    default_interval = 10.0

    def tracker_cycle(self, client: TrackerClient, directory: TrackerDirectory) -> str:
        before = client.request_count
        report = pull_cycle(client, directory)
        return f"{report} requests={client.request_count - before}"
