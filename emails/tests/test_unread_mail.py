"""New mail from outside makes its incident unread and moves ``updated_at`` — one UPDATE per
ingest batch — while our own mail, the tracker's and automatic replies change nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from emails.ingest import ingest_folder
from emails.tests.conftest import build_message
from incidents.models import Incident

pytestmark = pytest.mark.django_db(transaction=True)


def _reply(n: int, parent: str, **extra) -> bytes:
    return build_message(
        "RE: Нет связи на опоре 02-00123",
        f"Ответ {n}",
        message_id=f"<re{n}@op.example>",
        in_reply_to=parent,
        references=[parent],
        **extra,
    )


def _unread_updates(queries: CaptureQueriesContext) -> list[str]:
    updates = (q["sql"] for q in queries if q["sql"].startswith("UPDATE"))
    return [sql for sql in updates if "unread_since" in sql]


def test_new_incident_and_replies_are_unread_once_per_batch(dovecot, imap_source, statuses):
    dovecot.append("INBOX", [build_message(message_id="<req@op.example>")])
    ingest_folder(imap_source, "INBOX")
    incident = Incident.objects.get()
    assert incident.unread_since is not None
    Incident.objects.filter(pk=incident.pk).update(
        unread_since=None, updated_at=timezone.now() - timedelta(hours=1)
    )
    before = Incident.objects.get().updated_at

    dovecot.append("INBOX", [_reply(n, "<req@op.example>") for n in range(1, 6)])
    with CaptureQueriesContext(connection) as queries:
        report = ingest_folder(imap_source, "INBOX", batch_size=100)
    assert report.result.stored == 5 and report.batches == 1
    assert len(_unread_updates(queries)) == 1  # one UPDATE for the batch, not one per message
    incident.refresh_from_db()
    assert incident.unread_since is not None and incident.updated_at > before


def test_own_tracker_and_automatic_mail_leave_it_read(dovecot, imap_source, statuses):
    dovecot.append("INBOX", [build_message(message_id="<req@op.example>")])
    ingest_folder(imap_source, "INBOX")
    old = timezone.now() - timedelta(hours=1)
    Incident.objects.update(unread_since=None, updated_at=old)

    dovecot.append(
        "INBOX",
        [
            _reply(1, "<req@op.example>", headers={"Auto-Submitted": "auto-replied"}),
            _reply(2, "<req@op.example>", headers={"Precedence": "bulk"}),
            _reply(3, "<req@op.example>", headers={"X-Tracker-Issue-Key": "AVRSERVICE-1"}),
            _reply(4, "<req@op.example>", sender=settings.DISPATCH_MAILBOX),
        ],
    )
    dovecot.append("Sent", [_reply(5, "<req@op.example>", sender=settings.DISPATCH_MAILBOX)])
    ingest_folder(imap_source, "INBOX")
    report = ingest_folder(imap_source, "Sent")
    assert report.result.stored == 1
    incident = Incident.objects.get()
    assert incident.emails.count() == 6
    assert incident.unread_since is None and incident.updated_at == old
