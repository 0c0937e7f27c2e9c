"""Hostile headers and names through the real ingest from Dovecot: an encoded display name cannot
forge the sender or add recipients (issue #16 finding 3); bidi and invisible characters never
reach a stored or offered attachment name (finding 12)."""

from __future__ import annotations

import unicodedata
from email.message import EmailMessage as MimeMessage

import pytest
from django.urls import reverse

from emails.ingest import ingest_folder
from emails.models import EmailAttachment, EmailMessage
from emails.tests.conftest import MAILBOX_USER
from incidents.models import Incident
from users.models import Role, User

pytestmark = pytest.mark.django_db(transaction=True)


def raw_message(headers: list[tuple[str, str]], body: str = "Нет связи на опоре.") -> bytes:
    lines = [f"{name}: {value}" for name, value in headers]
    lines += ["Subject: Авария", "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8"]
    return ("\r\n".join(lines) + "\r\n\r\n" + body + "\r\n").encode()


def test_encoded_display_name_does_not_become_the_requester(dovecot, imap_source, statuses):
    dovecot.append(
        "INBOX",
        [
            raw_message(
                [
                    ("From", "=?utf-8?q?engineer=40megafon=2Eexample=2C?= <attacker@evil.example>"),
                    ("To", MAILBOX_USER),
                    ("Cc", "=?utf-8?q?boss=40megafon=2Eexample=2C_x?= <friend@evil.example>"),
                    ("Message-ID", "<spoof@evil.example>"),
                ]
            )
        ],
    )
    ingest_folder(imap_source, "INBOX")
    email = EmailMessage.objects.get(message_id="<spoof@evil.example>")
    assert email.from_address == "attacker@evil.example"
    assert email.from_name == "engineer@megafon.example,"
    assert Incident.objects.get().requester_email == "attacker@evil.example"
    cc = list(email.recipients.filter(kind="cc").values_list("address", "name"))
    assert cc == [("friend@evil.example", "boss@megafon.example, x")]


def test_plain_and_encoded_names_still_decode(dovecot, imap_source, statuses):
    dovecot.append(
        "INBOX",
        [
            raw_message(
                [
                    ("From", "=?utf-8?b?0JjQstCw0L0g0J/QtdGC0YDQvtCy?= <Ivan@Operator.example>"),
                    ("To", f'"Диспетчерская, смена 1" <{MAILBOX_USER}>, b@op.example'),
                    ("Message-ID", "<names@op.example>"),
                ]
            )
        ],
    )
    ingest_folder(imap_source, "INBOX")
    email = EmailMessage.objects.get(message_id="<names@op.example>")
    assert (email.from_name, email.from_address) == ("Иван Петров", "ivan@operator.example")
    to = sorted(email.recipients.filter(kind="to").values_list("address", flat=True))
    assert to == ["b@op.example", MAILBOX_USER]


def reader() -> User:
    return User.objects.create_user(
        email="r@dispatch.example", password="x-Y-z-123", role=Role.USER
    )


BIDI_NAMES = [
    "\u202egnp.exe",
    "фото\u2066.jpg\u2069.scr",
    "act\u200b\u200f\ufeff.pdf",
    "\u061cinvoice\u00ad.js",
]


def test_bidi_and_invisible_characters_are_neutralised(
    dovecot, imap_source, statuses, settings, tmp_path, client
):
    settings.MEDIA_ROOT = str(tmp_path)
    msg = MimeMessage()
    msg["From"] = "engineer@operator.example"
    msg["To"] = MAILBOX_USER
    msg["Subject"] = "Фото с опоры"
    msg["Message-ID"] = "<bidi@op.example>"
    msg.set_content("Фото во вложении.")
    for n, name in enumerate(BIDI_NAMES):
        msg.add_attachment(f"data {n}".encode(), maintype="image", subtype="png", filename=name)
    dovecot.append("INBOX", [msg.as_bytes()])
    ingest_folder(imap_source, "INBOX")
    names = list(EmailAttachment.objects.order_by("id").values_list("filename", flat=True))
    assert names == ["gnp.exe", "фото.jpg.scr", "act.pdf", "invoice.js"]
    for attachment in EmailAttachment.objects.all():
        stored = attachment.file.name
        assert not any(unicodedata.category(ch) == "Cf" for ch in stored), stored
    client.force_login(reader())
    first = EmailAttachment.objects.order_by("id").first()
    response = client.get(reverse("console:attachment", args=[first.pk]))
    assert response["Content-Disposition"] == 'attachment; filename="gnp.exe"'


def test_names_stored_before_the_fix_are_offered_neutralised(
    dovecot, imap_source, statuses, settings, tmp_path, client
):
    settings.MEDIA_ROOT = str(tmp_path)
    msg = MimeMessage()
    msg["From"] = "engineer@operator.example"
    msg["Message-ID"] = "<old@op.example>"
    msg.set_content("x")
    msg.add_attachment(b"x", maintype="image", subtype="png", filename="photo.png")
    dovecot.append("INBOX", [msg.as_bytes()])
    ingest_folder(imap_source, "INBOX")
    EmailAttachment.objects.update(filename="\u202egnp.exe")  # a row written by older code
    client.force_login(reader())
    attachment = EmailAttachment.objects.get()
    response = client.get(reverse("console:attachment", args=[attachment.pk]))
    assert response["Content-Disposition"] == 'attachment; filename="gnp.exe"'
    page = client.get(reverse("console:incident", args=[attachment.email.incident_id]))
    assert "\u202e" not in page.content.decode()
