"""Attachments: stored privately under a safe name, over-size ones keep only their metadata."""

from __future__ import annotations

from email.message import EmailMessage as MimeMessage

import pytest

from emails.models import EmailAttachment
from emails.parsing import parse_email
from emails.services import Incoming, get_folder, store_messages

pytestmark = pytest.mark.django_db


def message_with(files: list[tuple[str, bytes]]) -> bytes:
    msg = MimeMessage()
    msg["From"] = "engineer@operator.example"
    msg["To"] = "dispatch@example.test"
    msg["Subject"] = "Фото с опоры 02-00123"
    msg["Message-ID"] = "<files@op.example>"
    msg.set_content("Фото во вложении.")
    for name, data in files:
        msg.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return msg.as_bytes()


def test_attachments_are_stored_with_safe_names_and_size_limit(statuses, settings):
    settings.MAX_ATTACHMENT_SIZE = 1000
    raw = message_with([("../../Акт осмотра.pdf", b"%PDF-1.4 small"), ("видео.mp4", b"\0" * 5000)])
    store_messages(get_folder("t", "INBOX"), 1, [Incoming(1, raw, parse_email(raw))])
    small = EmailAttachment.objects.get(filename="Акт осмотра.pdf")
    assert small.size == 14 and small.file.read() == b"%PDF-1.4 small"
    assert "/../" not in small.file.name and small.file.name.startswith("attachments/")
    big = EmailAttachment.objects.get(filename="видео.mp4")
    assert big.size == 5000 and not big.file and "1000" in big.rejected_reason
