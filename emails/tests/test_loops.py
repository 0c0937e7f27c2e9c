"""Automatic mail is recognised (RFC 3834, vendor headers, DSN, our own mail) and never opens
an incident; the tracker's own mail is stored but not pushed back."""

from __future__ import annotations

import pytest

from emails.loops import classify
from emails.models import EmailMessage
from emails.parsing import parse_email
from emails.services import Incoming, get_folder, store_messages
from emails.tests.conftest import build_message
from incidents.models import Incident


def kind(headers: dict[str, str], **kwargs) -> str:
    return classify(parse_email(build_message(headers=headers, **kwargs))).auto_kind


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, ""),
        ({"Auto-Submitted": "no"}, ""),
        ({"Auto-Submitted": "auto-replied"}, "auto_reply"),
        ({"Auto-Submitted": "auto-generated"}, "auto_reply"),
        ({"X-Autoreply": "yes"}, "auto_reply"),
        ({"X-Autorespond": "1"}, "auto_reply"),
        ({"X-Auto-Response-Suppress": "All"}, "auto_reply"),
        ({"Precedence": "auto_reply"}, "auto_reply"),
        ({"Precedence": "bulk"}, "bulk"),
        ({"X-Precedence": "junk"}, "bulk"),
        ({"List-Id": "<noc.lists.example>"}, "bulk"),
        ({"X-Dispatch-Incident": "DISPATCH-5"}, "loop"),
    ],
)
def test_header_families(headers, expected):
    assert kind(headers) == expected


def test_auto_reply_subjects_in_russian_and_english():
    assert kind({}, subject="Автоответ: Нет связи") == "auto_reply"
    assert kind({}, subject="Automatic reply: outage") == "auto_reply"
    assert kind({}, subject="Ответ: Нет связи") == ""


def test_automatic_mail_with_a_bounce_subject_is_a_bounce_whoever_sends_it():
    bounce = {"Auto-Submitted": "auto-replied"}
    subject = "Undelivered Mail Returned to Sender"
    assert kind(bounce, subject=subject, sender="MAILER-DAEMON@mx.example") == "bounce"
    assert kind({}, subject=subject) == ""  # a person may quote such a subject


@pytest.mark.django_db
def test_automatic_and_tracker_mail_is_stored_but_opens_no_incident(statuses):
    folder = get_folder("test", "INBOX")
    raws = [
        build_message(message_id="<a@x.example>", headers={"Auto-Submitted": "auto-replied"}),
        build_message(message_id="<b@x.example>", headers={"X-Tracker-Issue-Key": "Q-1"}),
        build_message(message_id="<c@x.example>", sender="MAILER-DAEMON@mx.example"),
        build_message(message_id="<d@x.example>"),
    ]
    store_messages(folder, 1, [Incoming(n, raw, parse_email(raw)) for n, raw in enumerate(raws)])
    assert Incident.objects.count() == 1
    states = dict(EmailMessage.objects.values_list("message_id", "tracker_state"))
    assert states == {
        "<a@x.example>": "pending",
        "<b@x.example>": "skipped",
        "<c@x.example>": "pending",
        "<d@x.example>": "pending",
    }
