"""The ingest stores its e-mails without their search documents and the mail worker's next cycle
(or ``manage.py index_mail_search``) fills them (``emails.search_index``); search finds an e-mail
the moment it is stored, the same before and after, and a failing sweep never stops the intake.
PostgreSQL; SQLite stores no document and does none of it."""

from __future__ import annotations

import io
import logging
import shutil
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
from emails.search import search_emails, search_text
from emails.search_index import FILL_UP_TO, SWEEP_BATCH, deferred_on, sweep
from emails.services import Incoming, get_folder
from emails.tests.conftest import build_message, point_ingest_at

pytestmark = pytest.mark.django_db(transaction=True)
postgres = pytest.mark.postgres

DEMO_MAILDIR = Path(__file__).resolve().parents[2] / "data" / "demo" / "maildir"
BODY = "Повреждены опоры линии у посёлка {n}.\n" + "x" * 9000  # two messages a 25,000-byte part


def _pending() -> list[int]:
    """Ids of e-mails without a search document."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM emails_emailmessage WHERE search_document IS NULL")
        return sorted(row[0] for row in cursor.fetchall())


def _next_cycle() -> str:
    """One cycle of the mail worker (INBOX and Sent over IMAP), its summary."""
    out = io.StringIO()
    call_command("ingest_mail", "--source", "imap", "--once", stdout=out)
    return out.getvalue()


def _found(text: str) -> set[int]:
    aliases, query = search_emails(text)
    return set(EmailMessage.objects.alias(**aliases).filter(query).values_list("pk", flat=True))


def _stored_without_document(subject: str, body: str) -> EmailMessage:
    """An e-mail committed by the ingest's own batch transaction: stored without its search
    document, as every ingest leaves it for the next cycle's sweep."""
    message_id = f"<{abs(hash(subject))}@op.example>"
    raw = build_message(subject, body, message_id=message_id)
    folder = get_folder("test", "INBOX")
    uid = EmailMessage.objects.count() + 1
    item = Incoming(uid, raw, parse_email(raw))
    _commit_batch(folder, 1, uid, [item], [], [], defer_search=True)
    return EmailMessage.objects.get(message_id=message_id)


QUERIES = ("опора", "опоры линии", '"опоры линии"', "авария -н3", "н5", "посёлок OR н1", "zzz")


@postgres
def test_ingested_mail_is_found_at_once_and_the_same_after_the_next_cycle(
    dovecot, imap_source, statuses, monkeypatch, settings
):
    point_ingest_at(settings, dovecot)
    monkeypatch.setattr(ingest, "MAX_BATCH_BYTES", 25_000)  # several parts, parsed ahead
    dovecot.append(
        "INBOX",
        [build_message(f"Авария №{n}", BODY.format(n=f"Н{n}"), message_id=f"<a{n}@op.example>")
         for n in range(7)],
    )  # fmt: skip

    report = ingest_folder(imap_source, "INBOX", batch_size=100)

    assert report.result.stored == 7 and report.batches == 4 and report.parsed_ahead == 4
    stored = sorted(EmailMessage.objects.values_list("pk", flat=True))
    assert _pending() == stored  # left out of the intake
    assert _found("опора") == set(stored)  # a Russian word form of the body's «опоры»
    for n in range(7):
        assert _found(f"н{n}") == {EmailMessage.objects.get(message_id=f"<a{n}@op.example>").pk}
    before = {text: _found(text) for text in QUERIES}

    summary = _next_cycle()  # nothing new: the sweep, then the folders

    assert "INBOX: fetched=0" in summary and "search documents filled=7" in summary
    assert _pending() == []
    assert {text: _found(text) for text in QUERIES} == before
    assert len(before["авария -н3"]) == 6 and len(before['"опоры линии"']) == 7
    assert before["zzz"] == set()


@postgres
def test_the_demo_maildir_is_found_by_its_subjects(tmp_path, statuses):
    shutil.copytree(DEMO_MAILDIR, tmp_path / "maildir")

    for _cycle in range(2):  # computed at first, then stored by the next cycle's sweep
        call_command("ingest_mail", "--source", f"maildir:{tmp_path / 'maildir'}", "--once")
        stored = sorted(EmailMessage.objects.values_list("pk", flat=True))
        assert len(stored) == 9  # INBOX and Sent
        for email in EmailMessage.objects.all():
            word = max(email.subject.split(), key=len)
            assert email.pk in _found(word), email.subject
        assert _pending() == (stored if _cycle == 0 else [])


@postgres
def test_a_row_without_document_is_found_and_filled_by_the_next_cycle_and_the_command(
    dovecot, statuses, capsys, settings
):
    point_ingest_at(settings, dovecot)
    killed = _stored_without_document("Нет связи", "Сгорел автомат в шкафу учёта")
    assert _pending() == [killed.pk] and _found("автомат") == {killed.pk}

    assert "search documents filled=1" in _next_cycle()  # nothing new in the mailbox
    assert _pending() == []
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
def test_a_failing_sweep_never_stops_the_intake_and_search_still_finds_the_mail(
    dovecot, statuses, caplog, settings
):
    point_ingest_at(settings, dovecot)
    waiting = _stored_without_document("Нет связи", "Сгорел автомат")
    dovecot.append(
        "INBOX",
        [build_message(f"Авария №{n}", "Повреждены опоры", message_id=f"<f{n}@op.example>")
         for n in range(3)],
    )  # fmt: skip
    with connection.cursor() as cursor:  # the database refuses the sweep's statement
        cursor.execute(
            "CREATE FUNCTION refuse_search() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "RAISE EXCEPTION 'search refused'; END $$; "
            "CREATE TRIGGER refuse_search BEFORE UPDATE OF search_document "
            "ON emails_emailmessage FOR EACH ROW EXECUTE FUNCTION refuse_search();"
        )
    try:
        with caplog.at_level(logging.ERROR, logger="emails.search_index"):
            summary = _next_cycle()
    finally:
        with connection.cursor() as cursor:
            cursor.execute(
                "DROP TRIGGER refuse_search ON emails_emailmessage; DROP FUNCTION refuse_search();"
            )

    assert "INBOX: fetched=3 stored=3" in summary and "search documents" not in summary
    assert "filling search documents failed" in caplog.text and "search refused" in caplog.text
    assert len(_pending()) == 4
    assert len(_found("опора")) == 3 and _found("автомат") == {waiting.pk}

    assert "search documents filled=4" in _next_cycle()  # the next cycle fills them
    assert _pending() == [] and len(_found("опора")) == 3


@postgres
def test_editing_the_text_computes_the_document_and_other_updates_leave_it(statuses):
    email = _stored_without_document("Нет связи", "Сгорел автомат")
    EmailMessage.objects.filter(pk=email.pk).update(is_first=False)
    email.refresh_from_db()
    email.save()  # every column written, the text unchanged
    assert _pending() == [email.pk]  # still the sweep's to fill

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
    with transaction.atomic():  # a caller's transaction: the trigger computes it at once
        assert not deferred_on()


@postgres
def test_the_sweep_and_search_find_their_rows_through_the_indexes(statuses):
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
        ):
            cursor.execute(f"EXPLAIN {statement}", params)
            plans.append("\n".join(row[0] for row in cursor.fetchall()))
    for search in (search_text, search_emails):  # the console's and the mail list's
        aliases, query = search("опоры")  # stored documents, pending rows (and the sender)
        plans.append(EmailMessage.objects.alias(**aliases).filter(query).explain())
    assert all("email_search_pending_idx" in plan for plan in plans)
    assert "email_search_idx" in plans[2] and "email_sender_upper_idx" in plans[3]
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
