"""How the process tree is started: Supervisor with ``supervisord.conf`` (see that file)."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from django.conf import settings

SUPERVISOR_CONFIG = settings.BASE_DIR / "supervisord.conf"


def supervisord_path() -> str:
    """The supervisord next to this interpreter (the venv), else the one on PATH."""
    beside = Path(sys.executable).with_name("supervisord")
    if beside.exists():
        return str(beside)
    found = shutil.which("supervisord")
    if not found:
        raise FileNotFoundError("supervisord not found (pip install -r requirements.txt)")
    return found


def prepare_directories() -> None:
    """Create the data, log and SQLite directories a fresh checkout or volume may lack."""
    directories = [Path(settings.DATA_DIR), Path(settings.LOG_DIR), Path(settings.BACKUP_DIR)]
    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3"):
        directories.append(Path(database["NAME"]).parent)
    for directory in directories:
        directory.mkdir(parents=True, exist_ok=True)


def supervisor_environment(*, bind: str | None = None) -> dict[str, str]:
    """Environment for supervisord and its programs (the variables supervisord.conf uses)."""
    run_dir = Path(settings.DATA_DIR) / "run"
    log_dir = Path(settings.LOG_DIR)
    run_dir.mkdir(parents=True, exist_ok=True)
    log_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.update(
        DISPATCH_PYTHON=sys.executable,
        DISPATCH_LOG_DIR=str(log_dir.resolve()),
        DISPATCH_RUN_DIR=str(run_dir.resolve()),
        DJANGO_SETTINGS_MODULE=os.environ.get("DJANGO_SETTINGS_MODULE", "dispatch.settings"),
        # supervisord imports its RPC interface factory from the project (supervisord.conf)
        PYTHONPATH=os.pathsep.join(
            filter(None, [str(settings.BASE_DIR), os.environ.get("PYTHONPATH", "")])
        ),
        PYTHONUNBUFFERED="1",
        # supervisord's own log lines carry no offset: write them in UTC like every line the
        # programs log (Django sets each program's TZ to TIME_ZONE again at start).
        TZ="UTC",
    )
    if bind:
        env["GUNICORN_BIND"] = bind
    return env
