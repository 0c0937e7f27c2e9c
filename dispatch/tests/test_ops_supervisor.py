"""Supervisor: the configuration is valid, every program's command exists, and the whole set
starts on the embedded default and stops cleanly on SIGTERM."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import pytest
from django.core.management import get_commands, load_command_class

from dispatch import pid1, supervisor_signals
from dispatch.tests.ops_support import (
    ROOT,
    SUPERVISOR_CONFIG,
    free_port,
    http_get,
    supervisor_programs,
    wait_for,
)

WORKER_PROGRAMS = {
    "mail_inbox": "ingest_mail --role inbox --loop",
    "mail_sent": "ingest_mail --role sent --loop",
    "push_tracker": "push_tracker --loop",
    "pull_tracker": "pull_tracker --loop",
    "sla_sweep": "sla_sweep --loop",
    "send_outbox": "send_outbox --loop",
    "cron": "run_cron --loop",
}


def test_config_has_web_and_one_program_per_worker_with_graceful_stop(tmp_path):
    programs = supervisor_programs(tmp_path)
    assert set(programs) == {"web", "watch_programs", *WORKER_PROGRAMS}
    for name, program in programs.items():
        assert program.stopsignal == signal.SIGTERM, name
        assert program.stopwaitsecs >= 30, name
        assert program.startretries >= 3, name
        assert "sleep" not in program.command, name  # start order is not made of sleeps
        logfile = program.stderr_logfile if name == "watch_programs" else program.stdout_logfile
        assert logfile == str(tmp_path / f"{name}.log")
    for name, args in WORKER_PROGRAMS.items():
        assert programs[name].command.endswith(f"manage.py {args}"), name
    assert "dispatch.asgi" not in programs["web"].command  # the app is set in gunicorn.conf.py


@pytest.mark.parametrize("program", sorted(WORKER_PROGRAMS))
def test_every_worker_command_exists_and_accepts_its_arguments(program):
    name, *args = shlex.split(WORKER_PROGRAMS[program])
    commands = get_commands()
    assert name in commands, f"supervisor program {program}: no management command {name!r}"
    command = load_command_class(commands[name], name)
    options = command.create_parser("manage.py", name).parse_args(args)
    assert options.loop is True


def test_gunicorn_config_serves_the_asgi_app_with_uvicorn_workers():
    result = subprocess.run(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--check-config"],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "dispatch.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    text = (ROOT / "gunicorn.conf.py").read_text()
    assert 'wsgi_app = "dispatch.asgi:application"' in text
    assert "uvicorn_worker.UvicornWorker" in text


def _embedded_env(tmp_path: Path, port: int) -> dict[str, str]:
    drop = {"DB_HOST", "DB_PORT", "POSTGRES_DB", "POSTGRES_USER", "POSTGRES_PASSWORD", "TEST_DB"}
    env = {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("DISPATCH_")}
    env.update(
        DJANGO_SETTINGS_MODULE="dispatch.settings",
        SECRET_KEY="ops-test-" + "k" * 50,
        DEBUG="false",
        USE_HTTPS="false",
        DATA_DIR=str(tmp_path / "data"),
        LOG_DIR=str(tmp_path / "logs"),
        STATIC_ROOT=str(tmp_path / "data" / "static"),
        MEDIA_ROOT=str(tmp_path / "data" / "media"),
        SQLITE_PATH=str(tmp_path / "data" / "dispatch.sqlite3"),
        MAILDIR_PATH=str(tmp_path / "data" / "maildir"),
        BACKUP_DIR=str(tmp_path / "data" / "backups"),
        ADMIN_EMAIL="admin@example.com",
        ADMIN_PASSWORD="ops-test-Password-123",
        GUNICORN_WORKERS="1",
    )
    return env


def _supervisor_status(env: dict[str, str]) -> dict[str, str]:
    result = subprocess.run(
        [
            str(Path(sys.executable).with_name("supervisorctl")),
            "-c",
            str(SUPERVISOR_CONFIG),
            "status",
        ],
        env={
            **env,
            "DISPATCH_PYTHON": sys.executable,
            "DISPATCH_LOG_DIR": env["LOG_DIR"],
            "DISPATCH_RUN_DIR": str(Path(env["DATA_DIR"]) / "run"),
        },
        capture_output=True,
        text=True,
        timeout=30,
    )
    # "workers:mail_inbox   RUNNING   pid 1, uptime 0:00:05" -> {"mail_inbox": "RUNNING"}
    found = re.findall(r"^(\S+)\s+(\S+)", result.stdout, re.M)
    return {name.rpartition(":")[2]: state for name, state in found}


@pytest.mark.slow
@pytest.mark.timeout(240)
def _mailbox_with_russian_sent_folder(env: dict[str, str]) -> None:
    """The demo mailbox with its Sent folder named «Исходящие» (Maildir++ keeps it in modified
    UTF-7), configured the way the seed writes it: modified UTF-7 without the closing "-"."""
    maildir = Path(env["MAILDIR_PATH"])
    shutil.copytree(ROOT / "data" / "demo" / "maildir", maildir)
    (maildir / ".Sent").rename(maildir / ".&BBgEQQRFBD4ENARPBEkEOAQ1-")
    env["PARSING_EMAIL_SENT_FOLDER_NAME"] = "&BBgEQQRFBD4ENARPBEkEOAQ1"


def test_run_dispatch_starts_web_and_workers_and_stops_cleanly_on_sigterm(tmp_path):
    port = free_port()
    env = _embedded_env(tmp_path, port)
    _mailbox_with_russian_sent_folder(env)
    output = (tmp_path / "run_dispatch.out").open("w")
    started = datetime.now(UTC).replace(tzinfo=None)
    process = subprocess.Popen(
        [sys.executable, "manage.py", "run_dispatch", "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=output,
        stderr=subprocess.STDOUT,
    )
    try:
        health = f"http://127.0.0.1:{port}/health/"

        def web_answers():
            assert process.poll() is None, (tmp_path / "run_dispatch.out").read_text()[-3000:]
            return http_get(health)[0] in (200, 503)

        wait_for(web_answers, 120, "the web app")
        expected = {"web", "watch_programs", *WORKER_PROGRAMS}

        def all_running():
            status = _supervisor_status(env)
            return set(status) == expected and set(status.values()) == {"RUNNING"}

        wait_for(all_running, 60, "every program RUNNING")
        status, _headers, body = http_get(f"http://127.0.0.1:{port}/admin/login/")
        assert status == 200 and b"csrfmiddlewaretoken" in body
        # Each worker finished at least one cycle (its heartbeat is in the health report).
        wait_for(
            lambda: len(json.loads(http_get(health)[2])["workers"]) >= len(WORKER_PROGRAMS),
            60,
            "a heartbeat from every worker",
        )
        workers = {w["name"]: w for w in json.loads(http_get(health)[2])["workers"]}
        sent = workers["ingest_mail:Исходящие"]  # mail_sent read the configured folder
        assert sent["state"] == "ok" and sent["consecutive_failures"] == 0, workers
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            returncode = process.wait(timeout=120)
        finally:
            if process.poll() is None:
                process.kill()
            output.close()
    log = (tmp_path / "logs" / "supervisord.log").read_text()
    assert returncode == 0, log[-3000:]
    for name in expected:
        assert f"stopped: {name} (exit status 0)" in log, f"{name} did not stop cleanly"
    assert "SIGKILL" not in log
    # Supervisor's own lines carry no offset: they are in UTC like every program's log line,
    # not in TIME_ZONE (Moscow by default).
    first = datetime.strptime(log[:19], "%Y-%m-%d %H:%M:%S")
    assert abs(first - started) < timedelta(minutes=5), (log[:19], started)
    with sqlite3.connect(tmp_path / "data" / "dispatch.sqlite3") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert "stopped after" in (tmp_path / "logs" / "cron.log").read_text()
    expected_logs = {"supervisord.log", *(f"{name}.log" for name in expected)}
    assert {p.name for p in (tmp_path / "logs").iterdir()} == expected_logs


UNSHARE = shutil.which("unshare")


def pid_namespaces_work() -> bool:
    """root with unshare(1), and allowed to make a PID namespace (not in an unprivileged
    container such as a CI job's)."""
    if os.geteuid() != 0 or not UNSHARE:
        return False
    probe = subprocess.run([UNSHARE, "--pid", "--fork", "true"], capture_output=True, timeout=30)
    return probe.returncode == 0


def _stop(process: subprocess.Popen, pid: int, *, timeout: float) -> tuple[int, float]:
    """SIGTERM to ``pid``; ``process``'s exit status and the seconds it took to exit."""
    started = time.monotonic()
    os.kill(pid, signal.SIGTERM)
    returncode = process.wait(timeout=timeout)
    return returncode, time.monotonic() - started


def _kill(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.kill()
        process.wait()


@pytest.mark.skipif(not pid_namespaces_work(), reason="needs a PID namespace: root and unshare(1)")
@pytest.mark.timeout(180)
def test_run_dispatch_as_pid1_stops_at_once_on_sigterm_during_start_up(tmp_path):
    """As a container's PID 1 (here: of a new PID namespace) a stop while init_dispatch runs
    ends the process within seconds with exit 0; Supervisor never starts."""
    env = _embedded_env(tmp_path, free_port())
    out_path = tmp_path / "run_dispatch.out"
    with out_path.open("w") as output:
        process = subprocess.Popen(
            [UNSHARE, "--pid", "--fork", "--kill-child", sys.executable, "manage.py",
             "run_dispatch"],
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        children = Path(f"/proc/{process.pid}/task/{process.pid}/children")
        init_pid = int(wait_for(lambda: children.read_text().split(), 30, "PID 1")[0])
        # migrate has begun once the database file exists
        wait_for((tmp_path / "data" / "dispatch.sqlite3").exists, 60, "init_dispatch")
        returncode, elapsed = _stop(process, init_pid, timeout=60)
    finally:
        _kill(process)
    output_text = out_path.read_text()
    assert "DISPATCH on http://" not in output_text, "the stop came after init; retry"
    assert returncode == 0, output_text[-3000:]
    assert elapsed < 10, elapsed


def test_a_swallowed_stop_still_ends_the_process_within_seconds():
    """If the SystemExit of PID 1's SIGTERM handler is swallowed (it ran inside a ``__del__``,
    where Python only prints exceptions), the backstop still ends the process with exit 0."""
    script = (
        "import os, signal, time\n"
        "from dispatch import pid1\n"
        "signal.signal(signal.SIGTERM, pid1._stop)\n"
        "class Swallow:\n"
        "    def __del__(self):\n"
        "        os.kill(os.getpid(), signal.SIGTERM)\n"
        "        time.sleep(0.5)\n"
        "Swallow()\n"
        "print('still running', flush=True)\n"
        "time.sleep(60)\n"
    )
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=30
    )
    assert "still running" in done.stdout  # the SystemExit was indeed swallowed
    assert done.returncode == 0, done.stderr
    assert time.monotonic() - started < pid1.HARD_EXIT_AFTER_SECONDS + 5


def _runs_supervisord(pid: int) -> bool:
    return b"supervisord" in Path(f"/proc/{pid}/cmdline").read_bytes()


@pytest.mark.timeout(300)
def test_a_stop_in_supervisors_first_second_ends_every_program_within_seconds(tmp_path):
    """Supervisor spawns every program in its first second; a stop then reached a program not
    yet exec'd as Supervisor's own (dropped) handler, and the shutdown waited out stopwaitsecs:
    minutes, 15 for cron. Now every such stop ends the whole set within seconds, exit 0."""
    env = _embedded_env(tmp_path, free_port())
    subprocess.run(
        [sys.executable, "manage.py", "init_dispatch"],
        cwd=ROOT, env=env, check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    for trial, delay in enumerate([0.0, 0.2, 0.4, 0.6, 0.8, 1.0]):
        logs = tmp_path / f"logs-{trial}"
        process = subprocess.Popen(
            [sys.executable, "manage.py", "run_dispatch", "--skip-init"],
            cwd=ROOT, env={**env, "LOG_DIR": str(logs)},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            wait_for(partial(_runs_supervisord, process.pid), 60, "supervisord")
            time.sleep(delay)
            returncode, elapsed = _stop(process, process.pid, timeout=200)
        finally:
            _kill(process)
        log = (logs / "supervisord.log").read_text()
        assert (returncode, "SIGKILL" in log) == (0, False), (delay, log[-3000:])
        assert elapsed < 15, (delay, elapsed, log[-3000:])


def test_stop_signals_are_held_only_for_a_configuration_that_releases_them(tmp_path):
    """run_dispatch holds the stop signals across its exec only when the configuration loads
    the factory that releases them; under any other (``--config``) Supervisor and every program
    would ignore a stop for good."""
    stock = tmp_path / "stock.conf"
    stock.write_text(
        SUPERVISOR_CONFIG.read_text().replace(
            supervisor_signals.FACTORY, "supervisor.rpcinterface:make_main_rpcinterface"
        )
    )
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from dispatch.supervisor_signals import block_stop_signals\n"
        "block_stop_signals(Path(sys.argv[1]))\n"
        "status = Path('/proc/self/status').read_text()\n"
        "print(int(status.split('SigBlk:')[1].split()[0], 16) >> 14 & 1)\n"  # bit of SIGTERM
    )
    held = {}
    for config in (SUPERVISOR_CONFIG, stock):
        done = subprocess.run(
            [sys.executable, "-c", script, str(config)],
            cwd=ROOT, capture_output=True, text=True, timeout=30, check=True,
        )  # fmt: skip
        held[config.name] = done.stdout.strip()
    assert held == {"supervisord.conf": "1", "stock.conf": "0"}
