"""Run one piece of work in several threads at once, as concurrent workers would."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from django.db import connections

T = TypeVar("T")


def run_together(
    work: Callable[[], T], count: int, *, timeout: float = 60
) -> tuple[list[T], list[BaseException]]:
    """Run ``work`` in ``count`` threads released together by a barrier; each thread closes its
    database connections when done. Returns the results and the exceptions raised (each in the
    order the threads finished)."""
    barrier = threading.Barrier(count)
    lock = threading.Lock()
    results: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait(timeout=10)
            result = work()
        except BaseException as exc:  # reported to the caller
            with lock:
                errors.append(exc)
        else:
            with lock:
                results.append(result)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return results, errors
