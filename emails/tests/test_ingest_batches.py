"""A batch of mail costs a fixed number of queries whatever its size, and is stored compactly."""

from __future__ import annotations

from email.message import EmailMessage as MimeMessage

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from emails.ingest import ingest_folder
from emails.models import EmailAttachment, EmailMessage, EmailRecipient
from emails.tests.conftest import build_message
from incidents.models import Incident
from ts.recognition import recognize
from ts.tests.factories import make_pole
from users.models import Role, User

pytestmark = pytest.mark.django_db(transaction=True)


def desk_mail(first: int, count: int) -> list[bytes]:
    """``count`` messages numbered from ``first``: two of three open a conversation (naming a
    pole, some with Cc and an attachment), the third answers the one before it."""
    messages = []
    for n in range(first, first + count):
        if n % 3 == 2:
            messages.append(
                build_message(
                    f"RE: Авария {n - 1}", "Бригада выехала.", message_id=f"<m{n}@op.example>",
                    in_reply_to=f"<m{n - 1}@op.example>", references=[f"<m{n - 1}@op.example>"],
                )
            )  # fmt: skip
            continue
        msg = MimeMessage()
        msg["From"] = f"engineer{n}@operator.example"
        msg["To"] = "dispatch@example.test"
        msg["Cc"] = f"noc{n}@operator.example, boss@operator.example"
        msg["Subject"] = f"Авария {n} на опоре 77-{n % 2:05d}"
        msg["Message-ID"] = f"<m{n}@op.example>"
        msg.set_content("Нет питания с 10:30.", charset="koi8-r", cte="base64")
        msg.add_alternative("<p>Нет питания с 10:30.</p>", subtype="html")
        if n % 3 == 0:
            msg.add_attachment(b"%PDF-1.4 " + bytes(n), "application", "pdf", filename=f"a{n}.pdf")
        messages.append(msg.as_bytes())
    return messages


def test_queries_per_batch_do_not_grow_with_the_batch(dovecot, imap_source, statuses):
    make_pole("77-00000")
    make_pole("77-00001")
    User.objects.create_user(email="d1@example.ru", username="d1", role=Role.DISPATCH)
    User.objects.create_user(email="d2@example.ru", username="d2", role=Role.DISPATCH)
    recognize("", "")  # the recognition index is built once per process
    dovecot.append("INBOX", desk_mail(0, 3))
    ingest_folder(imap_source, "INBOX", batch_size=100)
    counts = []
    first = 3
    for size in (6, 48):  # (SQLite: Django splits an INSERT of more than 999 parameters)
        dovecot.append("INBOX", desk_mail(first, size))
        first += size
        with CaptureQueriesContext(connection) as queries:
            report = ingest_folder(imap_source, "INBOX", batch_size=100)
        assert report.batches == 1 and report.result.stored == size
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert EmailMessage.objects.count() == 57
    assert Incident.objects.count() == 38
    assert Incident.objects.filter(pole__isnull=True).count() == 0
    assert EmailMessage.objects.filter(incident__isnull=True).count() == 0
    assert EmailAttachment.objects.count() == 19
    assert EmailRecipient.objects.filter(address="boss@operator.example").count() == 38


@pytest.mark.postgres
def test_raw_messages_and_bodies_are_compressed_with_lz4(dovecot, imap_source, statuses):
    dovecot.append("INBOX", [build_message(body="Добрый день! Прошу проверить. " * 400)])
    ingest_folder(imap_source, "INBOX")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_column_compression(r.data), pg_column_compression(m.body_text) "
            "FROM emails_emailraw r JOIN emails_emailmessage m ON m.id = r.email_id"
        )
        assert cursor.fetchall() == [("lz4", "lz4")]


def test_replies_filling_poles_cost_the_same_queries_whatever_their_number(
    dovecot, imap_source, statuses
):
    """Replies that name the pole of incidents opened without one fill it (with the change log
    entry and the SLA refreshed), in a fixed number of queries a batch."""
    from incidents.models import IncidentChange

    for n in range(10):
        make_pole(f"77-{n:05d}")
    recognize("", "")  # the recognition index is built once per process
    openings = [
        build_message(f"Авария {n}", "Нет питания.", message_id=f"<o{n}@op.example>")
        for n in range(10)
    ]
    dovecot.append("INBOX", openings)
    ingest_folder(imap_source, "INBOX", batch_size=100)
    assert Incident.objects.filter(pole__isnull=True).count() == 10
    counts = []
    for numbers in (range(2), range(2, 10)):
        dovecot.append("INBOX", [
            build_message(
                f"RE: Авария {n}", f"Это опора 77-{n:05d}.", message_id=f"<r{n}@op.example>",
                in_reply_to=f"<o{n}@op.example>", references=[f"<o{n}@op.example>"],
            )
            for n in numbers
        ])  # fmt: skip
        with CaptureQueriesContext(connection) as queries:
            report = ingest_folder(imap_source, "INBOX", batch_size=100)
        assert report.batches == 1 and report.result.linked == len(numbers)
        counts.append(len(queries))
    assert counts[0] == counts[1]
    for n, incident in enumerate(Incident.objects.order_by("pk").select_related("pole")):
        assert incident.pole.code == f"77-{n:05d}"
        change = IncidentChange.objects.get(incident=incident)
        assert (change.field, change.old_value, change.actor) == ("pole", "", "email")
        assert change.new_value == str(incident.pole)
