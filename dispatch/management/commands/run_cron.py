"""Worker: run the scheduled jobs of settings.CRONJOBS when they are due."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone

from dispatch.scheduler import Job, due_jobs, hold_schedule_lock, load_jobs
from dispatch.workers import WorkerCommand

logger = logging.getLogger(__name__)


class ScheduledJobsFailed(Exception):
    """At least one due job raised; the others still ran."""


class Command(WorkerCommand):
    help = "Run the CRONJOBS schedule (TowerStore import, backups, cleanup) in a loop."
    default_interval = 20.0

    def setup(self, **options: Any) -> None:
        self.jobs: list[Job] = load_jobs(settings.CRONJOBS)
        self.checked_until: datetime = timezone.localtime()
        logger.info(
            "cron jobs=%s", ", ".join(f"{j.label}@{j.schedule.expression}" for j in self.jobs)
        )

    def run_cycle(self) -> str:
        now = timezone.localtime()
        due = due_jobs(self.jobs, self.checked_until, now)
        self.checked_until = now
        if not hold_schedule_lock():
            return "stand-by (another run_cron holds the schedule)"
        failed = []
        for job in due:
            logger.info("cron job=%s started", job.label)
            try:
                job.run()
            except Exception:
                logger.exception("cron job=%s failed", job.label)
                failed.append(job.label)
            else:
                logger.info("cron job=%s finished", job.label)
        if failed:
            raise ScheduledJobsFailed(", ".join(failed))
        return f"ran {len(due)} job(s)"
