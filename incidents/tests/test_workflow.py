"""Workflow rules: allowed transitions, history, notification requests and their refusals."""

from __future__ import annotations

from datetime import timedelta

import pytest

from emails.outbox.models import OutboundEmail
from incidents.models import IncidentStatusHistory, StatusKey
from incidents.tests.factories import make_manual, make_request, make_site
from incidents.workflow import (
    ALWAYS_ALLOWED,
    NOTIFICATION_REQUESTS,
    TRANSITIONS,
    TransitionError,
    allowed_targets,
    change_status,
    record_delivery,
)
from ts.models import Contractor
from users.models import Role, User

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("notification_setup")]

S = StatusKey


def last_comment(incident) -> str:
    return incident.status_history.last().comment


def deliver_all() -> None:
    """What the outbox does after a successful send, without a server (covered elsewhere)."""
    for row in OutboundEmail.objects.filter(state=OutboundEmail.State.QUEUED):
        row.state = OutboundEmail.State.SENT
        row.save()
        record_delivery(row)


def test_the_table_covers_every_status_and_requests_are_reachable():
    assert set(TRANSITIONS) == set(StatusKey)
    for request, (_kind, done) in NOTIFICATION_REQUESTS.items():
        assert TRANSITIONS[request] == {done}
        assert any(request in targets for targets in TRANSITIONS.values())
    for key in StatusKey:
        assert allowed_targets(key) >= ALWAYS_ALLOWED - {key}


def test_allowed_change_is_recorded_once_with_who_and_comment():
    user = User.objects.create_user(email="petrov@example.ru", role=Role.DISPATCH)
    incident = make_request()
    row = change_status(incident, S.IN_PROGRESS, actor="console", user=user, comment="Принял")
    assert isinstance(row, IncidentStatusHistory)
    assert (row.status.key, row.actor, row.user, row.comment) == (
        S.IN_PROGRESS,
        "console",
        user,
        "Принял",
    )
    assert incident.status.key == S.IN_PROGRESS
    assert incident.status_history.count() == 2


def test_disallowed_change_raises_in_russian_and_changes_nothing():
    incident = make_request()
    with pytest.raises(TransitionError, match="Переход из статуса «Новый» в статус «Закрыт»"):
        change_status(incident, S.CLOSED, actor="console")
    with pytest.raises(TransitionError, match="«Новый» в статус «Уведомляем оператора»"):
        change_status(incident, S.NOTIFY_OPERATOR, actor="console")
    with pytest.raises(TransitionError, match="уже в статусе «Новый»"):
        change_status(incident, S.NEW, actor="console")
    incident.refresh_from_db()
    assert incident.status.key == S.NEW
    assert incident.status_history.count() == 1
    assert not OutboundEmail.objects.exists()


def test_error_and_waiting_are_reachable_from_anywhere_and_error_returns_to_work():
    incident = make_request()
    change_status(incident, S.NEED_ACCEPTANCE, actor="tracker")
    change_status(incident, S.ERROR, actor="tracker", comment="Неверный шифр опоры")
    change_status(incident, S.IN_PROGRESS, actor="tracker")
    change_status(incident, S.CLOSED, actor="tracker")
    assert incident.is_finished
    change_status(incident, S.IN_PROGRESS, actor="tracker")  # reopened
    assert not incident.is_finished


def test_request_queues_the_email_in_the_same_transaction_and_delivery_records_notified():
    incident = make_request()
    change_status(incident, S.IN_PROGRESS, actor="console")
    row = change_status(incident, S.NOTIFY_OPERATOR, actor="tracker")
    assert row.comment == "Диспетчер отправил автоответ о принятии заявки в работу заявителю."
    queued = OutboundEmail.objects.get()
    assert (queued.kind, queued.incident, queued.state) == ("accepted", incident, "queued")
    deliver_all()
    incident.refresh_from_db()
    assert incident.status.key == S.NOTIFIED_OPERATOR
    assert last_comment(incident) == "Уведомили оператора о принятии заявки в работу."


def test_re_requesting_a_sent_notification_ends_in_error_and_sends_nothing_more():
    incident = make_request()
    change_status(incident, S.IN_PROGRESS, actor="console")
    change_status(incident, S.NOTIFY_OPERATOR, actor="tracker")
    deliver_all()
    row = change_status(incident, S.NOTIFY_OPERATOR, actor="tracker")
    assert row.status.key == S.ERROR
    assert "уже было отправлено" in row.comment and "noc@operator.example" in row.comment
    assert OutboundEmail.objects.count() == 1


def test_re_requesting_a_queued_notification_says_it_is_queued():
    pole, _station = make_site()
    incident = make_request(pole=pole)
    change_status(incident, S.IN_PROGRESS, actor="console")
    change_status(incident, S.NOTIFY_CONTRACTOR, actor="tracker")
    change_status(incident, S.NEED_ACCEPTANCE, actor="tracker")
    row = change_status(incident, S.NOTIFY_CONTRACTOR, actor="tracker")
    assert row.status.key == S.ERROR
    assert "уже стоит в очереди" in row.comment
    assert OutboundEmail.objects.count() == 1


def test_a_failed_notification_may_be_requested_again():
    incident = make_request()
    change_status(incident, S.IN_PROGRESS, actor="console")
    change_status(incident, S.NOTIFY_OPERATOR, actor="tracker")
    OutboundEmail.objects.update(state=OutboundEmail.State.FAILED, attempts=10)
    change_status(incident, S.ERROR, actor="system", comment="не доставлено")
    change_status(incident, S.IN_PROGRESS, actor="console")
    change_status(incident, S.NOTIFY_OPERATOR, actor="tracker")
    row = OutboundEmail.objects.get()
    assert (row.state, row.attempts) == (OutboundEmail.State.QUEUED, 0)
    assert incident.status.key == S.NOTIFY_OPERATOR


def test_no_requester_notification_for_manual_incidents_but_contractor_card_is_allowed():
    pole, _station = make_site()
    incident = make_manual(pole=pole)
    change_status(incident, S.IN_PROGRESS, actor="tracker")
    row = change_status(incident, S.NOTIFY_OPERATOR, actor="tracker")
    assert row.status.key == S.ERROR
    assert row.comment == (
        "Нельзя отправить автоматическое уведомление заявителю для заявки, созданной вручную."
    )
    change_status(incident, S.IN_PROGRESS, actor="tracker")
    change_status(incident, S.NOTIFY_CONTRACTOR, actor="tracker")
    assert OutboundEmail.objects.get().kind == "contractor"


def test_no_notification_to_an_auto_responder():
    incident = make_request(auto_kind="auto_reply", sender="robot@operator.example")
    change_status(incident, S.IN_PROGRESS, actor="console")
    row = change_status(incident, S.NOTIFY_OPERATOR, actor="tracker")
    assert row.status.key == S.ERROR
    assert "отправлено автоматически" in row.comment
    assert not OutboundEmail.objects.exists()


@pytest.mark.parametrize("sender", ["dispatch@example.ru", "MAILER-DAEMON@operator.example"])
def test_no_notification_to_ourselves_or_to_system_mailboxes(sender):
    incident = make_request(sender=sender)
    change_status(incident, S.IN_PROGRESS, actor="console")
    row = change_status(incident, S.NOTIFY_OPERATOR, actor="api")
    assert row.status.key == S.ERROR
    assert not OutboundEmail.objects.exists()


def test_our_mailbox_is_copied_once_and_never_addressed_as_a_requester():
    incident = make_request(cc=("Dispatch@Example.ru", "noreply@operator.example", "boss@op.ru"))
    change_status(incident, S.IN_PROGRESS, actor="console")
    change_status(incident, S.NOTIFY_OPERATOR, actor="console")
    row = OutboundEmail.objects.get()
    assert row.to == ["noc@operator.example"]
    assert row.cc == ["boss@op.ru", "dispatch@example.ru"]
    assert row.headers["Auto-Submitted"] == "auto-replied"
    assert row.message_id.endswith("@example.ru>")


def test_contractor_card_needs_a_pole_and_an_address():
    incident = make_request()
    change_status(incident, S.IN_PROGRESS, actor="console")
    row = change_status(incident, S.NOTIFY_CONTRACTOR, actor="tracker")
    assert row.comment == (
        "Чтобы передать заявку подрядчику, необходимо указать шифр опоры и/или номер "
        "базовой станции."
    )
    pole, _station = make_site("50-0002", contractor_emails=())
    incident.pole = pole
    incident.save()
    change_status(incident, S.IN_PROGRESS, actor="console")
    row = change_status(incident, S.NOTIFY_CONTRACTOR, actor="tracker")
    assert row.comment == "Не найден email подрядчика «АВР 50-0002» для автоответа."


def test_contractor_found_through_the_base_station_or_the_default_contractor(settings):
    _pole, station = make_site("77-0003", contractor_emails=("avr3@contractor.example",))
    incident = make_request(base_station=station)
    change_status(incident, S.IN_PROGRESS, actor="console")
    change_status(incident, S.NOTIFY_CONTRACTOR, actor="console")
    assert OutboundEmail.objects.get().to == ["avr3@contractor.example"]

    settings.DEFAULT_CONTRACTOR_EMAILS = ["default@avr.example"]
    pole, _ = make_site("77-0004", contractor_emails=())
    pole.contractor = None
    pole.save()
    Contractor.objects.get_default()
    other = make_request(pole=pole, message_id="<req-2@operator.example>")
    change_status(other, S.IN_PROGRESS, actor="console")
    change_status(other, S.NOTIFY_CONTRACTOR, actor="console")
    assert OutboundEmail.objects.get(incident=other).to == ["default@avr.example"]


def test_status_changes_store_the_sla_at_once():
    from incidents.models import IncidentType, SlaState

    incident = make_request()
    incident.incident_type = IncidentType.objects.get(name="Авария по питанию для МСК")
    incident.save()
    change_status(incident, S.IN_PROGRESS, actor="console")
    assert incident.sla_state == SlaState.IN_PROGRESS
    change_status(incident, S.CLOSED, actor="console")
    stored = type(incident).objects.get(pk=incident.pk)
    assert stored.sla_state == SlaState.CLOSED_ON_TIME
    assert stored.sla_deadline == stored.incident_date + timedelta(minutes=240)


def test_an_unknown_status_is_a_clear_error():
    incident = make_request()
    with pytest.raises(TransitionError, match="Неизвестный статус: closed_forever"):
        change_status(incident, "closed_forever", actor="api")


def test_settings_are_checked_at_start_up(settings):
    from incidents.checks import check_workflow_settings

    assert check_workflow_settings() == []
    settings.SLA_BUSINESS_HOURS = "18:00-09:00"
    settings.NOTIFICATION_CHANNEL = "pigeon"
    assert [p.id for p in check_workflow_settings()] == ["incidents.E001", "incidents.W001"]


def test_queue_notification_is_idempotent_per_recipients_and_explains_refusals():
    from incidents.notifications import (
        NotificationAlreadySent,
        NotificationError,
        queue_notification,
    )

    incident = make_request()
    row = queue_notification(incident, "accepted", channel="tracker")
    assert (row.channel, row.to) == ("tracker", ["noc@operator.example"])
    with pytest.raises(NotificationAlreadySent, match="уже стоит в очереди") as info:
        queue_notification(incident, "accepted")
    assert info.value.outbound == row
    with pytest.raises(NotificationError, match="Неизвестный вид уведомления"):
        queue_notification(incident, "birthday")
    assert OutboundEmail.objects.count() == 1
