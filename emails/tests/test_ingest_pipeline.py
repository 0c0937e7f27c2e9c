"""On PostgreSQL the parts of a folder are committed in order on a thread of their own while
the next part is fetched and parsed; nothing is lost or stored twice when a commit fails."""

from __future__ import annotations

import threading

import pytest

from emails import ingest, services
from emails.ingest import ingest_folder
from emails.models import EmailLocation, EmailMessage, MailFolder
from emails.tests.conftest import build_message

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

BODY = "Фото опоры 77-01234.\n" + "x" * 9000  # ~10 KB: two messages a part of 25,000 bytes


def _messages(count: int) -> list[bytes]:
    return [build_message(body=BODY, message_id=f"<p{n}@op.example>") for n in range(count)]


def test_parts_are_committed_in_order_on_the_commit_thread(
    dovecot, imap_source, statuses, monkeypatch
):
    monkeypatch.setattr(ingest, "MAX_BATCH_BYTES", 25_000)
    commits: list[tuple[str, list[int]]] = []
    store = services.store_messages

    def recording_store(folder, uidvalidity, items):
        commits.append((threading.current_thread().name, [item.uid for item in items]))
        return store(folder, uidvalidity, items)

    monkeypatch.setattr(ingest, "store_messages", recording_store)
    dovecot.append("INBOX", _messages(6))
    report = ingest_folder(imap_source, "INBOX", batch_size=100)
    assert report.result.stored == 6 and report.batches == 3
    assert [uids for _thread, uids in commits] == [[1, 2], [3, 4], [5, 6]]
    assert {thread for thread, _uids in commits} != {threading.current_thread().name}
    assert all(thread.startswith("ingest-commit") for thread, _uids in commits)
    assert MailFolder.objects.get(name="INBOX").last_uid == 6
    assert not [t for t in threading.enumerate() if t.name.startswith("ingest-commit")]


def test_a_failed_commit_stops_the_folder_and_the_next_run_stores_the_rest_once(
    dovecot, imap_source, statuses, monkeypatch
):
    monkeypatch.setattr(ingest, "MAX_BATCH_BYTES", 25_000)
    store = services.store_messages
    calls = []

    def failing_second_part(folder, uidvalidity, items):
        calls.append(len(items))
        if len(calls) == 2:
            raise RuntimeError("injected failure in the second part's commit")
        return store(folder, uidvalidity, items)

    monkeypatch.setattr(ingest, "store_messages", failing_second_part)
    dovecot.append("INBOX", _messages(6))
    with pytest.raises(RuntimeError, match="second part"):
        ingest_folder(imap_source, "INBOX", batch_size=100)
    assert MailFolder.objects.get(name="INBOX").last_uid == 2  # only the first part committed
    assert sorted(EmailMessage.objects.values_list("message_id", flat=True)) == [
        "<p0@op.example>",
        "<p1@op.example>",
    ]

    monkeypatch.setattr(ingest, "store_messages", store)
    report = ingest_folder(imap_source, "INBOX", batch_size=100)
    assert report.result.stored == 4
    assert EmailMessage.objects.count() == 6
    assert EmailLocation.objects.count() == 6
    assert MailFolder.objects.get(name="INBOX").last_uid == 6
