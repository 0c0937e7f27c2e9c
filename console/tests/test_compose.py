"""«New e-mail» on the incident page through the Django test client: a template pre-fills the
form, the preview shows the message as it will be sent, sending queues it once in the outbox and
``send_outbox`` delivers it to a real SMTP server with the forwarded attachment; hostile or
mistaken input is refused with the reason in Russian and nothing is queued."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.urls import reverse

from dispatch.testing.smtp import smtp_sink  # noqa: F401
from emails.models import EmailAttachment, EmailMessage
from emails.outbox.models import OutboundEmail
from incidents.tests.factories import make_request, make_site
from ts.models import Operator

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4 act of works\n"


@pytest.fixture
def mailroom(settings, tmp_path, dispatcher):
    """An incident on a pole (contractor, base station with an operator's desk), one stored
    attachment in its thread; the dispatcher logged in."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.DISPATCH_MAILBOX = settings.DEFAULT_FROM_EMAIL = "dispatch@example.ru"
    settings.MESSAGE_ID_DOMAIN = "example.ru"
    settings.NOTIFICATION_CHANNEL = "smtp"
    settings.RVR_CONTRACTOR_EMAILS = ["rvr@repair.example"]
    pole, station = make_site()
    Operator.objects.filter(name="МТС").update(email="noc@mts.example")
    incident = make_request(pole=pole, base_station=station)
    email = EmailMessage.objects.get(incident=incident)
    attachment = EmailAttachment(
        email=email, filename="акт.pdf", content_type="application/pdf", size=len(PDF)
    )
    attachment.sha256 = "0" * 64
    attachment.file.save("akt.pdf", ContentFile(PDF), save=True)
    return incident, attachment


def compose_url(incident) -> str:
    return reverse("console:compose", args=[incident.pk])


def test_template_prefill_preview_send_and_delivery(client, dispatcher, mailroom, smtp_sink):  # noqa: F811
    incident, attachment = mailroom
    client.force_login(dispatcher)
    page = client.get(reverse("console:incident", args=[incident.pk])).content.decode()
    assert f'href="{compose_url(incident)}"' in page
    blank = client.get(compose_url(incident)).content.decode()
    assert "Заявка на ремонтные работы (РВР) → подрядчику РВР</option>" in blank

    form = client.get(compose_url(incident), {"template": "rvr_contractor"})
    assert form.status_code == 200
    initial = form.context["form"].initial
    assert initial["to"] == "rvr@repair.example"
    assert initial["subject"] == f"{incident}: ремонтные работы на опоре 77-0001"
    assert "Шифр опоры: 77-0001" in initial["body"]
    assert "Анна Петрова" in initial["body"]  # the dispatcher's signature
    assert (
        client.get(compose_url(incident), {"template": "operator"}).context["form"].initial["to"]
        == "noc@mts.example"
    )

    data = {
        "template": "rvr_contractor",
        "token": initial["token"],
        "to": "rvr@repair.example",
        "cc": "duty@operator.example, dispatch@example.ru",
        "subject": "Ремонт опоры",  # the code was removed: it is put back
        "body": initial["body"].replace("Просим", "Убедительно просим"),
        "attachments": [str(attachment.pk)],
        "action": "preview",
    }
    preview = client.post(compose_url(incident), data)
    assert preview.status_code == 200
    html = preview.content.decode()
    assert f"{incident}: Ремонт опоры" in html
    assert "duty@operator.example, dispatch@example.ru" in html  # our mailbox once, last
    assert "Убедительно просим" in html and "акт.pdf" in html
    assert not OutboundEmail.objects.exists()  # a preview queues nothing

    sent = client.post(compose_url(incident), {**data, "action": "send"})
    assert sent.status_code == 302 and sent["Location"].endswith("#thread")
    again = client.post(compose_url(incident), {**data, "action": "send"}, follow=True)
    assert "уже поставлено в очередь" in again.content.decode()  # a double click queues once
    outbound = OutboundEmail.objects.get()
    assert outbound.kind == "compose" and outbound.channel == "smtp"
    assert outbound.to == ["rvr@repair.example"]
    assert outbound.cc == ["duty@operator.example", "dispatch@example.ru"]
    assert "Auto-Submitted" not in outbound.headers
    assert list(outbound.attachments.all()) == [attachment]

    call_command("send_outbox", "--once")
    [message] = smtp_sink.wait_for(1)
    assert message["Subject"] == f"{incident}: Ремонт опоры"
    assert message["Message-ID"].startswith(f"<dispatch.{incident.pk}.compose.")
    assert message["References"] == "<req-1@operator.example>"
    assert message["In-Reply-To"] is None and message["Auto-Submitted"] is None
    assert "Убедительно просим" in message.get_body(("plain",)).get_content()
    [forwarded] = list(message.iter_attachments())
    assert forwarded.get_filename() == "акт.pdf"
    assert forwarded.get_content_type() == "application/pdf"
    assert forwarded.get_content() == PDF


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"to": "кто-то"}, "«кто-то» — не адрес электронной почты"),
        ({"to": "a@b.example\r\nBcc: x@evil.example"}, "не адрес электронной почты"),
        ({"to": "Иван <ivan@operator.example>"}, "не адрес электронной почты"),
        ({"to": "noreply@operator.example"}, "автоматический ящик"),
        ({"to": "dispatch@example.ru"}, "наш собственный ящик"),
        ({"to": ""}, "Обязательное поле"),
        ({"cc": "a@x.example b@x.example c@x.example d@x.example e@x.example"}, "Не больше 5"),
        ({"subject": "   "}, "Обязательное поле"),
        ({"body": "\r\n  \r\n"}, "Письмо пустое"),
        ({"attachments": ["999999"]}, "Выберите корректный вариант"),
    ],
)
def test_bad_input_is_refused_with_the_reason(client, dispatcher, mailroom, changes, error):
    incident, _attachment = mailroom
    client.force_login(dispatcher)
    data = {
        "to": "rvr@repair.example",
        "subject": "Тема",
        "body": "Текст",
        "action": "send",
        **changes,
    }
    response = client.post(compose_url(incident), data)
    assert response.status_code == 422
    html = response.content.decode()
    assert "Письмо не отправлено" in html and error in html
    assert not OutboundEmail.objects.exists()


def test_attachments_over_the_cap_or_of_another_incident_are_refused(
    client, dispatcher, mailroom, settings
):
    incident, attachment = mailroom
    other = make_request(message_id="<other@operator.example>", subject="Другая заявка")
    foreign = EmailAttachment.objects.create(
        email=EmailMessage.objects.get(incident=other),
        filename="чужой.pdf",
        content_type="application/pdf",
        size=1,
        sha256="1" * 64,
        file=attachment.file.name,
    )
    client.force_login(dispatcher)
    base = {"to": "rvr@repair.example", "subject": "Тема", "body": "Текст", "action": "send"}
    response = client.post(compose_url(incident), {**base, "attachments": [str(foreign.pk)]})
    assert response.status_code == 422  # not offered on this incident: not a valid choice
    settings.MAIL_FORWARD_MAX_BYTES = 10
    response = client.post(compose_url(incident), {**base, "attachments": [str(attachment.pk)]})
    assert response.status_code == 422
    assert "переслать можно не больше 10" in response.content.decode()
    assert not OutboundEmail.objects.exists()


def test_readers_cannot_compose_and_unknown_templates_say_so(client, reader, dispatcher, mailroom):
    incident, _attachment = mailroom
    client.force_login(reader)
    assert (
        'id="compose"'
        not in client.get(reverse("console:incident", args=[incident.pk])).content.decode()
    )
    assert client.get(compose_url(incident)).status_code == 403
    assert client.post(compose_url(incident), {"to": "a@b.example"}).status_code == 403
    client.force_login(dispatcher)
    response = client.get(compose_url(incident), {"template": "nope"})
    assert response.status_code == 200 and "Нет такого шаблона письма" in response.content.decode()
    assert "to" not in response.context["form"].initial  # a blank e-mail
