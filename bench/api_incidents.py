"""Benchmark: incident API list/detail cost and live-queue delivery latency.

Migrates a throw-away database (SQLite, or PostgreSQL with ``TEST_DB=postgres``), creates
``--incidents`` incidents (each with a pole, contractor, base station, status history and an
e-mail), then times the list (two page sizes, a filtered search) and the detail through the real
API stack, printing ms and SQL queries per request. Then it serves the ASGI app with uvicorn on
127.0.0.1, keeps one live-queue client connected and measures how long a newly created incident
takes to reach it (``--events`` times; ``API_LIVE_POLL_SECONDS`` bounds it).

    .venv/bin/python bench/api_incidents.py --incidents 300 --events 5
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dispatch.testing.settings")

import django

django.setup()

import requests  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402
from throwaway_db import throwaway_database  # noqa: E402


def measure(label: str, n: int, get) -> None:
    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        statuses = {get() for _ in range(n)}
        elapsed = time.perf_counter() - start
    print(
        f"{label:<34} {n:>3} requests {1000 * elapsed / n:8.1f} ms/request "
        f"{len(queries) / n:5.1f} queries/request  status {sorted(statuses)}"
    )


def seed(count: int):
    from dispatch.api.testing import make_incident, make_site, make_user
    from emails.models import EmailMessage
    from incidents.defaults import load_defaults
    from incidents.models import IncidentType, StatusKey

    load_defaults()
    kind = IncidentType.objects.create(name="Авария БС", sla_minutes=240)
    dispatcher = make_user()
    for n in range(count):
        pole, station = make_site(f"MSK-{n:05d}")
        incident = make_incident(
            subject=f"Авария на опоре MSK-{n:05d}",
            pole=pole,
            base_station=station,
            incident_type=kind,
            assignee=dispatcher,
            statuses=(StatusKey.IN_PROGRESS, StatusKey.NOTIFIED_CONTRACTOR)[: n % 3],
        )
        EmailMessage.objects.create(
            message_id=f"<bench-{n}@example.com>",
            subject=incident.subject,
            sent_at=timezone.now(),
            incident=incident,
            body_text="Нет связи",
        )
    return dispatcher


def live_latency(token: str, events: int) -> None:
    from dispatch.api.liveserver import asgi_server
    from incidents.services import create_incident

    delays = []
    with asgi_server() as base:
        response = requests.get(
            f"{base}/api/v1/incidents/live/",
            headers={"Authorization": f"Token {token}"},
            stream=True,
            timeout=(5, 30),
        )
        lines = response.iter_lines(decode_unicode=True)
        next(line for line in lines if line == ": connected")

        def deliver(subject: str) -> float:
            started = time.perf_counter()
            incident = create_incident(incident_date=timezone.now(), subject=subject)
            for line in lines:
                if line.startswith("data:") and json.loads(line[5:])["id"] == incident.pk:
                    return time.perf_counter() - started
            raise RuntimeError("stream ended")

        # The seeded incidents are within the look-back window: let the stream send them first.
        backlog = deliver("marker")
        for n in range(events):
            time.sleep(random.uniform(0, settings.API_LIVE_POLL_SECONDS))
            delays.append(deliver(f"live {n}"))
        response.close()
    print(f"live queue: first event after the seeded backlog in {1000 * backlog:.0f} ms")
    print(
        f"live queue: {events} incidents, delivery ms median "
        f"{1000 * statistics.median(delays):.0f}, max {1000 * max(delays):.0f} "
        f"(poll every {settings.API_LIVE_POLL_SECONDS} s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--incidents", type=int, default=300)
    parser.add_argument("--requests", type=int, default=10)
    parser.add_argument("--events", type=int, default=5)
    args = parser.parse_args()

    settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["user"] = "1000000/min"
    with throwaway_database(client_hosts=["testserver", "127.0.0.1"]):
        from dispatch.api.testing import client_for

        started = time.perf_counter()
        dispatcher = seed(args.incidents)
        print(
            f"database: {connection.vendor}; {args.incidents} incidents seeded in "
            f"{time.perf_counter() - started:.1f} s"
        )
        client = client_for(dispatcher)
        first = dispatcher.incidents.order_by("pk").first().pk
        n = args.requests
        measure("list, page_size=50", n, lambda: client.get("/api/v1/incidents/").status_code)
        measure(
            "list, page_size=200",
            n,
            lambda: client.get("/api/v1/incidents/?page_size=200").status_code,
        )
        measure(
            "list, search + status filter",
            n,
            lambda: client.get("/api/v1/incidents/?search=MSK-001&status=in_progress").status_code,
        )
        measure("detail", n, lambda: client.get(f"/api/v1/incidents/{first}/").status_code)
        from rest_framework.authtoken.models import Token

        live_latency(Token.objects.get(user=dispatcher).key, args.events)


if __name__ == "__main__":
    main()
