"""Import poles, emergency contractors and base stations from the TowerStore feeds."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from ts.feeds import FEEDS
from ts.services import import_towerstore

DEMO_DIR = Path(settings.BASE_DIR) / "data" / "demo" / "towerstore"


class Command(BaseCommand):
    help = (
        "Import TowerStore feeds (poles, avr, base_stations) from the TS_*_URL settings or from"
        " local JSON files; a bad feed is refused and changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--from-dir",
            type=Path,
            help="read poles.json, avr.json and base_stations.json from this directory",
        )
        parser.add_argument(
            "--demo",
            action="store_true",
            help="import the bundled demo feeds, unless TowerStore URLs are configured",
        )
        parser.add_argument(
            "--feed",
            action="append",
            choices=[feed.name for feed in FEEDS],
            help="import only this feed (repeatable); default: all three in order",
        )

    def handle(
        self, *args: object, from_dir: Path | None, feed: list[str] | None, demo: bool, **options
    ) -> None:
        if demo:
            if any(getattr(settings, f.url_setting) for f in FEEDS):
                self.stdout.write(_("TowerStore feeds are configured; demo data not loaded"))
                return
            from_dir = DEMO_DIR
        feeds = [f for f in FEEDS if not feed or f.name in feed]
        failed = []
        for outcome in import_towerstore(from_dir=from_dir, feeds=feeds):
            if outcome.not_configured:
                self.stdout.write(
                    _("%(feed)s: %(setting)s is not set, skipped")
                    % {"feed": outcome.feed.name, "setting": outcome.feed.url_setting}
                )
                continue
            if outcome.report is None:
                failed.append(outcome.feed.name)
                self.stderr.write(self.style.ERROR(outcome.error))
                continue
            report = outcome.report
            self.stdout.write(report.summary())
            for note in [*report.warnings, *report.skipped][:20]:
                self.stdout.write(f"  {note}")
        if failed:
            raise CommandError(_("refused feeds: %(feeds)s") % {"feeds": ", ".join(failed)})
