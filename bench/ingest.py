"""Benchmark: ingest a generated mailbox from a real Dovecot into PostgreSQL (or SQLite).

Starts a throw-away Dovecot on 127.0.0.1 and (with ``TEST_DB=postgres``) a throw-away
PostgreSQL cluster, generates MESSAGES messages of about SIZE KB (30 % replies to earlier ones),
runs the real pipeline (``emails.ingest.ingest_folder``) and prints messages/s, queries per
message, peak memory and the time of a second poll of the unchanged mailbox.

    TEST_DB=postgres .venv/bin/python bench/ingest.py                 # 10,000 × 10 KB
    TEST_DB=postgres .venv/bin/python bench/ingest.py --messages 2000
"""

from __future__ import annotations

import argparse
import cProfile
import os
import random
import resource
import sys
import time
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dispatch.testing.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from dispatch.testing.dovecot import start_dovecot  # noqa: E402
from emails import services  # noqa: E402
from emails.ingest import ingest_folder  # noqa: E402
from emails.models import EmailMessage as StoredEmail  # noqa: E402
from emails.sources.imap import ImapSource  # noqa: E402
from incidents.defaults import load_defaults  # noqa: E402
from incidents.models import Incident  # noqa: E402

WORDS = [
    "авария",
    "опора",
    "связь",
    "питание",
    "бригада",
    "подрядчик",
    "антенна",
    "кабель",
    "площадка",
    "отключение",
    "восстановление",
    "заявка",
    "просим",
    "проверить",
    "срочно",
    "оборудование",
    "диспетчер",
    "инженер",
    "дежурный",
    "объект",
    "доступ",
    "ключ",
    "замок",
    "генератор",
    "РРЛ",
    "БС",
    "выезд",
]
REGIONS = ["77", "50", "02", "78"]


def generate(count: int, size_kb: int, seed: int = 7) -> Iterator[bytes]:
    rng = random.Random(seed)
    start = datetime(2026, 11, 1, tzinfo=UTC)
    roots: list[tuple[str, str]] = []
    for n in range(count):
        msg = EmailMessage()
        code = f"{rng.choice(REGIONS)}-{rng.randrange(100000):05d}"
        sender = f"engineer{rng.randrange(500)}@operator{rng.randrange(5)}.example"
        msg["From"] = sender
        msg["To"] = "dispatch@example.test"
        msg["Date"] = format_datetime(start + timedelta(minutes=n))
        msg["Message-ID"] = f"<bench-{n}@operator.example>"
        if roots and rng.random() < 0.3:
            parent_id, subject = rng.choice(roots)
            msg["Subject"] = f"RE: {subject}"
            msg["In-Reply-To"] = parent_id
            msg["References"] = parent_id
        else:
            subject = f"Авария на опоре {code}"
            msg["Subject"] = subject
            roots.append((msg["Message-ID"], subject))
        words = []
        while sum(len(w) + 1 for w in words) * 2 < size_kb * 1024:
            words.append(rng.choice(WORDS))
        lines = [" ".join(words[i : i + 12]) for i in range(0, len(words), 12)]
        msg.set_content(f"Добрый день! Опора {code}.\n" + "\n".join(lines), cte="8bit")
        yield msg.as_bytes()


class QueryCounter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def wrap_incident_creation(counter: QueryCounter) -> list[float]:
    """Measure time and queries spent opening incidents (other apps' services) apart."""
    spent = [0.0, 0.0]
    original = services.open_incident

    def timed(*args, **kwargs):
        started, queries = time.perf_counter(), counter.count
        try:
            return original(*args, **kwargs)
        finally:
            spent[0] += time.perf_counter() - started
            spent[1] += counter.count - queries

    services.open_incident = timed
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--size", type=int, default=10, help="approximate KB per message")
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument("--tracemalloc", action="store_true", help="also trace Python heap peak")
    parser.add_argument("--profile", help="write a cProfile of the first poll to this file")
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    load_defaults()
    print(f"database: {connection.vendor}")
    server = start_dovecot({"dispatch@example.test": "secret"}, folders=("Sent",))
    try:
        sizes: list[int] = []
        messages = generate(args.messages, args.size)
        server.deliver("INBOX", (sizes.append(len(raw)) or raw for raw in messages))
        total_mb = sum(sizes) / 1e6
        average_kb = total_mb * 1e3 / len(sizes)
        print(f"generated {len(sizes)} messages, {total_mb:.1f} MB ({average_kb:.1f} KB avg)")
        source = ImapSource("127.0.0.1", server.port, "dispatch@example.test", "secret", ssl=False)
        with source.open_folder("INBOX") as reader:  # let Dovecot index the new files first
            reader.uids_after(0)
        counter = QueryCounter()
        incident_time = wrap_incident_creation(counter)
        if args.tracemalloc:
            tracemalloc.start()
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        with connection.execute_wrapper(counter):
            profiler = cProfile.Profile() if args.profile else None
            started = time.perf_counter()
            if profiler:
                profiler.enable()
            report = ingest_folder(source, "INBOX", batch_size=args.batch_size)
            elapsed = time.perf_counter() - started
            if profiler:
                profiler.disable()
                profiler.dump_stats(args.profile)
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        stored = report.result.stored
        print(report.summary())
        print(f"first poll: {elapsed:.2f} s, {stored / elapsed:.0f} messages/s")
        mail_only = elapsed - incident_time[0]
        print(
            f"  of which creating incidents (create_incident + assignment + recognition): "
            f"{incident_time[0]:.2f} s; the mail pipeline alone: {mail_only:.2f} s, "
            f"{stored / mail_only:.0f} messages/s"
        )
        print(f"queries: {counter.count} total, {counter.count / max(stored, 1):.2f} per message")
        mail_queries = counter.count - incident_time[1]
        print(
            f"  of which opening incidents: {incident_time[1]:.0f} "
            f"({incident_time[1] / max(report.result.incidents, 1):.1f} per incident); "
            f"the mail pipeline alone: {mail_queries / max(stored, 1):.2f} per message"
        )
        print(f"peak RSS: {rss_after / 1024:.0f} MB (before ingest {rss_before / 1024:.0f} MB)")
        if args.tracemalloc:
            _current, peak = tracemalloc.get_traced_memory()
            print(f"peak Python heap during ingest: {peak / 1e6:.1f} MB")
            tracemalloc.stop()
        counter.count = 0
        with connection.execute_wrapper(counter):
            started = time.perf_counter()
            again = ingest_folder(source, "INBOX", batch_size=args.batch_size)
            second = time.perf_counter() - started
        print(
            f"second poll (unchanged mailbox): {second * 1000:.0f} ms, "
            f"{again.fetched} fetched, {counter.count} queries"
        )
        print(
            f"stored e-mails: {StoredEmail.objects.count()}, incidents: {Incident.objects.count()}"
        )
    finally:
        server.stop()


if __name__ == "__main__":
    main()
