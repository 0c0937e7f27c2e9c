"""Status buttons follow the workflow; requests to notify queue the templated e-mails."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from django.urls import reverse

from dispatch.testing.smtp import smtp_sink  # noqa: F401
from emails.outbox.models import OutboundEmail
from incidents import workflow
from incidents.models import StatusKey
from incidents.tests.factories import make_site

pytestmark = pytest.mark.django_db


@pytest.fixture
def logged_in(client, dispatcher):
    client.force_login(dispatcher)
    return client


def _buttons(page: str) -> list[str]:
    return re.findall(r'<button type="submit" name="to" value="([a-z_]+)"', page)


def _move(client, incident, key: str, comment: str = ""):
    return client.post(
        reverse("console:status", args=[incident.pk]), {"to": key, "comment": comment}
    )


def test_buttons_are_exactly_the_allowed_next_statuses(logged_in, incident):
    for current in (StatusKey.NEW, StatusKey.IN_PROGRESS):
        if current != StatusKey.NEW:
            _move(logged_in, incident, current)
        page = logged_in.get(reverse("console:incident", args=[incident.pk])).content.decode()
        shown = _buttons(page)
        assert set(shown) == {k.value for k in workflow.allowed_targets(current)}
        assert shown[-2:] == [StatusKey.ERROR, StatusKey.NEED_ACCEPTANCE]  # escape hatches last


def test_disallowed_move_is_refused_with_the_reason(logged_in, incident):
    response = _move(logged_in, incident, StatusKey.CLOSED)
    assert response.status_code == 302
    page = logged_in.get(response["Location"]).content.decode()
    assert "Переход из статуса «Новый» в статус «Закрыт» не разрешён." in page
    incident.refresh_from_db()
    assert incident.status.key == StatusKey.NEW
    assert incident.status_history.count() == 1


def test_comment_and_dispatcher_are_recorded(logged_in, incident, dispatcher):
    _move(logged_in, incident, StatusKey.IN_PROGRESS, comment="Беру в работу")
    row = incident.status_history.order_by("-id").first()
    assert (row.status.key, row.comment, row.user, row.actor) == (
        StatusKey.IN_PROGRESS,
        "Беру в работу",
        dispatcher,
        "console",
    )


def test_pass_to_contractor_without_pole_ends_in_error_with_the_reason(logged_in, incident):
    _move(logged_in, incident, StatusKey.IN_PROGRESS)
    response = _move(logged_in, incident, StatusKey.NOTIFY_CONTRACTOR)
    page = logged_in.get(response["Location"]).content.decode()
    incident.refresh_from_db()
    assert incident.status.key == StatusKey.ERROR
    reason = incident.status_history.order_by("-id").first().comment
    assert reason
    assert reason in page
    assert not OutboundEmail.objects.exists()


def test_accepted_and_contractor_emails_are_delivered_with_threading(
    logged_in,
    incident,
    smtp_sink,  # noqa: F811
):
    pole, _ = make_site("77-012345", contractor_emails=("avr@contractor.example",))
    incident.pole = pole
    incident.save()
    _move(logged_in, incident, StatusKey.IN_PROGRESS)
    _move(logged_in, incident, StatusKey.NOTIFY_OPERATOR)
    call_command("send_outbox", "--once")
    [accepted] = smtp_sink.wait_for(1)
    assert accepted["To"] == "noc@operator.example"
    assert accepted["In-Reply-To"] == "<req-1@operator.example>"
    incident.refresh_from_db()
    assert incident.status.key == StatusKey.NOTIFIED_OPERATOR

    _move(logged_in, incident, StatusKey.NOTIFY_CONTRACTOR)
    call_command("send_outbox", "--once")
    messages = smtp_sink.wait_for(2)
    assert messages[1]["To"] == "avr@contractor.example"
    incident.refresh_from_db()
    assert incident.status.key == StatusKey.NOTIFIED_CONTRACTOR

    # asking again for the same notification is refused (no second e-mail)
    _move(logged_in, incident, StatusKey.NOTIFY_CLOSED)
    call_command("send_outbox", "--once")
    _move(logged_in, incident, StatusKey.ON_GENERATION)
    _move(logged_in, incident, StatusKey.NOTIFY_CLOSED)
    call_command("send_outbox", "--once")
    assert len(smtp_sink.messages) == 3
    incident.refresh_from_db()
    assert incident.status.key == StatusKey.ERROR


def test_closing_finishes_and_reopening_restarts(logged_in, incident):
    _move(logged_in, incident, StatusKey.IN_PROGRESS)
    _move(logged_in, incident, StatusKey.CLOSED)
    incident.refresh_from_db()
    assert incident.is_finished and incident.finished_at is not None
    _move(logged_in, incident, StatusKey.IN_PROGRESS)
    incident.refresh_from_db()
    assert not incident.is_finished
