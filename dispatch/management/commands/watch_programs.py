"""Supervisor event listener: Telegram alert when a program dies and when it runs again.

stdout belongs to the Supervisor protocol: run it with ``LOG_STREAM=stderr`` (supervisord.conf
does) so that nothing logged while Django starts reaches stdout.
"""

from __future__ import annotations

import logging
import signal
import sys
from typing import Any

from django.core.management.base import BaseCommand

from dispatch.alerts import program_outcome
from dispatch.supervisor_events import OK, READY, ProgramWatch, read_event

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Supervisor event listener: alert on programs that die and recover (TG_* settings)."

    def handle(self, *args: Any, **options: Any) -> None:
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        watch = ProgramWatch()
        while True:
            sys.stdout.write(READY)
            sys.stdout.flush()
            event = read_event(sys.stdin)
            if event is None:
                return
            verdict = watch.classify(*event)
            if verdict:
                kind, program, detail = verdict
                logger.warning("program=%s %s %s", program, kind, detail)
                program_outcome(program, kind, detail)
            sys.stdout.write(OK)
            sys.stdout.flush()
