"""A throw-away PostgreSQL cluster on 127.0.0.1 for the test suite (initdb + pg_ctl)."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


def _bin_dir() -> Path:
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "initdb").exists():
            return candidate
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise RuntimeError("PostgreSQL server binaries not found (apt-get install postgresql)")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class PostgresCluster:
    """A running cluster; ``stop()`` removes it."""

    data_dir: Path
    port: int
    user: str
    run_as: str | None
    bin_dir: Path

    def _run(self, *args: str) -> subprocess.CompletedProcess[bytes]:
        cmd = [str(self.bin_dir / args[0]), *args[1:]]
        if self.run_as:
            cmd = ["runuser", "-u", self.run_as, "--", *cmd]
        return subprocess.run(cmd, check=True, capture_output=True, timeout=120)

    def env(self) -> dict[str, str]:
        """Settings environment that points Django at this cluster."""
        return {
            "DB_HOST": "127.0.0.1",
            "DB_PORT": str(self.port),
            "POSTGRES_DB": "dispatch",
            "POSTGRES_USER": self.user,
            "POSTGRES_PASSWORD": "",
        }

    @property
    def log_path(self) -> Path:
        return self.data_dir.parent / "log"

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self._run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop")
        shutil.rmtree(self.data_dir.parent, ignore_errors=True)


def start_cluster(*, autovacuum: bool = True) -> PostgresCluster:
    """initdb a fresh cluster in a temp dir, start it on a free port, create ``dispatch``.

    The test suite turns ``autovacuum`` off: its flushes and rolled-back tests leave tables of
    dead pages, and autovacuum, run while a test's transaction holds them, records zero rows on
    those pages; every estimate is then one row until the next ANALYZE, and a set-based UPDATE
    over a few hundred rows planned on that took minutes, at whatever moment autovacuum woke."""
    bin_dir = _bin_dir()
    root = Path(tempfile.mkdtemp(prefix="dispatch-pg-"))
    data_dir = root / "data"
    run_as = None
    user = pwd.getpwuid(os.getuid()).pw_name
    if os.geteuid() == 0:  # initdb refuses to run as root
        run_as = "postgres" if _user_exists("postgres") else "nobody"
        shutil.chown(root, run_as)
        user = run_as
    cluster = PostgresCluster(data_dir, free_port(), user, run_as, bin_dir)
    cluster._run(
        "initdb",
        "-D",
        str(data_dir),
        "-U",
        user,
        "-A",
        "trust",
        "-E",
        "UTF8",
        "--no-sync",
        "--locale=C.UTF-8",
    )
    options = (
        f"-c listen_addresses=127.0.0.1 -c port={cluster.port} -c unix_socket_directories={root} "
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 "
        # a lock wait longer than 2 s is logged with who holds the lock (see activity_report)
        "-c log_lock_waits=on -c deadlock_timeout=2s"
        f" -c autovacuum={'on' if autovacuum else 'off'}"
    )
    cluster._run(
        "pg_ctl", "-D", str(data_dir), "-o", options, "-l", str(root / "log"), "-w", "start"
    )
    cluster._run("createdb", "-h", "127.0.0.1", "-p", str(cluster.port), "-U", user, "dispatch")
    return cluster


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


ACTIVITY_SQL = """
SELECT a.pid, a.datname, a.state, a.wait_event_type, a.wait_event,
       pg_blocking_pids(a.pid) AS blocked_by,
       now() - a.xact_start AS in_transaction, left(a.query, 300) AS query
FROM pg_stat_activity a
WHERE a.datname IS NOT NULL AND a.pid <> pg_backend_pid()
ORDER BY a.xact_start NULLS LAST
"""


def activity_report(env: dict[str, str], log_path: Path | None) -> str:
    """Every other session of the cluster (state, what it waits on, who blocks it, its
    query) and the cluster log's lock-wait lines: printed when a test hits its timeout."""
    import psycopg

    lines: list[str] = []
    try:
        with psycopg.connect(
            host=env["DB_HOST"], port=int(env["DB_PORT"]), dbname=env["POSTGRES_DB"],
            user=env["POSTGRES_USER"], connect_timeout=5, autocommit=True,
        ) as connection:  # fmt: skip
            lines += [" | ".join(map(str, row)) for row in connection.execute(ACTIVITY_SQL)]
    except psycopg.Error as exc:
        lines.append(f"pg_stat_activity unavailable: {exc}")
    if log_path and log_path.exists():
        log = log_path.read_text(errors="replace").splitlines()
        lines += [line for line in log if "waiting for" in line or "Process holding" in line][-40:]
    return "\n".join(lines)


def vacuum(cursor, table: str, *, wait_seconds: float = 10.0) -> None:
    """VACUUM ANALYZE ``table`` as autovacuum does after a bulk load: its visibility map set, so
    index-only scans skip the heap. The test cluster commits asynchronously
    (synchronous_commit=off) and VACUUM marks no page all-visible before the WAL of the rows'
    commits is flushed: wait for the WAL writer to flush what was written so far (~0.2 s)."""
    cursor.execute("SELECT pg_current_wal_insert_lsn()")
    (written,) = cursor.fetchone()
    for _ in range(int(wait_seconds / 0.05)):
        cursor.execute("SELECT pg_current_wal_flush_lsn() >= %s::pg_lsn", [written])
        if cursor.fetchone()[0]:
            break
        time.sleep(0.05)
    cursor.execute(f"VACUUM ANALYZE {table}")
