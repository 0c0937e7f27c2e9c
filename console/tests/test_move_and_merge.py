"""Moving an e-mail and merging incidents from the incident page: confirmation first (nothing
changes on GET), the change, both histories with «Отменить», undo; readers cannot; the page's
queries do not grow with moves."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from emails.models import EmailMessage
from incidents.models import Incident, IncidentMove
from incidents.moves import move_emails
from incidents.tests.factories import make_request

pytestmark = pytest.mark.django_db


def page(client, incident: Incident) -> str:
    return client.get(reverse("console:incident", args=[incident.pk])).content.decode()


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
