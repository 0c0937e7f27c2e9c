"""Moving an e-mail and merging incidents from the incident page: confirmation first (nothing
changes on GET), the change, both histories with «Отменить», undo; readers cannot; the page's
queries do not grow with moves."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from emails.models import EmailMessage
from incidents.models import Incident, IncidentMove
from incidents.moves import move_emails
from incidents.tests.factories import make_request
from users.models import Role, User

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db


def page(client, incident: Incident) -> str:
    return client.get(reverse("console:incident", args=[incident.pk])).content.decode()


def unread_rows(client, user: User) -> set[int]:
    """The incidents shown bold (unread) in ``user``'s queue."""
    client.force_login(user)
    text = client.get(reverse("console:queue")).content.decode()
    return {int(n) for n in re.findall(r'data-incident="(\d+)" data-unread="true"', text)}


@pytest.fixture
def pair(dispatcher) -> tuple[Incident, Incident]:
    first = make_request(subject="Нет питания", message_id="<p1@op.example>")
    EmailMessage.objects.create(
        message_id="<p2@op.example>", in_reply_to="<p1@op.example>", subject="Про другую опору",
        from_address="noc@operator.example", sent_at=first.incident_date, incident=first,
    )  # fmt: skip
    second = make_request(subject="Авария на БС", message_id="<q1@op.example>")
    return first, second


def test_move_an_email_with_confirmation_both_histories_and_undo(client, dispatcher, pair):
    first, second = pair
    client.force_login(dispatcher)
    email = EmailMessage.objects.get(message_id="<p2@op.example>")
    assert "Перенести…" in page(client, first)
    url = reverse("console:move_email", args=[first.pk, email.pk])

    confirm = client.get(url, {"target": second.code})
    assert confirm.status_code == 200
    text = confirm.content.decode()
    assert f"Перенести 1 письмо из {first.code} в {second.code}?" in text
    assert "Про другую опору" in text
    assert EmailMessage.objects.get(pk=email.pk).incident == first  # GET changes nothing

    done = client.post(url, {"target": second.code})
    assert done.status_code == 302 and done.url.endswith("#changes")
    assert EmailMessage.objects.get(pk=email.pk).incident == second
    for incident in (first, second):
        history = page(client, incident)
        assert "Перенос писем" in history and "Отменить" in history
    assert f"перенесено в {second.code}" in page(client, first)
    assert f"из {first.code}" in page(client, second)

    move = IncidentMove.objects.get()
    undo = client.post(reverse("console:undo_move", args=[second.pk, move.pk]))
    assert undo.status_code == 302
    assert EmailMessage.objects.get(pk=email.pk).incident == first
    assert "move-undo" not in page(client, first)  # nothing left to undo


def test_move_to_a_new_incident(client, dispatcher, pair):
    first, _second = pair
    client.force_login(dispatcher)
    email = EmailMessage.objects.get(message_id="<p2@op.example>")
    url = reverse("console:move_email", args=[first.pk, email.pk])
    text = client.get(url, {"new_incident": "on"}).content.decode()
    assert "в новый инцидент?" in text
    client.post(url, {"new_incident": "on"})
    new = EmailMessage.objects.get(pk=email.pk).incident
    assert new not in (first, _second) and new.subject == "Про другую опору"


def test_bad_move_requests_go_back_with_the_reason(client, dispatcher, pair):
    first, _second = pair
    client.force_login(dispatcher)
    email = EmailMessage.objects.get(message_id="<p2@op.example>")
    url = reverse("console:move_email", args=[first.pk, email.pk])
    both = {"target": _second.code, "new_incident": "on"}
    page = client.post(url, both, follow=True).content.decode()
    assert "не то и другое сразу" in page
    for data in ({}, {"target": "NOPE-1"}, {"target": first.code}, both):
        response = client.post(url, data, follow=True)
        assert response.status_code == 200
        assert "alert" in response.content.decode() or "error" in response.content.decode()
    assert EmailMessage.objects.get(pk=email.pk).incident == first
    assert IncidentMove.objects.count() == 0
    other_email = EmailMessage.objects.get(message_id="<q1@op.example>")
    wrong = reverse("console:move_email", args=[first.pk, other_email.pk])
    elsewhere = client.get(wrong, {"target": first.code}, follow=True).content.decode()
    assert f"Письмо уже не в этом инциденте: оно в {_second.code}." in elsewhere
    missing = reverse("console:move_email", args=[first.pk, 999_999])
    assert client.get(missing, {"target": first.code}).status_code == 404


def test_merge_with_confirmation_closes_the_merged_one_and_unmerge(client, dispatcher, pair):
    first, second = pair
    client.force_login(dispatcher)
    assert "Объединить с…" in page(client, second)
    url = reverse("console:merge", args=[second.pk])
    text = client.get(url, {"target": first.code}).content.decode()
    assert f"Объединить {second.code} с {first.code}?" in text
    assert second.emails.count() == 1

    assert client.post(url, {"target": first.code}).status_code == 302
    second.refresh_from_db()
    assert second.status.key == "closed" and second.emails.count() == 0
    merged, target = page(client, second), page(client, first)
    assert f"объединён с {first.code}" in merged and "Дубликат" in merged
    assert f"{second.code} объединён с этим" in target and "Отменить" in target

    move = IncidentMove.objects.get()
    client.post(reverse("console:undo_move", args=[first.pk, move.pk]))
    second.refresh_from_db()
    assert not second.is_finished and second.emails.count() == 1


def test_readers_cannot_move_or_merge(client, reader, pair):
    first, second = pair
    client.force_login(reader)
    email = EmailMessage.objects.get(message_id="<p2@op.example>")
    assert "Перенести…" not in page(client, first)
    url = reverse("console:move_email", args=[first.pk, email.pk])
    assert client.post(url, {"target": second.code}).status_code == 403
    assert (
        client.post(reverse("console:merge", args=[first.pk]), {"target": second.code}).status_code
        == 403
    )
    assert EmailMessage.objects.get(pk=email.pk).incident == first


def test_page_queries_do_not_grow_with_moves_and_emails(client, dispatcher, pair):
    first, second = pair
    client.force_login(dispatcher)
    email = EmailMessage.objects.get(message_id="<p2@op.example>")
    move_emails(email, second, actor="console", user=dispatcher)
    page(client, second)
    with CaptureQueriesContext(connection) as few:
        page(client, second)
    for n in range(8):
        extra = EmailMessage.objects.create(
            message_id=f"<m{n}@op.example>", subject=f"Письмо {n}",
            from_address="noc@operator.example", sent_at=first.incident_date, incident=first,
        )  # fmt: skip
        move_emails(extra, second, actor="console", user=dispatcher)
    page(client, second)  # the moved mail is unread: the first look reads it (one UPDATE)
    with CaptureQueriesContext(connection) as many:
        text = page(client, second)
    assert len(many) == len(few), [q["sql"][:120] for q in many.captured_queries]
    assert "Письмо 7" in text and text.count("move-undo") == 9


def test_a_second_click_on_move_says_where_the_email_went(client, dispatcher, pair):
    """A double click on «Перенести» posts twice: the second answer (the one the browser shows)
    is the incident page with a message, not a 404 page hiding that the move worked."""
    first, second = pair
    client.force_login(dispatcher)
    email = EmailMessage.objects.get(message_id="<p2@op.example>")
    url = reverse("console:move_email", args=[first.pk, email.pk])
    assert client.post(url, {"target": second.code}).status_code == 302
    again = client.post(url, {"target": second.code}, follow=True)
    assert again.status_code == 200
    assert f"Письмо уже не в этом инциденте: оно в {second.code}." in again.content.decode()
    assert IncidentMove.objects.count() == 1
    assert client.get(url, {"target": second.code}).status_code == 302


def test_moved_mail_is_unread_for_the_target_dispatcher_and_undo_for_the_source(
    client, dispatcher, pair
):
    """A requester's e-mail moved into an incident is new mail there, as a reply arriving would
    be: unread (bold in its dispatcher's queue) until that dispatcher opens it; undoing the move
    brings it back as new mail to the first incident."""
    first, second = pair
    boris = User.objects.create_user(email="boris@dispatch.example", password=PASSWORD,
                                      role=Role.DISPATCH)  # fmt: skip
    Incident.objects.filter(pk=second.pk).update(assignee=boris)
    Incident.objects.filter(pk=first.pk).update(assignee=dispatcher)
    assert unread_rows(client, boris) == set() and unread_rows(client, dispatcher) == set()

    client.force_login(dispatcher)
    email = EmailMessage.objects.get(message_id="<p2@op.example>")
    client.post(reverse("console:move_email", args=[first.pk, email.pk]), {"target": second.code})
    assert unread_rows(client, boris) == {second.pk}
    assert unread_rows(client, dispatcher) == {second.pk}  # the queue shows it to everyone
    page(client, second)  # Anna looks: it is Boris's to read
    assert unread_rows(client, dispatcher) == {second.pk}
    client.force_login(boris)
    page(client, second)  # Boris opens it
    assert unread_rows(client, boris) == set()

    client.force_login(dispatcher)
    move = IncidentMove.objects.get()
    client.post(reverse("console:undo_move", args=[second.pk, move.pk]))
    assert unread_rows(client, dispatcher) == {first.pk}
