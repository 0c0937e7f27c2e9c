"""Check the tracker set-up (queue, fields, statuses), create what the API allows, list the rest."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from yandex_tracker.client import TrackerClient
from yandex_tracker.errors import TrackerError
from yandex_tracker.setup import setup_tracker


class Command(BaseCommand):
    help = "Check and prepare Yandex Tracker for DISPATCH (fields, statuses)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--check", action="store_true", help="Only check; create nothing.")

    def handle(self, *args, **options) -> None:
        if not settings.YT_ENABLED:
            raise CommandError("Yandex Tracker is not configured: set YT_QUEUE and YT_ACCESS_TOKEN")
        try:
            report = setup_tracker(TrackerClient(), create=not options["check"])
        except TrackerError as exc:
            raise CommandError(f"tracker: {exc}") from exc
        for line in report.ok:
            self.stdout.write(f"ok       {line}")
        for line in report.created:
            self.stdout.write(self.style.SUCCESS(f"created  {line}"))
        for line in report.manual:
            self.stdout.write(self.style.WARNING(f"by hand  {line}"))
