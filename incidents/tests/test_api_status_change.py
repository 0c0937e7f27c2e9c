"""Status change through the API: workflow rules apply, refusals are 409 with the error schema."""

import pytest
from django.urls import reverse

from dispatch.api.testing import client_for, make_incident, make_user
from incidents.defaults import load_defaults
from users.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _defaults():
    load_defaults()


def post_status(client, incident, **body):
    return client.post(
        reverse("api:incident-change-status", args=[incident.pk]), body, format="json"
    )


def test_dispatcher_takes_an_incident_into_work():
    dispatcher = make_user(Role.DISPATCH)
    incident = make_incident()
    response = post_status(client_for(dispatcher), incident, status="in_progress", comment="Взял")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"]["key"] == "in_progress"
    last = body["status_history"][-1]
    assert last["actor"] == "api" and last["comment"] == "Взял"
    assert last["user"]["id"] == dispatcher.pk
    assert [h["status"]["key"] for h in body["status_history"]] == ["new", "in_progress"]


def test_transition_the_workflow_forbids_is_409_and_changes_nothing():
    incident = make_incident()
    response = post_status(client_for(make_user(Role.ADMIN)), incident, status="closed")
    assert response.status_code == 409
    body = response.json()
    assert body["status"] == 409 and body["code"] == "transition_not_allowed" and body["detail"]
    incident.refresh_from_db()
    assert incident.status.key == "new" and incident.status_history.count() == 1


def test_same_status_again_is_409():
    incident = make_incident()
    client = client_for(make_user())
    assert post_status(client, incident, status="in_progress").status_code == 200
    assert post_status(client, incident, status="in_progress").status_code == 409


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"status": "nonsense"},
        {"status": "in_progress", "comment": "x" * 4001},
        {"status": "in_progress", "comment": 123},
        {"status": ["in_progress"]},
    ],
)
def test_bad_body_is_400_with_field_errors(body):
    incident = make_incident()
    response = post_status(client_for(make_user()), incident, **body)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and response.json()["errors"]


def test_unknown_incident_is_404():
    response = client_for(make_user()).post(
        "/api/v1/incidents/987654/status/", {"status": "in_progress"}, format="json"
    )
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_nul_characters_in_the_comment_are_dropped_not_refused():
    incident = make_incident()
    response = post_status(
        client_for(make_user()), incident, status="in_progress", comment="a\x00b"
    )
    assert response.status_code == 200
    assert response.json()["status_history"][-1]["comment"] == "ab"
