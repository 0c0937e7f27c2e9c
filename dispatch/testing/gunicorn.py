"""The production web server for tests: gunicorn with the project's ``gunicorn.conf.py``.

``GunicornSite(tmp_path, workers=2, TRUSTED_PROXY_COUNT="0")`` prepares an embedded instance
(its own SQLite file under ``tmp_path``, migrated) and ``with site.running() as base:`` serves
it on a free 127.0.0.1 port with real uvicorn workers, exactly as Supervisor starts ``web``.
``site.manage("shell", "-c", code)`` runs a management command against the same database.
Extra keyword arguments become environment variables (strings), i.e. settings.
"""

from __future__ import annotations

import atexit
import http.client
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from dispatch.testing.processes import child_pids
from dispatch.testing.smtp import free_port

ROOT = Path(__file__).resolve().parents[2]
_DROP = {"DB_HOST", "DB_PORT", "POSTGRES_DB", "POSTGRES_USER", "POSTGRES_PASSWORD", "TEST_DB"}


class GunicornSite:
    """An embedded instance under ``tmp_path`` served by gunicorn + uvicorn workers."""

    def __init__(self, tmp_path: Path, *, workers: int = 1, **settings: str) -> None:
        data = tmp_path / "data"
        self.port = free_port()
        self.env = {k: v for k, v in os.environ.items() if k not in _DROP}
        self.env.update(
            DJANGO_SETTINGS_MODULE="dispatch.settings",
            SECRET_KEY="gunicorn-test-" + "k" * 50,
            DEBUG="false",
            USE_HTTPS="false",
            DATA_DIR=str(data),
            LOG_DIR=str(tmp_path / "logs"),
            SQLITE_PATH=str(data / "dispatch.sqlite3"),
            STATIC_ROOT=_collected_static(),
            EMAIL_DELIVERY="file",
            GUNICORN_BIND=f"127.0.0.1:{self.port}",
            GUNICORN_WORKERS=str(workers),
            LOG_LEVEL="WARNING",
            **settings,
        )
        data.mkdir(parents=True, exist_ok=True)
        (tmp_path / "logs").mkdir(exist_ok=True)
        self.log = tmp_path / "gunicorn.log"
        self.process: subprocess.Popen | None = None
        self.manage("migrate", "--no-input", "-v", "0")

    def manage(self, *args: str) -> str:
        """Run ``manage.py *args`` on this instance's database; return its stdout."""
        return _manage(self.env, *args)

    @contextmanager
    def running(self, timeout: float = 60.0) -> Iterator[str]:
        """Start gunicorn, wait until it answers, yield its base URL; stop it on exit."""
        base = f"http://127.0.0.1:{self.port}"
        with self.log.open("wb") as log:
            process = subprocess.Popen(
                # No control socket: it sits at one path per user, shared by parallel tests.
                [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--no-control-socket"],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.process = process
        try:
            self._wait_until_up(process, timeout)
            yield base
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def worker_pids(self, count: int, timeout: float = 30.0) -> list[int]:
        """The pids of the running server's workers, once ``count`` of them have started."""
        if self.process is None:
            raise RuntimeError("the site is not running")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            workers = child_pids(self.process.pid)
            if len(workers) >= count:
                return workers
            time.sleep(0.1)
        raise RuntimeError(
            f"gunicorn started {len(child_pids(self.process.pid))} of {count} workers"
        )

    def connections_by_worker(self, workers: list[int]) -> dict[int, int]:
        """How many established client connections each of ``workers`` holds (from /proc)."""
        inodes: set[str] = set()
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            with open(table) as lines:
                next(lines)
                for line in lines:
                    fields = line.split()
                    local_port = int(fields[1].rsplit(":", 1)[1], 16)
                    if local_port == self.port and fields[3] == "01":  # ESTABLISHED
                        inodes.add(fields[9])
        counts = {}
        for pid in workers:
            held = 0
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                try:
                    target = os.readlink(fd)
                except OSError:  # closed meanwhile
                    continue
                if target.startswith("socket:[") and target[8:-1] in inodes:
                    held += 1
            counts[pid] = held
        return counts

    def _wait_until_up(self, process: subprocess.Popen, timeout: float) -> None:
        """Until any HTTP answer comes back (a redirect counts: the app is serving)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError("gunicorn exited:\n" + self.log.read_text(errors="replace"))
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
            try:
                connection.request("GET", "/accounts/login/")
                connection.getresponse().read()
                return
            except OSError:
                time.sleep(0.2)
            finally:
                connection.close()
        raise RuntimeError("gunicorn did not answer:\n" + self.log.read_text(errors="replace"))


def _manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


@cache
def _collected_static() -> str:
    """Static files collected once per test process (the manifest storage needs them)."""
    root = tempfile.mkdtemp(prefix="dispatch-test-static-")
    atexit.register(shutil.rmtree, root, True)
    env = {k: v for k, v in os.environ.items() if k not in _DROP}
    env.update(DJANGO_SETTINGS_MODULE="dispatch.settings", STATIC_ROOT=root, DEBUG="true")
    _manage(env, "collectstatic", "--no-input", "-v", "0")
    return root
