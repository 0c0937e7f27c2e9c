"""The nginx gateway: `nginx -t` accepts the config, and a real nginx in front of a local backend
hides /media/, sets security headers, passes the real client address and rate-limits."""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from dispatch.tests.ops_support import ROOT, free_port, http_get, wait_for

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
pytestmark = pytest.mark.skipif(not Path(NGINX).exists(), reason="Debian nginx not installed")


def run_entrypoint(tmp_path: Path, trusted: str | None = None) -> subprocess.CompletedProcess:
    """The gateway's own entrypoint (no command: it only writes nginx's includes) with this
    host's DNS and ``TRUSTED_PROXY_CIDRS`` = ``trusted`` (None: unset)."""
    env = {
        **os.environ,
        "NGINX_RESOLVER_CONF": str(tmp_path / "resolver.conf"),
        "NGINX_TRUSTED_PROXIES_CONF": str(tmp_path / "trusted_proxies.conf"),
    }
    env.pop("TRUSTED_PROXY_CIDRS", None)
    if trusted is not None:
        env["TRUSTED_PROXY_CIDRS"] = trusted
    return subprocess.run(
        ["sh", str(ROOT / "gateway" / "entrypoint.sh")],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )


def local_config(
    tmp_path: Path, backend_port: int, listen_port: int, *, trusted: str | None = None
) -> Path:
    """gateway/nginx.conf with the compose host names replaced by local addresses and the
    includes the entrypoint writes (``trusted``: its TRUSTED_PROXY_CIDRS, None: the default,
    which trusts the test client on 127.0.0.1 as our proxy)."""
    written = run_entrypoint(tmp_path, trusted)
    assert written.returncode == 0, written.stderr
    text = (ROOT / "gateway" / "nginx.conf").read_text()
    replacements = {
        "set $backend dispatch_backend:8000;": f"set $backend 127.0.0.1:{backend_port};",
        "include /etc/nginx/resolver.conf;": f"include {tmp_path}/resolver.conf;",
        "include /etc/nginx/trusted_proxies.conf;": f"include {tmp_path}/trusted_proxies.conf;",
        "listen 80 default_server;": f"listen 127.0.0.1:{listen_port} default_server;",
        "pid /tmp/nginx.pid;": f"pid {tmp_path}/nginx.pid;",
        "/tmp/nginx-": f"{tmp_path}/nginx-",
        "alias /app/static/;": f"alias {tmp_path}/static/;",
        "alias /app/media/;": f"alias {tmp_path}/media/;",
        "error_log /dev/stderr warn;": f"error_log {tmp_path}/error.log warn;",
        "access_log /dev/stdout main;": f"access_log {tmp_path}/access.log main;",
    }
    for old, new in replacements.items():
        assert old in text, old
        text = text.replace(old, new)
    if os.geteuid() == 0:  # workers would run as "nobody" and could not read tmp_path
        text = f"user {pwd.getpwuid(0).pw_name};\n" + text
    path = tmp_path / "nginx.conf"
    path.write_text(text)
    return path


def test_nginx_accepts_the_gateway_config(tmp_path):
    config = local_config(tmp_path, backend_port=8000, listen_port=free_port())
    result = subprocess.run(
        [NGINX, "-t", "-c", str(config), "-e", str(tmp_path / "t.log")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


class EchoBackend(BaseHTTPRequestHandler):
    """Answers with the path and the forwarding headers it received."""

    def do_GET(self) -> None:
        body = json.dumps(
            {
                "path": self.path,
                "x_forwarded_for": self.headers.get("X-Forwarded-For"),
                "x_real_ip": self.headers.get("X-Real-IP"),
                "x_forwarded_proto": self.headers.get("X-Forwarded-Proto"),
                "host": self.headers.get("Host"),
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        if self.path.startswith("/own-policy/"):  # a page with a policy of its own
            self.send_header("Content-Security-Policy", "default-src 'self'; worker-src blob:")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


def start_gateway(tmp_path: Path, *, trusted: str | None = None):
    """A real nginx with the gateway config in front of an echo backend; yields its base URL."""
    backend = ThreadingHTTPServer(("127.0.0.1", 0), EchoBackend)
    threading.Thread(target=backend.serve_forever, daemon=True).start()
    port = free_port()
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "app.css").write_text("body{}")
    (tmp_path / "media" / "attachments").mkdir(parents=True)
    (tmp_path / "media" / "attachments" / "secret.pdf").write_text("private")
    config = local_config(tmp_path, backend.server_address[1], port, trusted=trusted)
    nginx = subprocess.Popen(
        [NGINX, "-c", str(config), "-e", str(tmp_path / "error.log"), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "nginx.err").open("w"),
    )
    base = f"http://127.0.0.1:{port}"
    try:

        def started():
            assert nginx.poll() is None, (tmp_path / "nginx.err").read_text()
            return http_get(base + "/static/app.css")[0] == 200

        wait_for(started, 20, "nginx")
        yield base
    finally:
        nginx.terminate()
        nginx.wait(timeout=20)
        backend.shutdown()
        backend.server_close()


@pytest.fixture
def gateway(tmp_path):
    yield from start_gateway(tmp_path)


@pytest.fixture
def gateway_for_outsiders(tmp_path):
    """The test client on 127.0.0.1 is an ordinary client: the trusted proxy is elsewhere."""
    (tmp_path / "outsiders").mkdir()
    yield from start_gateway(tmp_path / "outsiders", trusted="192.0.2.1, 2001:db8::/32")


def test_gateway_serves_static_hides_media_and_proxies_with_headers(gateway):
    status, headers, body = http_get(gateway + "/static/app.css")
    assert (status, body) == (200, b"body{}")
    assert "max-age" in headers["Cache-Control"]

    status, _headers, body = http_get(gateway + "/media/attachments/secret.pdf")
    assert status == 404 and b"private" not in body
    assert http_get(gateway + "/protected-media/attachments/secret.pdf")[0] == 404

    status, headers, body = http_get(gateway + "/api/v1/incidents/")
    assert status == 200
    echoed = json.loads(body)
    assert echoed["x_forwarded_for"] == "127.0.0.1"
    assert echoed["x_real_ip"] == "127.0.0.1"
    # The port stays in Host: Django's CSRF check compares it with the browser's Origin.
    assert echoed["host"] == gateway.removeprefix("http://")
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert "nginx/" not in headers.get("Server", "")


def test_gateway_sends_the_apps_policy_or_the_same_default(gateway):
    """What nginx serves itself (static files, refusals) gets the app's default policy; a
    proxied page keeps the one policy the app chose for it (never two policies at once)."""
    from dispatch.csp import POLICY

    for path in ("/static/app.css", "/media/attachments/secret.pdf", "/api/v1/incidents/"):
        _status, headers, _body = http_get(gateway + path)
        assert headers.get_all("Content-Security-Policy") == [POLICY], path
    _status, headers, _body = http_get(gateway + "/own-policy/")
    assert headers.get_all("Content-Security-Policy") == ["default-src 'self'; worker-src blob:"]


def test_a_forged_forwarded_for_from_an_untrusted_client_is_replaced(gateway):
    # 127.0.0.1 is a trusted proxy here, so the gateway takes the last untrusted address it
    # was given and overwrites the header: the backend sees exactly one client address.
    _status, _headers, body = http_get(
        gateway + "/api/v1/x", headers={"X-Forwarded-For": "1.1.1.1, 203.0.113.7"}
    )
    assert json.loads(body)["x_forwarded_for"] == "203.0.113.7"


def test_login_is_rate_limited_per_client(gateway):
    statuses = [http_get(gateway + "/admin/login/")[0] for _ in range(12)]
    assert statuses[0] == 200
    assert 429 in statuses
    # Another client (as told by the trusted proxy in front) is not affected.
    other = http_get(gateway + "/admin/login/", headers={"X-Forwarded-For": "198.51.100.9"})
    assert other[0] == 200


def test_forwarded_headers_are_taken_from_trusted_proxies_only(gateway, gateway_for_outsiders):
    """Our TLS proxy's X-Forwarded-Proto reaches the app; a client's own is replaced by the
    scheme it really used (plain HTTP must not pass for HTTPS), and so is its X-Forwarded-For."""
    for base, sent, seen in (
        (gateway, "https", "https"),
        (gateway, None, "http"),
        (gateway_for_outsiders, "https", "http"),
        (gateway_for_outsiders, "https, evil", "http"),
        (gateway_for_outsiders, None, "http"),
    ):
        headers = {"X-Forwarded-Proto": sent} if sent else {}
        _status, _headers, body = http_get(base + "/api/v1/x", headers=headers)
        assert json.loads(body)["x_forwarded_proto"] == seen, (base, sent)
    _status, _headers, body = http_get(
        gateway_for_outsiders + "/api/v1/x", headers={"X-Forwarded-For": "203.0.113.7"}
    )
    assert json.loads(body)["x_forwarded_for"] == "127.0.0.1"


def test_trusted_proxies_default_to_loopback_and_private_networks(tmp_path):
    """Unset, empty or "default" (what compose passes for an empty value): loopback and the
    private networks, podman's 10.88.0.0/15 among them."""
    for value in (None, "", "default"):
        assert run_entrypoint(tmp_path, value).returncode == 0
        text = (tmp_path / "trusted_proxies.conf").read_text()
        for cidr in ("127.0.0.1/32", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"):
            assert f"set_real_ip_from {cidr};" in text and f"    {cidr} 1;" in text, cidr


@pytest.mark.parametrize(
    "value", ["10.0.0.0/8; allow all", "10.0.0.0/8 }", "proxy.example", "*", "1.2.3.4\nx"]
)
def test_a_trusted_proxy_list_that_is_not_addresses_is_refused(tmp_path, value):
    """Whatever the setting holds never becomes nginx configuration: the gateway refuses to
    start and says why."""
    result = run_entrypoint(tmp_path, value)
    assert result.returncode == 1
    assert "TRUSTED_PROXY_CIDRS" in result.stderr and "is not an address or CIDR" in result.stderr
