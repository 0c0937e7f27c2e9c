"""Benchmark: console pages with a large incident table, through the real views.

Migrates a throw-away database (SQLite, or PostgreSQL with ``TEST_DB=postgres``), bulk-creates
``--incidents`` incidents (with poles, types, dispatchers, SLA states) and an incident with
``--emails`` e-mails, then renders, as a logged-in dispatcher through Django's test client:
the queue (default, filtered, sorted by SLA deadline, last page), the live-update table, the
incident page and the dispatcher load page. Prints milliseconds (wall and CPU) and SQL queries
per request. ``--open-share 0.02`` leaves only the newest 2 % open, as ``bench/load.py`` does.

``--queue-profile`` renders only the queue's pages (page 1 … the last open page, in turn) as
``bench/load.py``'s queue scenario asks for them, ``--repeat`` times: CPU per render, its queries
(``--sql``: those of one render, with their times) and, with ``--profile``, the top of a cProfile
(``BENCH_SORT`` = pstats sort key, ``BENCH_DUMP`` = file for the raw stats).

    .venv/bin/python bench/console.py --incidents 20000 --emails 50 --repeat 5
    TEST_DB=postgres .venv/bin/python bench/console.py --incidents 100000 --open-share 0.02 \
        --queue-profile --repeat 400 --sql --profile
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
# The production default (the testing settings turn the reference lists' cache off).
os.environ.setdefault("CONSOLE_CHOICES_CACHE_SECONDS", "5")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.template import Template  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, _TestState  # noqa: E402
from django.utils import timezone  # noqa: E402
from profiling import timed  # noqa: E402
from throwaway_db import throwaway_database  # noqa: E402

from dispatch.testing.postgres import vacuum  # noqa: E402


def measure(label: str, client: Client, url: str, repeat: int) -> None:
    client.get(url)  # warm caches (templates, translations)
    with CaptureQueriesContext(connection) as queries:
        start, cpu = time.perf_counter(), time.process_time()
        statuses = {client.get(url).status_code for _ in range(repeat)}
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(
        f"{label:<34} {1000 * elapsed / repeat:8.1f} ms/request  "
        f"{1000 * cpu / repeat:6.1f} ms CPU  "
        f"{len(queries) / repeat:5.1f} queries/request  status {sorted(statuses)}"
    )


def populate(incidents: int, emails: int, open_share: float = 1.0) -> int:
    """Bulk data (the newest ``open_share`` of the incidents open, the others closed); returns the
    id of the incident with ``emails`` e-mails."""
    from emails.models import EmailMessage
    from incidents.defaults import load_defaults
    from incidents.models import Incident, IncidentStatus, IncidentType, SlaState, StatusKey
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
    closed = IncidentStatus.objects.get(key=StatusKey.CLOSED)
    opened = max(1, round(incidents * open_share))
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
                status=statuses[n % len(statuses)] if n < opened else closed,
                is_finished=n >= opened,
                finished_at=now - timedelta(minutes=n - 120) if n >= opened else None,
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
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            vacuum(cursor, "incidents_incident")  # as bench/load.py's seed
            cursor.execute("ANALYZE")  # fresh statistics, as bench/load.py's seed
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


def profile_queue(client: Client, pages: int, repeat: int, *, sql: bool, profile: bool) -> None:
    """The queue's pages 1 … ``pages`` in turn, ``repeat`` renders: CPU, queries, profile."""
    # Render templates as in production: without the test environment's per-template signal
    # (the test client copies the whole context on every template rendered).
    Template._render = _TestState.saved_data.template_render
    urls = [f"/?page={n}" for n in range(1, pages + 1)]
    for url in urls:  # warm: templates, translations, the row memo
        assert client.get(url).status_code == 200
    if sql:
        with CaptureQueriesContext(connection) as one:
            client.get(urls[-1])
        for query in one:
            print(f"{query['time']}  {query['sql'][:600]}")
    wall, cpu, queries = timed(lambda n: client.get(urls[n % pages]), repeat, profile=profile)
    print(
        f"{connection.vendor}: queue ({pages} pages) {wall:.2f} ms/render wall, "
        f"{cpu:.2f} ms CPU, {queries:.1f} queries/render"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--incidents", type=int, default=20000)
    parser.add_argument("--emails", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--open-share", type=float, default=1.0, help="0.02: as bench/load.py")
    parser.add_argument("--queue-profile", action="store_true", help="the queue's pages only")
    parser.add_argument("--sql", action="store_true", help="with --queue-profile: one's queries")
    parser.add_argument("--profile", action="store_true", help="with --queue-profile: cProfile")
    args = parser.parse_args()

    with throwaway_database(client_hosts=["testserver"]):
        start = time.perf_counter()
        busy = populate(args.incidents, args.emails, args.open_share)
        print(
            f"database: {connection.vendor}; {args.incidents} incidents, "
            f"{args.emails} e-mails on one; populated in {time.perf_counter() - start:.1f} s"
        )
        from users.models import User

        client = Client()
        client.force_login(User.objects.get(email="d0@dispatch.example"))  # as bench/load.py
        opened = max(1, round(args.incidents * args.open_share))
        if args.queue_profile:
            profile_queue(client, max(1, opened // 50), args.repeat, sql=args.sql,
                          profile=args.profile)  # fmt: skip
            return
        last = (opened - 1) // 50 + 1
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
