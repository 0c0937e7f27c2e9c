"""Worker: read new mail from IMAP or a Maildir and turn it into incidents and replies.

``--role inbox`` / ``--role sent`` read the folders the settings name
(``PARSING_EMAIL_INBOX_FOLDER_NAME``, ``PARSING_EMAIL_SENT_FOLDER_NAME``) — what Supervisor runs;
``--folder NAME`` reads any other folder; without either, both configured folders are read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser

from dispatch.workers import WorkerCommand
from emails.folders import ROLE_SETTINGS, configured_folder, decode_folder_name, role_setting
from emails.ingest import ingest_folder
from emails.quarantine import retry_quarantine
from emails.search_index import fill_pending
from emails.sources import MailSource, SourceError, source_from_spec
from emails.sources.base import FolderNotFound
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
            help="Folder to read by name; repeat for several.",
        )
        parser.add_argument(
            "--role",
            action="append",
            choices=list(ROLE_SETTINGS),
            default=None,
            help="Read the folder the settings name for this role; repeat for several "
            "(default, without --folder: inbox and sent).",
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
        roles = options["role"] or ([] if options["folder"] else list(ROLE_SETTINGS))
        names = [configured_folder(role) for role in roles]
        names += [decode_folder_name(name) for name in options["folder"] or []]
        self.folders: list[str] = list(dict.fromkeys(names))
        self.batch_size: int | None = options["batch_size"]
        self.echo = not options["loop"]  # in a loop the worker log carries the summary

    def run_cycle(self) -> str:
        """The search documents earlier cycles left (PostgreSQL), then every folder in turn (one
        failing folder does not hold up the others)."""
        indexed = fill_pending()
        parts, errors = [], []
        try:
            with self.source.cycle():  # one connection for all the folders
                for name in self.folders:
                    parts.append(self._ingest(name, errors))
        except SourceError as exc:  # the connection itself failed
            errors.append(exc)
            parts.append(str(exc))
        resolved, failing = retry_quarantine()
        summary = "; ".join(parts)
        if indexed:
            summary += f"; search documents filled={indexed}"
        if resolved or failing:
            summary += f"; quarantine resolved={resolved} failing={failing}"
        if self.echo:
            self.stdout.write(summary)
        if errors:
            raise SourceError(summary) from errors[0]
        return summary

    def _ingest(self, name: str, errors: list[Exception]) -> str:
        """One folder; a failure is recorded in ``errors`` and does not stop the others."""
        try:
            report = ingest_folder(
                self.source, name, batch_size=self.batch_size, should_stop=self._stopping
            )
        except FolderNotFound as exc:  # say which setting asked for it
            missing = FolderNotFound(exc.name, exc.available, role_setting(name))
            errors.append(missing)
            return f"{name}: {missing}"
        except SourceError as exc:
            errors.append(exc)
            return f"{name}: {exc}"
        return report.summary()

    def _stopping(self) -> bool:
        return self.stop.is_set
