"""Benchmark: incident creation with assignment, the SLA sweep and the outbox sender.

Migrates a throw-away database (SQLite, or PostgreSQL with ``TEST_DB=postgres``), then prints:

* ``create_incident`` (with least-loaded assignment among 20 dispatchers, half with shifts):
  ms and queries per incident;
* ``sweep_sla`` over all incidents (calendar, business-hours and paused mixes; every fifth with
  an open АВР and every tenth with an open ДГУ work category): seconds and queries for the first
  sweep and for a second one with nothing to do;
* ``send_due`` against a real aiosmtpd sink on 127.0.0.1: messages/s and queries per message.

With ``--scale N`` only the sweep is measured, on incidents written in bulk (the same mix): at
N/10 and at N incidents, a first sweep and a steady one (what ``sla_sweep --loop`` runs every
cycle) each; the query counts must not grow with N.

    .venv/bin/python bench/workflow.py --incidents 2000 --emails 300
    TEST_DB=postgres .venv/bin/python bench/workflow.py
    TEST_DB=postgres .venv/bin/python bench/workflow.py --scale 100000
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import time as clock
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dispatch.testing.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402
from throwaway_db import throwaway_database  # noqa: E402


def _backend_cpu() -> float:
    """CPU seconds the database server process of this connection has used (PostgreSQL on
    this machine: its /proc entry); 0 elsewhere."""
    if connection.vendor != "postgresql":
        return 0.0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def timed(label: str, n: int, work) -> int:
    """Run ``work``: wall seconds, CPU seconds (this process + its PostgreSQL backend: the
    figure to compare on a shared machine) and queries."""
    count = 0

    def counter(execute, sql, params, many, context):
        nonlocal count
        count += 1
        return execute(sql, params, many, context)

    backend = _backend_cpu()
    with connection.execute_wrapper(counter):
        cpu, start = time.process_time(), time.perf_counter()
        work()
        elapsed = time.perf_counter() - start
        cpu = time.process_time() - cpu
    db = _backend_cpu() - backend
    per = max(n, 1)
    print(
        f"{label:<34} n={n:<6} {elapsed:8.2f} s  {1000 * elapsed / per:8.2f} ms/item  "
        f"{count / per:6.2f} queries/item  ({count} queries)  CPU {cpu + db:.2f} s "
        f"(python {cpu:.2f} + db {db:.2f})"
    )
    return count


def seed_bulk(start: int, n: int, now) -> None:
    """``n`` incidents written in bulk (numbers from ``start``): every type in turn, every tenth
    waiting in a pausing status, every fifth with an open АВР work, every tenth an open ДГУ."""
    from incidents.models import (
        Incident,
        IncidentStatus,
        IncidentStatusHistory,
        IncidentType,
        IncidentWork,
        StatusKey,
    )

    types = list(IncidentType.objects.order_by("pk"))
    working = IncidentStatus.objects.get(key=StatusKey.IN_PROGRESS)
    waiting = IncidentStatus.objects.get(key=StatusKey.NEED_ACCEPTANCE)
    chunk = 5000
    for offset in range(start, start + n, chunk):
        numbers = range(offset, min(offset + chunk, start + n))
        rows = Incident.objects.bulk_create(
            Incident(
                code=f"BENCH-{i}",
                subject=f"№{i}",
                incident_date=now - timedelta(minutes=i % 3000),
                incident_type=types[i % len(types)],
                status=waiting if i % 10 == 0 else working,
            )
            for i in numbers
        )
        history = []
        for i, incident in zip(numbers, rows, strict=True):
            opened = incident.incident_date
            history.append(
                IncidentStatusHistory(incident=incident, status=working, created_at=opened)
            )
            if i % 10 == 0:
                paused = opened + timedelta(minutes=5)
                history.append(
                    IncidentStatusHistory(incident=incident, status=waiting, created_at=paused)
                )
        IncidentStatusHistory.objects.bulk_create(history)
        IncidentWork.objects.bulk_create(
            [
                IncidentWork(incident=x, category="avr", started_at=x.incident_date)
                for x in rows[::5]
            ]
            + [
                IncidentWork(incident=x, category="dgu", started_at=x.incident_date)
                for x in rows[::10]
            ]
        )


def scale(n: int) -> None:
    """The sweep at n/10 and at n incidents: seconds and queries of a first and a steady sweep."""
    from incidents.sla_sweep import sweep_sla

    now = timezone.now()
    counts = []
    for size, start in ((n // 10, 0), (n, n // 10)):
        seed_bulk(start, size - start, now)
        # written in bulk, nothing is stored yet: the first sweep is the repair (``--full``)
        timed(f"sweep_sla --full, {size} incidents", size, lambda: sweep_sla(now, full=True))
        later = now + timedelta(minutes=1)
        counts.append(
            timed(f"sweep_sla steady, {size} incidents", size, lambda t=later: sweep_sla(t))
        )
    print(f"steady sweep queries at n/10 and n: {counts[0]} and {counts[1]}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--incidents", type=int, default=2000)
    parser.add_argument("--emails", type=int, default=300)
    parser.add_argument("--scale", type=int, default=0, help="measure only the sweep at N")
    args = parser.parse_args()

    settings.DEBUG = False
    with throwaway_database():
        from dispatch.testing.smtp import SmtpSink
        from emails.outbox.models import OutboundEmail
        from emails.outbox.services import send_due
        from incidents.defaults import load_defaults
        from incidents.models import (
            Incident,
            IncidentStatus,
            IncidentType,
            IncidentWork,
            SlaClock,
            StatusKey,
        )
        from incidents.services import create_incident, record_status
        from incidents.sla_sweep import sweep_sla
        from users.models import Role, User, WorkShift

        load_defaults()
        IncidentStatus.objects.filter(key=StatusKey.NEED_ACCEPTANCE).update(pauses_sla=True)
        IncidentType.objects.filter(name__startswith="Авария ВОЛС").update(
            sla_clock=SlaClock.BUSINESS
        )
        types = list(IncidentType.objects.all())
        for i in range(20):
            user = User.objects.create_user(
                email=f"d{i}@example.ru", username=f"disp{i:02d}", role=Role.DISPATCH
            )
            if i % 2:
                WorkShift.objects.bulk_create(
                    WorkShift(user=user, weekday=d, start_time=clock(8), end_time=clock(20))
                    for d in range(7)
                )
        print(f"database: {connection.vendor}")
        if args.scale:
            scale(args.scale)
            return

        now = timezone.now()

        def create() -> None:
            for i in range(args.incidents):
                create_incident(incident_date=now - timedelta(minutes=i % 3000), subject=f"№{i}")

        timed("create_incident + assignment", args.incidents, create)
        ids = list(Incident.objects.values_list("pk", flat=True))
        for n, pk in enumerate(ids):
            Incident.objects.filter(pk=pk).update(incident_type=types[n % len(types)])
        for incident in Incident.objects.filter(pk__in=ids[::10]):
            record_status(incident, StatusKey.NEED_ACCEPTANCE, actor="tracker")
        IncidentWork.objects.bulk_create(
            [IncidentWork(incident_id=pk, category="avr", started_at=now) for pk in ids[::5]]
            + [IncidentWork(incident_id=pk, category="dgu", started_at=now) for pk in ids[::10]]
        )

        timed("sweep_sla (first)", len(ids), lambda: sweep_sla(now))
        timed("sweep_sla (nothing to do)", len(ids), lambda: sweep_sla(now))

        OutboundEmail.objects.bulk_create(
            OutboundEmail(
                kind=OutboundEmail.Kind.REPLY,
                dedupe_key=f"bench:{i}",
                message_id=f"<bench.{i}@example.ru>",
                to=[f"noc{i % 50}@operator.example"],
                cc=["dispatch@example.ru"],
                subject=f"Re: DISPATCH-{i}: Авария",
                body_text="Заявка принята в работу.\n" * 20,
                headers={"Auto-Submitted": "auto-replied"},
            )
            for i in range(args.emails)
        )
        settings.OUTBOX_PER_RECIPIENT_PER_HOUR = 0
        with SmtpSink() as sink:
            for name, value in sink.django_settings().items():
                setattr(settings, name, value)

            def drain() -> None:
                while send_due(limit=50).sent:
                    pass

            timed("send_due → aiosmtpd", args.emails, drain)
            assert len(sink.wait_for(args.emails)) == args.emails


if __name__ == "__main__":
    main()
