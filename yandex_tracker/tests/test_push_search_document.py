"""Pushing e-mails to the tracker (an update of every pushed e-mail row) leaves their stored
search document alone: it is computed when the row is inserted and again only when the subject,
sender or body change (PostgreSQL; the search of SQLite reads the columns themselves)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from emails.models import EmailMessage
from yandex_tracker.push import push_cycle

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's full-text search"),
]


def _document(email: EmailMessage) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT search_document::text FROM emails_emailmessage WHERE id = %s", [email.pk]
        )
        return cursor.fetchone()[0]


def _mark(email: EmailMessage) -> None:
    """Put a marker in place of the stored document: whoever computes it again replaces it."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE emails_emailmessage SET search_document = to_tsvector('simple', 'маркер') "
            "WHERE id = %s",
            [email.pk],
        )


def _found(client, text: str) -> list[int]:
    page = client.get(reverse("console:mail"), {"q": text}).content.decode()
    return [int(chunk.split('"', 1)[0]) for chunk in page.split('data-email="')[1:]]


def test_push_does_not_compute_the_search_document_again(
    client, directory, fake_tracker, make_incident, add_reply
):
    from django.test import Client

    from users.models import Role, User

    incident = make_incident(body="Опоры на трассе повреждены ураганом")
    first = incident.emails.get()
    reply = add_reply(incident, body="Бригада выехала к опорам")
    assert "'опор'" in _document(first) and "'выеха'" in _document(reply)  # filled on insert
    console = Client()
    console.force_login(User.objects.create_user(email="anna@d.example", role=Role.DISPATCH))
    assert set(_found(console, "опора")) == {first.pk, reply.pk}
    _mark(first)
    _mark(reply)

    report = push_cycle(client, directory)

    assert report.issues_created == 1 and report.comments_posted == 1
    for email in (first, reply):
        email.refresh_from_db()
        assert email.tracker_state == EmailMessage.TrackerState.PUSHED
        assert _document(email) == "'маркер':1"  # the push's update left it alone
    assert set(_found(console, "маркер")) == {first.pk, reply.pk}  # the search reads the column

    reply.body_text = "Питание восстановлено"  # an edit of the text computes it again
    reply.save()
    assert "'восстановл'" in _document(reply) and _found(console, "восстановлено") == [reply.pk]
    first.subject = first.subject  # saving unchanged text keeps the stored document
    first.save()
    assert _document(first) == "'маркер':1"
