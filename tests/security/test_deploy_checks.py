"""Production settings, as the shipped ``.env.example`` configures them, pass ``check --deploy``
with no warning, and the debug fallback secret never survives into production."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from dotenv import dotenv_values

ROOT = Path(__file__).resolve().parents[2]


def _env_example() -> dict[str, str]:
    return {k: v or "" for k, v in dotenv_values(ROOT / ".env.example").items()}


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp")}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT, env={**base, **env, "DJANGO_SETTINGS_MODULE": "dispatch.settings"},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def _production(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in _env_example().items() if v}
    env.update(
        SECRET_KEY="k" * 10 + "-production-secret-0123456789-abcdefghijklmnopqrstuvwxyz",
        DATA_DIR=str(tmp_path), LOG_DIR=str(tmp_path), STATIC_ROOT=str(tmp_path / "static"),
        MEDIA_ROOT=str(tmp_path / "media"),
        # TLS ends at the host proxy in front of the gateway; the app still redirects plain HTTP
        SECURE_SSL_REDIRECT="true",
        PARSING_EMAIL_LOGIN="desk@tower.example",  # the mailbox the operator fills in
    )  # fmt: skip
    return env


def test_check_deploy_has_no_warning_with_the_shipped_production_configuration(tmp_path):
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=_production(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 silenced" in result.stdout + result.stderr or "no issues" in result.stdout


def test_production_settings_hold_secure_values(tmp_path):
    code = (
        "from django.conf import settings as s; print(s.DEBUG, s.SESSION_COOKIE_SECURE, "
        "s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.SECURE_HSTS_SECONDS > 0, "
        "'insecure' in s.SECRET_KEY, s.X_FRAME_OPTIONS)"
    )
    result = _manage("shell", "-c", code, env=_production(tmp_path))
    assert result.stdout.strip().splitlines()[-1].split() == [
        "False",
        "True",
        "True",
        "True",
        "True",
        "False",
        "DENY",
    ], result.stdout + result.stderr
