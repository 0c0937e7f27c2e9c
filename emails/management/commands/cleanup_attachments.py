"""Remove attachment files of e-mails stored more than MAX_ATTACHMENT_DAYS ago.

The attachment rows stay (name, size, SHA-256), with the file cleared and the reason recorded.
Rows are updated first and committed, then the files are deleted: a crash in between leaves an
unreferenced file, never a row pointing at a missing file.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from emails.models import EmailAttachment

logger = logging.getLogger(__name__)

BATCH_SIZE = 500


class Command(BaseCommand):
    help = "Delete attachment files older than MAX_ATTACHMENT_DAYS (metadata is kept)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=None, help="Override MAX_ATTACHMENT_DAYS.")
        parser.add_argument("--dry-run", action="store_true", help="Only count what would go.")

    def handle(self, *args: Any, days: int | None, dry_run: bool, **options: Any) -> None:
        days = settings.MAX_ATTACHMENT_DAYS if days is None else days
        cutoff = timezone.now() - timedelta(days=days)
        old = EmailAttachment.objects.filter(email__received_at__lt=cutoff).exclude(file="")
        if dry_run:
            self.stdout.write(f"would remove {old.count()} attachment file(s)")
            return
        with translation.override(settings.LANGUAGE_CODE):
            reason = _("File removed after %(days)d days (retention).") % {"days": days}
        removed = 0
        while True:
            batch = list(old.order_by("pk").values_list("pk", "file")[:BATCH_SIZE])
            if not batch:
                break
            with transaction.atomic():
                EmailAttachment.objects.filter(pk__in=[pk for pk, _name in batch]).update(
                    file="", rejected_reason=reason
                )
            removed += self._delete_files([name for _pk, name in batch])
        logger.info("attachment cleanup days=%d files_removed=%d", days, removed)
        self.stdout.write(f"removed {removed} attachment file(s) older than {days} days")

    @staticmethod
    def _delete_files(names: list[str]) -> int:
        """Delete files no longer referenced by any attachment row."""
        storage = EmailAttachment._meta.get_field("file").storage
        still_used = set(
            EmailAttachment.objects.filter(file__in=names).values_list("file", flat=True)
        )
        deleted = 0
        for name in set(names) - still_used:
            if storage.exists(name):
                storage.delete(name)
                deleted += 1
        return deleted
