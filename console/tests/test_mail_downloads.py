"""The ``.eml`` download is byte-identical to the message Dovecot holds (ingested by the real
``ingest_mail`` worker), for dispatchers and readers alike, never rendered inline."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.urls import reverse

from emails.models import EmailMessage
from emails.tests.conftest import (  # noqa: F401
    build_message,
    dovecot,
    point_ingest_at,
)
from incidents.defaults import load_defaults
from users.models import Role, User

pytestmark = pytest.mark.django_db(transaction=True)


def test_eml_is_byte_identical_to_the_mailbox(client, dovecot, settings):  # noqa: F811
    point_ingest_at(settings, dovecot)
    load_defaults()
    message = build_message("Нет связи", "Текст\r\nс CRLF и 8bit: ёжик", message_id="<eml@op>")
    dovecot.append("INBOX", [message])
    call_command("ingest_mail", "--source", "imap", "--folder", "INBOX", "--once")
    imap = dovecot.connect()
    imap.select("INBOX", readonly=True)
    _typ, data = imap.uid("FETCH", "1", "(BODY.PEEK[])")
    held = data[0][1]
    imap.logout()

    reader = User.objects.create_user(email="r@dispatch.example", password="x", role=Role.USER)
    client.force_login(reader)
    email = EmailMessage.objects.get(message_id="<eml@op>")
    response = client.get(reverse("console:email_eml", args=[email.pk]))
    assert response.status_code == 200
    assert response.content == held
    assert response["Content-Type"] == "message/rfc822"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
