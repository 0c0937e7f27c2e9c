"""Worker: keep the stored SLA deadline and state of incidents current."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from dispatch.workers import WorkerCommand
from incidents.sla_sweep import sweep_sla


class Command(WorkerCommand):
    help = "Recompute SLA deadlines and states of incidents (set-based)."
    default_interval = 60.0

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--full",
            action="store_true",
            help="Also recompute business-hours/paused deadlines of long-finished incidents.",
        )

    def setup(self, **options: Any) -> None:
        self.full = options["full"]

    def run_cycle(self) -> str:
        return str(sweep_sla(full=self.full))
