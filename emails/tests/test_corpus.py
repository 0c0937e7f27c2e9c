"""Real-world mail (CPython test_email data, our Russian corpus) ingests as readable text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from emails.ingest import ingest_folder
from emails.models import EmailAttachment, EmailMessage, QuarantinedEmail
from incidents.models import Incident

CORPUS = Path(__file__).parent / "corpus"
_UNREADABLE = re.compile(r"[\ufffd\ud800-\udfff\x00-\x08\x0b\x0c\x0e-\x1f]")


def cpython_corpus() -> list[Path]:
    """CPython's ``Lib/test/test_email/data/msg_*.txt`` (vendored in ``corpus/cpython``)."""
    return sorted((CORPUS / "cpython").glob("msg_*.txt"))


def readable(text: str) -> bool:
    return not _UNREADABLE.search(text)


@pytest.mark.django_db(transaction=True)
def test_whole_corpus_ingests_over_imap_as_readable_text(dovecot, imap_source, statuses):
    cpython = cpython_corpus()
    ours = sorted(CORPUS.glob("*.eml"))
    assert len(cpython) >= 40, "CPython's test_email data is missing"
    raws = [path.read_bytes() for path in cpython + ours]
    dovecot.append("INBOX", raws)
    report = ingest_folder(imap_source, "INBOX", batch_size=25)
    assert QuarantinedEmail.objects.count() == 0
    # every mailbox message is accounted for: stored, or a repeat of a stored Message-ID (those
    # are recognised from the header and not even downloaded when an earlier batch stored them)
    result = report.result
    assert report.fetched + report.skipped_known == len(raws)
    assert result.stored + result.duplicates + report.skipped_known == len(raws)
    assert EmailMessage.objects.count() == result.stored
    originals = {raw.replace(b"\r\n", b"\n") for raw in raws}
    for email in EmailMessage.objects.all():
        assert readable(email.subject), email.message_id
        assert readable(email.body_text), email.message_id
        assert bytes(email.raw.data).replace(b"\r\n", b"\n") in originals  # kept as received


@pytest.mark.django_db(transaction=True)
def test_russian_corpus_is_decoded_and_classified(dovecot, imap_source, statuses):
    dovecot.append("INBOX", [path.read_bytes() for path in sorted(CORPUS.glob("*.eml"))])
    ingest_folder(imap_source, "INBOX")
    by_id = {email.message_id: email for email in EmailMessage.objects.all()}

    koi8 = by_id["<koi8-1@mts.example>"]
    assert koi8.subject == "Авария на опоре 02-00123"
    assert koi8.from_name == "Иванов Иван"
    assert "нет питания" in koi8.body_text

    cp1251 = by_id["<cp1251-1@beeline.example>"]
    assert cp1251.subject == "Нет связи на БС-77-12345"  # raw 8-bit header, no RFC 2047
    assert "пропала связь" in cp1251.body_text
    assert "обрыв кабеля" in by_id["<mislabel@tele2.example>"].body_text

    outlook = next(e for e in by_id.values() if e.from_address == "sidorov@megafon.example")
    assert "Просим принять заявку по БС 77-12345 «Сокол»." in outlook.body_text
    assert "<" not in outlook.body_text and "alert(1)" not in outlook.body_text
    names = set(EmailAttachment.objects.filter(email=outlook).values_list("filename", flat=True))
    assert names == {"image001.png", "etc.xlsx", "winmail.dat"}  # no path survives a name
    assert EmailAttachment.objects.get(email=outlook, filename="image001.png").is_inline

    assert by_id["<20261124100000.AB12@mx.example.test>"].auto_kind == "bounce"
    assert by_id["<autoreply-77@operator.example>"].auto_kind == "auto_reply"
    tracker = by_id["<tracker-15-1@tracker.example>"]
    assert tracker.tracker_state == "skipped" and tracker.incident is None

    form = by_id["<form-991@site.example>"]
    assert "Описание: Упала антенна" in form.body_text
    assert form.incident.requester_email == "client@operator.example"
    assert form.recipients.filter(kind="cc", address="boss@operator.example").exists()

    forward = by_id["<fwd-1@mts.example>"]
    assert forward.attachments.get().filename == "Отказ оборудования БС-77-12345.eml"
    assert by_id["<utf8raw@operator.example>"].body_text == "Путь к файлу: C:\\new\\table path"
    reply = by_id["<utf8raw@operator.example>"]
    assert reply.incident == cp1251.incident and not reply.is_first

    broken = next(e for e in by_id.values() if e.has_synthetic_id)
    assert broken.body_text.startswith("Текст без конц")
    # auto mail and tracker mail never open incidents; people's new requests do
    assert Incident.objects.count() == 7
