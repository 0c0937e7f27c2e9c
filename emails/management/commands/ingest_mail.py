"""Worker: read new mail from IMAP or a Maildir and turn it into incidents and replies."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser

from dispatch.workers import WorkerCommand
from emails.ingest import ingest_folder, retry_quarantine
from emails.sources import MailSource, SourceError, source_from_spec
from emails.sources.maildir import MaildirSource

# The embedded default starts with the bundled Russian demo mailbox when MAILDIR_PATH is missing.
DEMO_MAILDIR = Path(settings.BASE_DIR) / "data" / "demo" / "maildir"


class Command(WorkerCommand):
    help = "Ingest new e-mail (INBOX and Sent by default) into incidents."
    default_interval = 10.0

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--source",
            default=None,
            help="imap or maildir:PATH (default: MAIL_SOURCE, maildir = MAILDIR_PATH).",
        )
        parser.add_argument(
            "--folder",
            action="append",
            default=None,
            help="Folder to read; repeat for several (default: the inbox and sent folders).",
        )
        parser.add_argument("--batch-size", type=int, default=None)

    def worker_name(self, **options: Any) -> str:
        return "ingest_mail:" + ",".join(self.folders)

    def setup(self, **options: Any) -> None:
        try:
            self.source: MailSource = source_from_spec(options["source"] or settings.MAIL_SOURCE)
        except SourceError as exc:
            raise CommandError(str(exc)) from exc
        if (
            isinstance(self.source, MaildirSource)
            and self.source.root == Path(settings.MAILDIR_PATH).resolve()
            and self.source.create_from(DEMO_MAILDIR)
        ):
            self.stdout.write(f"created {self.source.root} from the demo mailbox")
        self.folders: list[str] = options["folder"] or [
            settings.PARSING_EMAIL_INBOX_FOLDER_NAME,
            settings.PARSING_EMAIL_SENT_FOLDER_NAME,
        ]
        self.batch_size: int | None = options["batch_size"]
        self.echo = not options["loop"]  # in a loop the worker log carries the summary

    def run_cycle(self) -> str:
        """Every folder in turn (one failing folder does not hold up the others)."""
        parts, errors = [], []
        for name in self.folders:
            try:
                report = ingest_folder(
                    self.source, name, batch_size=self.batch_size, should_stop=self._stopping
                )
            except SourceError as exc:
                errors.append(exc)
                parts.append(f"{name}: {exc}")
            else:
                parts.append(report.summary())
        resolved, failing = retry_quarantine()
        summary = "; ".join(parts)
        if resolved or failing:
            summary += f"; quarantine resolved={resolved} failing={failing}"
        if self.echo:
            self.stdout.write(summary)
        if errors:
            raise SourceError(summary) from errors[0]
        return summary

    def _stopping(self) -> bool:
        return self.stop.is_set
