"""Benchmark: tracker push and pull against the fake Yandex Tracker (a real HTTP server).

1. Push: INCIDENTS new incidents (one e-mail each) → issues; prints requests per incident.
2. Pull: ISSUES issues in the fake (plus the pushed ones), CHANGED of them edited by a
   dispatcher after the last sync; one pull cycle; prints its requests (target ≤ 4, plus per
   issue taken by the dispatcher a changelog page and the PATCH lowering «Новое сообщение»).
3. Full scan: reading every issue of the queue (page mode → scroll); prints requests and time.

    .venv/bin/python bench/tracker_sync.py
    TEST_DB=postgres .venv/bin/python bench/tracker_sync.py --incidents 1000 --issues 10000
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dispatch.testing.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from emails.models import EmailMessage, EmailRecipient  # noqa: E402
from incidents.defaults import load_defaults  # noqa: E402
from incidents.models import Incident, IncidentStatusHistory  # noqa: E402
from incidents.selectors import get_status  # noqa: E402
from yandex_tracker.client import TrackerClient  # noqa: E402
from yandex_tracker.fake import FakeTrackerServer  # noqa: E402
from yandex_tracker.fake.state import fmt  # noqa: E402
from yandex_tracker.fields import TrackerDirectory  # noqa: E402
from yandex_tracker.models import SyncCursor  # noqa: E402
from yandex_tracker.pull import CURSOR_NAME, pull_cycle  # noqa: E402
from yandex_tracker.push import push_cycle  # noqa: E402


def configure(server: FakeTrackerServer) -> None:
    settings.YT_API_BASE_URL = server.url
    settings.YT_OAUTH_URL = server.oauth_url
    settings.YT_QUEUE = "DISP"
    settings.YT_ACCESS_TOKEN = "robot-token"
    settings.YT_REFRESH_TOKEN = "robot-refresh"
    settings.YT_ORGANIZATION_ID = "fake-org"
    settings.YT_ENABLED = True


def make_incidents(count: int) -> None:
    """``count`` e-mail incidents in «Новый» with one e-mail each (bulk inserts)."""
    new = get_status("new")
    now = timezone.now()
    incidents = Incident.objects.bulk_create(
        Incident(incident_date=now - timedelta(minutes=n), subject=f"Авария {n}", status=new)
        for n in range(count)
    )
    if not incidents[0].pk:  # backends that do not return ids
        incidents = list(Incident.objects.order_by("pk"))
    IncidentStatusHistory.objects.bulk_create(
        IncidentStatusHistory(incident=i, status=new, actor="email") for i in incidents
    )
    emails = EmailMessage.objects.bulk_create(
        EmailMessage(
            message_id=f"<bench-{i.pk}@op.example>",
            subject=i.subject,
            from_address="noc@op.example",
            sent_at=i.incident_date,
            body_text="Нет питания на опоре, просим направить бригаду.",
            is_first=True,
            incident=i,
        )
        for i in incidents
    )
    if not emails[0].pk:
        emails = list(EmailMessage.objects.order_by("pk"))
    EmailRecipient.objects.bulk_create(
        EmailRecipient(email=e, kind="to", address="dispatch@example.test") for e in emails
    )


def bench_push(client: TrackerClient, directory: TrackerDirectory, count: int) -> None:
    make_incidents(count)
    before, started = client.request_count, time.perf_counter()
    cycles = 0
    while True:
        report = push_cycle(client, directory, limit=200)
        cycles += 1
        if report.issues_created + report.issues_recovered + report.failed == 0:
            break
    elapsed = time.perf_counter() - started
    requests = client.request_count - before
    pushed = Incident.objects.filter(code__isnull=False).count()
    print(
        f"push: {pushed}/{count} incidents → issues in {elapsed:.1f} s ({cycles} cycles), "
        f"{requests} requests = {requests / count:.3f} requests per incident (target ≤ 1.1), "
        f"{count / elapsed:.0f} incidents/s"
    )


def bench_pull(server: FakeTrackerServer, issues: int, changed: int) -> None:
    state = server.state
    started = time.perf_counter()
    state.bulk_issues("DISP", issues)
    print(f"fake: {len(state.issues)} issues in the queue ({time.perf_counter() - started:.1f} s)")
    # the state after an earlier sync that saw all of them: the cursor just past the newest
    latest = max(issue["updatedAt"] for issue in state.issues.values())
    cursor = fmt(latest + timedelta(milliseconds=1))
    SyncCursor.objects.update_or_create(name=CURSOR_NAME, defaults={"value": cursor})
    time.sleep(0.01)
    ivanov = state.add_user("ivanov", "Иван Иванов")  # a dispatcher, not the robot
    state.add_token("dispatcher-token", ivanov["uid"])
    dispatcher = TrackerClient(access_token="dispatcher-token")
    for key in [f"DISP-{n}" for n in range(1, changed + 1)]:
        dispatcher.transition_to(key, "inProgress")
    client = TrackerClient()  # a freshly started worker: nothing cached
    directory = TrackerDirectory(client)
    started = time.perf_counter()
    report = pull_cycle(client, directory)
    elapsed = time.perf_counter() - started
    in_progress = Incident.objects.filter(status__key="in_progress").count()
    print(
        f"pull: {len(state.issues)} issues, {changed} changed → one cycle: {report}; "
        f"{client.request_count} requests (target ≤ 4 + 2 per taken issue), "
        f"{elapsed * 1000:.0f} ms; "
        f"incidents now «В работе»: {in_progress}"
    )
    scan = TrackerClient()
    started = time.perf_counter()
    every = scan.search_all({"queue": "DISP"})
    print(
        f"full scan: {len(every)} issues in {scan.request_count} requests "
        f"(page mode, then scroll), {time.perf_counter() - started:.1f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=1000)
    parser.add_argument("--issues", type=int, default=10_000)
    parser.add_argument("--changed", type=int, default=10)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    load_defaults()
    print(f"database: {connection.vendor}")
    with FakeTrackerServer(queue="DISP") as server:
        configure(server)
        client = TrackerClient()
        bench_push(client, TrackerDirectory(client), args.incidents)
        bench_pull(server, args.issues, args.changed)


if __name__ == "__main__":
    main()
