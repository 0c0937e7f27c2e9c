"""The three templated e-mails reach a real SMTP server (aiosmtpd on 127.0.0.1) exactly once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from dispatch.testing.smtp import smtp_sink  # noqa: F401  (fixture)
from emails.outbox.models import OutboundEmail
from emails.outbox.services import send_due
from incidents.models import IncidentType, StatusKey
from incidents.notifications import queue_reply
from incidents.tests.factories import make_request, make_site
from incidents.workflow import change_status
from users.models import Role, User

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("notification_setup")]

S = StatusKey


def addresses(header) -> list[str]:
    return sorted(a.addr_spec for a in header.addresses) if header else []


def incident_on_pole():
    pole, station = make_site()
    incident = make_request(pole=pole, base_station=station)
    incident.incident_type = IncidentType.objects.get(name="Авария по питанию для МСК")
    incident.save()
    change_status(incident, S.IN_PROGRESS, actor="console")
    return incident


def test_accepted_contractor_and_closed_emails_arrive_once_with_headers_and_russian_text(
    smtp_sink,  # noqa: F811
):
    incident = incident_on_pole()
    code = incident.code

    change_status(incident, S.NOTIFY_OPERATOR, actor="tracker")
    assert incident.status.key == S.NOTIFY_OPERATOR
    assert str(send_due()) == "sent=1 retried=0 failed=0 deferred=0"
    [accepted] = smtp_sink.wait_for(1)
    incident.refresh_from_db()
    assert incident.status.key == S.NOTIFIED_OPERATOR

    assert addresses(accepted["To"]) == ["noc@operator.example"]
    assert addresses(accepted["Cc"]) == ["dispatch@example.ru", "duty@operator.example"]
    assert addresses(accepted["From"]) == ["dispatch@example.ru"]
    assert str(accepted["Subject"]) == f"Re: {code}: Нет питания на опоре 77-0001"
    assert accepted["Message-ID"].startswith(f"<dispatch.{incident.pk}.accepted.")
    assert accepted["Message-ID"].endswith("@example.ru>")
    assert accepted["In-Reply-To"] == "<req-1@operator.example>"
    assert accepted["References"] == "<req-1@operator.example>"
    assert accepted["Auto-Submitted"] == "auto-replied"
    assert f'Заявка "{code}" принята в работу.' in accepted.get_content()
    assert sorted(smtp_sink.received[0].rcpt_tos) == [
        "dispatch@example.ru",
        "duty@operator.example",
        "noc@operator.example",
    ]

    change_status(incident, S.NOTIFY_CONTRACTOR, actor="tracker")
    send_due()
    card = smtp_sink.wait_for(2)[1]
    assert addresses(card["To"]) == ["avr@contractor.example"]
    assert addresses(card["Cc"]) == ["dispatch@example.ru"]
    assert card["Auto-Submitted"] == "auto-replied"
    text = card.get_content()
    for fragment in (
        f"Вам назначен новый инцидент {code}.",
        "ИНФОРМАЦИЯ ОБ ОПОРЕ",
        "Шифр опоры: 77-0001",
        "Адрес: Москва, ул. Тверская, 1",
        "Координаты: 55.7575, 37.6136",
        "ИНФОРМАЦИЯ О БАЗОВОЙ СТАНЦИИ",
        "Базовая станция: БС 77-0001",
        "Билайн, МТС",
        "ДЕТАЛИ ИНЦИДЕНТА",
        f"Время регистрации: {timezone.localtime(incident.incident_date):%d.%m.%Y %H:%M}",
        "Тип: Авария по питанию для МСК",
        "ИСТОРИЯ ПЕРЕПИСКИ",
        "Сообщение №1",
        "пропало питание",
        "ВАЖНО: НЕ МЕНЯЙТЕ ТЕМУ ПИСЬМА ПРИ ОТВЕТЕ",
    ):
        assert fragment in text
    deadline = timezone.localtime(incident.incident_date + timedelta(minutes=240))
    assert f"Срок устранения (SLA): {deadline:%d.%m.%Y %H:%M}" in text

    change_status(incident, S.NOTIFY_CLOSED, actor="tracker")
    send_due()
    closed = smtp_sink.wait_for(3)[2]
    assert addresses(closed["To"]) == ["noc@operator.example"]
    assert f'Заявка "{code}" закрыта.' in closed.get_content()

    assert send_due().sent == 0
    assert len(smtp_sink.received) == 3
    assert len({m["Message-ID"] for m in smtp_sink.messages}) == 3
    assert [h.status.key for h in incident.status_history.all()] == [
        S.NEW,
        S.IN_PROGRESS,
        S.NOTIFY_OPERATOR,
        S.NOTIFIED_OPERATOR,
        S.NOTIFY_CONTRACTOR,
        S.NOTIFIED_CONTRACTOR,
        S.NOTIFY_CLOSED,
        S.NOTIFIED_CLOSED,
    ]


def test_smtp_down_loses_nothing_and_delivers_once_when_back(smtp_sink):  # noqa: F811
    incident = incident_on_pole()
    smtp_sink.stop()
    change_status(incident, S.NOTIFY_OPERATOR, actor="console")

    report = send_due()
    assert (report.sent, report.retried) == (0, 1)
    row = OutboundEmail.objects.get()
    assert row.state == OutboundEmail.State.QUEUED and row.attempts == 1
    assert row.next_attempt_at > timezone.now()
    assert "Connection" in row.last_error or "refused" in row.last_error
    assert send_due().sent == 0  # not due yet: back-off is respected

    smtp_sink.start()
    later = timezone.now() + timedelta(minutes=2)
    assert send_due(now=later).sent == 1
    assert send_due(now=later + timedelta(hours=1)).sent == 0
    assert len(smtp_sink.wait_for(1)) == 1
    row.refresh_from_db()
    assert row.state == OutboundEmail.State.SENT and row.attempts == 2
    incident.refresh_from_db()
    assert incident.status.key == S.NOTIFIED_OPERATOR


def test_delivery_that_keeps_failing_ends_in_error_status_with_the_reason(smtp_sink, settings):  # noqa: F811
    settings.OUTBOX_MAX_ATTEMPTS = 2
    incident = incident_on_pole()
    smtp_sink.stop()
    change_status(incident, S.NOTIFY_CONTRACTOR, actor="console")
    send_due()
    report = send_due(now=timezone.now() + timedelta(hours=2))
    assert report.failed == 1
    assert OutboundEmail.objects.get().state == OutboundEmail.State.FAILED
    incident.refresh_from_db()
    assert incident.status.key == S.ERROR
    assert incident.status_history.last().comment.startswith(
        "Не удалось передать карточку инцидента подрядчику."
    )


def test_dispatcher_reply_is_threaded_to_the_conversation(smtp_sink):  # noqa: F811
    incident = incident_on_pole()
    user = User.objects.create_user(
        email="ivanova@example.ru", first_name="Анна", last_name="Иванова", role=Role.DISPATCH
    )
    row = queue_reply(
        incident,
        "Бригада выехала, ориентировочно через 2 часа.",
        user=user,
        cc=["duty@operator.example"],  # copies are the dispatcher's choice, never implied
    )
    assert row.kind == OutboundEmail.Kind.REPLY
    send_due()
    [reply] = smtp_sink.wait_for(1)
    assert addresses(reply["To"]) == ["noc@operator.example"]
    assert addresses(reply["Cc"]) == ["dispatch@example.ru", "duty@operator.example"]
    assert reply["In-Reply-To"] == "<req-1@operator.example>"
    assert reply["Message-ID"].endswith("@example.ru>")
    assert reply["Auto-Submitted"] is None  # a person wrote it (RFC 3834)
    assert str(reply["Subject"]).startswith(f"Re: {incident.code}: ")
    body = reply.get_content()
    assert "Бригада выехала" in body and "Анна Иванова" in body
    incident.refresh_from_db()
    assert incident.status.key == S.IN_PROGRESS  # a reply is not a workflow step
