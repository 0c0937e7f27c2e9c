"""The API of moves and merges: move an e-mail, merge, list, undo; conflicts are 409, bad bodies
400, readers 403, a move of another incident 404."""

from __future__ import annotations

import pytest
from django.utils import timezone

from dispatch.api.testing import client_for, make_incident, make_user
from emails.models import EmailMessage
from incidents.defaults import load_defaults
from incidents.models import IncidentMove
from users.models import Role

pytestmark = pytest.mark.django_db

API = "/api/v1/incidents"


@pytest.fixture(autouse=True)
def _defaults():
    load_defaults()


def mail(incident, n: int, **fields) -> EmailMessage:
    return EmailMessage.objects.create(
        message_id=f"<api-{incident.pk}-{n}@op.example>", subject=f"Письмо {n}",
        from_address="noc@operator.example", sent_at=timezone.now(), incident=incident, **fields,
    )  # fmt: skip


def test_move_an_email_with_its_reply_list_and_undo():
    a, b = make_incident(), make_incident()
    first = mail(a, 1)
    mail(a, 2, in_reply_to=first.message_id)
    client = client_for(make_user(Role.DISPATCH))
    body = {"email": first.pk, "to": b.pk, "with_replies": True}
    response = client.post(f"{API}/{a.pk}/move-email/", body, format="json")
    assert response.status_code == 201, response.content
    moved = response.json()
    assert moved["kind"] == "move" and moved["source"]["id"] == a.pk
    assert moved["target"]["id"] == b.pk and len(moved["emails"]) == 2
    assert moved["actor"] == "api" and moved["undone_at"] is None
    assert b.emails.count() == 2 and a.emails.count() == 0
    b.refresh_from_db()
    assert b.unread_since is not None  # new mail there, as if it had just arrived

    listed = client.get(f"{API}/{b.pk}/moves/").json()["results"]
    assert [m["id"] for m in listed] == [moved["id"]]
    undo = client.post(f"{API}/{b.pk}/moves/{moved['id']}/undo/")
    assert undo.status_code == 200 and undo.json()["undone_at"] is not None
    assert a.emails.count() == 2
    again = client.post(f"{API}/{b.pk}/moves/{moved['id']}/undo/")
    assert again.status_code == 409 and again.json()["code"] == "move_not_allowed"


def test_move_to_a_new_incident_and_merge():
    a, b = make_incident(), make_incident()
    email = mail(a, 1)
    client = client_for(make_user(Role.DISPATCH))
    response = client.post(f"{API}/{a.pk}/move-email/", {"email": email.pk}, format="json")
    assert response.status_code == 201 and response.json()["new_target"] is True
    new_id = response.json()["target"]["id"]

    merged = client.post(f"{API}/{new_id}/merge/", {"into": b.pk}, format="json")
    assert merged.status_code == 201 and merged.json()["kind"] == "merge"
    assert EmailMessage.objects.get(pk=email.pk).incident_id == b.pk
    detail = client.get(f"{API}/{new_id}/").json()
    assert detail["status"]["key"] == "closed"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"email": "x"},
        {"email": 0},
        {"email": 1, "to": -1},
        {"email": 1, "with_replies": "maybe"},
    ],
)
def test_bad_move_bodies_are_400(body):
    a = make_incident()
    client = client_for(make_user(Role.DISPATCH))
    assert client.post(f"{API}/{a.pk}/move-email/", body, format="json").status_code == 400


def test_conflicts_are_409_and_readers_403_and_other_moves_404():
    a, b, c = make_incident(), make_incident(), make_incident()
    email = mail(a, 1)
    client = client_for(make_user(Role.DISPATCH))
    for body in (
        {"email": email.pk, "to": a.pk},  # already there
        {"email": email.pk, "to": 999_999},  # no such incident
        {"email": mail(b, 2).pk, "to": c.pk},  # not this incident's e-mail
    ):
        response = client.post(f"{API}/{a.pk}/move-email/", body, format="json")
        assert response.status_code == 409, (body, response.content)
    assert client.post(f"{API}/{a.pk}/merge/", {"into": a.pk}, format="json").status_code == 409
    assert client.post(f"{API}/{a.pk}/merge/", {"into": 0}, format="json").status_code == 400
    reader = client_for(make_user(Role.USER))
    body = {"email": email.pk, "to": b.pk}
    assert reader.post(f"{API}/{a.pk}/move-email/", body, format="json").status_code == 403
    assert reader.post(f"{API}/{a.pk}/merge/", {"into": b.pk}, format="json").status_code == 403
    assert client.post(f"{API}/{a.pk}/move-email/", body, format="json").status_code == 201
    move = IncidentMove.objects.get()
    assert client.post(f"{API}/{c.pk}/moves/{move.pk}/undo/").status_code == 404
    assert client.post(f"{API}/{a.pk}/moves/abc/undo/").status_code == 404
    assert reader.post(f"{API}/{a.pk}/moves/{move.pk}/undo/").status_code == 403


def test_admin_lists_moves_read_only(admin_client):
    a, b = make_incident(), make_incident()
    move = client_for(make_user(Role.DISPATCH)).post(
        f"{API}/{a.pk}/move-email/", {"email": mail(a, 1).pk, "to": b.pk}, format="json"
    )
    assert move.status_code == 201
    page = admin_client.get("/admin/incidents/incidentmove/")
    assert page.status_code == 200 and str(a) in page.content.decode()
    assert admin_client.get("/admin/incidents/incidentmove/add/").status_code == 403
