"""GitHub Actions workflows: actionlint accepts them (and does reject a broken one), and they
do what the README says: ruff, the suite on SQLite and on a PostgreSQL service, the compose
smoke test, both images built and pushed on version tags under names from repository
variables."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from dispatch.tests.ops_support import ROOT

ACTIONLINT = Path(sys.executable).with_name("actionlint")
WORKFLOWS = ROOT / ".github" / "workflows"
pytestmark = pytest.mark.skipif(
    not ACTIONLINT.exists(), reason="actionlint not installed (pip install -r requirements-dev.txt)"
)


def actionlint(*files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ACTIONLINT), "-no-color", *map(str, files)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def workflow(name: str) -> dict:
    return yaml.safe_load((WORKFLOWS / name).read_text())


def steps_text(job: dict) -> str:
    return "\n".join(str(step.get("run", "")) + str(step.get("uses", "")) for step in job["steps"])


def test_actionlint_accepts_every_workflow():
    files = sorted(WORKFLOWS.glob("*.yml"))
    assert {f.name for f in files} == {"ci.yml", "images.yml"}
    result = actionlint(*files)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_rejects_a_broken_workflow(tmp_path):
    broken = (WORKFLOWS / "ci.yml").read_text().replace("runs-on:", "runs_on:", 1)
    (tmp_path / "broken.yml").write_text(broken)
    result = actionlint(tmp_path / "broken.yml")
    assert result.returncode == 1 and "runs_on" in result.stdout, result.stdout


def test_ci_runs_ruff_and_the_suite_on_sqlite_and_on_a_postgresql_service():
    jobs = workflow("ci.yml")["jobs"]
    assert "ruff check ." in steps_text(jobs["ruff"])
    suite = jobs["suite"]
    assert suite["strategy"]["matrix"]["database"] == ["sqlite", "postgres"]
    assert suite["services"]["postgres"]["image"].startswith("postgres:15")
    on_postgres = next(s for s in suite["steps"] if s.get("env", {}).get("TEST_DB") == "postgres")
    assert on_postgres["env"]["DB_HOST"] == "postgres"
    assert "scripts/install-system-packages" in steps_text(suite)


def test_images_are_smoke_tested_built_and_pushed_on_tags_under_configured_names():
    spec = workflow("images.yml")
    assert "v*" in spec[True]["push"]["tags"]  # YAML reads the key "on" as True
    jobs = spec["jobs"]
    assert "pytest -m containers" in steps_text(jobs["compose-smoke"])
    images = jobs["images"]
    assert images["needs"] == "compose-smoke"
    assert {c["dockerfile"] for c in images["strategy"]["matrix"]["include"]} == {
        "Dockerfile",
        "gateway/Dockerfile",
    }
    text = (WORKFLOWS / "images.yml").read_text()
    for expected in ("vars.DISPATCH_BACKEND_IMAGE", "vars.DISPATCH_GATEWAY_IMAGE", "ghcr.io/"):
        assert expected in text
    build = next(s for s in images["steps"] if "build-push-action" in s.get("uses", ""))
    assert build["with"]["push"] == "${{ startsWith(github.ref, 'refs/tags/v') }}"
