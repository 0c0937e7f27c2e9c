"""A dispatcher registers an incident taken by phone: pole and base station by prefix, type,
description; assigned like mail incidents; the optional first e-mail goes through the outbox."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.urls import reverse

from dispatch.testing.smtp import smtp_sink  # noqa: F401
from emails.outbox.models import OutboundEmail
from incidents.models import Incident, IncidentChange, IncidentSource, SlaState
from incidents.tests.factories import make_site

pytestmark = pytest.mark.django_db

URL = reverse("console:new_incident")


def form(**fields) -> dict:
    return {
        "subject": "Нет питания, звонок от МТС",
        "requester_email": "",
        "pole": "",
        "base_station": "",
        "incident_type": "",
        "description": "",
        "notice": "",
        **fields,
    }


def test_registers_a_phone_call_and_mails_the_requester(
    client,
    dispatcher,
    incident_type,
    smtp_sink,  # noqa: F811
):
    pole, station = make_site("77-012345")
    make_site("78-000001")
    client.force_login(dispatcher)
    assert "Новый инцидент" in client.get(URL).content.decode()
    response = client.post(
        URL,
        form(
            requester_email="Duty@Operator.example",
            pole="77-012",
            base_station=station.name,
            incident_type=incident_type.pk,
            description="Звонил дежурный МТС Иванов, +7 900 000-00-00.\n<script>x</script>",
            notify="on",
            notice="Добрый день! Обращение зарегистрировано.",
        ),
    )
    assert response.status_code == 302, response.content.decode()[-3000:]
    incident = Incident.objects.get()
    assert response["Location"] == reverse("console:incident", args=[incident.pk])
    assert incident.source == IncidentSource.MANUAL
    assert (incident.pole, incident.base_station, incident.incident_type) == (
        pole,
        station,
        incident_type,
    )
    assert incident.assignee == dispatcher  # assigned as mail incidents are
    assert incident.sla_deadline is not None and incident.sla_state != SlaState.UNKNOWN
    first = incident.status_history.get()
    assert (first.status.key, first.actor, first.user) == ("new", "console", dispatcher)
    assert IncidentChange.objects.filter(incident=incident, field="incident_type").exists()
    page = client.get(response["Location"]).content.decode()
    assert "Вручную диспетчером" in page
    assert "Звонил дежурный МТС Иванов" in page and "&lt;script&gt;x&lt;/script&gt;" in page
    assert f"Инцидент {incident} зарегистрирован." in page
    queued = OutboundEmail.objects.get(incident=incident)
    assert queued.to == ["duty@operator.example"]
    call_command("send_outbox", "--once")
    [message] = smtp_sink.wait_for(1)
    assert message["To"] == "duty@operator.example"
    assert str(incident) in message["Subject"]
    assert "Обращение зарегистрировано" in message.get_body(("plain",)).get_content()


def test_without_the_e_mail_nothing_is_queued(client, dispatcher):
    client.force_login(dispatcher)
    response = client.post(URL, form(requester_email="noc@operator.example"))
    assert response.status_code == 302
    incident = Incident.objects.get()
    assert incident.requester_email == "noc@operator.example" and incident.pole is None
    assert not OutboundEmail.objects.exists()


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"pole": "7"}, "pole"),  # ambiguous prefix
        ({"pole": "99-"}, "pole"),  # unknown
        ({"notify": "on", "notice": "Текст"}, "requester_email"),  # nobody to write to
        ({"notify": "on", "requester_email": "a@b.example"}, "notice"),
        ({"requester_email": "not an address"}, "requester_email"),
        ({"subject": ""}, "subject"),
    ],
)
def test_invalid_input_is_shown_and_nothing_is_created(client, dispatcher, fields, error):
    make_site("77-012345")
    make_site("78-000001")
    client.force_login(dispatcher)
    response = client.post(URL, form(**fields))
    assert response.status_code == 422
    assert f'id="id_{error}_error"' in response.content.decode()
    assert not Incident.objects.exists() and not OutboundEmail.objects.exists()


def test_refused_e_mail_leaves_no_incident(client, dispatcher, settings):
    client.force_login(dispatcher)
    response = client.post(
        URL,
        form(requester_email=settings.DISPATCH_MAILBOX, notify="on", notice="Текст"),
    )
    assert response.status_code == 422
    assert "наш собственный почтовый ящик" in response.content.decode()
    assert not Incident.objects.exists()


def test_reader_cannot_register(client, reader):
    client.force_login(reader)
    assert client.get(URL).status_code == 403
    assert client.post(URL, form()).status_code == 403
    assert not Incident.objects.exists()
    assert "nav-new-incident" not in client.get(reverse("console:queue")).content.decode()
