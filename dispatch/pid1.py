"""Signal handling while DISPATCH runs as a container's PID 1, before Supervisor takes over.

A PID 1 has no default signal actions: SIGTERM without a handler is dropped, and `docker stop`
would wait out the whole grace period while ``run_dispatch`` initialises. The handler here stops
at once instead; supervisord and the workers install their own handlers once they run.
"""

from __future__ import annotations

import os
import signal
import sys
import threading

#: If the SystemExit is swallowed (the handler ran inside a ``__del__`` or a GC callback, where
#: Python only prints exceptions), the process still ends this many seconds after the signal.
HARD_EXIT_AFTER_SECONDS = 3.0

_stop_requested = False


def stop_requested() -> bool:
    """True once PID 1 got SIGTERM (the SystemExit may have been swallowed on its way out)."""
    return _stop_requested


def _stop(signum: int, frame: object) -> None:
    global _stop_requested
    _stop_requested = True
    print("SIGTERM: stopping", file=sys.stderr, flush=True)
    backstop = threading.Timer(HARD_EXIT_AFTER_SECONDS, os._exit, args=(0,))
    backstop.daemon = True
    backstop.start()
    raise SystemExit(0)


def exit_on_sigterm_as_pid1() -> None:
    """Install the stop handler when this process is PID 1; elsewhere do nothing."""
    if os.getpid() == 1:
        signal.signal(signal.SIGTERM, _stop)
