"""Who sees what: guests and anonymous visitors nothing, users read, dispatchers and admins work."""

from __future__ import annotations

import pytest
from django.urls import reverse

from console.tests.conftest import PASSWORD
from incidents.models import StatusKey

pytestmark = pytest.mark.django_db


def _read_urls(incident) -> list[str]:
    return [
        reverse("console:queue"),
        reverse("console:queue_rows"),
        reverse("console:incident", args=[incident.pk]),
        reverse("console:load"),
    ]


def _write_requests(incident) -> list[tuple[str, dict]]:
    return [
        (reverse("console:edit", args=[incident.pk]), {"pole": ""}),
        (reverse("console:status", args=[incident.pk]), {"to": StatusKey.IN_PROGRESS}),
        (reverse("console:reply", args=[incident.pk]), {"body": "Принято"}),
    ]


def test_root_url_is_the_queue_and_anonymous_visitors_go_to_login(client, incident):
    for url in _read_urls(incident):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("users:login") + "?next=")
    for url, data in _write_requests(incident):
        assert client.post(url, data).status_code == 302
    incident.refresh_from_db()
    assert incident.status.key == StatusKey.NEW


def test_guest_is_sent_to_the_waiting_page(client, guest, incident):
    client.force_login(guest)
    for url in _read_urls(incident):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == reverse("users:awaiting_approval")


def test_user_role_reads_but_cannot_change(client, reader, incident):
    client.force_login(reader)
    for url in _read_urls(incident):
        assert client.get(url).status_code == 200, url
    page = client.get(reverse("console:incident", args=[incident.pk])).content.decode()
    assert 'id="workflow"' not in page
    assert 'id="edit"' not in page
    for url, data in _write_requests(incident):
        assert client.post(url, data).status_code == 403, url
    incident.refresh_from_db()
    assert incident.status.key == StatusKey.NEW


@pytest.mark.parametrize("who", ["dispatcher", "admin_user"])
def test_dispatcher_and_admin_work_incidents(client, request, who, incident):
    client.force_login(request.getfixturevalue(who))
    page = client.get(reverse("console:incident", args=[incident.pk])).content.decode()
    assert 'id="workflow"' in page
    response = client.post(
        reverse("console:status", args=[incident.pk]), {"to": StatusKey.IN_PROGRESS}
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.status.key == StatusKey.IN_PROGRESS


def test_login_form_leads_back_to_the_queue(client, dispatcher):
    response = client.post(
        reverse("users:login"),
        {"username": dispatcher.email, "password": PASSWORD, "next": "/"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200


def test_reads_only_accept_get(client, dispatcher, incident):
    client.force_login(dispatcher)
    assert client.post(reverse("console:queue")).status_code == 405
    assert client.put(reverse("console:status", args=[incident.pk])).status_code == 405
    # a GET of a form's address (a reload after a refused form) goes back to the page
    response = client.get(reverse("console:status", args=[incident.pk]))
    assert (response.status_code, response["Location"]) == (302, f"/incidents/{incident.pk}/#edit")
