"""Mail in Dovecot → incident → issue in the fake tracker → dispatcher edits → contractor e-mail."""

from __future__ import annotations

import pytest

from emails.ingest import ingest_folder
from emails.outbox.models import OutboundEmail
from emails.outbox.services import send_due
from emails.tests.conftest import build_message
from incidents.models import Incident, IncidentType, StatusKey
from yandex_tracker.client import TrackerClient
from yandex_tracker.pull import pull_cycle
from yandex_tracker.push import push_cycle
from yandex_tracker.tests.conftest import NoTransactionSession

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def client(tracker_settings, sleeps, transactional_db):
    """The robot's client; every request checks that no DB transaction is open."""
    return TrackerClient(sleep=sleeps, backoff=0.5, session=NoTransactionSession())


@pytest.fixture
def notify_through_tracker(tracker_settings):
    tracker_settings.NOTIFICATION_CHANNEL = "tracker"
    tracker_settings.OUTBOX_PER_RECIPIENT_PER_HOUR = 100


def test_mail_to_contractor_through_the_tracker(
    dovecot, imap_source, defaults, client, directory, fake_tracker, dispatcher, towers,
    notify_through_tracker,
):  # fmt: skip
    dovecot.append(
        "INBOX",
        [build_message("Нет питания", "Опора без питания с 9:00", message_id="<req@op.example>")],
    )
    ingest_folder(imap_source, "INBOX")
    incident = Incident.objects.get()
    push_cycle(client, directory)
    incident.refresh_from_db()
    key = incident.code
    assert key == "DISP-1" and fake_tracker.state.issues[key]["summary"] == "Нет питания"
    pull_cycle(client, directory)

    # a reply in the mailbox becomes a comment on the issue
    dovecot.append(
        "INBOX",
        [build_message(f"RE: {key}: Нет питания", "Уточнение: горит авария",
                       message_id="<re@op.example>", in_reply_to="<req@op.example>")],
    )  # fmt: skip
    ingest_folder(imap_source, "INBOX")
    push_cycle(client, directory)
    assert "Уточнение: горит авария" in fake_tracker.state.comments[key][-1]["text"]

    # the dispatcher works in the tracker: pole prefix, type, «В работе», «Передать подрядчику»
    kind = IncidentType.objects.first()
    dispatcher.update_issue(key, {"poleNumber": "77-00123", directory.type_field_id(): kind.name})
    dispatcher.transition_to(key, "inProgress")
    dispatcher.transition_to(key, "peredatPodradciku")
    pull_cycle(client, directory)
    incident.refresh_from_db()
    assert incident.pole == towers["pole"] and incident.incident_type == kind
    assert incident.status.key == StatusKey.NOTIFY_CONTRACTOR
    outbound = OutboundEmail.objects.get(kind=OutboundEmail.Kind.CONTRACTOR)
    assert outbound.channel == "tracker"

    report = send_due()
    assert report.sent == 1, report.errors
    [sent] = fake_tracker.state.outbox
    assert sent["issue"] == key and sent["to"] == ["avr@remont.ru"]
    assert key in sent["subject"] and "77-00123-A" in sent["text"]
    incident.refresh_from_db()
    assert incident.status.key == StatusKey.NOTIFIED_CONTRACTOR

    push_cycle(client, directory)  # DISPATCH's new status goes to the tracker
    assert fake_tracker.state.issues[key]["status"] == "peredanoPodradciku"
    again = pull_cycle(client, directory)
    assert again.statuses == 0 and again.invalid == 0
    assert len(fake_tracker.state.outbox) == 1


def test_invalid_type_ends_in_error_with_the_reason(
    dovecot, imap_source, defaults, client, directory, fake_tracker, dispatcher
):
    dovecot.append("INBOX", [build_message("Авария", "Текст", message_id="<a@op.example>")])
    ingest_folder(imap_source, "INBOX")
    push_cycle(client, directory)
    pull_cycle(client, directory)
    key = Incident.objects.get().code
    dispatcher.update_issue(key, {directory.type_field_id(): "Нет такого типа"})
    pull_cycle(client, directory)
    incident = Incident.objects.get()
    assert incident.status.key == StatusKey.ERROR
    assert fake_tracker.state.issues[key]["status"] == "error"
    reason = fake_tracker.state.comments[key][-1]["text"]
    assert "Нет такого типа" in reason
    assert incident.status_history.latest("created_at").comment == reason


def test_contractor_request_without_pole_is_an_error(
    defaults, client, directory, fake_tracker, dispatcher, make_incident, notify_through_tracker
):
    incident = make_incident()
    push_cycle(client, directory)
    pull_cycle(client, directory)
    incident.refresh_from_db()
    dispatcher.transition_to(incident.code, "inProgress")
    dispatcher.transition_to(incident.code, "peredatPodradciku")
    pull_cycle(client, directory)
    incident.refresh_from_db()
    assert incident.status.key == StatusKey.ERROR
    assert fake_tracker.state.issues[incident.code]["status"] == "error"
    assert "опоры" in fake_tracker.state.comments[incident.code][-1]["text"]
    assert fake_tracker.state.outbox == []


def test_requester_notices_accepted_and_closed_go_through_the_tracker(
    defaults, client, directory, fake_tracker, dispatcher, make_incident, notify_through_tracker
):
    incident = make_incident()
    push_cycle(client, directory)
    pull_cycle(client, directory)
    key = Incident.objects.get(pk=incident.pk).code
    dispatcher.transition_to(key, "inProgress")
    dispatcher.transition_to(key, "uvedomlaemOperatora")
    pull_cycle(client, directory)
    assert send_due().sent == 1
    push_cycle(client, directory)
    assert fake_tracker.state.issues[key]["status"] == "uvedomiliOperatora"
    accepted = fake_tracker.state.outbox[-1]
    assert accepted["to"] == ["noc@operator.ru"] and "boss@operator.ru" in accepted["cc"]

    dispatcher.transition_to(key, "uvedomitOZakrytii")
    pull_cycle(client, directory)
    assert send_due().sent == 1
    push_cycle(client, directory)
    incident.refresh_from_db()
    assert incident.status.key == StatusKey.NOTIFIED_CLOSED
    assert fake_tracker.state.issues[key]["status"] == "uvedomiliOZakrytii"
    assert len(fake_tracker.state.outbox) == 2
    dispatcher.transition_to(key, "closed")
    pull_cycle(client, directory)
    incident.refresh_from_db()
    assert incident.is_finished and incident.status.key == StatusKey.CLOSED


def test_lost_reply_to_the_email_comment_does_not_send_the_email_twice(
    defaults, client, directory, fake_tracker, dispatcher, make_incident, notify_through_tracker
):
    from django.utils import timezone

    incident = make_incident()
    push_cycle(client, directory)
    pull_cycle(client, directory)
    key = Incident.objects.get(pk=incident.pk).code
    dispatcher.transition_to(key, "inProgress")
    dispatcher.transition_to(key, "uvedomlaemOperatora")
    pull_cycle(client, directory)
    # the tracker sends the e-mail, but its reply is lost: the outbox will retry
    fake_tracker.state.inject(504, method="POST", path="/comments", after=True)
    first = send_due()
    assert first.sent == 0 and first.retried == 1
    assert len(fake_tracker.state.outbox) == 1
    OutboundEmail.objects.update(next_attempt_at=timezone.now())
    second = send_due()
    assert second.sent == 1
    assert len(fake_tracker.state.outbox) == 1  # found by its Message-ID, not sent again
    incident.refresh_from_db()
    assert incident.status.key == StatusKey.NOTIFIED_OPERATOR


def test_new_message_flag_follows_incoming_mail_and_the_dispatcher_taking_the_issue(
    dovecot, imap_source, defaults, client, directory, fake_tracker, dispatcher
):
    dovecot.append("INBOX", [build_message("Нет питания", "Авария", message_id="<n1@op.example>")])
    ingest_folder(imap_source, "INBOX")
    push_cycle(client, directory)
    key = Incident.objects.get().code
    flag = directory.ids.new_message
    assert fake_tracker.state.issues[key][flag] == "✔️ Да"
    pull_cycle(client, directory)
    dispatcher.transition_to(key, "inProgress")  # the dispatcher takes the issue
    pull_cycle(client, directory)
    assert fake_tracker.state.issues[key][flag] == "✖️ Нет"
    dovecot.append(
        "INBOX",
        [build_message(f"RE: {key}: Нет питания", "Питание так и не вернулось",
                       message_id="<n2@op.example>", in_reply_to="<n1@op.example>")],
    )  # fmt: skip
    ingest_folder(imap_source, "INBOX")
    assert push_cycle(client, directory).comments_posted == 1
    assert fake_tracker.state.issues[key][flag] == "✔️ Да"  # new mail on a taken issue
    assert pull_cycle(client, directory).patched == 0  # our own write, not read back


def test_taking_the_issue_in_the_tracker_reads_the_incident(
    dovecot, imap_source, defaults, client, directory, fake_tracker, dispatcher
):
    dovecot.append("INBOX", [build_message("Нет питания", "Авария", message_id="<u1@op.example>")])
    ingest_folder(imap_source, "INBOX")
    push_cycle(client, directory)
    incident = Incident.objects.get()
    assert incident.unread_since is not None  # «Новое сообщение» is «Да», the queue row bold
    pull_cycle(client, directory)
    dispatcher.transition_to(incident.code, "inProgress")
    pull_cycle(client, directory)
    assert Incident.objects.get().unread_since is None  # both lowered together
    dovecot.append(
        "INBOX",
        [build_message(f"RE: {incident.code}: Нет питания", "Всё ещё нет",
                       message_id="<u2@op.example>", in_reply_to="<u1@op.example>")],
    )  # fmt: skip
    ingest_folder(imap_source, "INBOX")
    assert Incident.objects.get().unread_since is not None  # and raised together again
