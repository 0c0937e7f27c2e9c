"""Reports benchmark: quarter statistics over 1,000,000 incidents and the XLSX export of them all.

Starts a throw-away PostgreSQL cluster (``TEST_DB=postgres``, as ``bench/load.py``), migrates it
and seeds ``--incidents`` incidents with ``INSERT … SELECT generate_series`` — one a year's worth
(incident ``g`` arrived ``g × 365 days / n`` ago), 10 dispatchers, 2,000 poles in 8 regions / 3
macroregions with 4 contractors, one base station a pole with 2 of 4 operators, 3 types; the
newest 2 % open, the others closed 10–610 minutes after they arrived, deadlines 4 h after.

Then: ``reports.statistics.statistics`` for a quarter, ``--runs`` times (20) with different
filters (none, each contractor, region, macroregion, type, dispatcher, operator, and the four
quarters of the year), printing p50/p95/max and the query count; then
``reports.exports.write_xlsx`` of the queue table of *every* incident to a temporary file in a
forked child, printing its time, size and the child's peak RSS (``ru_maxrss``; it includes the
Django process it was forked from, measured just before).

    .venv/bin/python bench/reports.py                        # 1,000,000 incidents
    .venv/bin/python bench/reports.py --incidents 20000      # quick run
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics as stats_lib
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))  # bench/load.py's seeding helper
sys.path.insert(0, str(ROOT))  # first: ``reports`` is the app, not this file
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dispatch.testing.settings")
os.environ.setdefault("TEST_DB", "postgres")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402
from load import _insert_series  # noqa: E402

POLES = 2000
REGIONS = [
    ("Москва", "Центр"),
    ("Московская область", "Центр"),
    ("Тверская область", "Центр"),
    ("Санкт-Петербург", "Северо-Запад"),
    ("Ленинградская область", "Северо-Запад"),
    ("Краснодарский край", "Юг"),
    ("Ростовская область", "Юг"),
    ("Республика Крым", "Юг"),
]


def seed(count: int) -> dict:
    """Reference data and ``count`` incidents; returns the ids the filters use."""
    from incidents.defaults import load_defaults
    from incidents.models import Incident, IncidentStatus, IncidentType, SlaState, StatusKey
    from ts.models import BaseStation, Contractor, Operator, Pole
    from users.models import Role, User

    load_defaults()
    types = [IncidentType.objects.create(name=f"Тип {n}", sla_minutes=240) for n in range(3)]
    people = [
        User.objects.create_user(
            email=f"d{n}@dispatch.example", role=Role.DISPATCH, last_name=f"Диспетчер {n}"
        )
        for n in range(10)
    ]
    contractors = [Contractor.objects.create(name=f"АВР {n}") for n in range(4)]
    operators = [Operator.objects.create(name=name) for name in ("МТС", "Билайн", "МегаФон", "T2")]
    Pole.objects.bulk_create(
        Pole(
            site_id=n,
            code=f"77-{n:05d}",
            contractor=contractors[n % 4],
            region_ru=REGIONS[n % 8][0],
            macroregion=REGIONS[n % 8][1],
            latitude=50 + n % 100 / 10,
            longitude=30 + n % 90 / 3,
        )
        for n in range(POLES)
    )
    poles = list(Pole.objects.order_by("id"))
    BaseStation.objects.bulk_create(BaseStation(name=f"БС {p.code}", pole=p) for p in poles)
    stations = list(BaseStation.objects.order_by("id"))
    through = BaseStation.operators.through
    through.objects.bulk_create(
        through(basestation_id=s.pk, operator_id=operators[(n + k) % 4].pk)
        for n, s in enumerate(stations)
        for k in (0, 1)
    )
    open_ids = list(IncidentStatus.objects.filter(is_final=False).values_list("id", flat=True))
    closed_id = IncidentStatus.objects.get(key=StatusKey.CLOSED).pk
    now = timezone.now()
    at = f"'{now.isoformat()}'::timestamptz - g * interval '{365 * 86400 / count} seconds'"
    opened = max(1, count // 50)
    _insert_series(
        Incident,
        count,
        {
            "code": "'REP-' || g",
            "subject": "'Нет питания на опоре 77-' || lpad(mod(g, 2000)::text, 5, '0')",
            "incident_date": at,
            "created_at": at,
            "incident_type_id": f"(ARRAY{[t.pk for t in types]})[mod(g, 3) + 1]",
            "status_id": f"CASE WHEN g <= {opened} "
            f"THEN (ARRAY{open_ids})[mod(g, {len(open_ids)}) + 1] ELSE {closed_id} END",
            "is_finished": f"g > {opened}",
            "finished_at": f"CASE WHEN g > {opened} "
            f"THEN {at} + (10 + mod(g * 7, 600)) * interval '1 minute' END",
            "assignee_id": f"(ARRAY{[u.pk for u in people]})[mod(g, 10) + 1]",
            "pole_id": f"{poles[0].pk} + mod(g, {POLES})",
            "base_station_id": f"{stations[0].pk} + mod(g, {POLES})",
            "sla_deadline": f"{at} + interval '240 minutes'",
            "sla_state": f"CASE WHEN g <= {opened} THEN '{SlaState.IN_PROGRESS}' "
            f"WHEN mod(g * 7, 600) + 10 > 240 THEN '{SlaState.EXPIRED}' "
            f"ELSE '{SlaState.CLOSED_ON_TIME}' END",
        },
        Incident(status_id=closed_id, incident_date=now, created_at=now, updated_at=now),
    )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return {
        "contractor": [c.pk for c in contractors],
        "region": [r for r, _m in REGIONS[:3]],
        "macroregion": ["Центр", "Юг"],
        "incident_type": [t.pk for t in types[:2]],
        "dispatcher": [u.pk for u in people[:3]],
        "operator": [o.pk for o in operators[:2]],
    }


def bench_statistics(ids: dict, runs: int) -> None:
    from reports.filters import ReportFilters
    from reports.periods import period_for
    from reports.statistics import statistics

    today = timezone.localdate()
    quarters = [period_for("quarter", today - timedelta(days=92 * k)) for k in range(4)]
    cases = [(quarters[0], ReportFilters())]
    for name, values in ids.items():
        cases += [(quarters[0], ReportFilters(**{name: v})) for v in values]
    cases += [(q, ReportFilters()) for q in quarters[1:]]
    cases = (cases * (runs // len(cases) + 1))[:runs]
    timings, queries, slowest = [], [], []
    for period, filters in cases:
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            result = statistics(period, filters)
            timings.append(time.perf_counter() - started)
        queries.append(len(captured))
        slowest.append(sorted((float(q["time"]) for q in captured), reverse=True)[:4])
    load = os.getloadavg()[0]
    worst = slowest[timings.index(max(timings))]
    timings.sort()
    p95 = timings[max(0, round(0.95 * len(timings)) - 1)]
    print(
        f"statistics, a quarter, {len(timings)} runs with different filters: "
        f"p50 {1000 * stats_lib.median(timings):.0f} ms, p95 {1000 * p95:.0f} ms, "
        f"max {1000 * timings[-1]:.0f} ms; {max(queries)} queries a run; "
        f"last: {result.totals.opened:,} opened, {result.totals.closed:,} closed; "
        f"slowest run's heaviest queries {', '.join(f'{t * 1000:.0f}' for t in worst)} ms; "
        f"load average {load:.1f} on {os.cpu_count()} cores"
    )


def bench_export() -> None:
    from incidents.models import Incident
    from reports.exports import write_xlsx
    from reports.tables import queue_table

    base_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    connection.close()  # the child opens its own
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(read)
        try:
            started = time.perf_counter()
            with tempfile.TemporaryFile() as out:
                write_xlsx([queue_table(Incident.objects.order_by("-incident_date", "-id"))], out)
                size = out.tell()
            elapsed = time.perf_counter() - started
            rows = Incident.objects.count()
            os.write(write, f"{rows} {size} {elapsed}".encode())
        finally:
            os._exit(0)
    os.close(write)
    _pid, _status, usage = os.wait4(pid, 0)
    rows, size, elapsed = os.read(read, 200).decode().split()
    print(
        f"XLSX export of {int(rows):,} rows: {float(elapsed):.0f} s, "
        f"{int(size) / 2**20:.0f} MiB file, peak RSS {usage.ru_maxrss / 1024:.0f} MB "
        f"(the process it was forked from: {base_mb:.0f} MB)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--incidents", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--skip-export", action="store_true")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    ids = seed(args.incidents)
    print(
        f"PostgreSQL seeded: {args.incidents:,} incidents over a year "
        f"in {time.perf_counter() - started:.0f} s ({date.today()})"
    )
    bench_statistics(ids, args.runs)
    if not args.skip_export:
        bench_export()


if __name__ == "__main__":
    main()
