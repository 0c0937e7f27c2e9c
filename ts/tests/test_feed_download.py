"""Downloading TowerStore feeds from a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ts.feeds import POLES, FeedError, fetch
from ts.models import BaseStation, Contractor, Pole
from ts.services import import_towerstore
from ts.tests.test_feed_import import DEMO, pole_record, snapshot

pytestmark = pytest.mark.django_db


@dataclass
class Route:
    body: bytes = b"[]"
    status: int = 200
    delay: float = 0.0
    declared_length: int | None = None  # more than the body: the connection drops mid-body


@dataclass
class FeedServer:
    """A tiny TowerStore: serves configured bodies and records request headers."""

    routes: dict[str, Route] = field(default_factory=dict)
    headers: list[dict[str, str]] = field(default_factory=list)
    base_url: str = ""

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    state = FeedServer()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.headers.append(dict(self.headers))
            route = state.routes.get(self.path, Route(b"not found", 404))
            time.sleep(route.delay)
            try:
                self.send_response(route.status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                length = route.declared_length or len(route.body)
                self.send_header("Content-Length", str(length))
                self.end_headers()
                self.wfile.write(route.body)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def feeds_configured(settings, feed_server: FeedServer) -> FeedServer:
    settings.TS_POLES_TL_URL = feed_server.url("/poles.json")
    settings.TS_AVR_REPORT_URL = feed_server.url("/avr.json")
    settings.TS_BS_REPORT_URL = feed_server.url("/base_stations.json")
    settings.TS_TIMEOUT = 1
    settings.TS_AUTH_HEADER = ""
    for name in ("poles.json", "avr.json", "base_stations.json"):
        feed_server.routes[f"/{name}"] = Route((DEMO / name).read_bytes())
    return feed_server


def test_all_feeds_download_and_import(feeds_configured):
    assert (DEMO / "poles.json").read_bytes().startswith(b"\xef\xbb\xbf")  # BOM is served
    outcomes = import_towerstore()
    assert [o.error for o in outcomes] == ["", "", ""]
    assert Pole.objects.count() == 10
    assert BaseStation.objects.filter(name="БС-77-12345", pole__code="77-12345").exists()
    assert Contractor.objects.filter(name="ООО «Невская АВР»").exists()


def test_auth_header_is_sent(settings, feeds_configured):
    settings.TS_AUTH_HEADER = "Authorization: Bearer s3cret"
    fetch(POLES)
    assert feeds_configured.headers[-1]["Authorization"] == "Bearer s3cret"


def test_bare_token_goes_into_authorization(settings, feeds_configured):
    settings.TS_AUTH_HEADER = "OAuth abc"
    fetch(POLES)
    assert feeds_configured.headers[-1]["Authorization"] == "OAuth abc"


@pytest.mark.parametrize(
    ("route", "reason"),
    [
        (Route(b"oops", 500), "HTTP 500"),
        (Route(b"", 404), "HTTP 404"),
        (Route(b"[]"), "пуста"),
        (Route(b"\xef\xbb\xbf[]"), "пуста"),
        (Route(b'[{"SiteId": 1, "\xd0\xa8\xd0\xb8\xd1\x84\xd1\x80": "77-'), "JSON"),
        (Route(b'{"SiteId": 1}'), "JSON-список"),
        (Route(b"<html>maintenance</html>"), "JSON"),
        (Route(b'[{"SiteId": 1}', declared_length=5000), "не удалось скачать"),
        (Route(b"\xff\xfe[]"), "UTF-8"),
        (Route(json.dumps([{"foo": "bar"}]).encode()), "SiteId"),
    ],
    ids=[
        "500",
        "404",
        "empty",
        "empty-bom",
        "truncated",
        "object",
        "html",
        "cut-connection",
        "utf16",
        "columns",
    ],
)
def test_bad_poles_feed_is_refused_and_changes_nothing(feeds_configured, route, reason):
    import_towerstore()
    before = snapshot()
    feeds_configured.routes["/poles.json"] = route
    [outcome] = import_towerstore(feeds=[POLES])
    assert outcome.report is None
    assert reason in outcome.error
    assert snapshot() == before


def test_slow_feed_times_out_with_a_clear_error(feeds_configured):
    feeds_configured.routes["/poles.json"] = Route(b"[]", delay=2.5)
    started = time.monotonic()
    with pytest.raises(FeedError, match="нет ответа за 1 с"):
        fetch(POLES)
    assert time.monotonic() - started < 2.4


def test_unreachable_server_is_a_clear_error(settings):
    settings.TS_POLES_TL_URL = "http://127.0.0.1:9/poles.json"
    settings.TS_TIMEOUT = 1
    with pytest.raises(FeedError, match=r"127\.0\.0\.1:9"):
        fetch(POLES)


def test_missing_url_setting_is_a_clear_error(settings):
    settings.TS_POLES_TL_URL = ""
    with pytest.raises(FeedError, match="TS_POLES_TL_URL"):
        fetch(POLES)


def test_feed_that_would_deactivate_too_many_poles_is_refused(settings, feeds_configured):
    settings.TS_MAX_DELETE_SHARE = 0.2
    call_command("import_towerstore")
    before = snapshot()
    feeds_configured.routes["/poles.json"] = Route(
        json.dumps([pole_record(1001, "77-12345")], ensure_ascii=False).encode()
    )
    with pytest.raises(CommandError, match="poles"):
        call_command("import_towerstore", feed=["poles"])
    assert snapshot() == before
    assert Pole.objects.filter(is_active=True).count() == 10


def test_unconfigured_feeds_are_skipped_not_failed(settings, capsys):
    settings.TS_POLES_TL_URL = settings.TS_AVR_REPORT_URL = settings.TS_BS_REPORT_URL = ""
    call_command("import_towerstore")
    out = capsys.readouterr().out
    assert "TS_POLES_TL_URL" in out and "TS_BS_REPORT_URL" in out
    assert not Pole.objects.exists()
