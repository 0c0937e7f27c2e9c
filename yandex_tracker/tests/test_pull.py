"""Pull: tracker changes since the cursor come into DISPATCH; invalid input ends in «Ошибка»."""

from __future__ import annotations

import pytest

from incidents.models import (
    Incident,
    IncidentChange,
    IncidentSource,
    IncidentType,
    SlaState,
    StatusKey,
)
from yandex_tracker.errors import TrackerUnavailable
from yandex_tracker.models import SyncCursor, TrackerIssue
from yandex_tracker.pull import pull_cycle
from yandex_tracker.push import push_cycle

pytestmark = pytest.mark.django_db


@pytest.fixture
def pushed(client, directory, make_incident):
    incident = make_incident()
    push_cycle(client, directory)
    pull_cycle(client, directory)  # first sync sets the cursor
    incident.refresh_from_db()
    return incident


def test_pole_prefix_and_type_are_taken_and_db_values_written_back(
    client, directory, fake_tracker, pushed, dispatcher, towers
):
    type_field = directory.type_field_id()
    kind = IncidentType.objects.first()
    dispatcher.update_issue(pushed.code, {"poleNumber": "77-00123", type_field: kind.name})
    report = pull_cycle(client, directory)
    assert (report.processed, report.invalid, report.patched) == (1, 0, 1)
    pushed.refresh_from_db()
    assert pushed.pole == towers["pole"] and pushed.incident_type == kind
    assert pushed.sla_deadline is not None
    logged = {(c.field, c.actor) for c in IncidentChange.objects.filter(incident=pushed)}
    assert logged == {("pole", "tracker"), ("incident_type", "tracker")}
    issue = fake_tracker.state.issues[pushed.code]
    assert issue["poleNumber"] == "77-00123-A"  # the prefix is expanded
    assert issue["avrContractor"] == "ООО Ремонт"
    assert issue["deadlineSla"] is not None
    again = pull_cycle(client, directory)
    assert again.processed == 0 and again.patched == 0


def test_base_station_sets_its_pole_and_operators(
    client, directory, fake_tracker, pushed, dispatcher, towers
):
    dispatcher.update_issue(pushed.code, {"baseStation": "БС-7701"})
    pull_cycle(client, directory)
    pushed.refresh_from_db()
    assert pushed.base_station == towers["station"] and pushed.pole == towers["pole"]
    issue = fake_tracker.state.issues[pushed.code]
    assert issue["baseStation"] == "БС-770123" and issue["operator"] == "Билайн, МТС"
    assert issue["poleNumber"] == "77-00123-A"


def test_invalid_type_moves_the_issue_to_error_with_the_reason(
    client, directory, fake_tracker, pushed, dispatcher
):
    type_field = directory.type_field_id()
    dispatcher.update_issue(pushed.code, {type_field: "Пожар на Луне"})
    report = pull_cycle(client, directory)
    assert report.invalid == 1
    pushed.refresh_from_db()
    assert pushed.status.key == StatusKey.ERROR
    reason = pushed.status_history.latest("created_at").comment
    assert reason.startswith("Неверно указан тип инцидента (Пожар на Луне).")
    assert IncidentType.objects.first().name in reason
    issue = fake_tracker.state.issues[pushed.code]
    assert issue["status"] == "error"
    assert fake_tracker.state.comments[pushed.code][-1]["text"] == reason
    assert type_field not in issue  # the invalid value is replaced by what DISPATCH holds


def test_ambiguous_pole_prefix_is_an_error_listing_candidates(
    client, directory, fake_tracker, pushed, dispatcher, towers
):
    dispatcher.update_issue(pushed.code, {"poleNumber": "77-0099"})
    pull_cycle(client, directory)
    pushed.refresh_from_db()
    assert pushed.status.key == StatusKey.ERROR and pushed.pole is None
    comment = fake_tracker.state.comments[pushed.code][-1]["text"]
    assert "77-00991-C" in comment and "77-00999-B" in comment


def test_status_change_in_tracker_is_mirrored_into_history(
    client, directory, fake_tracker, pushed, dispatcher
):
    assert dispatcher.transition_to(pushed.code, "inProgress")
    pull_cycle(client, directory)
    pushed.refresh_from_db()
    assert pushed.status.key == StatusKey.IN_PROGRESS
    last = pushed.status_history.latest("created_at")
    assert last.actor == "tracker"
    link = TrackerIssue.objects.get(incident=pushed)
    assert link.synced_status == "inProgress"
    assert dispatcher.transition_to(pushed.code, "closed")
    pull_cycle(client, directory)
    pushed.refresh_from_db()
    assert pushed.is_finished and pushed.status.key == StatusKey.CLOSED


def test_closing_in_the_tracker_refreshes_the_sla(
    client, directory, fake_tracker, pushed, dispatcher
):
    type_field = directory.type_field_id()
    kind = IncidentType.objects.order_by("-sla_minutes").first()
    dispatcher.update_issue(pushed.code, {type_field: kind.name})
    pull_cycle(client, directory)
    assert dispatcher.transition_to(pushed.code, "inProgress")
    pull_cycle(client, directory)
    assert dispatcher.transition_to(pushed.code, "closed")
    pull_cycle(client, directory)
    pushed.refresh_from_db()
    assert pushed.is_finished and pushed.sla_state == SlaState.CLOSED_ON_TIME


def test_dispatcher_assignment_in_tracker_is_taken(
    client, directory, fake_tracker, pushed, dispatcher
):
    dispatcher.update_issue(pushed.code, {"assignee": "ivanov"})
    pull_cycle(client, directory)
    pushed.refresh_from_db()
    assert pushed.assignee.username == "ivanov"


def test_manual_issue_becomes_a_manual_incident(
    client, directory, fake_tracker, defaults, dispatcher
):
    issue, _ = dispatcher.create_issue(
        {"queue": "DISP", "summary": "Звонок: нет связи"}, unique="m1"
    )
    report = pull_cycle(client, directory)
    assert report.manual_created == 1
    incident = Incident.objects.get(code=issue["key"])
    assert incident.source == IncidentSource.MANUAL and incident.subject == "Звонок: нет связи"
    assert fake_tracker.state.issues[issue["key"]]["localId"] == incident.pk
    pull_cycle(client, directory)
    assert Incident.objects.count() == 1


def test_unknown_local_id_is_an_error(client, directory, fake_tracker, defaults, dispatcher):
    issue, _ = dispatcher.create_issue(
        {"queue": "DISP", "summary": "x", "localId": 999}, unique="z"
    )
    report = pull_cycle(client, directory)
    assert report.invalid == 1
    assert fake_tracker.state.issues[issue["key"]]["status"] == "error"
    assert "localId" in fake_tracker.state.comments[issue["key"]][-1]["text"]


def test_only_issues_changed_since_the_cursor_are_read(
    client, directory, fake_tracker, pushed, dispatcher
):
    cursor = SyncCursor.objects.get().value
    assert cursor
    before = client.request_count
    report = pull_cycle(client, directory)
    assert client.request_count - before == 1 and report.processed == 0
    body = fake_tracker.state.requests[-1]
    assert body == ("POST", "/v2/issues/_search")


def test_tracker_outage_keeps_the_cursor(client, directory, fake_tracker, pushed, dispatcher):
    cursor = SyncCursor.objects.get().value
    dispatcher.transition_to(pushed.code, "inProgress")
    fake_tracker.state.inject(503, count=10, path="/_search")
    with pytest.raises(TrackerUnavailable):
        pull_cycle(client, directory)
    assert SyncCursor.objects.get().value == cursor
    fake_tracker.state.faults.clear()
    pull_cycle(client, directory)
    pushed.refresh_from_db()
    assert pushed.status.key == StatusKey.IN_PROGRESS


def test_first_sync_reads_only_the_last_30_days(client, directory, fake_tracker, defaults):
    from datetime import timedelta

    old, _ = client.create_issue({"queue": "DISP", "summary": "old manual"}, unique="old")
    fake_tracker.state.issues[old["key"]]["updatedAt"] -= timedelta(days=45)
    client.create_issue({"queue": "DISP", "summary": "recent manual"}, unique="new")
    report = pull_cycle(client, directory)
    assert report.seen == 1 and report.manual_created == 1
    assert Incident.objects.get().subject == "recent manual"


def test_dispatcher_edit_is_not_lost_behind_our_own_later_write(
    client, directory, fake_tracker, pushed, dispatcher, towers, add_reply
):
    dispatcher.update_issue(pushed.code, {"poleNumber": "77-00123-A"})
    add_reply(pushed)
    push_cycle(client, directory)  # a comment and a PATCH of Local emails IDs after the edit
    pull_cycle(client, directory)
    pushed.refresh_from_db()
    assert pushed.pole == towers["pole"]


def test_without_the_type_field_the_incident_type_is_left_alone(
    client, directory, fake_tracker, pushed, dispatcher
):
    kind = IncidentType.objects.first()
    Incident.objects.filter(pk=pushed.pk).update(incident_type=kind)
    fake_tracker.state.local_fields["DISP"].clear()
    directory.forget()  # the queue was changed
    dispatcher.update_issue(pushed.code, {"summary": "Уточнённая тема"})
    report = pull_cycle(client, directory)
    assert report.processed == 1 and report.invalid == 0
    pushed.refresh_from_db()
    assert pushed.incident_type == kind


def test_manual_issue_whose_local_id_write_failed_is_completed_next_cycle(
    client, directory, fake_tracker, defaults, dispatcher
):
    issue, _ = dispatcher.create_issue({"queue": "DISP", "summary": "Звонок"}, unique="m2")
    fake_tracker.state.inject(503, count=10, method="PATCH", path=f"/issues/{issue['key']}")
    report = pull_cycle(client, directory)
    assert report.failed == 1 and Incident.objects.count() == 1
    assert "localId" not in fake_tracker.state.issues[issue["key"]]
    fake_tracker.state.faults.clear()
    pull_cycle(client, directory)
    incident = Incident.objects.get()
    assert fake_tracker.state.issues[issue["key"]]["localId"] == incident.pk


def test_values_the_dispatcher_typed_are_quoted_in_the_error_comment(
    client, directory, fake_tracker, pushed, dispatcher, towers
):
    kind = IncidentType.objects.first()
    type_field = directory.type_field_id()
    dispatcher.update_issue(
        pushed.code,
        {"poleNumber": "77-0099", "baseStation": "БС-770123", type_field: kind.name},
    )
    pull_cycle(client, directory)
    pushed.refresh_from_db()
    assert pushed.status.key == StatusKey.ERROR and pushed.base_station is None
    comment = fake_tracker.state.comments[pushed.code][-1]["text"]
    # none is taken while the pole is ambiguous: each is quoted, to be corrected and saved again
    assert "Не принято — исправьте и сохраните снова:" in comment
    assert "Шифр опоры «77-0099»" in comment and "Номер БС «БС-770123»" in comment
    assert f"Тип проблемы «{kind.name}»" in comment
