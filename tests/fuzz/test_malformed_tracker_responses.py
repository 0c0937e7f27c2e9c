"""A tracker that answers garbage (a tiny local HTTP server on 127.0.0.1): HTML error pages,
truncated or wrongly shaped JSON, huge bodies. The client raises its typed TrackerError, a push
cycle records the failure and keeps the incident for the next cycle — no crash, no duplicate."""

from __future__ import annotations

import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine
from django.utils import timezone

from incidents.services import create_incident
from yandex_tracker.client import TrackerClient
from yandex_tracker.errors import TrackerError, TrackerResponseError
from yandex_tracker.fields import TrackerDirectory
from yandex_tracker.models import TrackerIssue
from yandex_tracker.push import CLAIM_TIMEOUT, push_cycle

pytestmark = pytest.mark.django_db

GARBAGE = {
    "html_200": (200, "text/html", b"<html><body>Service temporarily unavailable</body></html>"),
    "truncated_json": (200, "application/json", b'{"key": "DISP-1", "id": '),
    "json_list": (200, "application/json", b'[1, 2, {"key": null}]'),
    "json_null": (200, "application/json", b"null"),
    "json_string": (200, "application/json", b'"DISP-1"'),
    "wrong_types": (201, "application/json", b'{"key": 5, "id": [], "version": "x", "status": 1}'),
    "empty_201": (201, "application/json", b""),
    "binary": (200, "application/octet-stream", bytes(range(256)) * 64),
    "huge_json": (200, "application/json", b'{"key": "' + b"A" * 5_000_000 + b'"}'),
    "html_502": (502, "text/html", b"<html>Bad gateway</html>"),
    "invalid_retry_after": (429, "application/json", b"{}"),
}


class _Garbage(BaseHTTPRequestHandler):
    answer: tuple[int, str, bytes] = (200, "text/plain", b"")
    headers_extra: dict[str, str] = {}

    def _reply(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        status, ctype, body = self.answer
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        if status == 429:
            self.send_header("Retry-After", "soon, maybe")
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PATCH = _reply

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def garbage_tracker(tracker_settings):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Garbage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    tracker_settings.YT_API_BASE_URL = f"http://127.0.0.1:{server.server_address[1]}"
    tracker_settings.YT_OAUTH_URL = f"http://127.0.0.1:{server.server_address[1]}/oauth/token"
    yield _Garbage
    server.shutdown()
    server.server_close()


NOT_JSON = ["binary", "html_200", "html_502", "invalid_retry_after", "truncated_json"]
WRONG_SHAPE = ["empty_201", "json_list", "json_null", "json_string"]


def _calls(client: TrackerClient) -> dict:
    return {
        "myself": client.myself,
        "get_issue": lambda: client.get_issue("DISP-1"),
        "create_issue": lambda: client.create_issue({"queue": "DISP", "summary": "x"}, unique="u"),
        "comments": lambda: list(client.comments("DISP-1")),
        "search_all": lambda: client.search_all({"queue": "DISP"}),
    }


@pytest.mark.parametrize("kind", NOT_JSON + WRONG_SHAPE)
def test_a_body_that_is_not_the_documented_json_is_a_typed_error(garbage_tracker, kind):
    garbage_tracker.answer = GARBAGE[kind]
    client = TrackerClient(sleep=lambda s: None, max_delay=0.01)
    for call in _calls(client).values():
        with pytest.raises(TrackerError):
            call()


def test_an_object_of_the_wrong_shape_is_a_typed_error(garbage_tracker):
    garbage_tracker.answer = GARBAGE["wrong_types"]  # {"key": 5, "id": [], ...}
    calls = _calls(TrackerClient(sleep=lambda s: None, max_delay=0.01))
    for name in ("get_issue", "create_issue", "comments", "search_all"):
        with pytest.raises(TrackerResponseError, match="where the API documents"):
            calls[name]()


@pytest.mark.parametrize("kind", sorted(GARBAGE))
def test_incident_reaches_the_tracker_once_after_a_garbage_storm(
    garbage_tracker, fake_tracker, tracker_settings, defaults, kind
):
    garbage_tracker.answer = GARBAGE[kind]
    incident = create_incident(
        incident_date=timezone.now(), subject="Нет питания", requester_email="noc@operator.example"
    )
    client = TrackerClient(sleep=lambda s: None, max_delay=0.01)
    push_cycle(client, TrackerDirectory(client))  # the failure is recorded, not raised
    assert not TrackerIssue.objects.filter(incident=incident, key__isnull=False).exists()

    tracker_settings.YT_API_BASE_URL = fake_tracker.url  # the tracker is healthy again
    tracker_settings.YT_OAUTH_URL = fake_tracker.oauth_url
    with time_machine.travel(timezone.now() + CLAIM_TIMEOUT + timedelta(seconds=1), tick=False):
        client = TrackerClient(sleep=lambda s: None)
        push_cycle(client, TrackerDirectory(client))
    link = TrackerIssue.objects.get(incident=incident)
    assert link.key in fake_tracker.state.issues
    assert len(fake_tracker.state.issues) == 1
