"""Every console address is classified by what a GET does: a page (shown), a form address (back
to its section of the incident page: tested in test_incident_next_step.py) or an action that
only POST does — whose GET and HEAD answer 405 with ``Allow: POST``, for anyone, never 200, a
redirect or an error. A new address must be put in one of the three lists."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from console import urls
from incidents.moves import move_emails
from incidents.tests.factories import make_request

pytestmark = pytest.mark.django_db

POST_ONLY = {
    "bulk",
    "take",
    "group",
    "ungroup",
    "leave_group",
    "undo_move",
    "quarantine_retry",
    "quarantine_release",
}
FORM_ADDRESSES = {
    "status",
    "edit",
    "reply",
    "comment",
    "comment_edit",
    "thread_linking",
    "work",
    "work_remove",
    "link",
    "unlink",
    "email_checked",
    "move_email",  # GET: the move's confirmation page (or back, with nothing named)
    "merge",  # GET: the merge's confirmation page (or back)
}
PAGES = {
    "queue",
    "queue_rows",
    "new_incident",
    "next",
    "previous",
    "incident",
    "compose",
    "attachment",
    "load",
    "suggest_poles",
    "suggest_base_stations",
    "mail",
    "email_eml",
    "quarantine",
    "quarantined_eml",
    "attachments_zip",
}


def test_every_console_address_is_classified():
    names = {pattern.name for pattern in urls.urlpatterns}
    assert names == POST_ONLY | FORM_ADDRESSES | PAGES
    assert not (POST_ONLY & (FORM_ADDRESSES | PAGES))


def test_get_and_head_of_post_only_actions_answer_405_with_allow(client, dispatcher):
    first = make_request(message_id="<get-1@op.example>")
    second = make_request(message_id="<get-2@op.example>")
    move = move_emails(first.emails.get(), second, actor="console", user=dispatcher)
    addresses = {
        reverse("console:bulk"),
        reverse("console:take", args=[first.pk]),
        reverse("console:group", args=[first.pk]),
        reverse("console:ungroup", args=[first.pk]),
        reverse("console:leave_group", args=[first.pk]),
        reverse("console:undo_move", args=[second.pk, move.pk]),
        reverse("console:quarantine_retry", args=[1]),
        reverse("console:quarantine_release", args=[1]),
    }
    assert len(addresses) == len(POST_ONLY)
    client.force_login(dispatcher)
    for person in (client, Client()):  # a dispatcher, and someone not logged in
        for address in addresses:
            for answer in (person.get(address), person.head(address)):
                assert answer.status_code == 405, address
                assert answer["Allow"] == "POST", address
    move.refresh_from_db()
    assert move.undone_at is None  # nothing was done
