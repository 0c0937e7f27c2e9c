"""Benchmark: mail intake against raw fetch+parse of the same mailbox, in the same run.

Starts a throw-away Dovecot and PostgreSQL, generates MESSAGES messages shaped like the desk's
mail (``bench/desk_mail.py``: 2–200 KB, base64 / quoted-printable, UTF-8 / KOI8-R / windows-1251,
HTML alternatives, attachments, 30 % replies) into the Dovecot and measures, in ROUNDS
interleaved rounds (median reported), each in a process of its own:

- ``raw``: imap-tools bulk UID FETCH + ``email.message_from_bytes`` of every message;
- ``postgres``: ``ingest_mail --once`` into a fresh PostgreSQL database (cloned from a migrated
  template with the default types, six dispatchers on shift and 20,000 poles);
- ``sqlite``: the same into a fresh SQLite file.

It prints messages/s and CPU ms per message (the process's, PostgreSQL's, Dovecot's), the
ratio of each ingest to raw fetch+parse, the ingest process's peak RSS (and its parser
process's, ``emails.parse_ahead``, whose CPU counts in the process's) and a poll cycle of the
unchanged mailbox inside the running worker (after the sweep that fills the search documents
the ingest left to the next cycle, timed on its own), and the cost of then updating each stored
e-mail's tracker state as ``push_tracker`` does (wall, PostgreSQL CPU); then one ingest under
cProfile (CPU time)
attributes CPU ms per message to the stages fetch, parse, text extraction, recognition and
database. The machine is shared: the load average is printed at the start and the end.

    .venv/bin/python bench/ingest.py                              # 2,000 messages, 3 rounds
    .venv/bin/python bench/ingest.py --messages 5000              # the acceptance mailbox
    .venv/bin/python bench/ingest.py --messages 10000 --rounds 1 --only postgres --no-profile
    .venv/bin/python bench/ingest.py --helpdesk /tmp/helpdesk-venv/bin/python  # + django-helpdesk

``--helpdesk PYTHON`` finally runs django-helpdesk's intake (``bench/helpdesk_intake.py``, in a
throw-away virtualenv of its own) on the same mailbox; it deletes what it ingests, so it runs
last, once.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.desk_mail import MAILBOX, generate, pole_code  # noqa: E402
from bench.stages import cpu_seconds, stage_table  # noqa: E402

PASSWORD = "secret"  # the throw-away Dovecot account's
KINDS = ("raw", "postgres", "sqlite")
POLES = 20_000
DISPATCHERS = 6


# --- child processes: one measurement each ------------------------------------------------------


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dispatch.testing.settings")
    import django

    django.setup()


def child_raw(args: argparse.Namespace) -> dict:
    """imap-tools bulk UID FETCH + ``email.message_from_bytes`` (inside ``MailMessage``)."""
    from imap_tools import MailBoxUnencrypted

    started, cpu = time.perf_counter(), time.process_time()
    count = 0
    with MailBoxUnencrypted("127.0.0.1", args.port).login(MAILBOX, PASSWORD, "INBOX") as box:
        for message in box.fetch(mark_seen=False, bulk=True):
            count += message.obj is not None
    return {
        "messages": count,
        "seconds": time.perf_counter() - started,
        "cpu": time.process_time() - cpu,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def child_prepare(_args: argparse.Namespace) -> dict:
    """Migrate the template database; default types, dispatchers on shift, poles."""
    _setup_django()
    from django.core.management import call_command
    from django.db import connection

    from incidents.defaults import load_defaults
    from ts.models import Pole
    from users.models import Role, User

    call_command("migrate", verbosity=0)
    load_defaults()
    for n in range(DISPATCHERS):  # no shifts: always on shift
        User.objects.create_user(
            email=f"dispatcher{n}@example.test", username=f"dispatcher{n}", role=Role.DISPATCH
        )
    Pole.objects.bulk_create(
        (
            Pole(site_id=n, code=pole_code(n), bs_name=f"БС-{pole_code(n)}")
            for n in range(1, POLES + 1)
        ),
        batch_size=2000,
    )
    connection.close()
    return {}


def child_ingest(args: argparse.Namespace) -> dict:
    """``ingest_mail --once``, then polls of the unchanged mailbox in the same worker."""
    _setup_django()
    import cProfile

    from django.conf import settings
    from django.core.management import call_command

    from dispatch.workers import StopFlag
    from emails.management.commands.ingest_mail import Command
    from emails.models import EmailMessage, QuarantinedEmail
    from emails.search_index import sweep
    from incidents.models import Incident

    options = ["--once"] + (["--batch-size", str(args.batch_size)] if args.batch_size else [])
    profiler = cProfile.Profile(time.process_time) if args.profile else None
    if profiler:  # parsed here, where the profiler sees it
        settings.PARSING_EMAIL_PARSE_AHEAD = False
    started, cpu, children_cpu = time.perf_counter(), time.process_time(), _children_cpu()
    if profiler:
        profiler.enable()
    call_command("ingest_mail", *options, stdout=io.StringIO())
    if profiler:
        profiler.disable()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    parser_cpu = _children_cpu() - children_cpu  # the parser process (emails.parse_ahead)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    parser_rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    sweep_started = time.perf_counter()  # what the next cycle does first (PostgreSQL)
    indexed = sweep()
    sweep_seconds = time.perf_counter() - sweep_started
    worker = Command(stdout=io.StringIO())
    worker.stop = StopFlag()
    worker.setup(source=None, folder=None, role=None, batch_size=None, loop=True)
    polls, poll_cpus = [], []
    for _ in range(3):
        poll_started, poll_cpu = time.perf_counter(), time.process_time()
        worker.run_cycle()
        polls.append(time.perf_counter() - poll_started)
        poll_cpus.append(time.process_time() - poll_cpu)
    result = {
        "messages": EmailMessage.objects.count(),
        "incidents": Incident.objects.count(),
        "quarantined": QuarantinedEmail.objects.count(),
        "seconds": seconds,
        "cpu": cpu + parser_cpu,
        "parser_cpu": parser_cpu,
        "rss_mb": rss_mb,
        "parser_rss_mb": parser_rss_mb,
        "indexed": indexed,
        "sweep": sweep_seconds,
        "poll": statistics.median(polls),
        "poll_cpu": statistics.median(poll_cpus),
    }
    if profiler:
        result["stages"] = stage_table(profiler)
        if args.profile_out:
            profiler.dump_stats(args.profile_out)
    shutil.rmtree(settings.DATA_DIR, ignore_errors=True)  # attachments of this round
    return result


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def child_update(_args: argparse.Namespace) -> dict:
    """What push_tracker writes to every e-mail it pushes: its tracker state, one row at a time."""
    _setup_django()
    from emails.models import EmailMessage

    started = time.perf_counter()
    for pk in EmailMessage.objects.order_by("pk").values_list("pk", flat=True):
        EmailMessage.objects.filter(pk=pk).update(tracker_state=EmailMessage.TrackerState.PUSHED)
    return {"seconds": time.perf_counter() - started}


# --- the parent: servers, mailbox, rounds -------------------------------------------------------


class Bench:
    def __init__(self, args: argparse.Namespace, work: Path) -> None:
        from dispatch.testing.dovecot import start_dovecot
        from dispatch.testing.postgres import start_cluster

        self.args, self.work = args, work
        self.dovecot = start_dovecot({MAILBOX: PASSWORD}, folders=("Sent",))
        self.cluster = start_cluster() if "postgres" in args.only else None
        self.databases = 0

    def stop(self) -> None:
        if self.cluster:
            self.cluster.stop()
        self.dovecot.stop()

    def _env(self, db: str) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("DB_", "POSTGRES_", "SQLITE_", "TEST_DB"))
        }
        env.update(
            DJANGO_SETTINGS_MODULE="dispatch.testing.settings",
            MAIL_SOURCE="imap",
            PARSING_EMAIL_SERVER="127.0.0.1",
            PARSING_EMAIL_PORT=str(self.dovecot.port),
            PARSING_EMAIL_LOGIN=MAILBOX,
            PARSING_EMAIL_PSWD=PASSWORD,
            PARSING_EMAIL_SSL="false",
            DISPATCH_MAILBOX=MAILBOX,
            LOG_LEVEL="WARNING",
        )
        if db == "sqlite":
            env["SQLITE_PATH"] = str(self.work / "round.sqlite3")
        elif db:
            env.update(self.cluster.env(), POSTGRES_DB=db)
        return env

    def _child(self, mode: str, db: str = "", *extra: str) -> dict:
        command = [sys.executable, __file__, "--child", mode, "--port", str(self.dovecot.port)]
        if self.args.batch_size:
            command += ["--batch-size", str(self.args.batch_size)]
        done = subprocess.run(
            [*command, *extra], env=self._env(db), capture_output=True, text=True, check=False
        )
        if done.returncode:
            raise RuntimeError(f"{mode} {db} failed:\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])

    def _sql(self, statement: str) -> None:
        import psycopg

        env = self.cluster.env()
        with psycopg.connect(
            host=env["DB_HOST"], port=env["DB_PORT"], user=env["POSTGRES_USER"],
            dbname="postgres", autocommit=True,
        ) as conn:  # fmt: skip
            conn.execute(statement)

    def load_mailbox(self) -> None:
        sizes: list[int] = []
        self.dovecot.deliver("INBOX", (sizes.append(len(raw)) or raw for raw in generate(
            self.args.messages, self.args.seed
        )))  # fmt: skip
        client = self.dovecot.connect()
        client.select("INBOX", readonly=True)  # Dovecot indexes the new files now
        client.logout()
        total = sum(sizes)
        print(
            f"mailbox: {len(sizes):,} messages, {total / 1e6:.1f} MB, "
            f"{total / len(sizes) / 1024:.1f} KB mean, "
            f"{statistics.median(sizes) / 1024:.1f} KB median"
        )

    def prepare(self) -> None:
        if "postgres" in self.args.only:
            self._sql("CREATE DATABASE bench_template")
            self._child("prepare", "bench_template")
        if "sqlite" in self.args.only:
            self._child("prepare", "sqlite")
            shutil.move(self.work / "round.sqlite3", self.work / "template.sqlite3")

    def _servers_cpu(self) -> tuple[float, float]:
        postmaster = 0.0
        if self.cluster:
            pid = int((self.cluster.data_dir / "postmaster.pid").read_text().split()[0])
            postmaster = cpu_seconds(pid)
        return postmaster, cpu_seconds(self.dovecot.process.pid)

    def measure_helpdesk(self, python: str) -> dict:
        """django-helpdesk's ``process_email`` on the mailbox (which it empties)."""
        _pg, dovecot_before = self._servers_cpu()
        done = subprocess.run(
            [python, str(ROOT / "bench" / "helpdesk_intake.py"), "--port", str(self.dovecot.port),
             "--user", MAILBOX, "--password", PASSWORD],
            capture_output=True, text=True, check=False, cwd=self.work,
        )  # fmt: skip
        if done.returncode:
            raise RuntimeError(f"django-helpdesk failed:\n{done.stderr[-5000:]}")
        result = json.loads(done.stdout.strip().splitlines()[-1])
        result["dovecot_cpu"] = self._servers_cpu()[1] - dovecot_before
        return result

    def measure(self, kind: str, *extra: str) -> dict:
        db = ""
        if kind == "postgres":
            self.databases += 1
            db = f"bench_{self.databases}"
            self._sql(f"CREATE DATABASE {db} TEMPLATE bench_template")
        elif kind == "sqlite":
            db = "sqlite"
            shutil.copy(self.work / "template.sqlite3", self.work / "round.sqlite3")
        pg_before, dovecot_before = self._servers_cpu()
        result = self._child("raw" if kind == "raw" else "ingest", db, *extra)
        time.sleep(0.5)  # the server processes of the child's sessions exit and are reaped
        pg_after, dovecot_after = self._servers_cpu()
        result["pg_cpu"] = pg_after - pg_before if kind == "postgres" else 0.0
        result["dovecot_cpu"] = dovecot_after - dovecot_before
        if kind != "raw":
            result["update"] = self._child("update", db)["seconds"]
            time.sleep(0.5)
            result["update_pg_cpu"] = self._servers_cpu()[0] - pg_after
        if kind == "postgres":
            self._sql(f"DROP DATABASE {db}")
        elif kind == "sqlite":
            for path in self.work.glob("round.sqlite3*"):
                path.unlink()
        return result


def _report(results: dict[str, list[dict]], messages: int) -> None:
    raw_rate = None
    print(
        "\n| mode | msg/s (median) | rounds | ratio to raw | CPU ms/msg: process, PostgreSQL, "
        "Dovecot | peak RSS | poll (process CPU) |"
    )
    print("|---|---|---|---|---|---|---|")
    for kind, runs in results.items():
        rates = [run["messages"] / run["seconds"] for run in runs]
        rate = statistics.median(rates)
        raw_rate = rate if kind == "raw" else raw_rate
        ratio = f"{rate / raw_rate:.2f}" if raw_rate and kind != "raw" else "—"

        def ms(key: str, runs: list[dict] = runs) -> float:
            return statistics.median(run[key] for run in runs) * 1000 / messages

        cpu = f"{ms('cpu'):.2f}, {ms('pg_cpu'):.2f}, {ms('dovecot_cpu'):.2f}"
        rss = f"{max(run['rss_mb'] for run in runs):.0f} MB"
        if kind != "raw":  # the parser process's share of the process CPU, its own peak
            cpu += f" (parser process {ms('parser_cpu'):.2f})"
            rss += f" (parser process {max(run['parser_rss_mb'] for run in runs):.0f} MB)"
        poll = (
            f"{statistics.median(run['poll'] for run in runs) * 1000:.0f} ms "
            f"(CPU {statistics.median(run['poll_cpu'] for run in runs) * 1000:.0f} ms)"
            if kind != "raw"
            else "—"
        )
        print(
            f"| {kind} | **{rate:.0f}** | {', '.join(f'{r:.0f}' for r in rates)} | {ratio} "
            f"| {cpu} | {rss} | {poll} |"
        )
    for kind, runs in results.items():
        if kind != "raw":
            last = runs[-1]
            update = statistics.median(run["update"] for run in runs) * 1000 / messages
            server = statistics.median(run["update_pg_cpu"] for run in runs) * 1000 / messages
            print(
                f"{kind}: stored {last['messages']:,} e-mails, {last['incidents']:,} incidents, "
                f"{last['quarantined']} quarantined; then each e-mail's tracker state updated "
                f"as push_tracker does: {update:.2f} ms/msg (PostgreSQL CPU {server:.2f})"
            )
            if last["indexed"]:
                sweep = statistics.median(run["sweep"] for run in runs)
                print(
                    f"{kind}: then the next cycle's sweep filled {last['indexed']:,} search "
                    f"documents in {sweep:.1f} s ({sweep * 1000 / messages:.2f} ms/msg; found "
                    f"meanwhile by computing them); stored and indexed: "
                    f"{messages / (statistics.median(run['seconds'] for run in runs) + sweep):.0f} "
                    "msg/s"
                )


def _print_stages(kind: str, stages: dict[str, float], runs: list[dict], messages: int) -> None:
    """Each stage's share of the profiled CPU time, and that share of the CPU time measured
    without the profiler (cProfile slows Python-heavy code, the ORM and the stdlib MIME parser,
    more than C-heavy code, so the shares lean towards those)."""
    total = stages["total"]
    cpu = statistics.median(run["cpu"] for run in runs) * 1000 / messages if runs else 0.0
    print(f"\nCPU by stage ({kind}; cProfile with a CPU-time clock):")
    print("| stage | profiled ms/msg | share | ≈ ms/msg without the profiler |")
    print("|---|---|---|---|")
    for name, seconds in stages.items():
        share = seconds / total
        print(f"| {name} | {seconds * 1000 / messages:.2f} | {share:.0%} | {share * cpu:.2f} |")


def _print_helpdesk(result: dict, results: dict[str, list[dict]], messages: int) -> None:
    rate = messages / result["seconds"]  # it empties the mailbox: one follow-up a message
    print(
        f"\ndjango-helpdesk (SQLite): {result['tickets']:,} tickets, {result['followups']:,} "
        f"follow-ups, {rate:.1f} msg/s, CPU {result['cpu'] * 1000 / messages:.1f} ms/msg "
        f"(Dovecot {result['dovecot_cpu'] * 1000 / messages:.2f}), peak RSS "
        f"{result['rss_mb']:.0f} MB"
    )
    for kind, runs in results.items():
        if kind != "raw" and runs:
            ours = statistics.median(run["messages"] / run["seconds"] for run in runs)
            print(f"{kind} ingest / django-helpdesk: {ours / rate:.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--only", nargs="+", choices=KINDS, default=list(KINDS))
    parser.add_argument("--no-profile", action="store_true", help="skip the profiled ingest")
    parser.add_argument("--profile-out", help="also write the profile (pstats) to this file")
    parser.add_argument(
        "--helpdesk", metavar="PYTHON", help="a Python with django-helpdesk installed: compare"
    )
    children = {
        "raw": child_raw, "prepare": child_prepare, "ingest": child_ingest, "update": child_update
    }  # fmt: skip
    parser.add_argument("--child", choices=children, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--profile", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(children[args.child](args)))
        return

    print(f"load average at start: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    work = Path(tempfile.mkdtemp(prefix="dispatch-bench-ingest-"))
    bench = Bench(args, work)
    try:
        bench.load_mailbox()
        bench.prepare()
        results: dict[str, list[dict]] = {kind: [] for kind in args.only}
        for round_number in range(args.rounds):
            shift = round_number % len(args.only)
            for kind in [*args.only[shift:], *args.only[:shift]]:
                result = bench.measure(kind)
                results[kind].append(result)
                print(
                    f"round {round_number + 1} {kind}: "
                    f"{result['messages'] / result['seconds']:.0f} msg/s "
                    f"({result['seconds']:.1f} s, load {os.getloadavg()[0]:.2f})",
                    flush=True,
                )
        _report({kind: runs for kind, runs in results.items() if runs}, args.messages)
        if not args.no_profile:
            for kind in [kind for kind in args.only if kind != "raw"][:1]:
                extra = ["--profile"]
                if args.profile_out:
                    extra += ["--profile-out", args.profile_out]
                stages = bench.measure(kind, *extra)["stages"]
                _print_stages(kind, stages, results[kind], args.messages)
        if args.helpdesk:
            helpdesk = bench.measure_helpdesk(args.helpdesk)
            _print_helpdesk(helpdesk, results, args.messages)
    finally:
        bench.stop()
        shutil.rmtree(work, ignore_errors=True)
    print(f"\nload average at the end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
