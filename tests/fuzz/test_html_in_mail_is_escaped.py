"""HTML and JavaScript in a received e-mail (subject, sender name, plain and HTML body, file name)
are shown escaped in the console and the admin: no live tag or handler reaches the page."""

from __future__ import annotations

import re
from email.message import EmailMessage as MimeMessage

import pytest
from django.urls import reverse

from emails.models import EmailMessage
from emails.parsing import parse_email
from emails.services import Incoming, get_folder, store_messages
from users.models import User

pytestmark = pytest.mark.django_db

VECTORS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(2)">',
    "<svg/onload=alert(3)>",
    '"><iframe src="javascript:alert(4)"></iframe>',
    "<a href='javascript:alert(5)'>клик</a>",
    "</textarea><script>alert(6)</script>",
    '<div style="background:url(javascript:alert(7))">x</div>',
    "{{ request.user.password }}{% debug %}",
]
LIVE = re.compile(
    r"<script>alert|<img src=x onerror|<svg/onload|<iframe src=\"javascript|"
    r"href='javascript:alert|style=\"background:url\(javascript"
)


def _hostile(n: int, vector: str) -> bytes:
    msg = MimeMessage()
    msg["From"] = f'"{vector}" <evil{n}@operator.example>'
    msg["To"] = "dispatch@example.test"
    msg["Subject"] = f"Авария {vector}"
    msg["Message-ID"] = f"<xss{n}@operator.example>"
    msg.set_content(f"Текст {vector}")
    msg.add_alternative(f"<html><body><p>HTML {vector}</p>{vector}</body></html>", subtype="html")
    msg.add_attachment(b"x", maintype="text", subtype="html", filename=f"{vector}.html")
    return msg.as_bytes()


@pytest.fixture
def hostile_mail(defaults, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    folder = get_folder("xss@example.test", "INBOX")
    items = [
        Incoming(uid=n + 1, raw=raw, parsed=parse_email(raw))
        for n, raw in enumerate(_hostile(n, v) for n, v in enumerate(VECTORS))
    ]
    store_messages(folder, 1, items)
    return list(EmailMessage.objects.select_related("incident").order_by("id"))


def _pages(emails) -> list[str]:
    urls = [reverse("console:queue"), reverse("admin:emails_emailmessage_changelist"),
            reverse("admin:incidents_incident_changelist")]  # fmt: skip
    for email in emails:
        urls += [
            reverse("console:incident", args=[email.incident_id]),
            reverse("admin:emails_emailmessage_change", args=[email.pk]),
            reverse("admin:incidents_incident_change", args=[email.incident_id]),
        ]
    return urls


def test_hostile_markup_is_escaped_in_console_and_admin(client, hostile_mail):
    assert len(hostile_mail) == len(VECTORS)
    assert all(email.incident_id for email in hostile_mail)
    admin = User.objects.create_superuser(email="boss@dispatch.example", password="x-Pass-123")
    client.force_login(admin)
    for url in _pages(hostile_mail):
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        assert not LIVE.search(page), (url, LIVE.search(page).group(0))
    page = client.get(reverse("console:incident", args=[hostile_mail[0].incident_id]))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.content.decode()  # shown, escaped
    assert (
        "{% debug %}"
        in "".join(  # template syntax in mail stays text, never evaluated
            client.get(reverse("console:incident", args=[e.incident_id])).content.decode()
            for e in hostile_mail[-1:]
        )
    )
