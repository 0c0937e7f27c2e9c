"""Timing and profiling of repeated in-process requests, shared by the in-process benchmarks."""

from __future__ import annotations

import cProfile
import os
import pstats
import time
from collections.abc import Callable

from django.db import connection
from django.test.utils import CaptureQueriesContext


def timed(request: Callable[[int], object], repeat: int, *, profile: bool = False) -> tuple:
    """``request(n)`` for n in 0 … ``repeat`` - 1: (wall ms, CPU ms, queries) per request; with
    ``profile`` the top of a cProfile is printed (``BENCH_SORT``: pstats sort key,
    ``BENCH_DUMP``: a file for the raw stats)."""
    profiler = cProfile.Profile() if profile else None
    with CaptureQueriesContext(connection) as queries:
        wall, cpu = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        for n in range(repeat):
            request(n)
        if profiler:
            profiler.disable()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    if profiler:
        stats = pstats.Stats(profiler).sort_stats(os.environ.get("BENCH_SORT", "cumulative"))
        stats.print_stats(60)
        if os.environ.get("BENCH_DUMP"):
            profiler.dump_stats(os.environ["BENCH_DUMP"])
    return 1000 * wall / repeat, 1000 * cpu / repeat, len(queries) / repeat
