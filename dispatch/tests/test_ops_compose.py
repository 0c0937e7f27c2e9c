"""docker compose files, Dockerfiles and .env.example, parsed and checked (the stack itself runs
in tests/containers)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
import yaml
from dotenv import dotenv_values

from dispatch.tests.ops_support import ROOT

COMPOSE_FILES = ["docker-compose.yml", "docker-compose.production.yml"]
SERVICES = {"dispatch_db", "dispatch_backend", "dispatch_gateway"}


@pytest.fixture(params=COMPOSE_FILES)
def compose(request) -> dict:
    return yaml.safe_load((ROOT / request.param).read_text())


def test_three_services_with_restart_policy(compose):
    assert set(compose["services"]) == SERVICES
    for name, service in compose["services"].items():
        assert service.get("restart") == "unless-stopped", name


def test_database_has_a_health_check_and_no_published_port(compose):
    db = compose["services"]["dispatch_db"]
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert "ports" not in db
    assert re.fullmatch(r"postgres:\d+\.\d+(-\w+)?", db["image"]), "pin the database image"
    backend = compose["services"]["dispatch_backend"]
    assert backend["depends_on"]["dispatch_db"]["condition"] == "service_healthy"
    assert "ports" not in backend  # only the gateway is published


def test_only_the_gateway_publishes_a_port(compose):
    published = {n for n, s in compose["services"].items() if s.get("ports")}
    assert published == {"dispatch_gateway"}


def test_production_uses_images_and_volumes_for_every_kind_of_state():
    compose = yaml.safe_load((ROOT / "docker-compose.production.yml").read_text())
    services = compose["services"]
    assert all("build" not in service for service in services.values())
    assert all("image" in service for service in services.values())
    mounts = {v.split(":")[1] for v in services["dispatch_backend"]["volumes"]}
    assert mounts == {"/app/data", "/app/logs", "/app/staticfiles", "/app/media", "/app/backups"}
    assert set(compose["volumes"]) >= {"dispatch_db_data", "dispatch_media", "dispatch_backups"}
    gateway_mounts = services["dispatch_gateway"]["volumes"]
    assert gateway_mounts == ["dispatch_static:/app/static:ro"]  # never the attachments


def test_backend_image_is_slim_pinned_and_not_root():
    dockerfile = (ROOT / "Dockerfile").read_text()
    base = re.search(r"^FROM (\S+)", dockerfile, re.M)[1]
    assert re.fullmatch(r"python:3\.\d+\.\d+-slim-\w+", base), base
    users = re.findall(r"^USER (\S+)", dockerfile, re.M)
    assert users and users[-1] not in {"root", "0"}
    assert re.search(r'^CMD \["python", "manage.py", "run_dispatch"\]', dockerfile, re.M)
    assert "postgresql-client" in dockerfile  # pg_dump for backup_db
    gateway = (ROOT / "gateway" / "Dockerfile").read_text()
    assert re.search(r"^FROM nginx:\d+\.\d+\.\d+", gateway, re.M)


def test_dockerignore_keeps_secrets_and_local_state_out_of_the_image():
    ignored = (ROOT / ".dockerignore").read_text().split()
    for entry in (".env", ".git", ".venv", "data/*.sqlite3*", "logs/*"):
        assert entry in ignored


def image_environment() -> dict[str, str]:
    """The ENV of the backend's Dockerfile (``KEY=value`` pairs, continued lines joined)."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    env = {}
    for line in re.findall(r"^ENV (.+)$", text, re.M):
        env.update(re.findall(r"([A-Z0-9_]+)=(\S+)", line))
    return env


def test_env_example_reads_the_same_under_compose_podman_and_dotenv():
    """docker compose and python-dotenv cut inline comments and quotes, podman's --env-file
    keeps them: only plain KEY=value lines mean the same to all three."""
    literal = {}
    for number, line in enumerate((ROOT / ".env.example").read_text().splitlines(), 1):
        if not line or line.startswith("#"):
            continue
        assert re.fullmatch(r"[A-Z0-9_]+=([^#\"'$\s]([^#\"'$]*[^#\"'$\s])?)?", line), (number, line)
        key, _, value = line.partition("=")
        literal[key] = value
    assert dotenv_values(ROOT / ".env.example", interpolate=False) == literal


def test_env_example_leaves_what_the_image_sets_to_the_image():
    """env_file values override the image's ENV: .env.example must not set those."""
    image = image_environment()
    assert {"STATIC_ROOT", "GUNICORN_BIND", "TRUSTED_PROXY_COUNT"} <= set(image)
    assert set(dotenv_values(ROOT / ".env.example")) & set(image) == set()


def test_the_image_configuration_passes_the_system_checks(tmp_path):
    """The image's paths (``/app`` = the checkout) with .env.example's values: no
    STATIC_ROOT/STATICFILES_DIRS clash (staticfiles.E002), nothing else either."""
    env = {k: v for k, v in dotenv_values(ROOT / ".env.example").items() if v}
    env.update({k: v.replace("/app", str(ROOT), 1) for k, v in image_environment().items()})
    env.update(
        PATH=os.environ["PATH"],
        DJANGO_SETTINGS_MODULE="dispatch.settings",
        SECRET_KEY="image-check-" + "s" * 50,
        DATA_DIR=str(tmp_path),  # nothing is written under the checkout
        LOG_DIR=str(tmp_path),
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
