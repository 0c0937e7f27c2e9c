"""Benchmark: the console incident page as a dispatcher, through the real view.

Migrates a throw-away database (SQLite, or PostgreSQL with ``TEST_DB=postgres``), creates
``--incidents`` open incidents, one of them with ``--emails`` e-mails and a few outbox rows,
remembers a filtered queue in the session (so the previous / next links are computed), and
renders ``GET /incidents/<id>/`` ``--repeat`` times. Prints milliseconds (wall and CPU) and SQL
queries per render; ``--profile`` prints the top of a cProfile of the renders.

    .venv/bin/python bench/incident_page.py --repeat 200
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dispatch.testing.settings")
# The production default (the testing settings turn the reference lists' cache off).
os.environ.setdefault("CONSOLE_CHOICES_CACHE_SECONDS", "5")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.template import Template  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, _TestState  # noqa: E402
from django.utils import timezone  # noqa: E402
from throwaway_db import throwaway_database  # noqa: E402


def populate(incidents: int, emails: int) -> int:
    """Bulk data; returns the id of the incident with ``emails`` e-mails and outbox rows."""
    from emails.models import EmailMessage
    from emails.outbox.models import OutboundEmail
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
        Pole(site_id=n, code=f"77-{n:05d}", contractor=contractor) for n in range(200)
    )
    types = list(IncidentType.objects.all())
    statuses = list(IncidentStatus.objects.filter(is_final=False))
    now = timezone.now()
    Incident.objects.bulk_create(
        Incident(
            code=f"BENCH-{n}",
            subject=f"Нет питания на опоре 77-{n % 200:05d}",
            requester_email="noc@operator.example",
            incident_date=now - timedelta(minutes=n),
            incident_type=types[n % len(types)],
            status=statuses[n % len(statuses)],
            assignee=dispatchers[n % len(dispatchers)],
            pole=poles[n % len(poles)],
            sla_state=SlaState.IN_PROGRESS,
            sla_deadline=now + timedelta(minutes=240 - n),
        )
        for n in range(incidents)
    )
    busy = Incident.objects.order_by("id")[incidents // 2]
    EmailMessage.objects.bulk_create(
        EmailMessage(
            message_id=f"<bench-{n}@operator.example>",
            subject="Re: нет питания",
            from_address="noc@operator.example",
            sent_at=now - timedelta(minutes=emails - n),
            body_text="Добрый день!\nОпора без питания с 9:00.\n" * 10,
            incident=busy,
            is_first=n == 0,
        )
        for n in range(emails)
    )
    OutboundEmail.objects.bulk_create(
        OutboundEmail(
            incident=busy,
            kind=OutboundEmail.Kind.REPLY,
            dedupe_key=f"bench-{n}",
            message_id=f"<out-{n}@dispatch.example>",
            to=["noc@operator.example"],
            subject="Re: нет питания",
            body_text="Принято в работу.",
            state=[OutboundEmail.State.SENT, OutboundEmail.State.FAILED][n % 2],
        )
        for n in range(3)
    )
    return busy.pk


def _prepared_text(execute: str) -> str:
    """The statement an ``EXECUTE name(…)`` runs (``dispatch.statements``, ``prepare``)."""
    name = execute.split()[1].split("(")[0]
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE name = %s", [name])
        return cursor.fetchone()[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--incidents", type=int, default=2000)
    parser.add_argument("--emails", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--sql", action="store_true", help="print the queries of one render")
    args = parser.parse_args()

    with throwaway_database(client_hosts=["testserver"]):
        # Render templates as in production: without the test environment's per-template
        # signal (the test client copies the whole context on every template rendered).
        Template._render = _TestState.saved_data.template_render
        busy = populate(args.incidents, args.emails)
        from users.models import User

        client = Client()
        client.force_login(User.objects.order_by("id").first())
        client.get("/?sort=sla_deadline")  # the session remembers a queue: neighbour links
        url = f"/incidents/{busy}/"
        assert client.get(url).status_code == 200  # warm caches (templates, translations)
        if args.sql:
            with CaptureQueriesContext(connection) as one:
                client.get(url)
            for query in one:
                print(f"{query['time']}  {query['sql'][:600]}")
                if query["sql"].startswith("EXECUTE "):  # a prepared statement: show its text
                    print(f"       = {_prepared_text(query['sql'])[:600]}")
        profiler = cProfile.Profile() if args.profile else None
        with CaptureQueriesContext(connection) as queries:
            wall, cpu = time.perf_counter(), time.process_time()
            if profiler:
                profiler.enable()
            for _ in range(args.repeat):
                client.get(url)
            if profiler:
                profiler.disable()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        print(
            f"{connection.vendor}: incident page ({args.emails} e-mails) "
            f"{1000 * wall / args.repeat:.1f} ms/render wall, "
            f"{1000 * cpu / args.repeat:.1f} ms CPU, "
            f"{len(queries) / args.repeat:.1f} queries/render"
        )
        if profiler:
            stats = pstats.Stats(profiler).sort_stats(os.environ.get("BENCH_SORT", "cumulative"))
            stats.print_stats(60)
            if os.environ.get("BENCH_DUMP"):
                profiler.dump_stats(os.environ["BENCH_DUMP"])


if __name__ == "__main__":
    main()
