"""Benchmark: console pages with a large incident table, through the real views.

Migrates a throw-away database (SQLite, or PostgreSQL with ``TEST_DB=postgres``), bulk-creates
``--incidents`` incidents (with poles, types, dispatchers, SLA states) and an incident with
``--emails`` e-mails, then renders, as a logged-in dispatcher through Django's test client:
the queue (default, filtered, sorted by SLA deadline, last page), the live-update table, the
incident page and the dispatcher load page. Prints milliseconds and SQL queries per request.

    .venv/bin/python bench/console.py --incidents 20000 --emails 50 --repeat 5
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

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402
from throwaway_db import throwaway_database  # noqa: E402


def measure(label: str, client: Client, url: str, repeat: int) -> None:
    client.get(url)  # warm caches (templates, translations)
    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        statuses = {client.get(url).status_code for _ in range(repeat)}
        elapsed = time.perf_counter() - start
    print(
        f"{label:<34} {1000 * elapsed / repeat:8.1f} ms/request  "
        f"{len(queries) / repeat:5.1f} queries/request  status {sorted(statuses)}"
    )


def populate(incidents: int, emails: int) -> int:
    """Bulk data; returns the id of the incident with ``emails`` e-mails."""
    from emails.models import EmailMessage
    from incidents.defaults import load_defaults
    from incidents.models import Incident, IncidentStatus, IncidentType, SlaState
    from ts.models import Contractor, Pole
    from users.models import Role, User

    load_defaults()
    dispatchers = [
        User.objects.create_user(email=f"d{n}@dispatch.example", role=Role.DISPATCH)
        for n in range(10)
    ]
    contractor = Contractor.objects.create(name="АВР бенчмарк")
    poles = Pole.objects.bulk_create(
        Pole(site_id=n, code=f"77-{n:05d}", contractor=contractor) for n in range(1000)
    )
    types = list(IncidentType.objects.all())
    statuses = list(IncidentStatus.objects.filter(is_final=False))
    states = list(SlaState.values)
    now = timezone.now()
    Incident.objects.bulk_create(
        (
            Incident(
                code=f"BENCH-{n}",
                subject=f"Нет питания на опоре 77-{n % 1000:05d}",
                requester_email="noc@operator.example",
                incident_date=now - timedelta(minutes=n),
                incident_type=types[n % len(types)],
                status=statuses[n % len(statuses)],
                assignee=dispatchers[n % len(dispatchers)],
                pole=poles[n % len(poles)],
                sla_state=states[n % len(states)],
                sla_deadline=now + timedelta(minutes=240 - n),
            )
            for n in range(incidents)
        ),
        batch_size=2000,
    )
    busy = Incident.objects.order_by("id").first()
    EmailMessage.objects.bulk_create(
        EmailMessage(
            message_id=f"<bench-{n}@operator.example>",
            subject="Re: нет питания",
            from_address="noc@operator.example",
            sent_at=now - timedelta(minutes=emails - n),
            body_text="Добрый день!\n" * 20,
            incident=busy,
        )
        for n in range(emails)
    )
    return busy.pk


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--incidents", type=int, default=20000)
    parser.add_argument("--emails", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    with throwaway_database(client_hosts=["testserver"]):
        start = time.perf_counter()
        busy = populate(args.incidents, args.emails)
        print(
            f"database: {connection.vendor}; {args.incidents} incidents, "
            f"{args.emails} e-mails on one; populated in {time.perf_counter() - start:.1f} s"
        )
        from users.models import User

        client = Client()
        client.force_login(User.objects.order_by("id").first())
        last = (args.incidents - 1) // 50 + 1
        measure("queue (open, newest first)", client, "/", args.repeat)
        measure("queue filtered (status + SLA)", client, "/?status=new&sla=expired", args.repeat)
        measure("queue text search", client, "/?q=77-00042", args.repeat)
        measure("queue sorted by SLA deadline", client, "/?sort=sla_deadline", args.repeat)
        measure(f"queue last page ({last})", client, f"/?page={last}", args.repeat)
        measure("live-update table", client, "/queue/rows/", args.repeat)
        measure(
            f"incident page ({args.emails} e-mails)", client, f"/incidents/{busy}/", args.repeat
        )
        measure("dispatcher load", client, "/load/", args.repeat)


if __name__ == "__main__":
    main()
