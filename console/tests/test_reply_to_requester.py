"""A dispatcher's reply goes through the outbox, threaded into the requester's conversation."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.urls import reverse

from dispatch.testing.smtp import smtp_sink  # noqa: F401
from emails.outbox.models import OutboundEmail
from incidents.tests.factories import make_manual

pytestmark = pytest.mark.django_db


def test_reply_is_delivered_to_the_requester_with_threading_headers(
    client,
    dispatcher,
    incident,
    smtp_sink,  # noqa: F811
):
    client.force_login(dispatcher)
    response = client.post(
        reverse("console:reply", args=[incident.pk]),
        {
            "body": "Добрый день! Бригада выехала, ожидаемое время прибытия — 2 часа.",
            "cc": ["duty@operator.example"],  # the copy the dispatcher ticked
        },
    )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "поставлен в очередь" in page
    queued = OutboundEmail.objects.get()
    assert queued.to == ["noc@operator.example"]
    assert '<span class="delivery delivery-queued">в очереди</span>' in page
    call_command("send_outbox", "--once")
    [message] = smtp_sink.wait_for(1)
    assert message["To"] == "noc@operator.example"
    assert "duty@operator.example" in message["Cc"]
    assert message["In-Reply-To"] == "<req-1@operator.example>"
    assert "<req-1@operator.example>" in message["References"]
    assert str(incident) in message["Subject"]
    assert "Бригада выехала" in message.get_body(("plain",)).get_content()
    page = client.get(response["Location"]).content.decode()
    assert '<span class="delivery delivery-sent">отправлено</span>' in page


def test_empty_reply_is_refused(client, dispatcher, incident):
    client.force_login(dispatcher)
    response = client.post(reverse("console:reply", args=[incident.pk]), {"body": "   "})
    assert response.status_code == 422
    assert "Ответ не отправлен." in response.content.decode()
    assert not OutboundEmail.objects.exists()


def test_reply_without_anyone_to_answer_shows_the_reason(client, dispatcher):
    manual = make_manual()
    client.force_login(dispatcher)
    response = client.post(reverse("console:reply", args=[manual.pk]), {"body": "Текст"})
    assert response.status_code == 422
    assert "Некому ответить: в инциденте нет писем от заявителя." in response.content.decode()
    assert "Текст" in response.content.decode()  # the typed reply is kept
    assert not OutboundEmail.objects.exists()
