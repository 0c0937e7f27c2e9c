"""Print the health report as JSON; exit status 1 when anything is unhealthy."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dispatch.health import OK, forget_worker, health_report


class Command(BaseCommand):
    help = "Report database reachability and each worker's last successful cycle (JSON)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--max-age",
            type=int,
            default=None,
            help="Seconds after which a worker without a successful cycle is stale.",
        )
        parser.add_argument(
            "--forget",
            metavar="WORKER",
            help="Remove the heartbeat of a worker that no longer runs, then report.",
        )

    def handle(self, *args: Any, max_age: int | None, forget: str | None, **options: Any) -> None:
        if forget and not forget_worker(forget):
            raise CommandError(f"no heartbeat named {forget!r}")
        report = health_report(max_age_seconds=max_age)
        self.stdout.write(json.dumps(report, ensure_ascii=False, indent=2))
        if report["status"] != OK:
            bad = [w["name"] for w in report.get("workers", []) if w["state"] != OK]
            raise CommandError(f"unhealthy: database={report['database']} workers={bad}")
