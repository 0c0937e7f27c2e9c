"""Automatic retries of the quarantine are bounded: a message over the parser's budget fails the
same way every time, so the worker stops retrying it after that is seen again; any other failure
stops after ``QUARANTINE_MAX_ATTEMPTS``. A dispatcher can still retry by hand (and is told why it
cannot help) or release the message as a new incident. Mail arrives from a real Dovecot."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from emails.ingest import ingest_folder
from emails.models import EmailMessage, QuarantinedEmail
from emails.quarantine import QUARANTINE_MAX_ATTEMPTS, retry_quarantine
from emails.services import get_folder, quarantine
from emails.tests.conftest import build_message
from emails.tests.test_hostile_mail_budget import many_parts

pytestmark = pytest.mark.django_db(transaction=True)


def _long_ago() -> None:
    QuarantinedEmail.objects.update(last_attempt_at=timezone.now() - timedelta(days=30))


def test_over_budget_mail_is_not_retried_forever(dovecot, imap_source, statuses, client):
    from users.models import Role, User

    dovecot.append("INBOX", [many_parts(200_000, "<bomb@evil.example>")])
    assert ingest_folder(imap_source, "INBOX").quarantined == 1
    row = QuarantinedEmail.objects.get()
    assert row.error.startswith("over budget:") and row.auto_retry

    tries = []
    for _day in range(30):  # a month of worker cycles
        _long_ago()
        tries.append(retry_quarantine())
    assert tries[0] == (0, 1) and set(tries[1:]) == {(0, 0)}
    row.refresh_from_db()
    assert row.attempts == 2 and not row.auto_retry and row.resolved_at is None

    dispatcher = User.objects.create_user(
        email="anna@dispatch.example", password="x", role=Role.DISPATCH
    )
    client.force_login(dispatcher)
    page = client.get(reverse("console:quarantine")).content.decode()
    assert "Автоматические повторы остановлены" in page
    response = client.post(reverse("console:quarantine_retry", args=[row.pk]), follow=True)
    text = response.content.decode()
    assert "превышает бюджет разбора" in text and "Открыть как новый инцидент" in text
    row.refresh_from_db()
    assert row.attempts == 3 and row.resolved_at is None and bytes(row.raw).startswith(b"From:")


def test_other_failures_stop_after_the_last_automatic_attempt(statuses):
    folder = get_folder("test", "INBOX")
    quarantine(folder, 1, 7, b"", "empty message")
    for _cycle in range(QUARANTINE_MAX_ATTEMPTS + 5):
        _long_ago()
        retry_quarantine()
    row = QuarantinedEmail.objects.get()
    assert row.attempts == QUARANTINE_MAX_ATTEMPTS and not row.auto_retry


def test_a_due_message_is_retried_behind_many_waiting_ones(statuses):
    folder = get_folder("test", "INBOX")
    now = timezone.now()
    for uid in range(1, 61):  # failed 5 times, half an hour ago: not due yet
        quarantine(folder, 1, uid, b"", "empty message")
    QuarantinedEmail.objects.update(attempts=5, last_attempt_at=now - timedelta(minutes=30))
    due = quarantine(folder, 1, 100, build_message(message_id="<due@x.example>"), "db down")
    QuarantinedEmail.objects.filter(pk=due.pk).update(last_attempt_at=now - timedelta(minutes=20))
    assert retry_quarantine(limit=50) == (1, 0)
    assert EmailMessage.objects.filter(message_id="<due@x.example>").exists()
