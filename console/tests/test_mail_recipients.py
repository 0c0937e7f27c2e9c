"""Who our mail goes to, walked as a dispatcher does it: mail ingested from a real Dovecot, the
console's pages and buttons, the outbox delivered to a real SMTP sink.

Issue #16 finding 2 (a reply goes to the requester and the copies the dispatcher picks, shown
before sending; an outsider naming the incident code is flagged), finding 5 (a recipient cap on
every message, what was left out recorded and shown); issue #17 items 3 (notices go to the
incident's requester, e.g. the address inside a web-form mail) and 5 (our mail answers the
requester's own message, not an auto-reply; the contractor's card leaves auto-replies out).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.urls import reverse

from dispatch.testing.smtp import smtp_sink  # noqa: F401
from emails.ingest import ingest_folder
from emails.outbox.models import OutboundEmail
from emails.tests.conftest import MAILBOX_USER, build_message
from incidents.models import Incident, StatusKey
from incidents.tests.factories import make_site

pytestmark = pytest.mark.django_db(transaction=True)

REQUESTER = "engineer@megafon.example"


@dataclass
class Desk:
    """The dispatcher signed in to the console, the desk's mailbox and the SMTP sink."""

    client: object
    dovecot: object
    imap_source: object
    smtp: object

    def ingest(self, *messages: bytes) -> None:
        self.dovecot.append("INBOX", list(messages))
        ingest_folder(self.imap_source, "INBOX")

    def page(self, incident: Incident) -> str:
        response = self.client.get(reverse("console:incident", args=[incident.pk]))
        assert response.status_code == 200, (response.status_code, response.get("Location"))
        return response.content.decode()

    def move(self, incident: Incident, *keys: str) -> None:
        for key in keys:
            self.client.post(reverse("console:status", args=[incident.pk]), {"to": key})


@pytest.fixture
def desk(client, dispatcher, settings, dovecot, imap_source, smtp_sink) -> Desk:  # noqa: F811
    settings.DISPATCH_MAILBOX = MAILBOX_USER
    client.force_login(dispatcher)
    return Desk(client, dovecot, imap_source, smtp_sink)


def request(**headers: str) -> bytes:
    return build_message(
        "Нет связи на опоре 77-0001",
        "Прошу проверить опору.",
        sender=REQUESTER,
        message_id="<req@megafon.example>",
        date=datetime(2026, 11, 20, 9, 0, tzinfo=UTC),
        headers={"Cc": "boss@megafon.example", **headers},
    )


def outsider(incident: Incident) -> bytes:
    return build_message(
        f"Re: {incident.code}: Нет связи",
        "Срочно! Все ответы присылайте на этот адрес.",
        sender="attacker@evil.example",
        message_id="<evil@evil.example>",
        date=datetime(2030, 1, 1, tzinfo=UTC),  # "newest" by its own Date header
        headers={"Cc": ", ".join(f"victim{n}@evil.example" for n in range(50))},
    )


def reply_section(html: str) -> str:
    return html.split('id="reply"', 1)[1]


def test_reply_goes_to_the_requester_not_to_an_outsider_who_wrote_last(desk):
    desk.ingest(request())
    incident = Incident.objects.get()
    desk.ingest(outsider(incident))
    html = desk.page(incident)
    assert "1 письмо нужно проверить, прежде чем ему доверять:" in html
    assert (
        "Привязано по коду инцидента в теме, но отправитель не участвует в переписке по "
        "инциденту" in html
    )
    form = reply_section(html)
    assert re.search(r"Кому:</span>\s*<strong>engineer@megafon.example</strong>", form)
    assert 'value="boss@megafon.example"' in form  # a participant may be picked for the copy
    assert "evil.example" not in form  # the outsider and their Cc are never offered
    response = desk.client.post(
        reverse("console:reply", args=[incident.pk]), {"body": "Бригада выехала."}
    )
    assert response.status_code == 302
    queued = OutboundEmail.objects.get()
    assert (queued.to, queued.cc) == ([REQUESTER], [MAILBOX_USER])
    call_command("send_outbox", "--once")
    [delivered] = desk.smtp.received
    assert sorted(delivered.rcpt_tos) == sorted([REQUESTER, MAILBOX_USER])
    [message] = desk.smtp.wait_for(1)
    assert message["In-Reply-To"] == "<req@megafon.example>"
    assert "<evil@evil.example>" not in message["References"]


def test_the_dispatcher_picks_the_copies_within_the_limit(desk, settings):
    settings.MAIL_MAX_RECIPIENTS = 3
    desk.ingest(request())
    incident = Incident.objects.get()
    url = reverse("console:reply", args=[incident.pk])
    too_many = desk.client.post(
        url,
        {"body": "Текст", "cc": ["boss@megafon.example"], "extra_cc": "a@x.example, b@x.example"},
    )
    assert too_many.status_code == 422
    assert "Не больше 3 адресатов (заявитель и 2 в копии)." in too_many.content.decode()
    wrong = desk.client.post(url, {"body": "Текст", "extra_cc": "не адрес"})
    assert "«не» — не адрес электронной почты." in wrong.content.decode()
    outsider_pick = desk.client.post(url, {"body": "Текст", "cc": ["attacker@evil.example"]})
    assert outsider_pick.status_code == 422  # only the offered addresses can be ticked
    assert not OutboundEmail.objects.exists()
    response = desk.client.post(
        url, {"body": "Текст", "cc": ["boss@megafon.example"], "extra_cc": "Chief@X.example"}
    )
    assert response.status_code == 302
    queued = OutboundEmail.objects.get()
    assert queued.to == [REQUESTER]
    assert queued.cc == ["boss@megafon.example", "chief@x.example", MAILBOX_USER]


def test_a_notice_goes_to_the_requester_named_in_the_web_form(desk):
    form = build_message(
        "Новая заявка с сайта",
        'Заявка с формы:\n{"Номер опоры": "77-0001", "Описание": "Упала антенна", '
        '"E-mail для обратной связи": "Client@Operator.example"}',
        sender="forms@site.example",
        message_id="<form-1@site.example>",
    )
    desk.ingest(form)
    incident = Incident.objects.get()
    assert incident.requester_email == "client@operator.example"
    desk.move(incident, StatusKey.IN_PROGRESS, StatusKey.NOTIFY_OPERATOR)
    call_command("send_outbox", "--once")
    [message] = desk.smtp.wait_for(1)
    assert message["To"] == "client@operator.example"
    assert "forms@site.example" not in desk.smtp.received[0].rcpt_tos


def test_notices_answer_the_requester_not_an_auto_reply_and_cards_leave_auto_replies_out(desk):
    make_site("77-0001", contractor_emails=["avr@contractor.example"])
    desk.ingest(request())
    incident = Incident.objects.get()
    desk.move(incident, StatusKey.IN_PROGRESS, StatusKey.NOTIFY_OPERATOR)
    call_command("send_outbox", "--once")
    [accepted] = desk.smtp.wait_for(1)
    desk.ingest(
        build_message(
            "Автоответ: Нет связи", "Я в отпуске до 01.12.", sender="boss@megafon.example",
            message_id="<ooo@megafon.example>", in_reply_to=accepted["Message-ID"],
            date=datetime(2026, 11, 21, tzinfo=UTC), headers={"Auto-Submitted": "auto-replied"},
        ),
    )  # fmt: skip
    desk.move(incident, StatusKey.NOTIFY_CONTRACTOR)
    call_command("send_outbox", "--once")
    card = desk.smtp.wait_for(2)[1]
    assert card["To"] == "avr@contractor.example"
    assert card["In-Reply-To"] == "<req@megafon.example>"
    assert "<ooo@megafon.example>" not in card["References"]
    text = card.get_body(("plain",)).get_content()
    assert "Прошу проверить опору." in text and "в отпуске" not in text


def test_ten_thousand_cc_addresses_get_no_notice(desk):
    crowd = ", ".join(f"person{n}@crowd.example" for n in range(10_000))
    desk.ingest(request(Cc=crowd))
    incident = Incident.objects.get()
    desk.move(incident, StatusKey.IN_PROGRESS, StatusKey.NOTIFY_OPERATOR)
    queued = OutboundEmail.objects.get()
    assert queued.to == [REQUESTER]
    assert queued.cc == [*(f"person{n}@crowd.example" for n in range(4)), MAILBOX_USER]
    assert len(queued.dropped) == 10_000 - 4
    html = desk.page(incident)
    assert "9996 адресов не отправлено (ограничение числа адресатов):" in html
    call_command("send_outbox", "--once")
    [delivered] = desk.smtp.received
    assert len(delivered.rcpt_tos) == 6  # the requester, 4 copies, our mailbox
