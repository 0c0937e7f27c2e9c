"""Load default incident types and statuses (idempotent)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from incidents.defaults import DATA_DIR, DefaultsError, load_defaults


class Command(BaseCommand):
    help = "Insert the default incident types (with SLA) and statuses that are missing."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--data-dir", type=Path, default=DATA_DIR)

    def handle(self, *args, data_dir: Path, **options) -> None:
        try:
            result = load_defaults(data_dir)
        except (DefaultsError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"types created: {result.types_created}, statuses created: {result.statuses_created}, "
            f"mail templates created: {result.templates_created}"
        )
