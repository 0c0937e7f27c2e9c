"""The compose stack, built and run as the README's compose section says, checked through the
gateway: styled pages, health, log-in, hidden attachments, no published database port, backup
and restore, fast and clean stops, then the production compose file on the images just built.

The checks run in file order on one stack (``stack`` fixture); later ones restart the backend.
"""

from __future__ import annotations

import re
import time
from functools import partial

import pytest

from dispatch.tests.ops_support import http_get, wait_for
from tests.containers.browser import Browser
from tests.containers.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, PRODUCTION_IMAGES

pytestmark = [pytest.mark.containers, pytest.mark.timeout(2400)]

SERVICES = ("backend", "gateway")  # the two images the project builds
STOP_SECONDS = 30  # a stop "within seconds" (the grace period is 15 minutes)


def stylesheets(page: bytes) -> list[str]:
    return re.findall(r'<link rel="stylesheet" href="([^"]+)"', page.decode())


def assert_styled_login_page(url: str) -> None:
    status, _headers, page = http_get(url + "/accounts/login/")
    assert status == 200, page[:2000]
    links = stylesheets(page)
    assert links and all(re.search(r"\.[0-9a-f]{12}\.css$", link) for link in links), links
    for link in links:
        status, headers, _css = http_get(url + link)
        assert status == 200, link
        assert headers["Content-Type"].startswith("text/css"), link


def test_login_page_is_styled_through_the_gateway(stack):
    # the hashed file names collectstatic wrote, served by nginx from the shared volume
    assert_styled_login_page(stack.url)


def test_health_answers_through_the_gateway(stack):
    status, _headers, body = http_get(stack.url + "/health/")
    assert status == 200, body


def test_admin_logs_in_and_opens_an_incident(stack):
    browser = Browser(stack.url)
    browser.log_in(ADMIN_EMAIL, ADMIN_PASSWORD)

    def an_incident_in_the_queue():  # the demo mailbox is being read by the workers
        status, _headers, page = browser.request("/")
        assert status == 200, page[:2000]
        return re.findall(rb'href="(/incidents/\d+/)"', page)

    incident = wait_for(an_incident_in_the_queue, 180, "the demo mail to arrive", step=3)[0]
    status, _headers, page = browser.request(incident.decode())
    assert status == 200
    assert stylesheets(page), "the incident page links its stylesheets"


def test_attachments_are_not_served_by_the_gateway(stack):
    files = stack.podman(
        "exec", stack.container("dispatch_backend"), "find", "/app/media", "-type", "f"
    ).stdout.split()
    paths = [f.removeprefix("/app/media/") for f in files] or ["attachments/x.pdf"]
    for path in paths[:3]:
        assert http_get(f"{stack.url}/media/{path}")[0] == 404
        assert http_get(f"{stack.url}/protected-media/{path}")[0] == 404


def test_the_database_port_is_not_published(stack):
    assert stack.podman("port", stack.container("dispatch_db")).stdout.strip() == ""
    published = stack.podman("port", stack.container("dispatch_gateway")).stdout
    assert published.strip() == f"80/tcp -> 0.0.0.0:{stack.port}"


def test_stop_during_work_backup_and_restore_as_the_readme_says(stack):
    backup = stack.compose(
        "exec", "-T", "dispatch_backend", "python", "manage.py", "backup_db"
    ).stdout
    dump = re.search(r"backup: (/app/backups/\S+\.dump)", backup)[1]
    marker = "after-the-backup@example.com"
    create = f"from users.models import User; User.objects.create(username='m', email='{marker}')"
    stack.compose("exec", "-T", "dispatch_backend", "python", "manage.py", "shell", "-c", create)
    address = stack.address("dispatch_backend")

    elapsed, exit_code = stack.stop("dispatch_backend")  # a stop while every worker runs
    assert (exit_code, elapsed < STOP_SECONDS) == (0, True), (exit_code, elapsed)
    stack.compose(
        "run", "--rm", "-T", "--no-deps", "dispatch_backend",
        "python", "manage.py", "restore_db", dump, "--yes",
    )  # fmt: skip
    stack.compose("start", "dispatch_backend")
    stack.wait_backend()  # the gateway, never restarted, finds the backend again

    moved = stack.address("dispatch_backend") != address
    assert moved, "the backend kept its address: the check would prove nothing"
    count = "from users.models import User; print(User.objects.filter(email='%s').count())"
    restored = stack.compose(
        "exec", "-T", "dispatch_backend", "python", "manage.py", "shell", "-c", count % marker
    ).stdout
    assert re.findall(r"^\d+$", restored, re.M) == ["0"]  # podman-compose adds "exit code: 0"
    assert_styled_login_page(stack.url)


def test_stop_during_start_up_is_fast_and_clean(stack):
    """A stop while ``init_dispatch`` runs, and one in Supervisor's first second (every program
    just forked: a stop then used to wait out cron's 15-minute stopwaitsecs), each end the
    backend within seconds with exit 0."""

    def supervisor_starts(since: str) -> bool:
        return "DISPATCH on http://" in stack.logs("dispatch_backend", since=since)

    elapsed, exit_code = stack.stop("dispatch_backend")
    assert exit_code == 0
    for moment in ("init_dispatch", "Supervisor's first second"):
        time.sleep(1)  # `--since` counts whole seconds: nothing of the previous run
        since = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
        stack.podman("start", stack.container("dispatch_backend"))
        if moment == "init_dispatch":
            time.sleep(2)  # manage.py runs: Django loads, then migrate, collectstatic, ...
        else:
            wait_for(partial(supervisor_starts, since), 120, "supervisord", step=0.1)
        elapsed, exit_code = stack.stop("dispatch_backend")
        log = stack.logs("dispatch_backend", since=since)
        assert (exit_code, elapsed < STOP_SECONDS) == (0, True), (moment, elapsed, log[-2000:])


def test_the_production_compose_file_runs_the_images_just_built(stack):
    stack.down()  # the volumes stay: the production stack takes over the same data
    images = PRODUCTION_IMAGES
    for service in SERVICES:  # what the publish workflow pushes, here under a local name
        stack.podman(
            "tag",
            f"{stack.project}_dispatch_{service}",
            images[f"DISPATCH_{service.upper()}_IMAGE"],
        )
    env_file = stack.directory / ".env"
    env_file.write_text(
        re.sub(
            r"^(DISPATCH_(?:BACKEND|GATEWAY)_IMAGE)=.*$",
            lambda m: f"{m[1]}={images[m[1]]}",
            env_file.read_text(),
            flags=re.M,
        )
    )
    stack.compose_file = "docker-compose.production.yml"
    stack.up()
    assert_styled_login_page(stack.url)
    published = stack.podman("port", stack.container("dispatch_gateway")).stdout
    assert published.strip() == f"80/tcp -> 127.0.0.1:{stack.port}"  # GATEWAY_BIND
    assert stack.podman("port", stack.container("dispatch_db")).stdout.strip() == ""
    for service in SERVICES:
        image = stack.inspect(f"dispatch_{service}", "{{.ImageName}}")
        assert image == images[f"DISPATCH_{service.upper()}_IMAGE"]
