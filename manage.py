#!/usr/bin/env python
"""Django's command-line utility for DISPATCH."""

import os
import signal
import sys


def exit_on_sigterm_as_pid1() -> None:
    """A container's PID 1 has no default signal actions: SIGTERM without a handler is dropped,
    and `docker stop` would wait out the whole grace period while ``run_dispatch`` initialises.
    Stop at once instead (supervisord and the workers install their own handlers later)."""
    if os.getpid() != 1:
        return

    def stop(signum: int, frame: object) -> None:
        print("SIGTERM: stopping", file=sys.stderr, flush=True)
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)


def main() -> None:
    """Run administrative tasks."""
    exit_on_sigterm_as_pid1()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dispatch.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
