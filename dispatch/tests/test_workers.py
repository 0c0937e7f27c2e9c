"""The worker loop: heartbeats, surviving failures, stopping on SIGTERM after the cycle in hand."""

import os
import signal
import threading

import pytest
from django.core.management import call_command

from dispatch.models import WorkerHeartbeat
from dispatch.workers import WorkerCommand

pytestmark = pytest.mark.django_db


class CountingWorker(WorkerCommand):
    def __init__(self, fail_on: set[int] | None = None) -> None:
        super().__init__()
        self.calls = 0
        self.fail_on = fail_on or set()

    def worker_name(self, **options) -> str:
        return "counting"

    def run_cycle(self) -> str:
        self.calls += 1
        if self.calls in self.fail_on:
            raise RuntimeError("boom")
        return f"cycle {self.calls}"


def test_once_runs_one_cycle_and_records_success():
    worker = CountingWorker()
    call_command(worker, once=True)
    beat = WorkerHeartbeat.objects.get(name="counting")
    assert worker.calls == 1
    assert beat.last_success_at is not None
    assert beat.last_summary == "cycle 1"


def test_loop_survives_a_failed_cycle_and_records_it():
    worker = CountingWorker(fail_on={2})
    call_command(worker, loop=True, interval=0.0, max_cycles=3)
    beat = WorkerHeartbeat.objects.get(name="counting")
    assert worker.calls == 3
    assert beat.last_failure_at is not None
    assert "boom" in beat.last_error
    assert beat.consecutive_failures == 0


def test_sigterm_stops_the_loop_after_the_current_cycle():
    worker = CountingWorker()
    timer = threading.Timer(0.3, os.kill, args=(os.getpid(), signal.SIGTERM))
    previous = signal.getsignal(signal.SIGTERM)
    timer.start()
    try:
        call_command(worker, loop=True, interval=0.05, max_cycles=10_000)
    finally:
        timer.cancel()
        signal.signal(signal.SIGTERM, previous)
    assert 1 <= worker.calls < 10_000
