"""Replies join their incident: In-Reply-To, References, our outbox, the code in the subject."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from django.utils import timezone

from emails.models import EmailMessage, MailFolder
from emails.outbox.models import OutboundEmail
from emails.parsing import parse_email
from emails.services import Incoming, get_folder, store_messages
from emails.tests.conftest import build_message
from incidents.models import Incident, IncidentStatusHistory

pytestmark = pytest.mark.django_db


def store(folder: MailFolder, *raws: bytes, uid: int = 1) -> None:
    items = [Incoming(uid + n, raw, parse_email(raw)) for n, raw in enumerate(raws)]
    store_messages(folder, 1, items)


@pytest.fixture
def inbox(statuses) -> MailFolder:
    return get_folder("test", "INBOX")


@pytest.fixture
def sent(statuses) -> MailFolder:
    return get_folder("test", "Sent")


def test_new_conversation_creates_one_incident_with_one_status_row(inbox):
    sent = timezone.now().replace(microsecond=0) - timedelta(minutes=20)
    store(inbox, build_message(message_id="<first@op.example>", date=sent))
    incident = Incident.objects.get()
    email = EmailMessage.objects.get()
    assert email.incident == incident and email.is_first
    assert incident.status.name == "Новый"
    assert incident.incident_date == email.sent_at == sent  # a plausible Date starts the clock
    assert IncidentStatusHistory.objects.filter(incident=incident).count() == 1
    assert incident.requester_email == "engineer@operator.example"


def test_reply_by_in_reply_to_and_russian_prefix(inbox):
    store(inbox, build_message(message_id="<first@op.example>"))
    reply = build_message(
        "Ответ: Нет связи на опоре 02-00123",
        "Принято.\n\n-----Исходное сообщение-----\nОт: ...",
        message_id="<second@op.example>",
        in_reply_to="<first@op.example>",
    )
    store(inbox, reply, uid=5)
    assert Incident.objects.count() == 1
    assert EmailMessage.objects.get(message_id="<second@op.example>").incident is not None


def test_reply_by_deep_references_when_parent_unknown(inbox):
    store(inbox, build_message(message_id="<root@op.example>"))
    reply = build_message(
        "RE[2]: тема",
        message_id="<c@op.example>",
        in_reply_to="<never-seen@other.example>",
        references=["<root@op.example>", "<b@x.example>", "<never-seen@other.example>"],
    )
    store(inbox, reply, uid=2)
    assert Incident.objects.count() == 1
    assert EmailMessage.objects.filter(incident__isnull=False).count() == 2


def test_reference_cycle_is_safe(inbox):
    a = build_message(message_id="<a@x.example>", references=["<b@x.example>"])
    b = build_message(message_id="<b@x.example>", references=["<a@x.example>"])
    store(inbox, a, b)
    assert EmailMessage.objects.count() == 2
    assert Incident.objects.count() == 1  # b answers a, which is in the same batch


def test_reply_to_our_outgoing_message_id(inbox):
    store(inbox, build_message(message_id="<first@op.example>"))
    incident = Incident.objects.get()
    OutboundEmail.objects.create(
        incident=incident,
        kind="accepted",
        dedupe_key="k1",
        message_id="<accepted-1@dispatch.example>",
        subject="Принято",
        body_text="...",
    )
    reply = build_message(
        "Re: Принято", message_id="<r@op.example>", in_reply_to="<accepted-1@dispatch.example>"
    )
    store(inbox, reply, uid=9)
    assert Incident.objects.count() == 1
    assert EmailMessage.objects.get(message_id="<r@op.example>").incident == incident


def test_incident_code_in_subject(inbox, settings):
    settings.INCIDENT_CODE_PATTERN = r"\bAVRSERVICE-\d+\b"
    store(inbox, build_message(message_id="<first@op.example>"))
    incident = Incident.objects.get()
    incident.code = "AVRSERVICE-77"
    incident.save()
    store(inbox, build_message("Fwd: по заявке avrservice-77", message_id="<x@y.example>"), uid=3)
    assert Incident.objects.count() == 1
    assert EmailMessage.objects.get(message_id="<x@y.example>").incident == incident


def test_sent_mail_never_creates_an_incident_but_links(inbox, sent):
    store(
        sent, build_message("Вопрос", sender="dispatch@example.test", message_id="<s1@d.example>")
    )
    assert Incident.objects.count() == 0
    email = EmailMessage.objects.get()
    assert email.direction == EmailMessage.Direction.OUTBOUND and email.incident is None


def test_reply_stored_before_its_parent_is_adopted(inbox, sent):
    reply = build_message(
        "Re: Нет связи", sender="dispatch@example.test", message_id="<ans@d.example>",
        in_reply_to="<orig@op.example>",
    )  # fmt: skip
    store(sent, reply)
    store(inbox, build_message(message_id="<orig@op.example>"), uid=3)
    incident = Incident.objects.get()
    assert EmailMessage.objects.get(message_id="<ans@d.example>").incident == incident


def test_same_message_in_inbox_and_sent_is_stored_once(inbox, sent):
    raw = build_message(message_id="<both@op.example>")
    store(inbox, raw)
    store(sent, raw, uid=7)
    email = EmailMessage.objects.get()
    assert email.locations.count() == 2
    assert Incident.objects.count() == 1


def test_missing_message_id_gets_a_stable_synthetic_one(inbox):
    raw = build_message(message_id="x")
    raw = raw.replace(b"Message-ID: x\n", b"")
    store(inbox, raw)
    store(inbox, raw, uid=10)
    email = EmailMessage.objects.get()
    assert email.has_synthetic_id and email.message_id.startswith("<")


def test_outlook_reply_without_references_joins_by_thread_index(inbox):
    root = base64.b64encode(bytes(range(22))).decode()
    reply_index = base64.b64encode(bytes(range(22)) + b"\x01\x02\x03\x04\x05").decode()
    other = base64.b64encode(bytes(range(1, 23))).decode()
    store(inbox, build_message(message_id="<o1@ex.example>", headers={"Thread-Index": root}))
    store(
        inbox,
        build_message("RE: Нет связи", message_id="<o2@ex.example>",
                      headers={"Thread-Index": reply_index, "Thread-Topic": "Нет связи"}),
        build_message("Другая тема", message_id="<o3@ex.example>", headers={"Thread-Index": other}),
        uid=5,
    )  # fmt: skip
    first = EmailMessage.objects.get(message_id="<o1@ex.example>")
    assert EmailMessage.objects.get(message_id="<o2@ex.example>").incident == first.incident
    assert EmailMessage.objects.get(message_id="<o3@ex.example>").incident != first.incident
    assert Incident.objects.count() == 2


def test_answer_to_our_first_mail_opens_an_incident_that_includes_it(inbox, sent):
    store(sent, build_message("Вопрос подрядчику", sender="dispatch@example.test",
                              message_id="<ask@d.example>"))  # fmt: skip
    store(inbox, build_message("Re: Вопрос подрядчику", message_id="<answer@c.example>",
                               in_reply_to="<ask@d.example>"), uid=4)  # fmt: skip
    incident = Incident.objects.get()
    assert EmailMessage.objects.get(message_id="<ask@d.example>").incident == incident
    assert EmailMessage.objects.get(message_id="<answer@c.example>").is_first
