"""The ingest's e-mails get their search documents after each commit, on a thread of their own
(``emails.search_index``): everything stored is found when the ingest returns, a row left
without a document (a worker killed between commit and indexing, a failed statement) is filled
by the next cycle's sweep or ``manage.py index_mail_search``, and no thread or connection
outlives the ingest. PostgreSQL; SQLite stores no document and does none of it."""

from __future__ import annotations

import logging
import shutil
import threading
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from dispatch.testing.threads import run_together
from emails import ingest
from emails.ingest import _commit_batch, ingest_folder
from emails.models import EmailMessage
from emails.parsing import parse_email
from emails.search import search_emails
from emails.search_index import FILL_IDS, FILL_UP_TO, SWEEP_BATCH, SearchIndexer, deferred_on, sweep
from emails.services import Incoming, get_folder
from emails.sources.maildir import MaildirSource
from emails.tests.conftest import build_message

pytestmark = pytest.mark.django_db(transaction=True)
postgres = pytest.mark.postgres

DEMO_MAILDIR = Path(__file__).resolve().parents[2] / "data" / "demo" / "maildir"
BODY = "Повреждены опоры линии у посёлка {n}.\n" + "x" * 9000  # two messages a 25,000-byte part


def _pending() -> list[int]:
    """Ids of e-mails without a search document."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM emails_emailmessage WHERE search_document IS NULL")
        return sorted(row[0] for row in cursor.fetchall())


def _found(text: str) -> set[int]:
    aliases, query = search_emails(text)
    return set(EmailMessage.objects.alias(**aliases).filter(query).values_list("pk", flat=True))


def _stored_without_document(subject: str, body: str) -> EmailMessage:
    """An e-mail committed by the ingest's own batch transaction and never handed to an indexer:
    what a worker killed between the commit and the indexing leaves."""
    raw = build_message(subject, body, message_id=f"<{abs(hash(subject))}@op.example>")
    folder = get_folder("test", "INBOX")
    uid = EmailMessage.objects.count() + 1
    item = Incoming(uid, raw, parse_email(raw))
    result = _commit_batch(folder, 1, uid, [item], [], [], defer_search=True)
    return EmailMessage.objects.get(pk=result.email_ids[0])


def _sessions() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def _wait_for(condition, what: str, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"still not {what} after {seconds} s")
        time.sleep(0.05)


@postgres
def test_ingested_mail_is_found_when_the_ingest_returns_without_leaking(
    dovecot, imap_source, statuses, monkeypatch
):
    monkeypatch.setattr(ingest, "MAX_BATCH_BYTES", 25_000)  # several parts, parsed ahead
    dovecot.append(
        "INBOX",
        [build_message(f"Авария №{n}", BODY.format(n=f"Н{n}"), message_id=f"<a{n}@op.example>")
         for n in range(7)],
    )  # fmt: skip
    sessions = _sessions()

    report = ingest_folder(imap_source, "INBOX", batch_size=100)

    assert report.result.stored == 7 and report.batches == 4 and report.parsed_ahead == 4
    assert report.indexed == 7 and report.index_failed == 0  # filled by the thread, not inline
    assert _pending() == []
    stored = set(EmailMessage.objects.values_list("pk", flat=True))
    assert _found("опора") == stored  # a Russian word form of the body's «опоры»
    for n in range(7):
        assert _found(f"н{n}") == {EmailMessage.objects.get(message_id=f"<a{n}@op.example>").pk}
    assert not [t for t in threading.enumerate() if t.name == "search-index"]
    _wait_for(lambda: _sessions() == sessions, "back to the sessions before the ingest")


@postgres
def test_the_demo_maildir_is_found_by_its_subjects(tmp_path, statuses):
    shutil.copytree(DEMO_MAILDIR, tmp_path / "maildir")

    report = ingest_folder(MaildirSource(tmp_path / "maildir"), "INBOX")

    assert report.result.stored == report.indexed == 7
    assert _pending() == []
    for email in EmailMessage.objects.all():
        word = max(email.subject.split(), key=len)
        assert email.pk in _found(word), email.subject


@postgres
def test_a_row_left_without_document_is_filled_by_the_next_cycle_and_the_command(
    dovecot, imap_source, statuses, capsys
):
    killed = _stored_without_document("Нет связи", "Сгорел автомат в шкафу учёта")
    assert _pending() == [killed.pk] and _found("автомат") == set()  # not findable yet

    report = ingest_folder(imap_source, "INBOX")  # nothing new in the mailbox

    assert report.fetched == 0 and _pending() == []
    assert _found("автоматы") == {killed.pk}

    other = _stored_without_document("Обрыв", "Упало дерево на провода")
    call_command("index_mail_search", "--batch", "1")
    assert capsys.readouterr().out == "search documents filled: 1\n"
    assert _pending() == [] and _found("дерево") == {other.pk}


@postgres
def test_the_sweep_fills_in_bounded_batches_and_leaves_locked_rows(statuses):
    rows = [_stored_without_document(f"Заявка {n}", f"Текст {n}") for n in range(5)]
    with transaction.atomic():  # another transaction holds the first row
        EmailMessage.objects.select_for_update().filter(pk=rows[0].pk).get()
        results, _errors = run_together(lambda: sweep(batch=2), 1)  # on its own connection
    assert results == [4] and _pending() == [rows[0].pk]
    assert sweep() == 1 and _pending() == []


@postgres
def test_rows_the_worker_holds_are_filled_when_the_indexer_closes(statuses):
    first, second = (_stored_without_document(f"Заявка {n}", "Опоры") for n in range(2))
    indexer = SearchIndexer()
    with transaction.atomic():  # the worker's next batch holds an e-mail of the one before
        EmailMessage.objects.select_for_update().filter(pk=first.pk).get()
        indexer.submit([first.pk, second.pk])
        _wait_for(lambda: indexer.filled == 1, "the free row filled")  # no waiting for the lock
        assert _pending() == [first.pk]
    indexer.close()
    assert indexer.filled == 2 and indexer.failed == 0 and _pending() == []


@postgres
def test_a_failing_indexer_loses_no_mail_and_the_sweep_fills_it(
    dovecot, imap_source, statuses, caplog
):
    dovecot.append(
        "INBOX",
        [build_message(f"Авария №{n}", "Повреждены опоры", message_id=f"<f{n}@op.example>")
         for n in range(3)],
    )  # fmt: skip
    with connection.cursor() as cursor:  # the database refuses the indexer's statement
        cursor.execute(
            "CREATE FUNCTION refuse_search() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "RAISE EXCEPTION 'search refused'; END $$; "
            "CREATE TRIGGER refuse_search BEFORE UPDATE OF search_document "
            "ON emails_emailmessage FOR EACH ROW EXECUTE FUNCTION refuse_search();"
        )
    try:
        with caplog.at_level(logging.ERROR, logger="emails.search_index"):
            report = ingest_folder(imap_source, "INBOX")
    finally:
        with connection.cursor() as cursor:
            cursor.execute(
                "DROP TRIGGER refuse_search ON emails_emailmessage; DROP FUNCTION refuse_search();"
            )

    assert report.result.stored == 3 and report.indexed == 0 and report.index_failed == 3
    assert "search indexing of 3 e-mails failed" in caplog.text and "search refused" in caplog.text
    assert len(_pending()) == 3 and _found("опора") == set()
    assert not [t for t in threading.enumerate() if t.name == "search-index"]

    assert ingest_folder(imap_source, "INBOX").fetched == 0  # the next cycle sweeps them
    assert _pending() == [] and len(_found("опора")) == 3


@postgres
def test_editing_the_text_computes_the_document_and_other_updates_leave_it(statuses):
    email = _stored_without_document("Нет связи", "Сгорел автомат")
    EmailMessage.objects.filter(pk=email.pk).update(is_first=False)
    email.refresh_from_db()
    email.save()  # every column written, the text unchanged
    assert _pending() == [email.pk]  # still the sweep's (or the indexer's) to fill

    email.body_text = "Упала опора"
    email.save()
    assert _pending() == [] and _found("опоры") == {email.pk}
    EmailMessage.objects.filter(pk=email.pk).update(body_text="Питание восстановлено")
    assert _found("восстановлено") == {email.pk} and _found("опоры") == set()
    EmailMessage.objects.filter(pk=email.pk).update(subject="Трансформатор")
    assert _found("трансформатор") == {email.pk}


@postgres
def test_other_inserts_and_transactions_still_compute_it_at_once(statuses):
    email = EmailMessage.objects.create(
        message_id="<console@x>",
        subject="Ответ",
        from_address="a@x",
        body_text="Опоры заменены",
        sent_at=timezone.now(),
    )
    assert _pending() == [] and _found("опора") == {email.pk}
    assert deferred_on()
    with transaction.atomic():  # an indexer could not see rows before this commits
        assert not deferred_on()


@postgres
def test_the_sweep_finds_its_rows_through_the_partial_index(statuses):
    with connection.cursor() as cursor:  # 20,000 indexed e-mails, none pending
        cursor.execute(
            "INSERT INTO emails_emailmessage (message_id, has_synthetic_id, in_reply_to, "
            "thread_root, subject, from_address, from_name, sent_at, received_at, body_text, "
            "direction, auto_kind, is_first, tracker_state, tracker_comment_id, review, "
            "search_document) SELECT '<' || n || '@x>', false, '', '', 'Заявка', 'a@x', '', "
            "now(), now(), 'Текст', 'in', '', false, 'pending', '', '', to_tsvector('Текст') "
            "FROM generate_series(1, 20000) AS n"
        )
        cursor.execute("ANALYZE emails_emailmessage")
        plans = []
        for statement, params in (
            ("SELECT max(id) FROM emails_emailmessage WHERE search_document IS NULL", []),
            (FILL_UP_TO, [2**40, SWEEP_BATCH]),
            (FILL_IDS, [[1, 2, 3]]),
        ):
            cursor.execute(f"EXPLAIN {statement}", params)
            plans.append("\n".join(row[0] for row in cursor.fetchall()))
    assert "email_search_pending_idx" in plans[0] and "email_search_pending_idx" in plans[1]
    assert "Seq Scan" not in "".join(plans)
    assert sweep() == 0


def test_elsewhere_nothing_is_deferred_and_the_sweep_asks_nothing(
    statuses, django_assert_num_queries, capsys
):
    if connection.vendor == "postgresql":
        pytest.skip("SQLite and other databases without a stored document")
    assert not deferred_on()
    with django_assert_num_queries(0):
        assert sweep() == 0
    call_command("index_mail_search")
    assert capsys.readouterr().out == "search documents filled: 0\n"
