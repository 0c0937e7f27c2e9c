"""A new e-mail through the API: templates listed, a template pre-fills the draft, a dry run shows
the message as it would be sent, a send queues it in the outbox (kind ``compose``); bad input,
readers and unknown incidents get the one error shape."""

import pytest
from django.urls import reverse

from dispatch.api.testing import client_for, make_user
from emails.outbox.models import OutboundEmail
from incidents.tests.factories import make_request, make_site
from users.models import Role

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("notification_setup")]


def compose_url(incident) -> str:
    return reverse("api:incident-compose", args=[incident.pk])


@pytest.fixture
def incident():
    pole, station = make_site()
    return make_request(pole=pole, base_station=station)


def test_templates_prefill_dry_run_and_send(incident):
    client = client_for(make_user(Role.DISPATCH, first_name="Анна"))
    listed = client.get(reverse("api:mail-template-list"))
    assert listed.status_code == 200
    keys = {t["key"] for t in listed.json()["results"]}
    assert {"accepted", "closed", "contractor", "rvr_contractor", "operator"} <= keys

    draft = client.get(compose_url(incident), {"template": "contractor"})
    assert draft.status_code == 200, draft.content
    assert draft.json()["to"] == ["avr@contractor.example"]
    assert "Шифр опоры: 77-0001" in draft.json()["body"]
    to_requester = client.get(compose_url(incident), {"template": "requester"}).json()
    assert to_requester["to"] == ["noc@operator.example"]
    assert to_requester["cc"] == ["duty@operator.example"]  # ours and automatic ones left out
    assert to_requester["body"].rstrip().endswith(f"Диспетчерская служба, заявка {incident}")
    blank = client.get(compose_url(incident)).json()
    assert blank["subject"] == str(incident) and blank["to"] == [] and blank["body"] == ""

    body = {"to": ["avr@contractor.example"], "subject": "Опора", "body": "Текст письма"}
    dry = client.post(compose_url(incident), {**body, "dry_run": True}, format="json")
    assert dry.status_code == 200 and dry.json()["id"] is None
    assert dry.json()["subject"] == f"{incident}: Опора"
    assert dry.json()["cc"] == ["dispatch@example.ru"]
    assert not OutboundEmail.objects.exists()

    sent = client.post(compose_url(incident), body, format="json")
    assert sent.status_code == 201, sent.content
    outbound = OutboundEmail.objects.get()
    assert sent.json()["id"] == outbound.pk and outbound.kind == "compose"
    assert outbound.body_text == "Текст письма\n"
    assert "Auto-Submitted" not in outbound.headers


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        ({"to": ["not an address"]}, 400, "to"),
        ({"to": []}, 400, "to"),
        ({"subject": ""}, 400, "subject"),
        ({"to": ["mailer-daemon@x.example"]}, 409, "автоматический ящик"),
        ({"to": ["dispatch@example.ru"]}, 409, "наш собственный ящик"),
        ({"cc": [f"c{n}@x.example" for n in range(6)]}, 409, "Не больше 5"),
        ({"attachments": [123456]}, 409, "Вложение не относится"),
        ({"body": " \n "}, 409, "Письмо пустое"),
        ({"subject": "   "}, 409, "Укажите тему"),
    ],
)
def test_bad_input_is_refused_with_the_reason(incident, body, status, fragment):
    client = client_for(make_user(Role.DISPATCH))
    data = {"to": ["avr@contractor.example"], "subject": "Тема", "body": "Текст", **body}
    response = client.post(compose_url(incident), data, format="json")
    assert response.status_code == status, response.content
    error = response.json()
    if status == 400:
        assert error["code"] == "invalid" and any(k.startswith(fragment) for k in error["errors"])
    else:
        assert error["code"] == "compose_refused" and fragment in error["detail"]
    assert not OutboundEmail.objects.exists()


def test_readers_unknown_incidents_and_templates(incident):
    reader = client_for(make_user(Role.USER))
    assert reader.get(compose_url(incident)).status_code == 403
    body = {"to": ["a@x.example"], "subject": "Т", "body": "Т"}
    assert reader.post(compose_url(incident), body, format="json").status_code == 403
    dispatcher = client_for(make_user(Role.DISPATCH))
    assert dispatcher.get("/api/v1/incidents/999999/compose/").status_code == 404
    assert dispatcher.get("/api/v1/incidents/abc/compose/").status_code == 404
    unknown = dispatcher.get(compose_url(incident), {"template": "nope"})
    assert unknown.status_code == 404 and unknown.json()["detail"] == "Нет такого шаблона письма."
