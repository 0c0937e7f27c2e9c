"""Benchmark: the database stage of ingestion alone — ``store_messages`` over parsed batches.

Generates MESSAGES messages of the desk's mail (``bench/desk_mail.py``), parses them as the
parser process does (tokens included), and stores each batch of BATCH in a throw-away database
(SQLite, or PostgreSQL with ``TEST_DB=postgres``) seeded like ``bench/ingest.py``'s, ROUNDS
times, each round rolled back. Prints the worker's CPU ms per message (``time.process_time``,
best round of each batch, summed), the queries a batch and, on PostgreSQL, the server process's
CPU ms per message (best round). Robust to a loaded machine: CPU time, not wall time.

    .venv/bin/python bench/store.py
    TEST_DB=postgres .venv/bin/python bench/store.py --messages 1000
    .venv/bin/python bench/store.py --tree /work/main      # another checkout's code, same data
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--tree", default=str(Path(__file__).resolve().parents[1]))
    args = parser.parse_args()
    sys.path.insert(0, args.tree)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dispatch.testing.settings")
    import django

    django.setup()
    from bench.throwaway_db import throwaway_database

    with throwaway_database():
        run(args)


def _seed() -> None:
    from bench.desk_mail import pole_code
    from incidents.defaults import load_defaults
    from ts.models import Pole
    from users.models import Role, User

    load_defaults()
    for n in range(6):
        User.objects.create_user(
            email=f"dispatcher{n}@example.test", username=f"dispatcher{n}", role=Role.DISPATCH
        )
    Pole.objects.bulk_create(
        Pole(site_id=n, code=pole_code(n), bs_name=f"БС-{pole_code(n)}") for n in range(1, 20_001)
    )


def _server_cpu() -> float:
    """CPU seconds of this session's PostgreSQL backend (0 on other databases)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return 0.0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(args: argparse.Namespace) -> None:
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from bench.desk_mail import generate
    from emails.parse_ahead import parse_outcomes
    from emails.services import Incoming, get_folder, store_messages
    from ts.recognition import recognize

    _seed()
    raws = list(generate(args.messages))
    parsed = parse_outcomes([(raw, None) for raw in raws], tokens=True)
    items = [
        Incoming(uid + 1, raw, p) for uid, (raw, p) in enumerate(zip(raws, parsed, strict=True))
    ]
    folder = get_folder("dispatch@example.test", "INBOX")
    recognize("", "")  # the recognition index is built once per process
    worker = server = 0.0
    queries = []
    for start in range(0, len(items), args.batch):
        batch = items[start : start + args.batch]
        with transaction.atomic(), CaptureQueriesContext(connection) as captured:
            store_messages(folder, 1, batch)
            transaction.set_rollback(True)
        queries.append(len(captured))
        best, best_server = float("inf"), float("inf")
        for _round in range(args.rounds):
            with transaction.atomic():
                server_before = _server_cpu()
                cpu = time.process_time()
                store_messages(folder, 1, batch)
                best = min(best, time.process_time() - cpu)
                best_server = min(best_server, _server_cpu() - server_before)
                transaction.set_rollback(True)
        worker += best
        server += best_server
        if start + args.batch < len(items):  # the next batch sees this one stored
            with transaction.atomic():
                store_messages(folder, 1, batch)
    count = len(items)
    print(
        f"{connection.vendor}: {count} messages in batches of {args.batch}, best of "
        f"{args.rounds}: worker {worker * 1000 / count:.3f} ms CPU/msg, "
        f"server {server * 1000 / count:.3f} ms CPU/msg, queries a batch {sorted(set(queries))}"
    )


if __name__ == "__main__":
    main()
