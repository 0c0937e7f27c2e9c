"""cleanup_attachments: old attachment files are removed, their metadata is kept."""

import os
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.utils import timezone

from emails.models import EmailAttachment, EmailMessage

pytestmark = pytest.mark.django_db


def _attachment(message_id: str, age_days: int, name: str = "act.pdf") -> EmailAttachment:
    stored = timezone.now() - timedelta(days=age_days)
    email = EmailMessage.objects.create(message_id=message_id, sent_at=stored, received_at=stored)
    attachment = EmailAttachment(
        email=email, filename=name, content_type="application/pdf", size=3, sha256="0" * 64
    )
    attachment.file.save(name, ContentFile(b"pdf"), save=True)
    return attachment


def test_old_files_are_removed_and_recent_ones_kept(settings):
    settings.MAX_ATTACHMENT_DAYS = 30
    old = _attachment("<old@x>", age_days=31)
    recent = _attachment("<recent@x>", age_days=5)
    old_path = old.file.path

    call_command("cleanup_attachments")

    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.file.name == ""
    assert old.filename == "act.pdf" and old.sha256 == "0" * 64  # metadata stays
    assert "30" in old.rejected_reason
    assert not os.path.exists(old_path)
    assert recent.file.name and os.path.exists(recent.file.path)


def test_dry_run_changes_nothing(settings, capsys):
    settings.MAX_ATTACHMENT_DAYS = 1
    old = _attachment("<dry@x>", age_days=10)
    call_command("cleanup_attachments", dry_run=True)
    assert "would remove 1" in capsys.readouterr().out
    old.refresh_from_db()
    assert old.file.name


def test_running_twice_is_harmless(settings):
    settings.MAX_ATTACHMENT_DAYS = 1
    _attachment("<twice@x>", age_days=10)
    call_command("cleanup_attachments")
    call_command("cleanup_attachments")
    assert EmailAttachment.objects.filter(file="").count() == 1
