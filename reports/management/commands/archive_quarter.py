"""Keep the last quarter's statistics and incidents as XLSX under REPORT_ARCHIVE_DIR (cron)."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from reports.periodic import archive_quarter, previous
from reports.periods import period_for


class Command(BaseCommand):
    help = (
        "Write YYYY-Qn.xlsx (statistics and every incident of the quarter) to REPORT_ARCHIVE_DIR."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--quarter", help="YYYY-Qn (default: the last whole quarter)")
        parser.add_argument("--force", action="store_true", help="replace an existing archive")

    def handle(self, *args, quarter: str | None = None, force: bool = False, **options) -> None:
        period = previous("quarter") if quarter is None else _parse(quarter)
        path = archive_quarter(period, force=force)
        self.stdout.write(f"archive written: {path}" if path else "archive exists, kept")


def _parse(text: str):
    try:
        year, number = text.upper().split("-Q")
        month = (int(number) - 1) * 3 + 1
        if not 1 <= int(number) <= 4:
            raise ValueError
        return period_for("quarter", date(int(year), month, 1))
    except ValueError as exc:
        raise CommandError(f"--quarter must look like 2026-Q3, got {text!r}") from exc
