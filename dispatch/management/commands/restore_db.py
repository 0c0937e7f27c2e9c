"""Replace the database contents with a backup made by ``backup_db``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dispatch.backup import BackupError, restore_database


class Command(BaseCommand):
    help = "Restore the database from a backup_db file (stop the workers first)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="Backup file (.dump or .sqlite3).")
        parser.add_argument(
            "--yes", action="store_true", help="Confirm that the current contents are replaced."
        )

    def handle(self, *args: Any, path: Path, yes: bool, **options: Any) -> None:
        if not yes:
            raise CommandError("restore_db replaces all data; run again with --yes to confirm")
        try:
            restore_database(path)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"restored from {path}")
