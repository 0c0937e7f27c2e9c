"""The dispatcher searches mail the moment the worker has stored it: mail arrives through Dovecot
and the real ``ingest_mail`` worker, which leaves the search documents to its next cycle
(``emails.search_index``); the queue and the mail list find it by any form of a Russian word
already, and find the same after the next cycle has stored the documents. PostgreSQL."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from emails.models import EmailMessage
from emails.tests.conftest import build_message, dovecot, point_ingest_at  # noqa: F401
from incidents.models import Incident

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="full-text search is PostgreSQL's"
    ),
]
QUEUE = reverse("console:queue")
MAIL = reverse("console:mail")


def _queue(client, text: str) -> set[int]:
    page = client.get(QUEUE, {"q": text}).text
    return {int(pk) for pk in re.findall(r'<tr class="[^"]*" data-incident="(\d+)"', page)}


def _mail(client, text: str) -> set[int]:
    page = client.get(MAIL, {"q": text}).content.decode()
    return {int(pk) for pk in re.findall(r'data-email="(\d+)"', page)}


def _without_document() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM emails_emailmessage WHERE search_document IS NULL")
        return cursor.fetchone()[0]


def test_fresh_mail_is_found_before_and_after_the_next_cycle(client, dispatcher, settings, dovecot):  # noqa: F811
    point_ingest_at(settings, dovecot)
    dovecot.append(
        "INBOX",
        [
            build_message("Авария на линии", "Упала опора, оборваны провода у посёлка Лесной.",
                          message_id="<fall@op.example>"),
            build_message("Нет связи", "Сгорел автомат в шкафу учёта.",
                          message_id="<fuse@op.example>"),
        ],
    )  # fmt: skip
    call_command("ingest_mail", "--source", "imap", "--once")
    fall = Incident.objects.get(emails__message_id="<fall@op.example>")
    fuse = Incident.objects.get(emails__message_id="<fuse@op.example>")
    fall_mail = EmailMessage.objects.get(message_id="<fall@op.example>").pk
    assert _without_document() == 2  # the intake left them to the next cycle
    client.force_login(dispatcher)

    for cycle in range(2):
        assert _queue(client, "опоры") == {fall.pk}  # «опора» in another form
        assert _queue(client, "автоматы") == {fuse.pk}
        assert _queue(client, "оборванный провод") == {fall.pk}
        assert _mail(client, "Лесной провода") == {fall_mail}
        assert _mail(client, "грузовик") == set()
        if cycle == 0:
            call_command("ingest_mail", "--source", "imap", "--once")  # nothing new: the sweep
            assert _without_document() == 0
