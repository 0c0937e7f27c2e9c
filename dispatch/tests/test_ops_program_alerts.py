"""watch_programs: the Supervisor event listener alerts when a program dies and recovers."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import threading

import pytest

from dispatch.alerts import FAILURE, RECOVERY
from dispatch.supervisor_events import ProgramWatch, read_event
from dispatch.tests.ops_support import ROOT, FakeTelegram, wait_for


def event(name: str, payload: str) -> str:
    header = f"ver:3.0 server:supervisor serial:1 pool:watch_programs poolserial:1 eventname:{name}"
    return f"{header} len:{len(payload)}\n{payload}"


def test_exit_fatal_and_recovery_are_classified():
    watch = ProgramWatch()
    stream = io.StringIO(
        event("PROCESS_STATE_RUNNING", "processname:web groupname:web from_state:STARTING pid:1")
        + event(
            "PROCESS_STATE_EXITED",
            "processname:web groupname:web from_state:RUNNING expected:0 pid:1",
        )
        + event(
            "PROCESS_STATE_EXITED",
            "processname:cron groupname:cron from_state:STOPPING expected:1 pid:2",
        )
        + event(
            "PROCESS_STATE_FATAL", "processname:sla_sweep groupname:sla_sweep from_state:BACKOFF"
        )
        + event("PROCESS_STATE_RUNNING", "processname:web groupname:web from_state:STARTING pid:3")
    )
    verdicts = []
    while (item := read_event(stream)) is not None:
        verdicts.append(watch.classify(*item))
    assert verdicts == [
        None,  # a normal start
        (FAILURE, "web", "exited"),
        None,  # an expected stop (shutdown)
        (FAILURE, "sla_sweep", "FATAL"),
        (RECOVERY, "web", ""),
    ]


@pytest.fixture
def telegram():
    server = FakeTelegram()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def test_listener_speaks_the_protocol_sends_alerts_and_stops_on_sigterm(telegram, tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if k != "TEST_DB"},
        "DJANGO_SETTINGS_MODULE": "dispatch.settings",
        "SECRET_KEY": "listener-test-" + "k" * 40,
        "DATA_DIR": str(tmp_path),
        "TG_TOKEN": "1:abc",
        "TG_DEFAULT_USER_ID": "7",
        "TG_API_URL": telegram.url,
        "LOG_STREAM": "stderr",
    }
    listener = subprocess.Popen(
        [sys.executable, "manage.py", "watch_programs"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert listener.stdout.readline() == "READY\n"
        listener.stdin.write(
            event(
                "PROCESS_STATE_FATAL",
                "processname:push_tracker groupname:push_tracker from_state:BACKOFF",
            )
        )
        listener.stdin.flush()
        assert listener.stdout.read(len("RESULT 2\nOK")) == "RESULT 2\nOK"
        assert listener.stdout.readline() == "READY\n"
        wait_for(lambda: telegram.messages, 10, "the alert")
        assert "push_tracker" in telegram.messages[0][1]["text"]
        listener.send_signal(signal.SIGTERM)
        assert listener.wait(timeout=20) == 0
    finally:
        if listener.poll() is None:
            listener.kill()
        stderr = listener.stderr.read()
    assert "program=push_tracker failure FATAL" in stderr
