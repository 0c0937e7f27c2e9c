"""The shape shared by every long-running worker command.

A worker is a management command with one job: ``run_cycle()`` does one bounded unit of work and
returns a short summary. ``--once`` runs one cycle; ``--loop --interval N`` repeats until SIGTERM
or SIGINT, which sets a flag so the cycle in hand finishes before the process exits. Each cycle
records a heartbeat (success or failure) that the health check reads. A failing cycle is logged
and retried after a back-off that grows with consecutive failures (capped), never a tight loop.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
import traceback
from typing import Any

from django.core.checks import Tags
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections, connection
from django.utils import timezone

from dispatch import alerts
from dispatch.models import WorkerHeartbeat
from incidents.checks import WORKFLOW_TAG

logger = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 300


class StopFlag:
    """Set by SIGTERM/SIGINT; the loop checks it between cycles and while sleeping."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def set(self, *_args: Any) -> None:
        self._event.set()

    @property
    def is_set(self) -> bool:
        return self._event.is_set()

    def sleep(self, seconds: float) -> None:
        """Sleep up to ``seconds``, waking early when the flag is set."""
        self._event.wait(max(0.0, seconds))


def record_heartbeat(name: str, *, summary: str = "", error: str = "") -> None:
    """Store the outcome of one cycle of worker ``name``."""
    now = timezone.now()
    beat, _created = WorkerHeartbeat.objects.get_or_create(name=name)
    previous_failures = beat.consecutive_failures
    if error:
        beat.last_failure_at = now
        beat.last_error = error[-4000:]
        beat.consecutive_failures += 1
    else:
        beat.last_success_at = now
        beat.consecutive_failures = 0
        beat.last_summary = summary[:512]
    beat.save()
    alerts.worker_outcome(
        name, previous_failures=previous_failures, failures=beat.consecutive_failures, error=error
    )


def _refresh_connection() -> None:
    """Drop a broken or expired DB connection between cycles (not inside an outer transaction)."""
    if not connection.in_atomic_block:
        close_old_connections()


# The system checks a worker runs at start: the models' and the workflow settings'. The URL
# checks import every view, serializer and the API schema (≈0.4 s of CPU) that no worker uses;
# the web process and ``manage.py check`` still run them.
WORKER_CHECKS = [Tags.models, Tags.database, WORKFLOW_TAG]


class WorkerCommand(BaseCommand):
    """Base class for worker commands; subclasses implement ``run_cycle``."""

    requires_system_checks = WORKER_CHECKS

    default_interval: float = 10.0
    stop: StopFlag

    def add_arguments(self, parser: CommandParser) -> None:
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--once", action="store_true", help="Run one cycle and exit (default).")
        mode.add_argument("--loop", action="store_true", help="Repeat cycles until stopped.")
        parser.add_argument(
            "--interval",
            type=float,
            default=self.default_interval,
            help="Seconds between cycles with --loop.",
        )
        parser.add_argument(
            "--max-cycles", type=int, default=0, help="Stop after this many cycles (0 = no limit)."
        )

    def worker_name(self, **options: Any) -> str:
        """Heartbeat name; override to include e.g. the folder."""
        return self.__class__.__module__.rsplit(".", 1)[-1]

    def setup(self, **options: Any) -> None:
        """Prepare before the first cycle (parse options, open clients)."""

    def run_cycle(self) -> str:
        """Do one bounded unit of work and return a short summary."""
        raise NotImplementedError

    def handle(self, *args: Any, **options: Any) -> None:
        self.stop = StopFlag()
        if options["loop"]:
            signal.signal(signal.SIGTERM, self.stop.set)
            signal.signal(signal.SIGINT, self.stop.set)
        self.setup(**options)
        name = self.worker_name(**options)
        cycles = 0
        failures = 0
        while True:
            _refresh_connection()
            started = time.monotonic()
            try:
                summary = self.run_cycle()
            except Exception as exc:
                failures += 1
                logger.exception("worker=%s cycle failed: %s", name, type(exc).__name__)
                self._safe_heartbeat(name, error=traceback.format_exc())
                if not options["loop"]:
                    raise
                delay = min(MAX_BACKOFF_SECONDS, options["interval"] * 2**failures)
            else:
                failures = 0
                logger.info("worker=%s cycle ok %s", name, summary)
                self._safe_heartbeat(name, summary=summary)
                delay = options["interval"] - (time.monotonic() - started)
            cycles += 1
            if not options["loop"] or self.stop.is_set:
                break
            if options["max_cycles"] and cycles >= options["max_cycles"]:
                break
            self.stop.sleep(delay)
            if self.stop.is_set:
                break
        logger.info("worker=%s stopped after %d cycle(s)", name, cycles)

    @staticmethod
    def _safe_heartbeat(name: str, **kwargs: str) -> None:
        try:
            record_heartbeat(name, **kwargs)
        except Exception:
            logger.exception("worker=%s heartbeat not recorded", name)
            _refresh_connection()
