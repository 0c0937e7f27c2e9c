"""Internal comments on the incident page: added, paged, edited by their author only (the edit
kept in the change log), and the page's query count independent of how many there are."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from incidents.comments import add_comment
from incidents.models import IncidentChange, IncidentComment
from users.models import Role, User

pytestmark = pytest.mark.django_db


def _section(page: str, anchor: str) -> str:
    return page.split(f'id="{anchor}"', 1)[1].split("</section>", 1)[0]


def test_dispatcher_adds_a_comment_shown_on_the_page(client, dispatcher, incident):
    client.force_login(dispatcher)
    response = client.post(
        reverse("console:comment", args=[incident.pk]),
        {"body": "Позвонил оператору: <b>ждут</b> выезда"},
    )
    assert response.status_code == 302 and response["Location"].endswith("#comments")
    comment = IncidentComment.objects.get(incident=incident)
    assert comment.author == dispatcher
    section = _section(client.get(response["Location"]).content.decode(), "comments")
    assert "Позвонил оператору: &lt;b&gt;ждут&lt;/b&gt; выезда" in section
    assert "Анна Петрова" in section


def test_empty_comment_is_refused_and_nothing_saved(client, dispatcher, incident):
    client.force_login(dispatcher)
    response = client.post(reverse("console:comment", args=[incident.pk]), {"body": "   "})
    assert response.status_code == 422
    assert "Комментарий не добавлен." in response.content.decode()
    assert not IncidentComment.objects.exists()


def test_reader_cannot_comment(client, reader, incident):
    client.force_login(reader)
    response = client.post(reverse("console:comment", args=[incident.pk]), {"body": "Привет"})
    assert response.status_code == 403
    assert not IncidentComment.objects.exists()
    page = client.get(reverse("console:incident", args=[incident.pk])).content.decode()
    assert 'id="comment-form"' not in page


def test_author_edits_own_comment_and_the_edit_is_logged(client, dispatcher, incident):
    comment = add_comment(incident, body="Выезд в 15:00", user=dispatcher)
    client.force_login(dispatcher)
    url = reverse("console:comment_edit", args=[incident.pk, comment.pk])
    response = client.post(url, {"body": "Выезд в 16:00"})
    assert response.status_code == 302
    comment.refresh_from_db()
    assert comment.body == "Выезд в 16:00" and comment.edited_at is not None
    change = IncidentChange.objects.get(incident=incident)
    assert (change.field, change.old_value, change.new_value) == (
        "comment",
        "Выезд в 15:00",
        "Выезд в 16:00",
    )
    assert (change.actor, change.user) == ("console", dispatcher)
    page = client.get(reverse("console:incident", args=[incident.pk])).content.decode()
    log = _section(page, "changes")
    assert "Комментарий" in log and "Выезд в 15:00" in log and "Выезд в 16:00" in log
    assert "изменён" in _section(page, "comments")


def test_another_dispatcher_cannot_edit_the_comment(client, dispatcher, incident):
    comment = add_comment(incident, body="Моё", user=dispatcher)
    other = User.objects.create_user(
        email="boris@dispatch.example", password="x", role=Role.DISPATCH
    )
    client.force_login(other)
    page = client.get(reverse("console:incident", args=[incident.pk])).content.decode()
    assert reverse("console:comment_edit", args=[incident.pk, comment.pk]) not in page
    response = client.post(
        reverse("console:comment_edit", args=[incident.pk, comment.pk]), {"body": "Чужое"}
    )
    assert response.status_code == 302
    comment.refresh_from_db()
    assert comment.body == "Моё" and not IncidentChange.objects.exists()
    messages = client.get(response["Location"]).content.decode()
    assert "Изменять комментарий может только его автор." in messages


def test_comment_of_another_incident_is_404(client, dispatcher, incident):
    from incidents.tests.factories import make_request

    other = make_request(message_id="<other@x>")
    comment = add_comment(other, body="Чужой инцидент", user=dispatcher)
    client.force_login(dispatcher)
    url = reverse("console:comment_edit", args=[incident.pk, comment.pk])
    assert client.post(url, {"body": "x"}).status_code == 404


def test_comments_are_paged_and_cost_the_same_queries(client, dispatcher, incident):
    client.force_login(dispatcher)
    url = reverse("console:incident", args=[incident.pk])
    add_comment(incident, body="Комментарий первый", user=dispatcher)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    IncidentComment.objects.bulk_create(
        IncidentComment(incident=incident, author=dispatcher, body=f"Комментарий №{n}")
        for n in range(70)
    )
    with CaptureQueriesContext(connection) as many:
        page = client.get(url).content.decode()
    assert len(many) == len(few)
    section = _section(page, "comments")
    assert section.count('<article class="comment"') == 50
    assert "?comments=2#comments" in section
    older = _section(client.get(url, {"comments": "2"}).content.decode(), "comments")
    assert older.count('<article class="comment"') == 21 and "Комментарий первый" in older
    # a page number that is not one shows the first page
    assert client.get(url, {"comments": "x" * 30}).status_code == 200
