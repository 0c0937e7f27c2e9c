"""Fill the search documents of stored e-mails that have none yet (PostgreSQL).

The ingest fills them after each batch and sweeps the rest at the start of each cycle; this is
for operators, e.g. after a worker was killed and before the next cycle (``emails.search_index``).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from emails.search_index import SWEEP_BATCH, sweep


class Command(BaseCommand):
    help = "Fill the search documents of e-mails stored without one (PostgreSQL; no-op elsewhere)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch", type=int, default=SWEEP_BATCH, help="Rows filled per statement."
        )

    def handle(self, *args: Any, batch: int, **options: Any) -> None:
        self.stdout.write(f"search documents filled: {sweep(batch=batch)}")
