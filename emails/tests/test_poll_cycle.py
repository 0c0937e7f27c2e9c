"""A cycle of the worker reads every folder over one IMAP connection."""

from __future__ import annotations

import time

import pytest
from django.core.management import call_command

from emails.models import EmailMessage
from emails.tests.conftest import build_message, point_ingest_at

pytestmark = pytest.mark.django_db(transaction=True)


def logins(dovecot) -> int:
    time.sleep(0.2)  # Dovecot writes its log asynchronously
    return dovecot.log().count("imap-login: Info: Login:")


def test_one_login_a_cycle_for_inbox_and_sent(dovecot, statuses, settings):
    point_ingest_at(settings, dovecot)
    dovecot.append("INBOX", [build_message(message_id="<in@op.example>")])
    dovecot.append("Sent", [build_message(message_id="<out@example.test>")])
    before = logins(dovecot)
    call_command("ingest_mail", "--source", "imap", "--once")
    assert EmailMessage.objects.count() == 2
    assert logins(dovecot) == before + 1
    call_command("ingest_mail", "--source", "imap", "--once")  # the unchanged mailbox
    assert logins(dovecot) == before + 2
