"""Push back-off: a failed push waits (the outbox's delay or the server's Retry-After), a refused
one stops for good until an administrator retries it, and new incidents are served first."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from emails.outbox.services import retry_delay
from yandex_tracker.models import TrackerIssue
from yandex_tracker.push import push_cycle

pytestmark = pytest.mark.django_db


def _due_now(**filters) -> None:
    """The back-off of the matching rows is over."""
    TrackerIssue.objects.filter(**filters).update(next_attempt_at=timezone.now())


def test_long_retry_after_gives_every_claim_back_until_the_server_allows(
    client, directory, fake_tracker, make_incident, sleeps, caplog
):
    first, second = make_incident(), make_incident()
    fake_tracker.state.inject(429, method="POST", path="/issues", headers={"Retry-After": "600"})
    report = push_cycle(client, directory)
    assert report.failed == 1 and sleeps == []  # no worker sleeps on its claims for 10 minutes
    assert "Retry-After 600s is beyond" in caplog.text
    rows = {row.incident_id: row for row in TrackerIssue.objects.all()}
    soon = timezone.now() + timedelta(seconds=590)
    assert all(row.claimed_at is None and row.next_attempt_at > soon for row in rows.values())
    assert (rows[first.pk].attempts, rows[second.pk].attempts) == (1, 0)
    assert push_cycle(client, directory).failed == 0  # nothing is due yet
    assert fake_tracker.state.request_count("POST", "/issues") == 1
    _due_now()
    assert push_cycle(client, directory).issues_created == 2


def test_failed_push_waits_the_outbox_delay_and_new_incidents_go_first(
    client, directory, fake_tracker, make_incident
):
    old = make_incident()
    fake_tracker.state.inject(500, count=client.max_attempts, method="POST", path="/issues")
    push_cycle(client, directory)
    row = TrackerIssue.objects.get(incident=old)
    waited = row.next_attempt_at - timezone.now()
    assert row.claimed_at is None and row.attempts == 1 and "HTTP 500" in row.last_error
    assert retry_delay(1) - timedelta(seconds=5) < waited <= retry_delay(1)
    _due_now()
    new = make_incident()
    report = push_cycle(client, directory, limit=1)  # the new incident before the old failure
    assert report.issues_created == 1 and report.failed == 0
    new.refresh_from_db()
    assert new.code == "DISP-1"
    assert TrackerIssue.objects.get(incident=old).key is None
    fake_tracker.state.inject(500, count=client.max_attempts, method="POST", path="/issues")
    push_cycle(client, directory)  # the old one again: the second failure waits longer
    row = TrackerIssue.objects.get(incident=old)
    assert row.attempts == 2
    assert row.next_attempt_at - timezone.now() > retry_delay(1) + timedelta(seconds=30)


def test_refused_push_stops_and_health_and_admin_show_it(
    client, directory, fake_tracker, make_incident, admin_client
):
    incident = make_incident()
    fake_tracker.state.inject(422, method="POST", path="/issues")
    push_cycle(client, directory)
    row = TrackerIssue.objects.get(incident=incident)
    assert row.refused_at is not None and row.claimed_at is None
    _due_now()
    push_cycle(client, directory)  # refused for good: not retried, whatever the clock says
    assert fake_tracker.state.request_count("POST", "/issues") == 1

    health = admin_client.get("/health/")
    assert health.status_code == 503
    assert health.json()["tracker_push"] == {"refused": 1, "retrying": 0}
    page = admin_client.get("/admin/yandex_tracker/trackerissue/").content.decode()
    assert "отклонено трекером" in page

    answer = admin_client.post(
        "/admin/yandex_tracker/trackerissue/",
        {"action": "retry_now", "_selected_action": [row.pk]},
        follow=True,
    )
    assert "будет повторена" in answer.content.decode()
    assert push_cycle(client, directory).issues_created == 1
    assert admin_client.get("/health/").json()["tracker_push"]["refused"] == 0


def test_refused_token_ends_the_cycle_after_one_incident(
    client, directory, fake_tracker, make_incident
):
    for _ in range(3):
        make_incident()
    directory.type_field_id()
    fake_tracker.state.expire_token("robot-token")
    fake_tracker.state.refresh_tokens.clear()  # the refresh is refused too
    before = fake_tracker.state.request_count()
    report = push_cycle(client, directory)
    assert report.failed == 1  # not one failure (and a refresh) per incident
    assert fake_tracker.state.request_count() - before == 1
    assert TrackerIssue.objects.filter(claimed_at__isnull=False).count() == 0
