"""The compose stack for the container tests: built once, shared by the module's checks."""

from __future__ import annotations

import secrets

import pytest

from dispatch.tests.ops_support import free_port
from tests.containers.engine import (
    Stack,
    copy_checkout,
    fill_env,
    missing_tools,
    podman_environment,
)

ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "Containers-" + secrets.token_urlsafe(12)
# the images just built, under the names the production compose file is given
PRODUCTION_IMAGES = {
    "DISPATCH_BACKEND_IMAGE": "localhost/dispatch-backend:ci",
    "DISPATCH_GATEWAY_IMAGE": "localhost/dispatch-gateway:ci",
}


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    """A copy of the checkout, its .env made from .env.example (the REQUIRED values filled in),
    images built and the stack up as the README says; removed with its volumes afterwards."""
    missing = missing_tools()
    if missing:
        pytest.skip(
            f"{' and '.join(missing)} not installed: the container tests need podman and "
            "podman-compose (as root: scripts/install-system-packages)"
        )
    work = tmp_path_factory.mktemp("containers")
    env = podman_environment(work)
    directory = copy_checkout(work / "dispatch")
    port = free_port()
    fill_env(
        directory,
        {
            "SECRET_KEY": secrets.token_urlsafe(50),
            "POSTGRES_PASSWORD": secrets.token_urlsafe(16),
            "ADMIN_EMAIL": ADMIN_EMAIL,
            "ADMIN_PASSWORD": ADMIN_PASSWORD,
            "GATEWAY_PORT": str(port),
        },
    )
    running = Stack(directory, env, port)
    running.down("-v")  # what an interrupted earlier run left behind
    try:
        running.build()
        running.up()
        yield running
    finally:
        running.down("-v")
        running.podman("rmi", *PRODUCTION_IMAGES.values(), check=False)  # tags only
