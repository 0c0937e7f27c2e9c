"""Shared shape of the tracker workers: idle (log once) when Yandex Tracker is not configured."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings

from dispatch.workers import WorkerCommand
from yandex_tracker.client import TrackerClient
from yandex_tracker.fields import TrackerDirectory

logger = logging.getLogger(__name__)


class TrackerWorkerCommand(WorkerCommand):
    """A worker that talks to the tracker; without ``YT_*`` each cycle does nothing."""

    default_interval = 10.0
    client: TrackerClient | None = None
    directory: TrackerDirectory | None = None

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--batch", type=int, default=100, help="Items per cycle.")

    def setup(self, **options: Any) -> None:
        self.batch = options["batch"]
        if not settings.YT_ENABLED:
            logger.info(
                "worker=%s: Yandex Tracker is not configured (YT_QUEUE and a token); "
                "the built-in tracker is used and this worker idles",
                self.worker_name(**options),
            )
            return
        self.client = TrackerClient()
        self.directory = TrackerDirectory(self.client)

    def run_cycle(self) -> str:
        if self.client is None or self.directory is None:
            return "tracker disabled"
        return self.tracker_cycle(self.client, self.directory)

    def tracker_cycle(self, client: TrackerClient, directory: TrackerDirectory) -> str:
        raise NotImplementedError
