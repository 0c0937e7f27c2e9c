"""Health: each worker's last successful cycle, as a command and as /health/ (no secrets)."""

import json
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from dispatch.models import WorkerHeartbeat
from dispatch.workers import record_heartbeat

pytestmark = pytest.mark.django_db


def test_fresh_workers_are_healthy(client):
    record_heartbeat("ingest_mail:INBOX", summary="3 new")
    record_heartbeat("send_outbox", summary="0 sent")
    response = client.get("/health/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert [w["name"] for w in body["workers"]] == ["ingest_mail:INBOX", "send_outbox"]
    assert all(w["state"] == "ok" for w in body["workers"])


def test_failing_worker_makes_the_service_unhealthy_without_leaking_the_error(client):
    record_heartbeat("push_tracker", error="Traceback...\nRuntimeError: token=abc123 for x@y.ru")
    response = client.get("/health/")
    assert response.status_code == 503
    text = response.content.decode()
    assert "abc123" not in text and "x@y.ru" not in text and "Traceback" not in text
    worker = response.json()["workers"][0]
    assert worker["state"] == "failing"
    assert worker["consecutive_failures"] == 1


def test_worker_without_a_recent_success_is_stale(client):
    record_heartbeat("pull_tracker", summary="ok")
    WorkerHeartbeat.objects.filter(name="pull_tracker").update(
        last_success_at=timezone.now() - timedelta(hours=2)
    )
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["workers"][0]["state"] == "stale"


def test_healthcheck_command_prints_json_and_fails_when_unhealthy(capsys):
    record_heartbeat("sla_sweep", summary="ok")
    call_command("healthcheck")
    report = json.loads(capsys.readouterr().out)
    assert report["workers"][0]["name"] == "sla_sweep"

    record_heartbeat("sla_sweep", error="boom")
    with pytest.raises(CommandError, match="sla_sweep"):
        call_command("healthcheck")


def test_health_endpoint_answers_anonymous_get_only(client):
    assert client.get("/health/").status_code == 200
    assert client.post("/health/").status_code == 405


def test_a_removed_worker_can_be_forgotten(capsys):
    record_heartbeat("ingest_mail:Old", summary="ok")
    WorkerHeartbeat.objects.filter(name="ingest_mail:Old").update(
        last_success_at=timezone.now() - timedelta(days=3)
    )
    with pytest.raises(CommandError):
        call_command("healthcheck")
    capsys.readouterr()
    call_command("healthcheck", forget="ingest_mail:Old")
    assert json.loads(capsys.readouterr().out)["workers"] == []
    with pytest.raises(CommandError, match="no heartbeat"):
        call_command("healthcheck", forget="ingest_mail:Old")


def test_health_report_costs_four_queries_whatever_the_number_of_workers(
    client, django_assert_num_queries
):
    for index in range(20):
        record_heartbeat(f"worker-{index}", summary="ok")
    # SELECT 1, all heartbeats, then the tracker's refused/retrying issue and comment pushes
    with django_assert_num_queries(4):
        response = client.get("/health/")
    assert len(response.json()["workers"]) == 20
