"""A commit that fails stops the folder at the last committed part; the next run stores the rest
once."""

from __future__ import annotations

import pytest

from emails import ingest, services
from emails.ingest import ingest_folder
from emails.models import EmailLocation, EmailMessage, MailFolder
from emails.tests.conftest import build_message

pytestmark = pytest.mark.django_db(transaction=True)

BODY = "Фото опоры 77-01234.\n" + "x" * 9000  # ~10 KB: two messages a part of 25,000 bytes


def _messages(count: int) -> list[bytes]:
    return [build_message(body=BODY, message_id=f"<p{n}@op.example>") for n in range(count)]


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
