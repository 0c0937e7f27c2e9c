"""Back up the database into BACKUP_DIR and remove backups older than BACKUP_KEEP_DAYS."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dispatch.backup import BackupError, backup_database, rotate_backups


class Command(BaseCommand):
    help = "Back up the database (pg_dump custom format or SQLite copy) and rotate old backups."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dir", type=Path, default=None, help="Target directory.")
        parser.add_argument("--keep-days", type=int, default=None, help="Retention in days.")

    def handle(self, *args: Any, dir: Path | None, keep_days: int | None, **options: Any) -> None:
        try:
            path = backup_database(dir)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        removed = rotate_backups(dir, keep_days=keep_days)
        self.stdout.write(f"backup: {path}")
        for old in removed:
            self.stdout.write(f"removed: {old}")
