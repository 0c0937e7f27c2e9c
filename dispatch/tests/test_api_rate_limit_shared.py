"""API rate limits hold across web workers: the counter is shared (in the database), not kept
per process. Proven with the production server (gunicorn, two uvicorn worker processes, the
project's gunicorn.conf.py) and with concurrent threads on PostgreSQL."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from dispatch.ratelimit import hit
from dispatch.testing.gunicorn import GunicornSite
from dispatch.testing.threads import run_together

LIMIT = 20
REQUESTS = 60


def _start_of_a_fresh_minute_margin() -> None:
    """Windows are calendar minutes and the previous one weighs less as a minute goes on:
    start early in one so that the run is counted against one exact limit."""
    while time.time() % 60 > 40:
        time.sleep(0.5)


def test_two_gunicorn_workers_share_one_api_limit(tmp_path):
    site = GunicornSite(tmp_path, workers=2, API_THROTTLE_USER=f"{LIMIT}/min")
    token = site.manage(
        "shell",
        "-c",
        "from rest_framework.authtoken.models import Token; from users.models import User; "
        "u = User.objects.create_user(email='api@example.com', username='api.reader', "
        "password='x-Secret-12345', role='user'); print(Token.objects.create(user=u).key)",
    ).split()[-1]

    def get(_n: int) -> int:
        # A new connection each time, so the kernel spreads requests over both workers.
        response = requests.get(
            base + "/api/v1/incidents/",
            headers={"Authorization": f"Token {token}", "Connection": "close"},
            timeout=30,
        )
        return response.status_code

    with site.running() as base:
        _start_of_a_fresh_minute_margin()
        with ThreadPoolExecutor(max_workers=6) as pool:
            answers = list(pool.map(get, range(REQUESTS)))
    served = answers.count(200)
    assert answers.count(429) == REQUESTS - served
    assert served == LIMIT, f"{served} served against a limit of {LIMIT}"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_hits_are_counted_exactly():
    """Eight threads hitting one limit at once: exactly ``limit`` requests get through."""
    _start_of_a_fresh_minute_margin()

    def burst() -> int:
        return sum(1 for _ in range(25) if hit("test", "one-client", 100, 60) == 0)

    allowed, errors = run_together(burst, 8)
    assert errors == []
    assert sum(allowed) == 100


@pytest.mark.django_db
def test_a_hit_is_one_query_and_the_cron_job_removes_windows_that_are_over(
    django_assert_num_queries,
):
    from datetime import timedelta

    from django.core.management import call_command
    from django.utils import timezone

    from dispatch.models import RateCounter

    with django_assert_num_queries(1):
        assert hit("probe", "u1", 2, 60) == 0
    with django_assert_num_queries(1):
        assert hit("probe", "u1", 2, 60) == 0
    assert hit("probe", "u1", 2, 60) > 0  # the third in the window is over the limit
    RateCounter.objects.create(key="old", count=5, expires_at=timezone.now() - timedelta(hours=1))
    call_command("purge_rate_counters")
    assert list(RateCounter.objects.values_list("count", flat=True)) == [3]


def _synchronous_commit(connection) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return cursor.fetchone()[0]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_hit_commits_without_waiting_for_the_disk_and_only_its_own_transaction():
    """In autocommit the counting statement turns ``synchronous_commit`` off for itself alone;
    inside a caller's transaction it leaves that transaction's durability as it was."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO on")  # the production default
    with CaptureQueriesContext(connection) as own:
        assert hit("probe", "async", 5, 60) == 0
    assert "set_config('synchronous_commit', 'off', true)" in own[0]["sql"]
    assert _synchronous_commit(connection) == "on"  # not left on the session
    with transaction.atomic():
        with CaptureQueriesContext(connection) as inside:
            assert hit("probe", "async", 5, 60) == 0
        assert "synchronous_commit" not in inside[0]["sql"]
        assert _synchronous_commit(connection) == "on"
    from dispatch.models import RateCounter

    assert RateCounter.objects.get(key__startswith="probe:async:").count == 2


@pytest.mark.django_db
def test_a_window_boundary_neither_resets_a_limited_client_nor_doubles_a_burst(monkeypatch):
    """Three a minute, sent at the end of one minute and the start of the next: a fixed
    window would let three more through at the boundary; the sliding estimate does not."""
    import dispatch.ratelimit as ratelimit

    clock = [6_000_000 * 60 + 55.0]  # 55 s into a minute
    monkeypatch.setattr(ratelimit.time, "time", lambda: clock[0])
    assert [hit("edge", "c1", 3, 60) for _ in range(3)] == [0, 0, 0]
    clock[0] += 6.0  # 1 s into the next minute
    refused = hit("edge", "c1", 3, 60)
    assert refused > 0
    clock[0] += refused  # as Retry-After said
    assert hit("edge", "c1", 3, 60) == 0
    clock[0] += 120.0  # two quiet minutes later the client has the full limit again
    assert [hit("edge", "c1", 3, 60) for _ in range(4)][-1] > 0


@pytest.mark.parametrize(
    ("count", "previous", "elapsed", "expected"),
    [
        (3, 0, 10.0, 0),  # within the limit
        (4, 0, 10.0, 80),  # 50 s to the next minute, then 1 + 4·(1 − t/60) ≤ 3 at t = 30 s
        (1, 6, 30.0, 20),  # in this minute, 2 + 6·(1 − t/60) ≤ 3 at t = 50 s
        (2, 3, 0.0, 60),  # 3 + 3·(1 − t/60) ≤ 3 at the minute's end
    ],
)
def test_retry_after_is_when_the_estimate_first_leaves_room(count, previous, elapsed, expected):
    from dispatch.ratelimit import retry_after

    assert retry_after(count, previous, 3, 60, 60 * 1000 + elapsed) == expected
