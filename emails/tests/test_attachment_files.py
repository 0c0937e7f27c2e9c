"""Attachment files are written where mail is parsed (the parser process, or the worker when it
parses) and only their names reach the worker: stored byte for byte, with the same metadata,
with parse-ahead on and off; a part parsed again, or a copy of a stored message, writes nothing
new (``emails.attachment_files``)."""

from __future__ import annotations

import hashlib
from email.message import EmailMessage as MimeMessage
from pathlib import Path

import pytest

from emails import ingest, services
from emails.ingest import ingest_folder
from emails.models import (
    MAX_FILE_NAME_BYTES,
    EmailAttachment,
    EmailMessage,
    MailFolder,
    stored_file_name,
)
from emails.parsing.attachments import sanitise_filename
from emails.tests.conftest import MAILBOX_USER

pytestmark = pytest.mark.django_db(transaction=True)

FILLER = "Опора 77-01234.\n" + "x" * 9000  # ~10 KB: two messages a part of 25,000 bytes
ACT = b"%PDF-1.4 act " * 20
PHOTO = bytes(range(256)) * 3
VIDEO = b"\0" * 5000  # over the limit the tests set
SCHEME = b"\x89PNG" + bytes(500)
Files = list[tuple[str, str, bytes]]  # (name, content type, bytes)


def _with_files(message_id: str, files: Files) -> bytes:
    msg = MimeMessage()
    msg["From"] = "engineer@operator.example"
    msg["To"] = MAILBOX_USER
    msg["Subject"] = f"Фото с опоры {message_id}"
    msg["Date"] = "Fri, 20 Nov 2026 09:30:00 +0300"
    msg["Message-ID"] = message_id
    msg.set_content(FILLER)
    for name, ctype, data in files:
        maintype, subtype = ctype.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg.as_bytes()


# Messages with attachments in the first part and in later ones: with parse-ahead off the worker
# parses them all itself, with it on the parser process does.
MAIL: dict[str, Files] = {
    "<a0@op.example>": [
        ("Акт осмотра.pdf", "application/pdf", ACT),
        ("фото.jpg", "image/jpeg", PHOTO),
        ("фото.jpg", "image/jpeg", PHOTO),  # the same file twice: one row
        ("фото-2.jpg", "image/jpeg", PHOTO),  # the same bytes under another name: its own row
    ],
    "<f1@op.example>": [],
    "<f2@op.example>": [],
    "<a3@op.example>": [
        ("видео.mp4", "video/mp4", VIDEO),  # too large: metadata only
        ("опись.txt", "text/plain", "Опись: опора, кабель.".encode()),
    ],
    "<f4@op.example>": [],
    "<a5@op.example>": [
        ("../../схема.png", "image/png", SCHEME),  # the path is dropped from the name
        ("Акт осмотра.pdf", "application/pdf", ACT),  # as in the first message: the same file
    ],
}


def _expected() -> dict[str, list[tuple]]:
    """Message-ID → its attachments as :func:`_stored` reads them, from the mail itself."""
    rows: dict[str, list[tuple]] = {}
    for mid, files in MAIL.items():
        unique = {}
        for name, ctype, data in files:
            name = name.rsplit("/", 1)[-1]
            unique.setdefault((hashlib.sha256(data).hexdigest(), name), (name, ctype, data))
        rows[mid] = sorted(
            (name, ctype, len(data), sha, "larger than 1000 bytes", None)
            if len(data) > 1000
            else (name, ctype, len(data), sha, "", data)
            for (sha, _), (name, ctype, data) in unique.items()
        )
    return rows


def _stored() -> dict[str, list[tuple]]:
    rows: dict[str, list[tuple]] = {mid: [] for mid in MAIL}
    for row in EmailAttachment.objects.select_related("email"):
        data = row.file.read() if row.file else None
        rows[row.email.message_id].append(
            (row.filename, row.content_type, row.size, row.sha256, row.rejected_reason, data)
        )
        assert row.file.name.startswith("attachments/2026-11-20/") or not row.file
    return {mid: sorted(found, key=lambda r: r[:5]) for mid, found in rows.items()}


def _files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file())


@pytest.fixture
def media(settings, tmp_path, monkeypatch) -> Path:
    settings.MEDIA_ROOT = str(tmp_path)
    settings.MAX_ATTACHMENT_SIZE = 1000
    monkeypatch.setattr(ingest, "MAX_BATCH_BYTES", 25_000)
    return tmp_path


@pytest.mark.parametrize("ahead", [True, False], ids=["parse-ahead", "in-process"])
def test_attachments_are_stored_byte_for_byte_with_their_metadata(
    dovecot, imap_source, statuses, media, settings, ahead
):
    settings.PARSING_EMAIL_PARSE_AHEAD = ahead
    dovecot.append("INBOX", [_with_files(mid, files) for mid, files in MAIL.items()])
    report = ingest_folder(imap_source, "INBOX", batch_size=100)
    assert (report.result.stored, report.parsed_ahead > 0) == (6, ahead)

    assert _stored() == _expected()
    # the act of two messages is one file; the video has none
    names = set(EmailAttachment.objects.exclude(file="").values_list("file", flat=True))
    assert len(names) == len(_files(media)) == 5


def test_a_copy_of_a_stored_message_writes_no_file(dovecot, imap_source, statuses, media):
    raw = _with_files("<a0@op.example>", MAIL["<a0@op.example>"])
    dovecot.append("INBOX", [raw])
    ingest_folder(imap_source, "INBOX")
    before = _files(media)
    dovecot.append("Sent", [raw])
    report = ingest_folder(imap_source, "Sent")
    assert (report.result.stored, report.result.duplicates) == (0, 1)
    assert _files(media) == before
    assert EmailAttachment.objects.count() == 3


def test_a_part_parsed_again_after_a_failed_commit_writes_no_new_file(
    dovecot, imap_source, statuses, media, settings, monkeypatch
):
    settings.PARSING_EMAIL_PARSE_AHEAD = False  # no part in flight when the commit fails
    store = services.store_messages

    def failing_with_a3(folder, uidvalidity, items):
        if any(item.parsed.message_id == "<a3@op.example>" for item in items):
            raise RuntimeError("injected failure in the commit of a3's part")
        return store(folder, uidvalidity, items)

    monkeypatch.setattr(ingest, "store_messages", failing_with_a3)
    dovecot.append("INBOX", [_with_files(mid, files) for mid, files in MAIL.items()])
    with pytest.raises(RuntimeError, match="a3's part"):
        ingest_folder(imap_source, "INBOX", batch_size=100)
    assert not EmailMessage.objects.filter(message_id="<a3@op.example>").exists()
    assert MailFolder.objects.get(name="INBOX").last_uid < 4
    written = _files(media)
    assert len(written) == 4  # a3's file too, written before its part's commit failed

    monkeypatch.setattr(ingest, "store_messages", store)
    ingest_folder(imap_source, "INBOX", batch_size=100)
    assert EmailMessage.objects.count() == 6
    assert _stored() == _expected()
    assert set(written) < set(_files(media))  # parsed again: the same files, none new
    assert len(_files(media)) == 5


def test_a_quarantined_message_tried_again_stores_its_files(statuses, media):
    from emails.parsing import parse_email

    raw = _with_files("<a5@op.example>", MAIL["<a5@op.example>"])
    parsed = parse_email(raw)  # as a quarantine retry does: no files written by the parse
    assert parsed.attachments[0].file is None
    services.store_messages(
        services.get_folder("t", "INBOX"), 1, [services.Incoming(1, raw, parsed)]
    )
    assert _stored()["<a5@op.example>"] == _expected()["<a5@op.example>"]


def test_the_parse_hands_on_names_not_bytes(media):
    from emails.parse_ahead import parse_outcomes

    raw = _with_files("<a0@op.example>", MAIL["<a0@op.example>"])
    [parsed] = parse_outcomes([(raw, None)])
    assert [(a.filename, a.size, a.data) for a in parsed.attachments] == [
        ("Акт осмотра.pdf", len(ACT), b""),
        ("фото.jpg", len(PHOTO), b""),
        ("фото.jpg", len(PHOTO), b""),
        ("фото-2.jpg", len(PHOTO), b""),
    ]
    files = [a.file for a in parsed.attachments]
    assert files[1] == files[2] != files[3]  # one file for the same bytes and name
    assert [(media / name).read_bytes() for name in files] == [ACT, PHOTO, PHOTO, PHOTO]


def test_a_long_name_is_cut_for_the_file_system_and_kept_whole_on_the_row():
    name = "Акт выполненных работ " * 7 + ".pdf"  # 158 characters, 295 bytes of UTF-8
    stored = stored_file_name(name)
    assert len(stored.encode()) <= MAX_FILE_NAME_BYTES and stored.endswith(".pdf")
    # cut at a character, not inside one, of what the storage keeps of the name
    assert name.replace(" ", "_").startswith(stored[: -len(".pdf")])
    assert len(stored_file_name("Я" * 150 + "." + "ж" * 40).encode()) <= MAX_FILE_NAME_BYTES


@pytest.mark.parametrize("ahead", [True, False], ids=["parse-ahead", "in-process"])
def test_a_long_russian_attachment_name_neither_fails_nor_blocks_the_mailbox(
    dovecot, imap_source, statuses, media, settings, ahead
):
    # 150 Cyrillic characters are 300 bytes: over the 255 a file system allows in a name, the
    # write failed, the part stopped, and every cycle stopped there again
    settings.PARSING_EMAIL_PARSE_AHEAD = ahead
    name = "Акт выполненных работ по договору подряда " * 4 + ".pdf"
    mail = {
        f"<long{n}@op.example>": [(name, "application/pdf", ACT)] if n == 1 else []
        for n in range(4)
    }
    dovecot.append("INBOX", [_with_files(mid, files) for mid, files in mail.items()])
    report = ingest_folder(imap_source, "INBOX", batch_size=100)
    assert (report.result.stored, report.parsed_ahead > 0) == (4, ahead)
    row = EmailAttachment.objects.get()
    assert row.email.message_id == "<long1@op.example>"
    assert row.filename == sanitise_filename(name, "") and len(row.filename) == 150
    assert row.file.read() == ACT
    assert len(Path(row.file.name).name.encode()) <= MAX_FILE_NAME_BYTES
    assert MailFolder.objects.get(name="INBOX").last_uid == 4


@pytest.mark.parametrize("ahead", [True, False], ids=["parse-ahead", "in-process"])
def test_attachment_names_of_symbols_only_are_stored_and_block_nothing(
    dovecot, imap_source, statuses, media, settings, ahead
):
    # Django's storage keeps letters, digits and "-_." of a name and refuses an empty result:
    # an attachment named "💥" stopped its part, and every cycle stopped there again
    settings.PARSING_EMAIL_PARSE_AHEAD = ahead
    names = {"<s0@op.example>": "💥", "<s1@op.example>": "№", "<s2@op.example>": "★★.pdf"}
    mail = {mid: [(name, "application/pdf", ACT)] for mid, name in names.items()}
    mail["<s3@op.example>"] = []
    dovecot.append("INBOX", [_with_files(mid, files) for mid, files in mail.items()])
    report = ingest_folder(imap_source, "INBOX", batch_size=100)
    assert (report.result.stored, report.quarantined) == (4, 0)
    rows = {a.email.message_id: a for a in EmailAttachment.objects.select_related("email")}
    assert {mid: row.filename for mid, row in rows.items()} == names  # shown as they came
    assert [Path(rows[mid].file.name).name for mid in names] == [
        "attachment", "attachment", "attachment.pdf",
    ]  # fmt: skip
    assert all(row.file.read() == ACT for row in rows.values())
    assert stored_file_name("Акт осмотра.pdf") == "Акт_осмотра.pdf"  # as the storage keeps it
