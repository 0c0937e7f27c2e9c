"""Killing the worker mid-batch and running several workers at once lose and duplicate nothing.

These run the real ``ingest_mail`` command in separate processes against the test PostgreSQL
database and a real Dovecot, so they are PostgreSQL-only.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db.models import Count

from dispatch.testing.threads import run_together
from emails.ingest import _commit_batch, ingest_folder
from emails.models import EmailLocation, EmailMessage, MailFolder
from emails.parsing import parse_email
from emails.services import Incoming, get_folder
from emails.sources.imap import ImapSource
from emails.tests.conftest import (
    MAILBOX_PASSWORD,
    MAILBOX_USER,
    build_message,
    ingest_worker_env,
)
from incidents.models import Incident, IncidentStatusHistory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


def conversations(count: int) -> tuple[list[bytes], list[bytes]]:
    """``count`` requests, each with a follow-up (INBOX) and a dispatcher answer (Sent)."""
    inbox, sent = [], []
    for n in range(count):
        root = f"<req-{n}@op.example>"
        answer = f"<ans-{n}@example.test>"
        inbox.append(build_message(f"Авария №{n} на опоре 02-{n:05d}", message_id=root))
        sent.append(
            build_message(
                f"Ответ: Авария №{n}", "Принято.", sender=MAILBOX_USER,
                message_id=answer, in_reply_to=root, references=[root],
            )
        )  # fmt: skip
        inbox.append(
            build_message(
                f"RE: Ответ: Авария №{n}", "Спасибо.", message_id=f"<fu-{n}@op.example>",
                in_reply_to=answer, references=[root, answer],
            )
        )  # fmt: skip
    return inbox, sent


def worker(dovecot, *args: str) -> subprocess.Popen:
    env = ingest_worker_env(dovecot.port)
    return subprocess.Popen(
        [sys.executable, "manage.py", "ingest_mail", "--source", "imap", *args],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip


def assert_exactly_once(conversation_count: int) -> None:
    assert EmailMessage.objects.count() == conversation_count * 3
    assert Incident.objects.count() == conversation_count
    assert not EmailMessage.objects.filter(incident__isnull=True).exists()
    per_incident = Incident.objects.annotate(n=Count("emails")).values_list("n", flat=True)
    assert set(per_incident) == {3}
    assert set(
        IncidentStatusHistory.objects.values("incident")
        .annotate(n=Count("id"))
        .values_list("n", flat=True)
    ) == {1}
    assert EmailMessage.objects.filter(is_first=True).count() == conversation_count


def test_killed_worker_loses_and_duplicates_nothing(dovecot, statuses):
    inbox, sent = conversations(150)
    dovecot.append("INBOX", inbox)
    dovecot.append("Sent", sent)
    process = worker(dovecot, "--loop", "--interval", "0.2", "--batch-size", "15")
    deadline = time.monotonic() + 60
    while EmailMessage.objects.count() < 60 and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)  # no chance to finish the batch in hand
    process.wait(timeout=10)
    stored_before = EmailMessage.objects.count()
    assert 0 < stored_before < 450
    restarted = worker(dovecot, "--once", "--batch-size", "15")
    output = restarted.communicate(timeout=120)[0].decode()
    assert restarted.returncode == 0, output
    assert_exactly_once(150)
    assert EmailLocation.objects.count() == 450


def test_two_concurrent_workers_produce_no_duplicates(dovecot, statuses):
    inbox, sent = conversations(100)
    dovecot.append("INBOX", inbox)
    dovecot.append("Sent", sent)
    workers = [
        worker(dovecot, "--folder", "INBOX", "--folder", "Sent", "--batch-size", "10"),
        worker(dovecot, "--folder", "Sent", "--folder", "INBOX", "--batch-size", "10"),
        worker(dovecot, "--folder", "INBOX", "--batch-size", "7"),
    ]
    for process in workers:
        output = process.communicate(timeout=180)[0].decode()
        assert process.returncode == 0, output
    # a final pass picks up whatever a worker skipped while another held the folder lock
    source = ImapSource("127.0.0.1", dovecot.port, MAILBOX_USER, MAILBOX_PASSWORD, ssl=False)
    ingest_folder(source, "INBOX")
    ingest_folder(source, "Sent")
    assert_exactly_once(100)


def test_same_batch_committed_by_two_threads_at_once_is_stored_once(statuses):
    inbox, _sent = conversations(20)
    folder = get_folder("race", "INBOX")
    items = [Incoming(uid, raw, parse_email(raw)) for uid, raw in enumerate(inbox, start=1)]
    _results, errors = run_together(lambda: _commit_batch(folder, 1, len(items), items, [], []), 2)
    assert not errors
    assert EmailMessage.objects.count() == 40
    assert Incident.objects.count() == 20
    assert EmailLocation.objects.count() == 40


def test_sigterm_finishes_the_batch_in_hand_then_exits(dovecot, statuses):
    inbox, sent = conversations(100)
    dovecot.append("INBOX", inbox)
    dovecot.append("Sent", sent)
    process = worker(dovecot, "--loop", "--interval", "0.2", "--batch-size", "10")
    deadline = time.monotonic() + 60
    while EmailMessage.objects.count() < 30 and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    output = process.communicate(timeout=60)[0].decode()
    assert process.returncode == 0, output
    inbox_folder = MailFolder.objects.get(name="INBOX")
    uids = set(EmailLocation.objects.filter(folder=inbox_folder).values_list("uid", flat=True))
    assert uids == set(range(1, inbox_folder.last_uid + 1))  # whole batches, cursor matches
    restarted = worker(dovecot, "--once")
    assert restarted.wait(timeout=120) == 0
    assert_exactly_once(100)
