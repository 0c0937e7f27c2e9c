"""Run the fake tracker on 127.0.0.1 in a background thread (tests, bench) or in the foreground."""

from __future__ import annotations

import threading
from http.server import ThreadingHTTPServer
from typing import Any

from yandex_tracker.fake.http import Api, make_handler
from yandex_tracker.fake.state import FakeTracker


class FakeTrackerServer:
    """A running fake: ``url`` (API base), ``oauth_url`` (token endpoint), ``state`` (data)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, **state_options: Any) -> None:
        self.state = FakeTracker(**state_options)
        self.httpd = ThreadingHTTPServer((host, port), make_handler(Api(self.state)))
        self.httpd.daemon_threads = True
        self.host, self.port = self.httpd.server_address[:2]
        self.url = f"http://{self.host}:{self.port}"
        self.oauth_url = f"{self.url}/oauth/token"
        self.state.base_url = self.url
        self._thread: threading.Thread | None = None

    def start(self) -> FakeTrackerServer:
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, name="fake-tracker", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self.httpd.serve_forever()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeTrackerServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
