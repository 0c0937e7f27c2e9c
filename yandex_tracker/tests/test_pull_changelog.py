"""Pull reads the issue's changelog: every status a dispatcher set between two pulls is recorded
with the tracker's time, so the SLA is judged at the real finish time even after an outage."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from incidents.models import IncidentStatusHistory, IncidentType, SlaState, StatusKey
from incidents.services import record_status
from yandex_tracker.client import truncate_ms
from yandex_tracker.models import TrackerIssue
from yandex_tracker.pull import pull_cycle
from yandex_tracker.push import push_cycle

pytestmark = pytest.mark.django_db


def _history(incident) -> list[tuple[str, str]]:
    rows = incident.status_history.order_by("created_at", "pk").select_related("status")
    return [(row.status.key, row.actor) for row in rows]


def test_close_during_a_pull_outage_is_judged_at_the_tracker_time(
    client, directory, fake_tracker, make_incident, dispatcher
):
    start = timezone.now() - timedelta(hours=6)
    with time_machine.travel(start, tick=True):
        incident = make_incident()  # mail sent 30 minutes before
        incident.incident_type = IncidentType.objects.create(name="Авария 3ч", sla_minutes=180)
        incident.save()
        push_cycle(client, directory)
        pull_cycle(client, directory)
        incident.refresh_from_db()
    with time_machine.travel(start + timedelta(hours=1), tick=False):
        taken_at = timezone.now()
        assert dispatcher.transition_to(incident.code, "inProgress")
    with time_machine.travel(start + timedelta(hours=2), tick=False):  # before the 2.5 h deadline
        closed_at = timezone.now()
        assert dispatcher.transition_to(incident.code, "closed")
    pull_cycle(client, directory)  # the pull worker was down for four hours
    incident.refresh_from_db()
    assert incident.is_finished and incident.finished_at == truncate_ms(closed_at)
    assert incident.sla_state == SlaState.CLOSED_ON_TIME
    taken = incident.status_history.get(status__key=StatusKey.IN_PROGRESS)
    assert taken.created_at == truncate_ms(taken_at) and taken.actor == "tracker"


def test_every_status_between_two_pulls_is_recorded_and_our_own_moves_once(
    client, directory, fake_tracker, make_incident, dispatcher
):
    incident = make_incident()
    push_cycle(client, directory)
    pull_cycle(client, directory)
    incident.refresh_from_db()
    record_status(incident, StatusKey.IN_PROGRESS, actor=IncidentStatusHistory.Actor.CONSOLE)
    assert push_cycle(client, directory).statuses_moved == 1  # our own transition
    for status in ("needAcceptance", "inProgress", "closed"):
        assert dispatcher.transition_to(incident.code, status)
    report = pull_cycle(client, directory)
    assert report.statuses == 1
    assert _history(incident) == [
        (StatusKey.NEW, "email"),
        (StatusKey.IN_PROGRESS, "console"),
        (StatusKey.NEED_ACCEPTANCE, "tracker"),
        (StatusKey.IN_PROGRESS, "tracker"),
        (StatusKey.CLOSED, "tracker"),
    ]
    workflow_log = [
        e for e in fake_tracker.state.changelog[incident.code] if e["type"] == "IssueWorkflow"
    ]
    times = [truncate_ms(row.created_at) for row in incident.status_history.order_by("pk")][2:]
    assert times == [e["updatedAt"] for e in workflow_log[1:]]
    assert pull_cycle(client, directory).statuses == 0  # read once


def test_issue_linked_before_changelogs_were_read_does_not_replay_old_changes(
    client, directory, fake_tracker, make_incident, dispatcher
):
    incident = make_incident()
    push_cycle(client, directory)
    pull_cycle(client, directory)
    incident.refresh_from_db()
    assert dispatcher.transition_to(incident.code, "inProgress")
    pull_cycle(client, directory)
    record_status(incident, StatusKey.ON_GENERATION, actor=IncidentStatusHistory.Actor.CONSOLE)
    push_cycle(client, directory)  # our own transition to «На генерации НБ»
    TrackerIssue.objects.update(changelog_cursor="")  # as after the upgrade that added it
    assert dispatcher.transition_to(incident.code, "closed")
    pull_cycle(client, directory)
    assert _history(incident)[1:] == [
        (StatusKey.IN_PROGRESS, "tracker"),
        (StatusKey.ON_GENERATION, "console"),
        (StatusKey.CLOSED, "tracker"),
    ]
