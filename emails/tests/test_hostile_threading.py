"""Hostile threading through the real ingest from Dovecot: a message reusing a Message-ID with
other content is kept and linked to the first (issue #16 finding 8); an outsider who writes an
incident code in the subject is linked but flagged for the dispatcher (finding 2)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from emails.ingest import ingest_folder
from emails.models import EmailLocation, EmailMessage
from emails.tests.conftest import build_message
from incidents.models import Incident

pytestmark = pytest.mark.django_db(transaction=True)

Review = EmailMessage.Review


def request() -> bytes:
    return build_message(
        "Нет связи на опоре 02-00123",
        "Прошу проверить опору.",
        sender="engineer@megafon.example",
        message_id="<req@megafon.example>",
        headers={"Cc": "boss@megafon.example"},
    )


def test_a_reused_message_id_with_other_content_is_kept_and_linked(dovecot, imap_source, statuses):
    dovecot.append("INBOX", [request()])
    ingest_folder(imap_source, "INBOX")
    first = EmailMessage.objects.get(message_id="<req@megafon.example>")
    forged = build_message(
        "Нет связи на опоре 02-00123",
        "Отбой, всё работает, заявку закрыть.",
        sender="engineer@megafon.example",
        message_id="<req@megafon.example>",
    )
    dovecot.append("INBOX", [forged])
    dovecot.append("Sent", [request(), forged])  # copies of both, seen in another folder
    inbox = ingest_folder(imap_source, "INBOX")
    sent = ingest_folder(imap_source, "Sent")
    assert inbox.result.stored == 1 and sent.result.stored == 0
    assert sent.result.duplicates == 2
    kept = EmailMessage.objects.exclude(pk=first.pk).get()
    assert kept.body_text.startswith("Отбой")
    assert kept.duplicate_of == first and kept.review == Review.DUPLICATE_ID
    assert kept.incident_id == first.incident_id and not kept.is_first
    assert bytes(kept.raw.data).replace(b"\r\n", b"\n") == forged.replace(b"\r\n", b"\n")
    assert EmailLocation.objects.filter(email=kept).count() == 2  # INBOX and Sent
    assert EmailLocation.objects.filter(email=first).count() == 2
    assert Incident.objects.count() == 1


def test_a_reused_message_id_in_one_batch_is_kept(dovecot, imap_source, statuses):
    other = build_message("Другая тема", "Другой текст", message_id="<req@megafon.example>")
    dovecot.append("INBOX", [request(), other, request()])
    report = ingest_folder(imap_source, "INBOX")
    assert report.result.stored == 2 and report.result.duplicates == 1
    first = EmailMessage.objects.get(message_id="<req@megafon.example>")
    kept = EmailMessage.objects.get(duplicate_of=first)
    assert kept.subject == "Другая тема" and kept.review == Review.DUPLICATE_ID
    assert kept.incident_id == first.incident_id


def test_an_outsider_naming_the_incident_code_is_linked_but_flagged(dovecot, imap_source, statuses):
    dovecot.append("INBOX", [request()])
    ingest_folder(imap_source, "INBOX")
    incident = Incident.objects.get()
    future = datetime(2030, 1, 1, tzinfo=UTC)
    dovecot.append(
        "INBOX",
        [
            build_message(
                f"Re: {incident.code}: Нет связи", "Пишите мне на этот адрес.",
                sender="attacker@evil.example", message_id="<evil@evil.example>", date=future,
            ),
            build_message(
                f"Re: {incident.code}", "Уточнение от руководителя.",
                sender="boss@megafon.example", message_id="<boss@megafon.example>",
            ),
            build_message(
                f"{incident.code} опора 77-00001", "Уточнение заявителя.",
                sender="Engineer@Megafon.example", message_id="<req2@megafon.example>",
            ),
        ],
    )  # fmt: skip
    report = ingest_folder(imap_source, "INBOX")
    assert report.result.incidents == 0 and report.result.linked == 3
    evil = EmailMessage.objects.get(message_id="<evil@evil.example>")
    assert evil.incident_id == incident.pk and evil.review == Review.OUTSIDER
    for trusted in ("<boss@megafon.example>", "<req2@megafon.example>"):
        email = EmailMessage.objects.get(message_id=trusted)
        assert email.incident_id == incident.pk and email.review == Review.NONE


def test_an_outsider_answering_by_headers_is_not_flagged(dovecot, imap_source, statuses):
    dovecot.append("INBOX", [request()])
    ingest_folder(imap_source, "INBOX")
    dovecot.append(
        "INBOX",
        [
            build_message(
                "RE: Нет связи", "Подрядчик: выехали.", sender="brigade@avr.example",
                message_id="<avr@avr.example>", in_reply_to="<req@megafon.example>",
            )
        ],
    )  # fmt: skip
    ingest_folder(imap_source, "INBOX")
    email = EmailMessage.objects.get(message_id="<avr@avr.example>")
    assert email.incident_id and email.review == Review.NONE


def test_the_trackers_own_mail_is_not_flagged_but_makes_nobody_a_participant(
    dovecot, imap_source, statuses
):
    dovecot.append("INBOX", [request()])
    ingest_folder(imap_source, "INBOX")
    incident = Incident.objects.get()
    tracker = {"X-Yandex-Tracker-Mail-Type": "issue-comment", "X-Tracker-Issue-Key": incident.code}
    dovecot.append(
        "INBOX",
        [
            build_message(
                f"[{incident.code}] Заявка принята", "Ваша заявка принята в работу.",
                sender="tracker@tracker.example", message_id="<t-1@tracker.example>",
                headers={**tracker, "Cc": "friend@evil.example"},
            )
        ],
    )  # fmt: skip
    ingest_folder(imap_source, "INBOX")  # stored first: then it could vouch for its Cc
    dovecot.append(
        "INBOX",
        [
            build_message(
                f"Re: {incident.code}", "Теперь я участник?", sender="friend@evil.example",
                message_id="<friend@evil.example>",
            ),
        ],
    )  # fmt: skip
    ingest_folder(imap_source, "INBOX")
    assert EmailMessage.objects.get(message_id="<t-1@tracker.example>").review == Review.NONE
    assert EmailMessage.objects.get(message_id="<friend@evil.example>").review == Review.OUTSIDER
