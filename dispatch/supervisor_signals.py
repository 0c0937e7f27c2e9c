"""No stop signal lost while Supervisor starts or spawns a program.

Supervisor catches SIGTERM in Python. A program it has just forked still runs that handler until
it execs: the TERM Supervisor sends it in that window (a stop in Supervisor's first second, when
every program is spawned at once) lands in the child's copy of Supervisor and is dropped, and
the shutdown waits out the program's ``stopwaitsecs`` (15 minutes for cron). The same signal to
PID 1 between ``run_dispatch``'s exec and Supervisor's handlers is dropped by the kernel.

The fix is the textbook one, in the one place every program is forked: the stop signals are
blocked around ``fork()``; the child resets them to their default action before unblocking, so
a stop sent before its exec ends it at once. ``run_dispatch`` blocks them before it execs
Supervisor; they are unblocked once Supervisor's handlers are in place, and a pending stop is
then handled as usual. Supervisor loads this module as its RPC interface factory
(supervisord.conf) and gets the standard interface back; it must not import Django.
"""

from __future__ import annotations

import configparser
import os
import signal
from pathlib import Path
from typing import Any

from supervisor.rpcinterface import make_main_rpcinterface

#: The signals Supervisor treats as stop (TERM, INT, QUIT) or restart (HUP) requests.
STOP_SIGNALS = frozenset({signal.SIGTERM, signal.SIGINT, signal.SIGQUIT, signal.SIGHUP})


FACTORY = f"{__name__}:make_rpcinterface"


def installed_by(config: Path) -> bool:
    """True when the Supervisor configuration ``config`` loads this module's factory."""
    parser = configparser.RawConfigParser(strict=False, inline_comment_prefixes=(";",))
    parser.read(config, encoding="utf-8")
    return any(
        parser.get(section, "supervisor.rpcinterface_factory", fallback="").strip() == FACTORY
        for section in parser.sections()
        if section.startswith("rpcinterface:")
    )


def block_stop_signals(config: Path) -> None:
    """Hold stop signals pending (the mask survives exec) until Supervisor can handle them.

    Only for a configuration that loads the factory below, which unblocks them: under any
    other, Supervisor and every program would ignore a stop for good.
    """
    if installed_by(config):
        signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)


def fork_keeping_stop_signals() -> int:
    """``os.fork()`` for a program: a stop sent before the child execs is not lost."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    pid = os.fork()
    if pid == 0:
        for signum in STOP_SIGNALS:
            signal.signal(signum, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)  # a pending stop ends it here
    else:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
    return pid


def make_rpcinterface(supervisord: Any, **config: Any) -> Any:
    """Supervisor's RPC interface factory: install the signal handling above, return the usual."""
    options = supervisord.options
    if not getattr(options, "dispatch_stop_signals_kept", False):
        set_handlers = options.setsignals

        def setsignals() -> None:
            set_handlers()
            signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)

        options.setsignals = setsignals
        options.fork = fork_keeping_stop_signals
        options.dispatch_stop_signals_kept = True
    return make_main_rpcinterface(supervisord)
