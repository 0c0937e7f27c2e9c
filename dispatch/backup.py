"""Database backup and restore: ``pg_dump`` custom format on PostgreSQL, the SQLite backup API.

A backup is written to a ``.partial`` file and renamed when complete, so a crash never leaves a
half-written file that looks like a backup. ``rotate_backups`` removes backups older than the
retention period but always keeps the newest one. The database password goes only into the
child process environment (never into this process's ``os.environ`` or a command line).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import connections
from django.utils import timezone

logger = logging.getLogger(__name__)

NAME_RE = re.compile(r"^dispatch_(?P<db>[\w.-]+)_(?P<stamp>\d{8}-\d{6})\.(?:dump|sqlite3)$")
STAMP_FORMAT = "%Y%m%d-%H%M%S"
PG_TIMEOUT_SECONDS = 6 * 3600


class BackupError(Exception):
    """A backup or restore could not be made; the message says why."""


@dataclass(frozen=True)
class Database:
    """Connection facts of the ``default`` database."""

    vendor: str
    name: str
    host: str = ""
    port: str = ""
    user: str = ""
    password: str = ""

    @classmethod
    def default(cls) -> Database:
        conn = connections["default"]
        params = conn.settings_dict
        return cls(
            vendor=conn.vendor,
            name=str(params["NAME"]),
            host=str(params.get("HOST") or ""),
            port=str(params.get("PORT") or ""),
            user=str(params.get("USER") or ""),
            password=str(params.get("PASSWORD") or ""),
        )

    def pg_args(self) -> list[str]:
        args = []
        if self.host:
            args += ["-h", self.host]
        if self.port:
            args += ["-p", self.port]
        if self.user:
            args += ["-U", self.user]
        return args

    def pg_env(self) -> dict[str, str]:
        env = dict(os.environ)
        if self.password:
            env["PGPASSWORD"] = self.password
        return env


def pg_tool(name: str) -> str:
    """Path of a PostgreSQL client program (``PG_BIN_DIR``, newest Debian version, then PATH)."""
    candidates = [Path(settings.PG_BIN_DIR) / name] if settings.PG_BIN_DIR else []
    candidates += sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True)
    for candidate in candidates:
        if candidate.exists():
            return str(candidate)
    found = shutil.which(name)
    if found:
        return found
    raise BackupError(f"{name} not found: install postgresql-client or set PG_BIN_DIR")


def _run(cmd: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(  # noqa: S603 - fixed program, arguments from settings
        cmd, env=env, capture_output=True, text=True, timeout=PG_TIMEOUT_SECONDS, check=False
    )
    if result.returncode != 0:
        raise BackupError(f"{Path(cmd[0]).name} failed: {result.stderr.strip()[-2000:]}")


def backup_database(target_dir: Path | None = None, *, now: datetime | None = None) -> Path:
    """Write a backup of the default database into ``target_dir``; return its path."""
    db = Database.default()
    target_dir = Path(target_dir or settings.BACKUP_DIR)
    target_dir.mkdir(parents=True, exist_ok=True)
    stamp = timezone.localtime(now or timezone.now()).strftime(STAMP_FORMAT)
    label = re.sub(r"[^\w.-]", "_", Path(db.name).stem if db.vendor == "sqlite" else db.name)
    suffix = "dump" if db.vendor == "postgresql" else "sqlite3"
    final = target_dir / f"dispatch_{label}_{stamp}.{suffix}"
    partial = final.with_name(final.name + ".partial")
    try:
        if db.vendor == "postgresql":
            cmd = [pg_tool("pg_dump"), *db.pg_args(), "-Fc", "-f", str(partial), db.name]
            _run(cmd, db.pg_env())
        elif db.vendor == "sqlite":
            _sqlite_copy(partial)
        else:
            raise BackupError(f"backups of {db.vendor} databases are not supported")
        os.replace(partial, final)
    finally:
        partial.unlink(missing_ok=True)
    logger.info("backup written path=%s bytes=%d", final, final.stat().st_size)
    return final


def _sqlite_copy(target: Path) -> None:
    """Copy the live SQLite database consistently (online backup API, page by page)."""
    conn = connections["default"]
    conn.ensure_connection()
    dst = sqlite3.connect(target)
    try:
        conn.connection.backup(dst)
    finally:
        dst.close()


def rotate_backups(
    target_dir: Path | None = None, *, keep_days: int | None = None, now: datetime | None = None
) -> list[Path]:
    """Delete backups older than ``keep_days`` (by the time in their name); keep the newest."""
    target_dir = Path(target_dir or settings.BACKUP_DIR)
    keep = settings.BACKUP_KEEP_DAYS if keep_days is None else keep_days
    if not target_dir.is_dir():
        return []
    dated = []
    for path in target_dir.iterdir():
        match = NAME_RE.match(path.name)
        if match and path.is_file():
            dated.append((datetime.strptime(match["stamp"], STAMP_FORMAT), path))
    dated.sort()
    cutoff = timezone.localtime(now or timezone.now()).replace(tzinfo=None) - timedelta(days=keep)
    removed = []
    for stamp, path in dated[:-1]:
        if stamp < cutoff:
            path.unlink()
            removed.append(path)
            logger.info("old backup removed path=%s", path)
    return removed


def restore_database(path: Path) -> None:
    """Replace the default database's contents with the backup at ``path``."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"backup file not found: {path}")
    db = Database.default()
    if db.vendor == "postgresql":
        connections.close_all()
        # Validate the archive before touching the database.
        _run([pg_tool("pg_restore"), "--list", str(path)], db.pg_env())
        cmd = [
            pg_tool("pg_restore"),
            *db.pg_args(),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            "-d",
            db.name,
            str(path),
        ]
        _run(cmd, db.pg_env())
    elif db.vendor == "sqlite":
        _check_sqlite(path)
        conn = connections["default"]
        conn.ensure_connection()
        src = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            src.backup(conn.connection)
        finally:
            src.close()
    else:
        raise BackupError(f"restore of {db.vendor} databases is not supported")
    logger.info("database restored from path=%s", path)


def _check_sqlite(path: Path) -> None:
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            result = conn.execute("PRAGMA integrity_check").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"not a usable SQLite backup: {path} ({exc})") from exc
    if not result or result[0] != "ok":
        raise BackupError(f"SQLite backup failed its integrity check: {path}")
