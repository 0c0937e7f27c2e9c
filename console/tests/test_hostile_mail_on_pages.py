"""Crafted mail, read by the real ingest worker, shown on every console page a dispatcher opens:
each header, name, file name and body the sender controls comes out escaped — the pages that
draw e-mails in Python (timeline, related incidents) as much as those drawn by templates."""

from __future__ import annotations

import mailbox
from email.message import EmailMessage as MimeMessage
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from incidents.models import Incident
from incidents.tests.factories import make_site

pytestmark = pytest.mark.django_db

# Each payload would run script or break out of an attribute if it reached the page raw.
PAYLOADS = {
    "subject": '<script>alert("subject")</script> опора 77-00001',
    "from_name": '"><img src=x onerror=alert("from")>',
    "to_name": "<svg onload=alert('to')>",
    "filename": '"><script>alert("file")</script>.pdf',
    "body": "Опора 77-00001 без питания.\n<script>alert('body')</script>\n\"><b onmouseover=x>",
    "html": "<p>Опора</p><img src=x onerror=alert('html')><script>alert('html2')</script>",
}
RAW_MARKERS = (
    "<script>alert(",
    "<img src=x onerror",
    "<svg onload",
    "<b onmouseover",
    '"><script>',
)


def _crafted(message_id: str, subject: str) -> bytes:
    message = MimeMessage()
    message["From"] = f"{PAYLOADS['from_name']} <noc@operator.example>"
    message["To"] = f"{PAYLOADS['to_name']} <dispatch@desk.example>"
    message["Subject"] = subject
    message["Message-ID"] = message_id
    message["Date"] = "Thu, 03 Dec 2026 09:00:00 +0300"
    message.set_content(PAYLOADS["body"])
    message.add_alternative(PAYLOADS["html"], subtype="html")
    message.add_attachment(
        b"%PDF-1.4 hostile", maintype="application", subtype="pdf", filename=PAYLOADS["filename"]
    )
    return message.as_bytes()


def _ingest(folder: Path, *raws: bytes) -> None:
    box = mailbox.Maildir(folder, create=True)
    for raw in raws:
        box.add(raw)
    call_command("ingest_mail", "--source", f"maildir:{folder}", "--folder", "INBOX", "--once")


def _assert_escaped(html: str, where: str) -> None:
    for marker in RAW_MARKERS:
        assert marker not in html, f"{where}: {marker!r} reached the page unescaped"


def test_crafted_mail_is_shown_escaped_on_every_page(client, dispatcher, tmp_path):
    make_site("77-00001")
    _ingest(
        tmp_path / "Maildir",
        _crafted("<hostile-1@operator.example>", PAYLOADS["subject"]),
        _crafted("<hostile-2@operator.example>", PAYLOADS["subject"] + " повторно"),
    )
    incidents = list(Incident.objects.order_by("pk"))
    assert len(incidents) == 2  # two conversations, the same pole: related to each other
    client.force_login(dispatcher)

    page = client.get(reverse("console:incident", args=[incidents[0].pk]))
    html = page.content.decode()
    assert page.status_code == 200
    _assert_escaped(html, "incident page")
    assert "&lt;script&gt;alert(&#x27;body&#x27;)&lt;/script&gt;" in html  # shown, as text
    assert "&quot;&gt;&lt;img src=x onerror=alert(&quot;from&quot;)&gt;" in html
    assert ">script_.pdf</a>" in html  # the attachment is listed under its stored, safe name
    assert incidents[1].code in html  # the related incident on the same pole is listed

    for name, args in (("console:queue", []), ("console:mail", [])):
        response = client.get(reverse(name, args=args))
        assert response.status_code == 200
        _assert_escaped(response.content.decode(), name)
    search = client.get(reverse("console:queue"), {"q": "alert"})
    _assert_escaped(search.content.decode(), "queue search")
