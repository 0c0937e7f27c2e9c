"""Mail appended over IMAP to a real Dovecot becomes incidents and threads, once."""

from __future__ import annotations

import ssl

import pytest
from django.core.management import CommandError, call_command

from dispatch.testing.dovecot import available, start_dovecot
from dispatch.testing.postgres import free_port
from emails import ingest
from emails.folders import decode_folder_name
from emails.ingest import ingest_folder
from emails.models import EmailLocation, EmailMessage, MailFolder
from emails.sources.base import SourceError
from emails.sources.imap import ImapSource
from emails.tests.conftest import build_message
from incidents.models import Incident

pytestmark = pytest.mark.django_db(transaction=True)


def conversation() -> tuple[list[bytes], list[bytes]]:
    inbox = [
        build_message("Нет связи на БС-77-12345", message_id="<req1@op.example>"),
        build_message("Авария на опоре 02-00123", message_id="<req2@op.example>"),
        build_message(
            "RE: Нет связи на БС-77-12345", "Связь восстановлена.",
            message_id="<req1-re@op.example>", in_reply_to="<ans1@example.test>",
            references=["<req1@op.example>", "<ans1@example.test>"],
        ),
        build_message(
            "Автоответ: Нет связи", "Я в отпуске до 01.12.",
            message_id="<ooo@op.example>", in_reply_to="<ans1@example.test>",
            headers={"Auto-Submitted": "auto-replied"},
        ),
    ]  # fmt: skip
    sent = [
        build_message(
            "Ответ: Нет связи на БС-77-12345", "Принято в работу.",
            sender="dispatch@example.test", to="engineer@operator.example",
            message_id="<ans1@example.test>", in_reply_to="<req1@op.example>",
            references=["<req1@op.example>"],
        ),
    ]  # fmt: skip
    return inbox, sent


def test_inbox_and_sent_become_incidents_and_threads(dovecot, imap_source, statuses):
    inbox, sent = conversation()
    dovecot.append("INBOX", inbox)
    dovecot.append("Sent", sent)
    first = ingest_folder(imap_source, "INBOX")
    second = ingest_folder(imap_source, "Sent")
    assert first.result.stored == 4 and second.result.stored == 1
    assert Incident.objects.count() == 2
    req1 = EmailMessage.objects.get(message_id="<req1@op.example>")
    thread = EmailMessage.objects.filter(incident=req1.incident).values_list(
        "message_id", flat=True
    )
    assert set(thread) == {
        "<req1@op.example>", "<req1-re@op.example>", "<ooo@op.example>", "<ans1@example.test>",
    }  # fmt: skip
    ooo = EmailMessage.objects.get(message_id="<ooo@op.example>")
    assert ooo.auto_kind == EmailMessage.AutoKind.AUTO_REPLY
    assert EmailMessage.objects.get(message_id="<ans1@example.test>").direction == "out"
    folder = MailFolder.objects.get(name="INBOX")
    assert folder.last_uid == 4 and folder.uidvalidity


def test_second_poll_fetches_nothing_and_new_mail_is_picked_up(dovecot, imap_source, statuses):
    inbox, _sent = conversation()
    dovecot.append("INBOX", inbox[:2])
    ingest_folder(imap_source, "INBOX")
    again = ingest_folder(imap_source, "INBOX")
    assert again.fetched == 0 and again.result.stored == 0
    dovecot.append("INBOX", inbox[2:])
    later = ingest_folder(imap_source, "INBOX")
    assert later.fetched == 2 and later.result.stored == 2
    assert EmailMessage.objects.count() == 4


def test_mailbox_is_not_modified(dovecot, imap_source, statuses):
    inbox, _sent = conversation()
    dovecot.append("INBOX", inbox)
    ingest_folder(imap_source, "INBOX")
    client = dovecot.connect()
    client.select("INBOX", readonly=True)
    _typ, data = client.uid("SEARCH", "UNSEEN")
    assert len(data[0].split()) == 4  # nothing marked \Seen, nothing deleted


def test_uidvalidity_change_resyncs_without_duplicates(dovecot, imap_source, statuses):
    inbox, _sent = conversation()
    dovecot.append("INBOX", inbox[:2])
    ingest_folder(imap_source, "INBOX")
    MailFolder.objects.filter(name="INBOX").update(uidvalidity=1)  # the server "changed" it
    EmailLocation.objects.update(uidvalidity=1)
    dovecot.append("INBOX", inbox[2:])
    report = ingest_folder(imap_source, "INBOX")
    assert report.resynced
    assert report.skipped_known == 2 and report.fetched == 2  # known ones are not downloaded
    assert EmailMessage.objects.count() == 4
    assert Incident.objects.count() == 2


def test_modified_utf7_folder_name(dovecot, imap_source, statuses):
    assert decode_folder_name("&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1-") == "Отправленные"
    _inbox, sent = conversation()
    dovecot.append("&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1-", sent)
    report = ingest_folder(imap_source, "Отправленные")
    assert report.result.stored == 1


def test_ingest_mail_command_once(dovecot, statuses, settings, capsys):
    settings.PARSING_EMAIL_SERVER = "127.0.0.1"
    settings.PARSING_EMAIL_PORT = dovecot.port
    settings.PARSING_EMAIL_LOGIN = "dispatch@example.test"
    settings.PARSING_EMAIL_PSWD = "secret"
    settings.PARSING_EMAIL_SSL = False
    inbox, sent = conversation()
    dovecot.append("INBOX", inbox)
    dovecot.append("Sent", sent)
    call_command("ingest_mail", "--source", "imap", "--once")
    assert EmailMessage.objects.count() == 5
    assert "INBOX: fetched=4 stored=4 incidents=2" in capsys.readouterr().out


def test_unreachable_server_is_a_clear_source_error(statuses):
    source = ImapSource("127.0.0.1", free_port(), "nobody@example.test", "x", ssl=False, timeout=5)
    with pytest.raises(SourceError, match=r"IMAP login to 127\.0\.0\.1"):
        ingest_folder(source, "INBOX")


def test_wrong_password_and_missing_folder_are_clear_errors(dovecot, statuses):
    wrong = ImapSource("127.0.0.1", dovecot.port, "dispatch@example.test", "bad", ssl=False)
    with pytest.raises(SourceError, match="login"):
        ingest_folder(wrong, "INBOX")
    right = ImapSource("127.0.0.1", dovecot.port, "dispatch@example.test", "secret", ssl=False)
    with pytest.raises(SourceError, match="does not exist; the mailbox has: INBOX, Sent"):
        ingest_folder(right, "Нет такой папки")


def test_imap_over_tls_verifies_the_certificate(statuses):
    if not available():
        pytest.skip("dovecot-imapd is not installed")
    server = start_dovecot({"dispatch@example.test": "secret"}, tls=True)
    try:
        server.append("INBOX", [build_message(message_id="<tls@op.example>")])
        trusted = ssl.create_default_context(cafile=str(server.certificate))
        source = ImapSource(
            "127.0.0.1", server.tls_port, "dispatch@example.test", "secret", ssl_context=trusted
        )
        assert ingest_folder(source, "INBOX").result.stored == 1
        untrusted = ImapSource("127.0.0.1", server.tls_port, "dispatch@example.test", "secret")
        with pytest.raises(SourceError, match="CERTIFICATE_VERIFY_FAILED"):
            ingest_folder(untrusted, "INBOX")
    finally:
        server.stop()


def test_large_messages_are_committed_in_parts_of_bounded_size(
    dovecot, imap_source, statuses, monkeypatch
):
    monkeypatch.setattr(ingest, "MAX_BATCH_BYTES", 25_000)
    big = "Фото опоры.\n" + "x" * 9000
    raws = [build_message(body=big, message_id=f"<big-{n}@op.example>") for n in range(6)]
    dovecot.append("INBOX", raws)
    report = ingest_folder(imap_source, "INBOX", batch_size=100)
    assert report.result.stored == 6
    assert report.batches == 3  # two ~10 KB messages per part
    assert MailFolder.objects.get(name="INBOX").last_uid == 6


def test_absent_sent_folder_falls_back_to_the_special_use_sent_folder(statuses):
    if not available():
        pytest.skip("dovecot-imapd is not installed")
    server = start_dovecot({"dispatch@example.test": "secret"}, folders=("Отправленные",))
    try:
        _inbox, sent = conversation()
        server.append("Отправленные", sent)
        source = ImapSource("127.0.0.1", server.port, "dispatch@example.test", "secret", ssl=False)
        report = ingest_folder(source, "Sent")
        assert report.result.stored == 1
        assert EmailMessage.objects.get().direction == "out"
    finally:
        server.stop()


def test_command_reads_the_other_folders_when_one_fails(dovecot, statuses, settings, capsys):
    settings.PARSING_EMAIL_SERVER = "127.0.0.1"
    settings.PARSING_EMAIL_PORT = dovecot.port
    settings.PARSING_EMAIL_LOGIN = "dispatch@example.test"
    settings.PARSING_EMAIL_PSWD = "secret"
    settings.PARSING_EMAIL_SSL = False
    inbox, _sent = conversation()
    dovecot.append("INBOX", inbox)
    with pytest.raises(SourceError, match="Архив"):
        call_command("ingest_mail", "--source", "imap", "--folder", "Архив", "--folder", "INBOX")
    assert EmailMessage.objects.count() == 4  # INBOX was still read


def test_command_without_imap_settings_is_a_clear_error(settings):
    settings.PARSING_EMAIL_SERVER = ""
    with pytest.raises(CommandError, match="PARSING_EMAIL_SERVER"):
        call_command("ingest_mail", "--source", "imap", "--once")
