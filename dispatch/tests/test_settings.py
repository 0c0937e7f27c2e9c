"""Settings: refuse to start without a secret in production; deploy checks clean."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "TEST_DB"}}
    clean.update(DJANGO_SETTINGS_MODULE="dispatch.settings", **env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_without_secret_key_refuses_to_start():
    result = run_manage("check", DEBUG="false", SECRET_KEY="")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_check_deploy_is_clean_with_production_settings():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY="x" * 20 + "production-like-secret-key-0123456789",
        USE_HTTPS="true",
        SECURE_SSL_REDIRECT="true",
        PARSING_EMAIL_LOGIN="desk@tower.example",
    )
    assert result.returncode == 0, result.stdout + result.stderr


MAILBOX_SETTINGS = (
    "from django.conf import settings as s; "
    "print(s.DISPATCH_MAILBOX, s.DEFAULT_FROM_EMAIL, s.MESSAGE_ID_DOMAIN)"
)


def test_dispatch_mailbox_defaults_to_the_mailbox_the_workers_read():
    def mailbox(**env: str) -> list[str]:
        result = run_manage("shell", "-c", MAILBOX_SETTINGS, DEBUG="true", **env)
        return result.stdout.strip().splitlines()[-1].split()

    login = {"PARSING_EMAIL_LOGIN": "desk@tower.example", "DISPATCH_MAILBOX": ""}
    assert mailbox(**login) == ["desk@tower.example", "desk@tower.example", "tower.example"]
    explicit = {**login, "DISPATCH_MAILBOX": "avr@tower.example"}
    assert mailbox(**explicit)[0] == "avr@tower.example"
    not_an_address = {"PARSING_EMAIL_LOGIN": "desk", "DISPATCH_MAILBOX": ""}
    assert mailbox(**not_an_address) == ["dispatch@localhost", "dispatch@localhost", "localhost"]


def test_check_deploy_warns_while_the_dispatch_mailbox_is_a_localhost_address():
    production = {
        "DEBUG": "false",
        "SECRET_KEY": "x" * 20 + "production-like-secret-key-0123456789",
        "SECURE_SSL_REDIRECT": "true",
        "PARSING_EMAIL_LOGIN": "",
    }
    for local in ("", "dispatch@localhost", "desk@127.0.0.1", "desk@[::1]", "d@box.localhost"):
        result = run_manage("check", "--deploy", **production, DISPATCH_MAILBOX=local)
        assert "(emails.W001) DISPATCH_MAILBOX is" in result.stderr, (local, result.stderr)
    result = run_manage("check", "--deploy", **production, DISPATCH_MAILBOX="d@tower.example")
    assert "emails.W001" not in result.stdout + result.stderr
    plain = run_manage("check", **production)  # not a deploy check
    assert "emails.W001" not in plain.stdout + plain.stderr


def test_no_missing_migrations():
    result = run_manage("makemigrations", "--check", "--dry-run", DEBUG="true")
    assert result.returncode == 0, result.stdout + result.stderr


def test_embedded_default_is_sqlite_and_postgres_when_configured():
    code = "from django.conf import settings; print(settings.DATABASES['default']['ENGINE'])"
    base = {"DEBUG": "true", "DB_HOST": "", "POSTGRES_DB": "", "POSTGRES_USER": ""}
    sqlite = run_manage("shell", "-c", code, **base)
    assert sqlite.stdout.strip().endswith("sqlite3"), (sqlite.stdout, sqlite.stderr)
    postgres = run_manage("shell", "-c", code, **{**base, "DB_HOST": "db.internal"})
    assert postgres.stdout.strip().endswith("postgresql"), postgres.stderr


def test_every_setting_read_from_the_environment_is_documented():
    import re

    source = (ROOT / "dispatch" / "settings.py").read_text()
    read = set(re.findall(r'env_(?:str|bool|int|float|list)\(\s*"([A-Z0-9_]+)"', source))
    # "# KEY=default": documented, left to its default (or to the container image)
    text = (ROOT / ".env.example").read_text()
    documented = set(re.findall(r"^(?:# )?([A-Z0-9_]+)=", text, re.M))
    assert read - documented == set()


def test_a_blank_line_of_env_example_keeps_the_default(tmp_path):
    """A .env copied from .env.example (``KEY=`` with nothing after it) configures exactly what
    leaving those keys out does: blank is the default, never an empty setting."""
    import json

    from dotenv import dotenv_values

    values = {k: v or "" for k, v in dotenv_values(ROOT / ".env.example").items()}
    base = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "dispatch.settings",
        "SECRET_KEY": "blank-check-" + "s" * 50,
        "DATA_DIR": str(tmp_path),
        "LOG_DIR": str(tmp_path),
    }
    dump = (
        "from django.conf import settings as s; "
        "import json; print(json.dumps({k: repr(getattr(s, k)) for k in dir(s) if k.isupper()}))"
    )

    def settings_with(env: dict[str, str]) -> dict[str, str]:
        result = subprocess.run(
            [sys.executable, "-c", f"import django; django.setup(); {dump}"],
            cwd=tmp_path, env={**base, **env, "PYTHONPATH": str(ROOT)},
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout.splitlines()[-1])  # after the log lines

    filled = {k: v for k, v in values.items() if v and k not in base}
    blank = {k: "" for k, v in values.items() if not v and k not in base}
    assert "NOTIFICATION_CHANNEL" in blank and "INCIDENT_CODE_PATTERN" in blank
    with_blanks, without = settings_with({**filled, **blank}), settings_with(filled)
    differ = {k: v for k, v in with_blanks.items() if without.get(k) != v and " at 0x" not in v}
    assert differ == {}


def test_a_worker_refuses_to_start_on_a_broken_workflow_setting(tmp_path):
    result = run_manage(
        "ingest_mail", "--once", DEBUG="true", DATA_DIR=str(tmp_path), SLA_BUSINESS_HOURS="9-x"
    )
    assert result.returncode != 0
    assert "incidents.E001" in result.stderr


WORKER_START = (
    "import sys; "
    "from dispatch.workers import WORKER_CHECKS, WorkerCommand; "
    "WorkerCommand().check(tags=WORKER_CHECKS); "
    "print('dispatch.urls' in sys.modules, 'rest_framework.serializers' in sys.modules)"
)


def test_a_worker_starts_without_loading_the_web_urls(tmp_path):
    """The URL checks import every view and the API schema, which no worker uses."""
    result = run_manage("shell", "-c", WORKER_START, DEBUG="true", DATA_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-2:] == ["False", "False"]
