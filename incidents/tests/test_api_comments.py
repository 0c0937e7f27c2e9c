"""Comments and the change log through the API: listed newest first and paged, added by
dispatchers, edited by their author only (the edit lands in the change log), errors in the
one error shape."""

import pytest
from django.urls import reverse

from dispatch.api.testing import client_for, make_incident, make_site, make_user
from incidents.defaults import load_defaults
from incidents.models import IncidentComment
from incidents.services import update_incident
from users.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _defaults():
    load_defaults()


def comments_url(incident) -> str:
    return reverse("api:incident-comments", args=[incident.pk])


def edit_url(incident, comment_id) -> str:
    return f"{comments_url(incident)}{comment_id}/"


def test_dispatcher_adds_and_lists_comments():
    dispatcher = make_user(Role.DISPATCH)
    incident = make_incident()
    client = client_for(dispatcher)
    first = client.post(comments_url(incident), {"body": "  Первый  "}, format="json")
    assert first.status_code == 201, first.content
    assert first.json()["body"] == "Первый" and first.json()["author"]["id"] == dispatcher.pk
    client.post(comments_url(incident), {"body": "Второй"}, format="json")
    listed = client_for(make_user(Role.USER)).get(comments_url(incident))
    assert listed.status_code == 200
    body = listed.json()
    assert body["count"] == 2
    assert [c["body"] for c in body["results"]] == ["Второй", "Первый"]
    assert body["results"][0]["edited_at"] is None


@pytest.mark.parametrize(
    "body", [{}, {"body": ""}, {"body": "   "}, {"body": 5}, {"body": "x" * 10001}]
)
def test_invalid_comment_is_400_and_nothing_saved(body):
    incident = make_incident()
    response = client_for(make_user()).post(comments_url(incident), body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid" and "body" in response.json()["errors"]
    assert not IncidentComment.objects.exists()


def test_reader_may_not_comment():
    incident = make_incident()
    response = client_for(make_user(Role.USER)).post(
        comments_url(incident), {"body": "Привет"}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_author_edits_own_comment_others_get_403_and_the_edit_is_logged():
    author, other = make_user(), make_user()
    incident = make_incident()
    created = client_for(author).post(comments_url(incident), {"body": "Старый"}, format="json")
    comment_id = created.json()["id"]
    refused = client_for(other).put(edit_url(incident, comment_id), {"body": "X"}, format="json")
    assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"
    edited = client_for(author).put(
        edit_url(incident, comment_id), {"body": "Новый"}, format="json"
    )
    assert edited.status_code == 200, edited.content
    assert edited.json()["body"] == "Новый" and edited.json()["edited_at"]
    changes = client_for(other).get(reverse("api:incident-changes", args=[incident.pk])).json()
    assert changes["count"] == 1
    change = changes["results"][0]
    assert (change["field"], change["old_value"], change["new_value"], change["actor"]) == (
        "comment",
        "Старый",
        "Новый",
        "api",
    )
    assert change["user"]["id"] == author.pk and change["field_label"] == "комментарий"


@pytest.mark.parametrize("comment_id", ["0", "abc", "99999999999999999999", "1"])
def test_unknown_comment_is_404(comment_id):
    incident = make_incident()
    other = make_incident()
    IncidentComment.objects.create(incident=other, body="На другом инциденте")  # id 1
    response = client_for(make_user()).put(
        edit_url(incident, comment_id), {"body": "x"}, format="json"
    )
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_change_log_lists_field_changes_newest_first():
    incident = make_incident()
    pole, _station = make_site("77-000001")
    other, _ = make_site("77-000002")
    user = make_user()
    update_incident(incident, changes={"pole": pole}, actor="console", user=user)
    update_incident(incident, changes={"pole": other}, actor="api", user=user)
    body = client_for(user).get(reverse("api:incident-changes", args=[incident.pk])).json()
    assert [(c["field"], c["old_value"], c["new_value"]) for c in body["results"]] == [
        ("pole", "77-000001", "77-000002"),
        ("pole", "", "77-000001"),
    ]
    assert body["results"][0]["field_label"] == "опора"


def test_comments_of_unknown_incident_is_404():
    response = client_for(make_user()).get(reverse("api:incident-comments", args=[987654]))
    assert response.status_code == 404
