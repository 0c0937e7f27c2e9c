"""Run DISPATCH in the foreground: initialise, then Supervisor with the web app and all workers.

The same command is the container's entry point, so what runs locally is what runs in
production. Supervisor starts only after ``init_dispatch`` succeeded (no sleeps); SIGTERM or
Ctrl-C stops every program gracefully.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import connections

from dispatch.pid1 import stop_requested
from dispatch.processes import (
    SUPERVISOR_CONFIG,
    prepare_directories,
    supervisor_environment,
    supervisord_path,
)
from dispatch.supervisor_signals import block_stop_signals


class Command(BaseCommand):
    help = "Initialise, then run the web app and every worker under Supervisor (foreground)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default=None, help="Web address (default GUNICORN_BIND).")
        parser.add_argument("--config", type=Path, default=SUPERVISOR_CONFIG)
        parser.add_argument(
            "--skip-init", action="store_true", help="Do not run init_dispatch first."
        )

    def handle(self, *args: Any, bind: str | None, config: Path, skip_init: bool, **opts: Any):
        prepare_directories()
        if not skip_init:
            call_command("init_dispatch")
        connections.close_all()
        if stop_requested():  # SIGTERM during init whose SystemExit did not get through
            raise SystemExit(0)
        env = supervisor_environment(bind=bind)
        self.stdout.write(
            f"DISPATCH on http://{env.get('GUNICORN_BIND', settings.GUNICORN_BIND)}/ "
            f"(data in {settings.DATA_DIR}, logs in {env['DISPATCH_LOG_DIR']})"
        )
        self.stdout.flush()
        program = supervisord_path()
        block_stop_signals(config)  # pending, not lost, until supervisord's handlers are in place
        os.execve(program, [program, "-c", str(config)], env)  # noqa: S606
