"""Helpers for the operations tests: the repository root, the Supervisor programs, free ports,
HTTP polling."""

from __future__ import annotations

import json
import os
import socket
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SUPERVISOR_CONFIG = ROOT / "supervisord.conf"


def supervisor_programs(run_dir: Path) -> dict:
    """Every program of ``supervisord.conf`` as Supervisor reads it (this interpreter, logs and
    control socket in ``run_dir``): name → ``ProcessConfig`` (``.command``, ``.directory``…)."""
    from supervisor.options import ServerOptions

    os.environ.update(
        DISPATCH_PYTHON=sys.executable,
        DISPATCH_LOG_DIR=str(run_dir),
        DISPATCH_RUN_DIR=str(run_dir),
    )
    options = ServerOptions()
    options.configfile = str(SUPERVISOR_CONFIG)
    options.process_config(do_usage=False)
    return {p.name: p for g in options.process_group_configs for p in g.process_configs}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_get(url: str, timeout: float = 5.0, headers: dict | None = None):
    """(status, headers, body) of a GET; HTTP errors are returned, not raised."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


def wait_for(check: Callable[[], object], timeout: float, what: str, step: float = 0.5):
    """Poll ``check`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            result = check()
        except (OSError, ValueError, KeyError) as exc:  # not up yet: keep polling
            last_error = exc
        else:
            if result:
                return result
        time.sleep(step)
    raise AssertionError(f"timed out waiting for {what} (last error: {last_error!r})")


class FakeTelegram(ThreadingHTTPServer):
    """A local Bot API endpoint that records sendMessage calls."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.messages: list[tuple[str, dict]] = []
        super().__init__(("127.0.0.1", 0), _Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: FakeTelegram

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.messages.append((self.path, body))
        self.send_response(self.server.status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"ok": true}')

    def log_message(self, *args) -> None:
        pass
