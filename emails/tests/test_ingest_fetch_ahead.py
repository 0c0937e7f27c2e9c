"""The next part of a folder downloads on a thread while the worker commits the one before
(``emails.fetch_ahead``); a download that fails or a stop leaves the folder at the last
committed part, the thread gone, and the next cycle stores the rest exactly once."""

from __future__ import annotations

import threading

import pytest

from emails import ingest
from emails.ingest import ingest_folder
from emails.models import EmailLocation, EmailMessage, MailFolder
from emails.sources.base import SourceError
from emails.tests.conftest import build_message

pytestmark = pytest.mark.django_db(transaction=True)

BODY = "Опора 77-01234 упала.\n" + "x" * 9000  # ~10 KB: two messages a part of 25,000 bytes


def _requests(count: int) -> list[bytes]:
    return [
        build_message(f"Авария №{n}", BODY, message_id=f"<f{n}@op.example>") for n in range(count)
    ]


@pytest.fixture
def small_parts(monkeypatch, settings) -> None:
    settings.PARSING_EMAIL_PARSE_AHEAD = False  # the worker parses: only the download is ahead
    monkeypatch.setattr(ingest, "MAX_BATCH_BYTES", 25_000)


def _fetch_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("mail-fetch")]


def test_the_next_part_downloads_on_a_thread_while_the_part_before_commits(
    dovecot, imap_source, statuses, small_parts, monkeypatch
):
    dovecot.append("INBOX", _requests(6))  # parts: f0 f1 | f2 f3 | f4 f5
    fetch_part, commit_batch = ingest._fetch_part, ingest._commit_batch
    downloads: list[tuple[int, str]] = []  # (first UID of the part, thread)
    later_part_started = threading.Event()
    overlapped: list[bool] = []

    def fetch_part_recorded(reader, uids, *args):
        downloads.append((uids[0], threading.current_thread().name))
        if uids[0] > 2:
            later_part_started.set()
        return fetch_part(reader, uids, *args)

    def commit_waiting_for_the_next_download(folder, uidvalidity, last_uid, *args, **kwargs):
        if last_uid == 2:  # the first part: the second downloads meanwhile, or never does
            overlapped.append(later_part_started.wait(timeout=10))
        return commit_batch(folder, uidvalidity, last_uid, *args, **kwargs)

    monkeypatch.setattr(ingest, "_fetch_part", fetch_part_recorded)
    monkeypatch.setattr(ingest, "_commit_batch", commit_waiting_for_the_next_download)
    report = ingest_folder(imap_source, "INBOX", batch_size=100)

    assert overlapped == [True]
    assert [uid for uid, _thread in downloads] == [1, 3, 5]
    assert all(thread.startswith("mail-fetch") for _uid, thread in downloads)
    assert (report.result.stored, report.batches) == (6, 3)
    assert MailFolder.objects.get(name="INBOX").last_uid == 6
    assert not _fetch_threads()


def test_a_failed_download_stops_the_folder_at_the_last_committed_part(
    dovecot, imap_source, statuses, small_parts, monkeypatch
):
    dovecot.append("INBOX", _requests(6))
    fetch_part = ingest._fetch_part

    def connection_lost_at_the_third_part(reader, uids, *args):
        if uids[0] == 5:
            raise SourceError("connection reset by peer")
        return fetch_part(reader, uids, *args)

    monkeypatch.setattr(ingest, "_fetch_part", connection_lost_at_the_third_part)
    with pytest.raises(SourceError, match="connection reset"):
        ingest_folder(imap_source, "INBOX", batch_size=100)
    # the parts before the failed download committed (the second while the third failed)
    assert MailFolder.objects.get(name="INBOX").last_uid == 4
    assert EmailMessage.objects.count() == 4
    assert not _fetch_threads()

    monkeypatch.setattr(ingest, "_fetch_part", fetch_part)
    report = ingest_folder(imap_source, "INBOX", batch_size=100)
    assert report.result.stored == 2
    assert EmailMessage.objects.count() == EmailLocation.objects.count() == 6
    assert MailFolder.objects.get(name="INBOX").last_uid == 6


def test_a_stop_drops_the_part_fetched_ahead_and_the_next_cycle_reads_it(
    dovecot, imap_source, statuses, small_parts
):
    dovecot.append("INBOX", _requests(6))
    committed: list[int] = []

    def stop_after_the_first_part() -> bool:
        committed.append(MailFolder.objects.get(name="INBOX").last_uid)
        return committed[-1] > 0

    report = ingest_folder(
        imap_source, "INBOX", batch_size=100, should_stop=stop_after_the_first_part
    )
    assert report.result.stored == 2
    assert MailFolder.objects.get(name="INBOX").last_uid == 2
    assert not _fetch_threads()
    report = ingest_folder(imap_source, "INBOX", batch_size=100)
    assert report.result.stored == 4
    assert EmailMessage.objects.count() == EmailLocation.objects.count() == 6
