"""The configured folders are what the workers read, whatever form their names are written in;
a folder that does not exist is an error naming the setting and the folders the mailbox has."""

from __future__ import annotations

import shlex
import signal
import subprocess
import time

import pytest
from django.core.management import call_command

from dispatch.testing.dovecot import available, start_dovecot
from dispatch.tests.ops_support import supervisor_programs
from emails.folders import decode_folder_name, folder_role
from emails.models import EmailMessage, MailFolder
from emails.sources.base import SourceError
from emails.sources.maildir import MaildirSource
from emails.tests.conftest import MAILBOX_PASSWORD, MAILBOX_USER, build_message, ingest_worker_env

pytestmark = pytest.mark.django_db(transaction=True)

OUTGOING = "Исходящие"
OUTGOING_UTF7 = "&BBgEQQRFBD4ENARPBEkEOAQ1-"
# How the seed's README writes a Russian Sent folder: modified UTF-7 without the closing "-".
SEED_SENT = "&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1"


@pytest.fixture
def russian_mailbox():
    """A Dovecot whose only folders are INBOX and «Исходящие» (no \\Sent special-use flag)."""
    if not available():
        pytest.skip("dovecot-imapd is not installed")
    server = start_dovecot({MAILBOX_USER: MAILBOX_PASSWORD}, folders=(OUTGOING,))
    server.append(OUTGOING, [answer()])
    yield server
    server.stop()


def answer() -> bytes:
    return build_message(
        "Ответ: Нет связи на опоре 02-00123", "Принято в работу.", sender=MAILBOX_USER,
        to="engineer@operator.example", message_id="<answer-1@example.test>",
    )  # fmt: skip


def use_mailbox(settings, server, sent_name: str) -> None:
    settings.MAIL_SOURCE = "imap"
    settings.PARSING_EMAIL_SERVER = "127.0.0.1"
    settings.PARSING_EMAIL_PORT = server.port
    settings.PARSING_EMAIL_LOGIN = MAILBOX_USER
    settings.PARSING_EMAIL_PSWD = MAILBOX_PASSWORD
    settings.PARSING_EMAIL_SSL = False
    settings.PARSING_EMAIL_SENT_FOLDER_NAME = sent_name


def test_folder_names_are_read_in_every_form():
    assert decode_folder_name(SEED_SENT) == "Отправленные"
    assert decode_folder_name(SEED_SENT + "-") == "Отправленные"
    assert decode_folder_name(OUTGOING_UTF7) == OUTGOING
    assert decode_folder_name(OUTGOING_UTF7[:-1]) == OUTGOING
    assert decode_folder_name(OUTGOING) == OUTGOING
    assert decode_folder_name("Archive/" + OUTGOING_UTF7[:-1]) == "Archive/" + OUTGOING
    assert decode_folder_name("Tom &-Jerry") == "Tom &Jerry"
    # Not modified UTF-7: taken literally, never turned into garbage.
    for literal in ("R&D", "AT&T", "&AGEAYgBj-", "A&B-C"):
        assert decode_folder_name(literal) == literal


@pytest.mark.parametrize("written", [OUTGOING, OUTGOING_UTF7, OUTGOING_UTF7[:-1]])
def test_sent_role_reads_the_configured_russian_folder_in_any_form(
    russian_mailbox, statuses, settings, written
):
    use_mailbox(settings, russian_mailbox, written)
    call_command("ingest_mail", "--role", "sent", "--once")
    email = EmailMessage.objects.get()
    assert email.message_id == "<answer-1@example.test>" and email.direction == "out"
    folder = MailFolder.objects.get()
    assert (folder.name, folder.role) == (OUTGOING, MailFolder.Role.SENT)


def test_missing_configured_folder_names_the_setting_and_the_folders_of_the_mailbox(
    russian_mailbox, statuses, settings
):
    use_mailbox(settings, russian_mailbox, "Исходящие письма")
    with pytest.raises(SourceError) as failure:
        call_command("ingest_mail", "--role", "sent", "--once")
    message = str(failure.value)
    assert "'Исходящие письма' (PARSING_EMAIL_SENT_FOLDER_NAME) does not exist" in message
    assert "the mailbox has: INBOX, Исходящие" in message
    assert not EmailMessage.objects.exists()


@pytest.mark.postgres
def test_supervisor_sent_program_reads_the_configured_folder(russian_mailbox, statuses, tmp_path):
    """The exact ``mail_sent`` command of supervisord.conf, in its own process, with the Sent
    folder configured as the seed writes it."""
    program = supervisor_programs(tmp_path)["mail_sent"]
    env = ingest_worker_env(russian_mailbox.port)
    env["PARSING_EMAIL_SENT_FOLDER_NAME"] = OUTGOING_UTF7[:-1]
    worker = subprocess.Popen(
        shlex.split(program.command), cwd=program.directory, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not EmailMessage.objects.exists() and time.monotonic() < deadline:
            assert worker.poll() is None, worker.communicate()[0].decode()
            time.sleep(0.2)
    finally:
        worker.send_signal(signal.SIGTERM)
        output = worker.communicate(timeout=60)[0].decode()
    assert worker.returncode == 0, output
    assert EmailMessage.objects.get().direction == "out", output
    assert MailFolder.objects.get().name == OUTGOING
    assert "worker=ingest_mail:Исходящие cycle ok" in output


def test_maildir_folders_in_modified_utf7_are_found(tmp_path, statuses, settings):
    """Dovecot's Maildir++ keeps «Исходящие» as ``.&BBgE…-``; the role reads it there."""
    folder = tmp_path / f".{OUTGOING_UTF7}"
    for sub in ("cur", "new", "tmp"):
        (folder / sub).mkdir(parents=True)
        (tmp_path / sub).mkdir()
    (folder / "new" / "1.M1.host").write_bytes(answer())
    settings.PARSING_EMAIL_SENT_FOLDER_NAME = SEED_SENT
    assert MaildirSource(tmp_path).list_folders() == ["INBOX", OUTGOING]
    with pytest.raises(SourceError, match="PARSING_EMAIL_SENT_FOLDER_NAME"):
        call_command("ingest_mail", "--source", f"maildir:{tmp_path}", "--role", "sent")
    settings.PARSING_EMAIL_SENT_FOLDER_NAME = OUTGOING_UTF7[:-1]
    call_command("ingest_mail", "--source", f"maildir:{tmp_path}", "--role", "sent")
    assert EmailMessage.objects.get().direction == "out"
    assert folder_role(OUTGOING) == MailFolder.Role.SENT


def test_migration_renames_folders_stored_under_modified_utf7(transactional_db):
    """A cursor stored under «&BB4…-» by the old code is kept: the row takes the decoded name."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.migrate([("emails", "0005_default_ignored_senders")])
    old = executor.loader.project_state([("emails", "0005_default_ignored_senders")]).apps
    old.get_model("emails", "MailFolder").objects.create(
        mailbox="desk@imap:993", name=SEED_SENT + "-", role="sent", last_uid=41
    )
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    folder = MailFolder.objects.get()
    assert (folder.name, folder.last_uid) == ("Отправленные", 41)
