"""Load benchmark: the web app under gunicorn, 20 concurrent clients, a large PostgreSQL database.

Starts a throw-away PostgreSQL cluster (or uses ``DB_*`` when set), migrates it, seeds
``100,000 × scale`` incidents and ``1,000,000 × scale`` e-mails with ``INSERT … SELECT
generate_series`` (one statement per table), starts the app under gunicorn (the production
``gunicorn.conf.py``: uvicorn workers, 2 workers × 2 threads as in production) on 127.0.0.1,
then drives, with ``--clients`` threads (each a logged-in keep-alive connection), for
``--requests`` requests or ``--seconds`` seconds per scenario, timed after ``--warm-up``
untimed requests on the same connections (a server that has been serving them a while): the
console queue, the console incident page, the API list and the API detail.
Prints p50/p95/max latency, throughput and the error count per scenario, and where the CPU went
(milliseconds per request in the web workers, in PostgreSQL and in the client threads; read
from /proc) — on a 2-core machine the three share the same cores.

The data look like a desk's history: incident ``g`` arrived ``g`` minutes ago, the newest
``OPEN_SHARE`` (2 %) are open in the open statuses with SLA states that follow their
deadlines, the rest are closed; ten e-mails per incident.

    .venv/bin/python bench/load.py                 # 100,000 incidents / 1,000,000 e-mails
    .venv/bin/python bench/load.py --scale 0.05    # quick run: 5,000 / 50,000
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dispatch.testing.settings")
os.environ.setdefault("TEST_DB", "postgres")  # the testing settings start a cluster
# The production default (the testing settings turn the reference lists' cache off).
os.environ.setdefault("CONSOLE_CHOICES_CACHE_SECONDS", "5")
os.environ.setdefault("STATIC_ROOT", tempfile.mkdtemp(prefix="dispatch-load-static-"))

import django  # noqa: E402

django.setup()

import requests  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from dispatch.testing.postgres import vacuum  # noqa: E402

EMAILS_PER_INCIDENT = 10
# A desk closes what it opens: of its incidents only the newest 2 % are still open.
OPEN_SHARE = 0.02


def _insert_series(model, count: int, varying: dict[str, str], template) -> None:
    """``count`` rows of ``model`` in one ``INSERT … SELECT FROM generate_series(1, n) AS g``:
    the columns in ``varying`` are SQL expressions of ``g``, the others come from ``template``."""
    columns, values, params = [], [], []
    for field in model._meta.concrete_fields:
        if field.primary_key and field.column not in varying:
            continue
        columns.append(connection.ops.quote_name(field.column))
        if field.column in varying:
            values.append(varying[field.column])
        else:
            values.append("%s")
            params.append(field.get_db_prep_save(getattr(template, field.attname), connection))
    sql = (
        f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({', '.join(columns)}) "
        f"SELECT {', '.join(values)} FROM generate_series(1, {int(count)}) AS g"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _open_count(incidents: int) -> int:
    return min(incidents, max(1, round(incidents * OPEN_SHARE)))


def seed(incidents: int, emails: int) -> tuple[list[int], str, str]:
    """Reference data, incidents and e-mails; returns incident ids to visit, a session cookie
    of a dispatcher and an API token."""
    from django.test import Client
    from rest_framework.authtoken.models import Token

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
    contractor = Contractor.objects.create(name="АВР нагрузка")
    Pole.objects.bulk_create(
        Pole(site_id=n, code=f"77-{n:05d}", contractor=contractor) for n in range(1, 2001)
    )
    pole_min = Pole.objects.order_by("id").values_list("id", flat=True)[0]
    type_ids = list(IncidentType.objects.values_list("id", flat=True))
    open_ids = list(IncidentStatus.objects.filter(is_final=False).values_list("id", flat=True))
    closed_id = IncidentStatus.objects.get(key=StatusKey.CLOSED).pk
    now = timezone.now()
    template = Incident(
        subject="",
        requester_email="noc@operator.example",
        incident_date=now,
        status_id=closed_id,
        sla_state=SlaState.UNKNOWN,
        created_at=now,
        updated_at=now,
    )
    users = [u.pk for u in dispatchers]
    opened = _open_count(incidents)
    # Incident g arrived g minutes ago; the newest OPEN_SHARE are still open (spread over the open
    # statuses, SLA states following their deadlines), everything older is closed.
    deadline = f"'{now.isoformat()}'::timestamptz + (240 - g) * interval '1 minute'"
    _insert_series(
        Incident,
        incidents,
        {
            "code": "'LOAD-' || g",
            "subject": "'Нет питания на опоре 77-' || lpad((mod(g, 2000) + 1)::text, 5, '0')",
            "incident_date": f"'{now.isoformat()}'::timestamptz - g * interval '1 minute'",
            "created_at": f"'{now.isoformat()}'::timestamptz - g * interval '1 minute'",
            "incident_type_id": f"(ARRAY{type_ids})[mod(g, {len(type_ids)}) + 1]",
            "status_id": f"CASE WHEN g <= {opened} "
            f"THEN (ARRAY{open_ids})[mod(g, {len(open_ids)}) + 1] ELSE {closed_id} END",
            "is_finished": f"g > {opened}",
            "finished_at": f"CASE WHEN g > {opened} "
            f"THEN '{now.isoformat()}'::timestamptz - (g - 120) * interval '1 minute' END",
            "assignee_id": f"(ARRAY{users})[mod(g, {len(users)}) + 1]",
            "pole_id": f"{pole_min} + mod(g, 2000)",
            "sla_deadline": deadline,
            "sla_state": f"CASE WHEN g > {opened} THEN '{SlaState.CLOSED_ON_TIME}' "
            f"WHEN g > 240 THEN '{SlaState.EXPIRED}' "
            f"WHEN g > 180 THEN '{SlaState.LESS_THAN_HOUR}' ELSE '{SlaState.IN_PROGRESS}' END",
        },
        template,
    )
    first_id = Incident.objects.order_by("id").values_list("id", flat=True)[0]
    email = EmailMessage(
        subject="Re: нет питания",
        from_address="noc@operator.example",
        sent_at=now,
        received_at=now,
        body_text="Добрый день!\nОпора без питания с 9:00.\n" * 10,
    )
    _insert_series(
        EmailMessage,
        emails,
        {
            "message_id": "'<load-' || g || '@operator.example>'",
            "incident_id": f"{first_id} + mod(g - 1, {incidents})",
            "is_first": f"g <= {incidents}",
            "sent_at": f"'{now.isoformat()}'::timestamptz - g * interval '1 second'",
        },
        email,
    )
    with connection.cursor() as cursor:
        vacuum(cursor, "incidents_incident")  # the queue's counters: index-only (incidents 0018)
        cursor.execute("ANALYZE")
    browser = Client()
    browser.force_login(dispatchers[0])
    token = Token.objects.create(user=dispatchers[0]).key
    rng = random.Random(7)
    ids = [first_id + rng.randrange(incidents) for _ in range(500)]
    return ids, browser.cookies["sessionid"].value, token


def start_web(port: int, workers: int, threads: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "dispatch.testing.settings",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": str(workers),
        "GUNICORN_THREADS": str(threads),
        "LOG_LEVEL": "WARNING",
        # The API throttle still counts every request (its query stays in the figures), but one
        # token's 2,000 requests a minute must not run into the production limit (HTTP 429).
        "API_THROTTLE_USER": "1000000/min",
    }
    env.pop("TEST_DB", None)
    log = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as the server)
    process = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py")],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    process.log = log
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/health/", timeout=2).status_code < 500:
                return process
        except requests.RequestException:  # refused, or too busy to answer yet (a loaded machine)
            time.sleep(0.3)
    process.kill()
    log.seek(0)
    raise SystemExit("gunicorn did not start:\n" + log.read().decode(errors="replace")[-3000:])


class Client:
    """One client: a keep-alive HTTP/1.1 connection that sends its headers and the cookies the
    server set, as ``requests.Session`` did (no redirects followed) — at a fifth of its CPU,
    which runs on the same two cores as the server (``bench/stack.py``: 1.3–1.8 → 0.2–0.4 ms a
    request)."""

    HEADERS = {"Accept": "*/*", "Accept-Encoding": "gzip, deflate", "User-Agent": "dispatch-load"}

    def __init__(self, port: int, headers: dict[str, str], cookies: dict[str, str]) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.headers = {**self.HEADERS, **headers}
        self.cookies = dict(cookies)

    def get(self, path: str) -> int:
        """GET ``path``; returns the status. A keep-alive connection the server closed while
        idle is opened again once (as urllib3 does)."""
        headers = dict(self.headers)
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for retry in (False, True):
            try:
                self.connection.request("GET", path, headers=headers)
                response = self.connection.getresponse()
                response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.connection.close()
                if retry:
                    raise
        for header in response.headers.get_all("Set-Cookie") or ():
            for name, morsel in SimpleCookie(header).items():
                if morsel.value:
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
        return response.status


def stop_web(process: subprocess.Popen) -> None:
    """SIGTERM to the gunicorn master; killed if it has not exited within 30 s."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


def _postmaster_pid() -> int:
    """The pid of this benchmark's own PostgreSQL cluster (0 when it uses ``DB_*`` instead)."""
    import dispatch.testing.settings as testing_settings

    cluster = getattr(testing_settings, "_cluster", None)
    if cluster is None:
        return 0
    return int((cluster.data_dir / "postmaster.pid").read_text().split()[0])


def _cpu_seconds(root_pid: int) -> dict[str, float]:
    """CPU seconds so far of the web server (``root_pid`` and its children), of this
    benchmark's PostgreSQL cluster (the postmaster and its backends, those that ended included;
    every process named ``postgres`` when the cluster is not ours) and of this process, from
    /proc (Linux). Other clusters on the machine (a test suite's) are not counted: one of them
    stopping during a scenario made the PostgreSQL figure negative."""
    tick = os.sysconf("SC_CLK_TCK")
    stats = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                text = (entry / "stat").read_text()
            except OSError:
                continue  # the process ended meanwhile
            name = text[text.index("(") + 1 : text.rindex(")")]
            fields = text[text.rindex(")") + 2 :].split()
            # utime + stime, plus cutime + cstime: the CPU of its children that ended (the
            # postmaster's backends, gunicorn's workers), which would otherwise drop out
            ticks = sum(int(value) for value in fields[11:15])
            stats[int(entry.name)] = (name, int(fields[1]), ticks)

    def tree(root: int) -> set[int]:
        pids = {root}
        for _ in range(3):  # master → workers → their helpers
            pids |= {pid for pid, (_, parent, _t) in stats.items() if parent in pids}
        return pids

    web = tree(root_pid)
    postmaster = _postmaster_pid()
    database = tree(postmaster) if postmaster else None
    totals = {"web": 0.0, "postgres": 0.0, "client": 0.0}
    for pid, (name, _parent, ticks) in stats.items():
        if pid in web:
            key = "web"
        elif pid == os.getpid():
            key = "client"
        elif database is not None:
            key = "postgres" if pid in database else ""
        else:
            key = name
        if key in totals:
            totals[key] += ticks / tick
    return totals


def drive(
    label: str, make_url: Callable[[random.Random], str], session_factory, clients: int,
    total: int, seconds: float, *, warm_up: int = 0, quiet: bool = False, web_log=None,
    web_pid: int = 0,
) -> dict:  # fmt: skip
    """``clients`` threads share ``total`` requests (stop early after ``seconds``). First, on
    the same connections, they share ``warm_up`` requests that are neither timed nor counted:
    the server settles as one that has been serving these clients for a while (connections
    spread over the workers, per-process caches filled)."""
    latencies: list[float] = []
    settling: list[float] = []  # the warm-up's, shown apart
    errors: list[str] = []
    lock = threading.Lock()
    remaining = [warm_up]
    deadline = [time.monotonic() + seconds + 60]
    settled = threading.Barrier(clients + 1)
    measuring = threading.Barrier(clients + 1)

    def client(n: int) -> None:
        session = session_factory()
        rng = random.Random(n)
        for _request in range(warm_up):
            with lock:
                if remaining[0] <= 0:
                    break
                remaining[0] -= 1
            started = time.perf_counter()
            with contextlib.suppress(OSError, http.client.HTTPException):  # counted when timed
                session.get(make_url(rng))
            with lock:
                settling.append(time.perf_counter() - started)
        settled.wait()
        measuring.wait()
        while time.monotonic() < deadline[0]:
            with lock:
                if remaining[0] <= 0:
                    return
                remaining[0] -= 1
            url = make_url(rng)
            started = time.perf_counter()
            try:
                status = session.get(url)
                ok = status == 200
                detail = f"{status} {url}"
            except (OSError, http.client.HTTPException) as exc:
                ok, detail = False, f"{type(exc).__name__} {url}"
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                if not ok:
                    errors.append(detail)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    settled.wait()  # every client has done its share of the warm-up
    remaining[0] = total
    cpu_before = _cpu_seconds(web_pid) if web_pid else {}
    started = time.perf_counter()
    deadline[0] = time.monotonic() + seconds
    measuring.wait()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    cpu_after = _cpu_seconds(web_pid) if web_pid else {}
    ms = sorted(1000 * value for value in latencies)
    result = {
        "label": label,
        "requests": len(ms),
        "p50": statistics.median(ms) if ms else 0.0,
        "p95": ms[int(0.95 * (len(ms) - 1))] if ms else 0.0,
        "max": ms[-1] if ms else 0.0,
        "rps": len(ms) / wall if wall else 0.0,
        "errors": len(errors),
        "cpu_ms": {
            key: 1000 * (cpu_after[key] - cpu_before[key]) / max(1, len(ms)) for key in cpu_before
        },
    }
    if quiet:
        return result
    if errors and web_log:  # the server's own account of the first errors
        web_log.seek(0)
        lines = web_log.read().decode(errors="replace").splitlines()
        print("\n".join(line[:400] for line in lines if "ERROR" in line)[:3000])
    print(
        f"{label:<28} {result['requests']:6d} req  p50 {result['p50']:7.1f} ms  "
        f"p95 {result['p95']:7.1f} ms  max {result['max']:7.1f} ms  "
        f"{result['rps']:6.1f} req/s  errors {result['errors']}"
        + (f"  e.g. {errors[0]}" if errors else "")
    )
    if settling:
        warm = sorted(1000 * value for value in settling)
        p95 = warm[int(0.95 * (len(warm) - 1))]
        print(
            f"{'':<28} untimed warm-up before it: {len(warm)} req  "
            f"p50 {statistics.median(warm):7.1f} ms  p95 {p95:7.1f} ms"
        )
    if result["cpu_ms"]:
        print(
            f"{'':<28} CPU per request: "
            + ", ".join(f"{key} {value:.1f} ms" for key, value in result["cpu_ms"].items())
        )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = 100k incidents / 1M mails")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=1000, help="per scenario")
    parser.add_argument("--seconds", type=float, default=60, help="per scenario, at most")
    parser.add_argument(
        "--warm-up", type=int, default=200, help="untimed requests a scenario, same connections"
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (one a core)")
    parser.add_argument("--threads", type=int, default=2, help="threads a worker")
    args = parser.parse_args()
    incidents = max(100, int(100_000 * args.scale))
    emails = max(incidents, int(1_000_000 * args.scale))

    call_command("migrate", verbosity=0)
    call_command("collectstatic", "--noinput", verbosity=0)  # pages link the static manifest
    started = time.perf_counter()
    ids, session_id, token = seed(incidents, emails)
    print(
        f"PostgreSQL seeded: {incidents:,} incidents, {emails:,} e-mails "
        f"in {time.perf_counter() - started:.1f} s"
    )
    connection.close()
    from dispatch.testing.postgres import free_port

    port = free_port()
    web = start_web(port, args.workers, args.threads)
    base = f"http://127.0.0.1:{port}"
    print(
        f"gunicorn ({args.workers} uvicorn workers × {args.threads} threads) on {base}; "
        f"{args.clients} clients"
    )

    def browser() -> Client:
        return Client(port, {}, {"sessionid": session_id})

    def api() -> Client:
        return Client(port, {"Authorization": f"Token {token}"}, {})

    queue_pages = max(1, _open_count(incidents) // 50)  # the queue lists open incidents
    api_pages = max(1, min(incidents, 2000) // 50)  # the API lists all of them

    def queue_page(r: random.Random) -> str:
        return f"/?page={r.randint(1, queue_pages)}"

    def api_page(r: random.Random) -> str:
        return f"/api/v1/incidents/?page={r.randint(1, api_pages)}"

    try:
        scenarios = [
            ("console queue (list)", queue_page, browser),
            ("console incident (detail)", lambda r: f"/incidents/{r.choice(ids)}/", browser),
            ("API incidents list", api_page, api),
            ("API incident detail", lambda r: f"/api/v1/incidents/{r.choice(ids)}/", api),
        ]
        for label, make_url, factory in scenarios:
            drive(label, make_url, factory, args.clients, args.requests, args.seconds,
                  warm_up=args.warm_up, web_log=web.log, web_pid=web.pid)  # fmt: skip
    finally:
        stop_web(web)


if __name__ == "__main__":
    main()
