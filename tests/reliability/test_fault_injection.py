"""Fault injection with real processes on 127.0.0.1: the ingest worker killed with SIGKILL again
and again during a 2,000-message run, PostgreSQL restarted under a running worker, the IMAP
connection cut mid-FETCH, SMTP down then back, tracker 5xx/429 storms with lost replies.
Afterwards every message is stored once, every incident exists once, every e-mail is sent once
and every issue is created once.

``FAULT_CONVERSATIONS`` (default 667: 2,001 messages) scales the kill run."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from dispatch.testing.smtp import smtp_sink  # noqa: F401  (fixture)
from emails.ingest import ingest_folder
from emails.models import EmailLocation, EmailMessage
from emails.outbox.models import OutboundEmail
from emails.outbox.services import send_due
from emails.sources.base import SourceError
from emails.sources.imap import ImapSource
from emails.tests.conftest import MAILBOX_PASSWORD, MAILBOX_USER, ingest_worker_env
from emails.tests.test_worker_restart_and_concurrency import assert_exactly_once, conversations
from incidents.models import Incident
from incidents.notifications import queue_notification
from incidents.services import create_incident
from yandex_tracker.client import TrackerClient
from yandex_tracker.fields import TrackerDirectory
from yandex_tracker.models import TrackerIssue
from yandex_tracker.push import CLAIM_TIMEOUT, push_cycle

ROOT = Path(__file__).resolve().parents[2]
CONVERSATIONS = int(os.environ.get("FAULT_CONVERSATIONS", "667"))


def worker(dovecot, *args: str) -> subprocess.Popen:
    """The real ``ingest_mail`` command against the test database and Dovecot. Its output goes
    to a file: a pipe nobody reads fills up and blocks the worker's logging."""
    env = ingest_worker_env(dovecot.port)
    log = tempfile.TemporaryFile()  # noqa: SIM115 (closed with the process object)
    process = subprocess.Popen(
        [sys.executable, "manage.py", "ingest_mail", "--source", "imap", *args],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    process.log = log
    return process


def _output(process: subprocess.Popen) -> str:
    """The log lines of a finished worker (tracebacks cut to their first line)."""
    process.log.seek(0)
    lines = process.log.read().decode(errors="replace").splitlines()
    return "\n".join(line[:300] for line in lines if " pid=" in line)[-6000:]


def _wait_until(predicate, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_repeated_kill9_of_the_ingest_worker_loses_and_duplicates_nothing(dovecot, defaults):
    inbox, sent = conversations(CONVERSATIONS)
    dovecot.append("INBOX", inbox)
    dovecot.append("Sent", sent)
    total = 3 * CONVERSATIONS
    rng = random.Random(20261125)
    kills = 0
    deadline = time.monotonic() + 150
    while EmailMessage.objects.count() < total * 0.8 and time.monotonic() < deadline:
        process = worker(dovecot, "--loop", "--interval", "0.2", "--batch-size", "25")
        before = EmailMessage.objects.count()
        _wait_until(lambda before=before: EmailMessage.objects.count() > before, 30)
        # a random point soon after the first commit: mid-FETCH, mid-parse, mid-commit (the
        # worker stores hundreds of messages a second, so a later kill would find it done)
        time.sleep(rng.uniform(0.01, 0.3))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        kills += 1
    assert kills >= 3
    final = worker(dovecot, "--once", "--batch-size", "50")
    final.wait(timeout=240)
    assert final.returncode == 0, _output(final)
    assert_exactly_once(CONVERSATIONS)
    assert EmailLocation.objects.count() == total


def _restart(cluster, outage: float = 2.0) -> None:
    """Stop PostgreSQL (fast: sessions are cut), stay down ``outage`` seconds, start it again
    with the options of ``start_cluster`` (output to its log, so no pipe is held open)."""
    data = str(cluster.data_dir)
    cluster._run("pg_ctl", "-D", data, "-m", "fast", "-w", "stop")
    time.sleep(outage)
    root = cluster.data_dir.parent
    options = (
        f"-c listen_addresses=127.0.0.1 -c port={cluster.port} -c unix_socket_directories={root} "
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    )
    cluster._run("pg_ctl", "-D", data, "-o", options, "-l", str(root / "log"), "-w", "start")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_database_restart_under_a_running_worker(dovecot, defaults):
    cluster = getattr(__import__("dispatch.testing.settings").testing.settings, "_cluster", None)
    if cluster is None:
        pytest.skip("PostgreSQL was not started by the test suite (cannot restart it)")
    count = 150
    inbox, sent = conversations(count)
    dovecot.append("INBOX", inbox[: len(inbox) // 2])
    process = worker(dovecot, "--loop", "--interval", "0.2", "--batch-size", "20")
    try:
        assert _wait_until(lambda: EmailMessage.objects.count() >= 40, 60)
        connection.close()
        _restart(cluster)
        dovecot.append("INBOX", inbox[len(inbox) // 2 :])
        dovecot.append("Sent", sent)

        def done() -> bool:
            try:
                return EmailMessage.objects.count() == 3 * count
            except Exception:
                connection.close()
                return False

        recovered = _wait_until(done, 120)
        alive = process.poll() is None  # still running: it outlived the restart
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    assert recovered and alive, _output(process)
    assert_exactly_once(count)


class CuttingProxy:
    """A TCP proxy to Dovecot that cuts the first ``cuts`` connections once ``after`` bytes
    came back from the server (mid-FETCH), then passes traffic through."""

    def __init__(self, port: int, *, cuts: int, after: int) -> None:
        self.target, self.cuts, self.after = port, cuts, after
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.cut = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target))
            limit = self.after if self.cut < self.cuts else None
            self.cut += limit is not None
            threading.Thread(target=self._pipe, args=(client, upstream, None), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, limit), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket, limit: int | None) -> None:
        sent = 0
        try:
            while data := src.recv(65536):
                if limit is not None and sent + len(data) > limit:
                    dst.sendall(data[: limit - sent])
                    break
                dst.sendall(data)
                sent += len(data)
        except OSError:
            pass
        for sock in (src, dst):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def close(self) -> None:
        self.sock.close()


@pytest.mark.django_db(transaction=True)
def test_imap_connection_cut_mid_fetch(dovecot, defaults, settings):
    settings.PARSING_EMAIL_BATCH_SIZE = 20
    count = 60
    inbox, sent = conversations(count)
    dovecot.append("INBOX", inbox)
    dovecot.append("Sent", sent)
    proxy = CuttingProxy(dovecot.port, cuts=6, after=30_000)
    source = ImapSource("127.0.0.1", proxy.port, MAILBOX_USER, MAILBOX_PASSWORD, ssl=False)
    failures = 0
    try:
        for _ in range(20):
            try:
                ingest_folder(source, "INBOX")
                ingest_folder(source, "Sent")
                break
            except SourceError:
                failures += 1
    finally:
        proxy.close()
    assert failures >= 3  # the connection really was cut mid-FETCH
    assert_exactly_once(count)


@pytest.mark.django_db
def test_smtp_down_then_back_sends_every_email_once(smtp_sink, defaults):  # noqa: F811
    incidents = [
        create_incident(
            incident_date=timezone.now(), subject=f"Авария {n}",
            requester_email=f"noc{n}@operator.example",
        )
        for n in range(40)
    ]  # fmt: skip
    for incident in incidents:
        queue_notification(incident, OutboundEmail.Kind.ACCEPTED)
    smtp_sink.stop()  # connection refused
    down = send_due(limit=100)
    assert down.sent == 0 and down.retried == 40
    smtp_sink.start()
    now = timezone.now()
    for step in range(1, 6):
        with time_machine.travel(now + timedelta(minutes=2 * step), tick=False):
            send_due(limit=100)
        if not OutboundEmail.objects.exclude(state=OutboundEmail.State.SENT).exists():
            break
    assert set(OutboundEmail.objects.values_list("state", flat=True)) == {OutboundEmail.State.SENT}
    smtp_sink.wait_for(40)
    ids = Counter(item.message["Message-ID"] for item in smtp_sink.received)
    assert len(ids) == 40 and set(ids.values()) == {1}


@pytest.mark.django_db
def test_tracker_5xx_and_429_storms_create_every_issue_once(
    fake_tracker, tracker_settings, defaults
):
    for n in range(25):
        create_incident(
            incident_date=timezone.now(), subject=f"Нет питания {n}",
            requester_email="noc@operator.example",
        )  # fmt: skip
    state = fake_tracker.state
    state.inject(504, count=8, method="POST", path="/v2/issues", after=True)  # lost replies
    state.inject(500, count=8, method="POST", path="/v2/issues")
    state.inject(429, count=10, headers={"Retry-After": "1"})
    state.inject(503, count=6, method="GET")
    client = TrackerClient(sleep=lambda s: None, max_delay=0.01)
    now = timezone.now()
    for cycle in range(1, 30):
        with time_machine.travel(now + cycle * (CLAIM_TIMEOUT + timedelta(seconds=1)), tick=False):
            push_cycle(client, TrackerDirectory(client))
        if TrackerIssue.objects.filter(key__isnull=False).count() == 25:
            break
    keys = list(TrackerIssue.objects.values_list("key", flat=True))
    assert len(keys) == 25 and None not in keys and len(set(keys)) == 25
    assert len(state.issues) == 25  # not one duplicate issue despite the lost replies
    assert Incident.objects.count() == 25
