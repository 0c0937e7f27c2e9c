"""Mail that cannot be ingested is kept raw with the reason, retried, and never blocks the rest."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from emails.ingest import ingest_folder
from emails.models import EmailMessage, MailFolder, QuarantinedEmail
from emails.parsing import ParseError, parse_email
from emails.quarantine import retry_quarantine
from emails.services import get_folder, quarantine
from emails.tests.conftest import build_message

pytestmark = pytest.mark.django_db(transaction=True)


def test_empty_message_is_a_parse_error():
    with pytest.raises(ParseError, match="empty"):
        parse_email(b"\r\n \r\n")


def test_unparseable_message_is_quarantined_and_the_batch_goes_on(dovecot, imap_source, statuses):
    dovecot.append("INBOX", [build_message(message_id="<ok-1@x.example>")])
    dovecot.append("INBOX", [b"\r\n"])  # what a broken client may APPEND
    dovecot.append("INBOX", [build_message(message_id="<ok-2@x.example>")])
    report = ingest_folder(imap_source, "INBOX")
    assert report.quarantined == 1 and report.result.stored == 2
    row = QuarantinedEmail.objects.get()
    assert row.uid == 2 and "empty message" in row.error and row.resolved_at is None
    assert MailFolder.objects.get(name="INBOX").last_uid == 3
    again = ingest_folder(imap_source, "INBOX")  # not fetched again, not duplicated
    assert again.fetched == 0 and QuarantinedEmail.objects.count() == 1


def test_quarantined_message_is_retried_and_resolved(statuses):
    folder = get_folder("test", "INBOX")
    raw = build_message(message_id="<later@x.example>")
    row = quarantine(folder, 1, 42, raw, "database was down")
    QuarantinedEmail.objects.filter(pk=row.pk).update(
        last_attempt_at=timezone.now() - timedelta(hours=1)
    )
    assert retry_quarantine() == (1, 0)
    row.refresh_from_db()
    assert row.resolved_at is not None
    assert EmailMessage.objects.get().message_id == "<later@x.example>"


def test_retry_that_fails_again_counts_attempts_and_keeps_the_raw(statuses):
    folder = get_folder("test", "INBOX")
    row = quarantine(folder, 1, 7, b"", "empty message")
    QuarantinedEmail.objects.filter(pk=row.pk).update(
        last_attempt_at=timezone.now() - timedelta(hours=1)
    )
    assert retry_quarantine() == (0, 1)
    row.refresh_from_db()
    assert row.attempts == 2 and row.resolved_at is None
    assert retry_quarantine() == (0, 0)  # backing off


def test_admin_retry_action_stores_the_message(statuses, admin_client):
    folder = get_folder("test", "INBOX")
    row = quarantine(folder, 1, 5, build_message(message_id="<fixed@x.example>"), "was broken")
    response = admin_client.post(
        "/admin/emails/quarantinedemail/",
        {"action": "retry_now", "_selected_action": [row.pk]},
        follow=True,
    )
    assert response.status_code == 200
    row.refresh_from_db()
    assert row.resolved_at is not None
    assert EmailMessage.objects.filter(message_id="<fixed@x.example>").exists()
