"""Worker: deliver queued outgoing e-mail (claim → send after commit → record)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from dispatch.workers import WorkerCommand
from emails.outbox.services import send_due


class Command(WorkerCommand):
    help = "Deliver due rows of the outbox exactly once, with retries and per-recipient limits."
    default_interval = 5.0

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--batch", type=int, default=50, help="Rows claimed per cycle.")

    def setup(self, **options: Any) -> None:
        self.batch = options["batch"]

    def run_cycle(self) -> str:
        return str(send_due(limit=self.batch))
