"""Benchmark: the cost of a login, a failed login and a locked-out attempt through the real views.

Migrates a throw-away database (SQLite, or PostgreSQL with ``TEST_DB=postgres``), creates one
user and posts to /accounts/login/ through Django's test client (full middleware stack, axes,
rate limit off). Prints milliseconds and SQL queries per request for each case. A locked-out
attempt must be cheap (no password hashing), so a flood costs the server little.

    .venv/bin/python bench/accounts.py --logins 5
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dispatch.testing.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from throwaway_db import throwaway_database  # noqa: E402

PASSWORD = "Vetrov-Signal-2026"


def measure(label: str, n: int, post) -> None:
    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        statuses = {post() for _ in range(n)}
        elapsed = time.perf_counter() - start
    print(
        f"{label:<28} {n:>4} requests  {1000 * elapsed / n:8.1f} ms/request  "
        f"{len(queries) / n:5.1f} queries/request  status {sorted(statuses)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--logins", type=int, default=5)
    parser.add_argument("--locked", type=int, default=50)
    args = parser.parse_args()

    settings.ACCOUNT_RATE_LIMIT = "1000000/m"
    settings.AXES_FAILURE_LIMIT = args.logins
    with throwaway_database(client_hosts=["testserver"]):
        from users.models import Role, User

        User.objects.create_user(
            email="bench@example.com", username="bench.user", password=PASSWORD, role=Role.USER
        )
        client = Client()

        def ok():
            status = client.post(
                "/accounts/login/", {"username": "bench.user", "password": PASSWORD}
            ).status_code
            client.logout()
            return status

        def bad():
            return client.post(
                "/accounts/login/", {"username": "bench.user", "password": "wrong"}
            ).status_code

        print(f"database: {connection.vendor}; hasher: {settings.PASSWORD_HASHERS[0]}")
        measure("successful login", args.logins, ok)
        measure("failed login (until locked)", args.logins - 1, bad)
        measure("locked-out attempt", args.locked, bad)


if __name__ == "__main__":
    main()
