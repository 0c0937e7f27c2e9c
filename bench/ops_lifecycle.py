"""Benchmark: start-up and shutdown of the whole process tree on the embedded default.

Runs ``manage.py run_dispatch`` (init, then Supervisor with web + every worker + cron + the
event listener) in a temporary directory on a free port and prints: seconds until the web app
answers, until every program is RUNNING, until every worker has finished a cycle, the latency of
``/health/`` through gunicorn/uvicorn, and seconds from SIGTERM to a clean exit.

    .venv/bin/python bench/ops_lifecycle.py --requests 200
"""

from __future__ import annotations

import argparse
import json
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dispatch.tests.ops_support import ROOT, free_port, http_get, wait_for
from dispatch.tests.test_ops_supervisor import (
    WORKER_PROGRAMS,
    _embedded_env,
    _supervisor_status,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=200, help="/health/ requests to time")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="dispatch-bench-ops-"))
    port = free_port()
    env = _embedded_env(tmp, port)
    health = f"http://127.0.0.1:{port}/health/"
    programs = {"web", "watch_programs", *WORKER_PROGRAMS}
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "manage.py", "run_dispatch", "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=(tmp / "out.log").open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(lambda: http_get(health)[0] in (200, 503), 180, "web", step=0.1)
        web_up = time.perf_counter() - start

        def all_running() -> bool:
            status = _supervisor_status(env)
            return set(status) == programs and set(status.values()) == {"RUNNING"}

        wait_for(all_running, 120, "programs", step=0.2)
        running = time.perf_counter() - start
        wait_for(
            lambda: len(json.loads(http_get(health)[2])["workers"]) >= len(WORKER_PROGRAMS),
            120,
            "heartbeats",
            step=0.2,
        )
        cycled = time.perf_counter() - start
        latencies = []
        for _ in range(args.requests):
            t0 = time.perf_counter()
            http_get(health)
            latencies.append((time.perf_counter() - t0) * 1000)
    finally:
        t0 = time.perf_counter()
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=180)
        stopped = time.perf_counter() - t0
    latencies.sort()
    p95 = latencies[int(len(latencies) * 0.95) - 1]
    print(f"programs: {len(programs)} (web, {len(WORKER_PROGRAMS)} workers, event listener)")
    print(f"web answering after        {web_up:6.1f} s (includes init_dispatch)")
    print(f"all programs RUNNING after {running:6.1f} s")
    print(f"every worker cycled after  {cycled:6.1f} s")
    print(
        f"/health/ latency over {args.requests} requests: median "
        f"{statistics.median(latencies):.1f} ms, p95 {p95:.1f} ms, max {latencies[-1]:.1f} ms"
    )
    print(f"SIGTERM to exit            {stopped:6.1f} s, exit status {code}")


if __name__ == "__main__":
    main()
