"""Mail written into a closed incident, ingested from a real Dovecot: the first gets exactly one
RFC 3834 automatic answer, the ``MAX_EMAILS_ON_CLOSED_INCIDENTS``-th reopens the incident with a
history comment; automatic mail, lists and flagged mail count for nothing; an incident marked
"do not link by thread" lets its replies open a new incident."""

from __future__ import annotations

import pytest

from emails.ingest import ingest_folder
from emails.outbox.models import OutboundEmail
from emails.tests.conftest import build_message
from incidents.models import Incident, StatusKey
from incidents.services import record_status, update_incident

pytestmark = pytest.mark.django_db(transaction=True)

Kind = OutboundEmail.Kind


def _reply(n: int, **extra) -> bytes:
    return build_message(
        "RE: Нет связи на опоре 02-00123",
        f"Снова нет связи ({n})",
        message_id=f"<late{n}@op.example>",
        in_reply_to="<req@op.example>",
        references=["<req@op.example>"],
        **extra,
    )


@pytest.fixture
def closed(dovecot, imap_source, statuses) -> Incident:
    dovecot.append("INBOX", [build_message(message_id="<req@op.example>")])
    ingest_folder(imap_source, "INBOX")
    incident = Incident.objects.get()
    record_status(incident, StatusKey.CLOSED, actor="console")
    return incident


def _auto_replies() -> list[OutboundEmail]:
    return list(OutboundEmail.objects.filter(kind=Kind.CLOSED_AUTO_REPLY))


def test_first_mail_answered_once_second_reopens(dovecot, imap_source, closed):
    dovecot.append("INBOX", [_reply(1)])
    ingest_folder(imap_source, "INBOX")
    [answer] = _auto_replies()
    assert answer.to == ["engineer@operator.example"] and answer.cc == []
    assert answer.headers["Auto-Submitted"] == "auto-replied"
    assert answer.headers["In-Reply-To"] == "<late1@op.example>"
    assert answer.headers["References"] == "<req@op.example> <late1@op.example>"
    assert answer.subject.startswith(f"Auto: Re: {closed.code}: ")
    assert "закрыта" in answer.body_text and "новое письмо" in answer.body_text
    assert Incident.objects.get().status.key == StatusKey.CLOSED

    dovecot.append("INBOX", [_reply(2)])
    ingest_folder(imap_source, "INBOX")
    incident = Incident.objects.get()
    assert incident.status.key == StatusKey.IN_PROGRESS and not incident.is_finished
    last = incident.status_history.order_by("-id").first()
    assert last.actor == "email"
    assert "2" in last.comment and "engineer@operator.example" in last.comment
    assert len(_auto_replies()) == 1  # the reopening mail is not answered


def test_automatic_list_and_ignored_mail_is_never_answered_nor_counted(
    dovecot, imap_source, closed
):
    dovecot.append(
        "INBOX",
        [
            _reply(1, headers={"Auto-Submitted": "auto-replied"}),
            _reply(2, headers={"List-Id": "<noc.operator.example>"}),
            _reply(3, sender="MAILER-DAEMON@operator.example"),
            _reply(4, headers={"Precedence": "junk"}),
        ],
    )
    ingest_folder(imap_source, "INBOX")
    assert _auto_replies() == []
    assert Incident.objects.get().status.key == StatusKey.CLOSED


def test_one_answer_per_period_and_no_reopening_when_disabled(
    dovecot, imap_source, closed, settings
):
    settings.MAX_EMAILS_ON_CLOSED_INCIDENTS = 0  # never reopen
    dovecot.append("INBOX", [_reply(1)])
    ingest_folder(imap_source, "INBOX")
    dovecot.append("INBOX", [_reply(2), _reply(3, sender="boss@operator.example")])
    ingest_folder(imap_source, "INBOX")
    assert len(_auto_replies()) == 1
    assert Incident.objects.get().status.key == StatusKey.CLOSED


def test_a_thread_not_linked_opens_a_new_incident(dovecot, imap_source, closed):
    update_incident(closed, changes={"no_thread_linking": True}, actor="console")
    dovecot.append("INBOX", [_reply(1)])
    ingest_folder(imap_source, "INBOX")
    assert Incident.objects.count() == 2
    fresh = Incident.objects.exclude(pk=closed.pk).get()
    assert fresh.emails.get().message_id == "<late1@op.example>"
    assert _auto_replies() == []
    assert Incident.objects.get(pk=closed.pk).status.key == StatusKey.CLOSED
