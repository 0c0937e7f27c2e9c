"""One hostile message cannot multiply itself (issue #16 finding 1): nested ``message/rfc822``
levels are stored once, a message that would cost more than its budget (parser work, parts,
stored bytes — a small multiple of its size) is quarantined with the reason, and the mailbox
moves on. Runs the real ingest (and the real ``ingest_mail`` worker) against Dovecot and checks
time, memory and disk."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
import tracemalloc
from email.message import EmailMessage as MimeMessage
from pathlib import Path

import pytest

from emails.ingest import ingest_folder
from emails.models import EmailAttachment, EmailMessage, MailFolder, QuarantinedEmail
from emails.tests.conftest import MAILBOX_USER, build_message, ingest_worker_env
from incidents.models import Incident

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
MiB = 2**20


def nested_bomb(payload_size: int, levels: int, message_id: str) -> bytes:
    """``levels`` attached messages, each inside the previous, around one binary attachment."""
    data = base64.encodebytes(os.urandom(payload_size))
    inner = (
        b'Content-Type: multipart/mixed; boundary="z"\r\n\r\n--z\r\n'
        b"Content-Type: text/plain\r\n\r\nsee attachment\r\n--z\r\n"
        b'Content-Type: application/octet-stream; name="a.bin"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n" + data + b"\r\n--z--\r\n"
    )
    for level in range(levels):
        inner = (
            b"Content-Type: message/rfc822\r\n\r\n"
            b"From: a@evil.example\r\nSubject: level %d\r\n" % level + inner
        )
    return (
        b"From: a@evil.example\r\nTo: " + MAILBOX_USER.encode() + b"\r\n"
        b"Message-ID: " + message_id.encode() + b"\r\nSubject: bomb\r\n" + inner
    )


def many_parts(count: int, message_id: str) -> bytes:
    parts = b"".join(b"--z\r\nContent-Type: text/plain\r\n\r\nx\r\n" for _ in range(count))
    return (
        b"From: a@evil.example\r\nMessage-ID: " + message_id.encode() + b"\r\n"
        b'Content-Type: multipart/mixed; boundary="z"\r\n\r\n' + parts + b"--z--\r\n"
    )


def forwarded_chain(photo: bytes, levels: int) -> bytes:
    """A photo forwarded as an attachment ``levels`` times (Outlook's "forward as attachment")."""
    msg = MimeMessage()
    msg["From"] = "engineer@operator.example"
    msg["Subject"] = "Фото опоры 02-00123"
    msg.set_content("Фото во вложении.")
    msg.add_attachment(photo, maintype="image", subtype="jpeg", filename="опора.jpg")
    for level in range(levels):
        outer = MimeMessage()
        outer["From"] = "engineer@operator.example"
        outer["To"] = MAILBOX_USER
        outer["Subject"] = f"FW: Фото опоры 02-00123 ({level})"
        outer["Message-ID"] = f"<fw-{level}@operator.example>"
        outer.set_content("Пересылаю.")
        outer.add_attachment(msg)
        msg = outer
    return msg.as_bytes()


def disk_usage(root: Path) -> int:
    return sum(path.stat().st_size for path in root.rglob("*") if path.is_file())


def test_a_forwarded_message_is_stored_once(dovecot, imap_source, statuses, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    raw = forwarded_chain(os.urandom(MiB), levels=3)
    dovecot.append("INBOX", [raw])
    ingest_folder(imap_source, "INBOX")
    email = EmailMessage.objects.get(message_id="<fw-2@operator.example>")
    kinds = sorted(email.attachments.values_list("content_type", flat=True))
    assert kinds == ["image/jpeg", "message/rfc822"]  # the outer .eml once, the photo once
    assert EmailAttachment.objects.filter(content_type="message/rfc822").count() == 1
    assert disk_usage(tmp_path) < 2 * len(raw)


def test_over_budget_mail_is_quarantined_and_the_mailbox_moves_on(
    dovecot, imap_source, statuses, settings, tmp_path
):
    settings.MEDIA_ROOT = str(tmp_path)
    hostile = [
        nested_bomb(1_500_000, 200, "<bomb-2mb@evil.example>"),  # the review's 2 MB mail
        nested_bomb(7_500_000, 1000, "<bomb-10mb@evil.example>"),  # and its 10 MB one
        nested_bomb(7_500_000, 25, "<bomb-deep-big@evil.example>"),  # within depth, over work
        many_parts(200_000, "<bomb-parts@evil.example>"),
    ]
    dovecot.append("INBOX", [*hostile, build_message(message_id="<after@op.example>")])
    size = sum(len(raw) for raw in hostile)
    tracemalloc.start()
    started = time.process_time()
    try:
        report = ingest_folder(imap_source, "INBOX")
        cpu = time.process_time() - started
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report.quarantined == 4
    reasons = dict(QuarantinedEmail.objects.values_list("message_id", "error"))
    assert set(reasons) == {
        "<bomb-2mb@evil.example>", "<bomb-10mb@evil.example>",
        "<bomb-deep-big@evil.example>", "<bomb-parts@evil.example>",
    }  # fmt: skip
    assert all(error.startswith("over budget:") for error in reasons.values()), reasons
    assert "nested more than" in reasons["<bomb-2mb@evil.example>"]
    assert "units of work" in reasons["<bomb-deep-big@evil.example>"]
    assert "MIME parts" in reasons["<bomb-parts@evil.example>"]
    assert EmailMessage.objects.get(message_id="<after@op.example>").incident_id
    assert Incident.objects.count() == 1
    assert MailFolder.objects.get(name="INBOX").last_uid == 5
    assert disk_usage(tmp_path) == 0  # nothing of the hostile mail is written out as files
    assert cpu < 10, f"{cpu:.1f} s of CPU for {size} bytes"
    assert peak < 4 * size + 32 * MiB, f"peak {peak / MiB:.0f} MiB for {size / MiB:.0f} MiB"


# Linux keeps a process's peak RSS across execve, and a child started by (v)fork starts from its
# parent's: a worker started straight from pytest reports pytest's own peak (hundreds of MiB
# late in a full run). A small Python in between starts the worker afresh and reports the
# worker's own figures from wait4.
_MEASURE = """
import json, os, subprocess, sys
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
output = child.stdout.read()
_pid, status, usage = os.wait4(child.pid, 0)
sys.stdout.buffer.write(output)
print(json.dumps({"status": os.waitstatus_to_exitcode(status),
                  "cpu": usage.ru_utime + usage.ru_stime, "maxrss_kib": usage.ru_maxrss}))
"""


def run_measured(command: list[str], env: dict[str, str]) -> tuple[int, str, dict]:
    """Run ``command`` in a fresh process tree; its exit code, output and own CPU and peak RSS."""
    result = subprocess.run(
        [sys.executable, "-c", _MEASURE, *command],
        cwd=ROOT, env=env, capture_output=True, check=True, timeout=300,
    )  # fmt: skip
    text = result.stdout.decode()
    output, _, figures = text.rstrip("\n").rpartition("\n")
    usage = json.loads(figures)
    return usage["status"], output, usage


@pytest.mark.postgres
def test_the_worker_process_stays_small_while_hostile_mail_arrives(dovecot, statuses, tmp_path):
    """The real ``ingest_mail`` worker: CPU time and peak RSS of the process, files on disk."""
    hostile = [
        nested_bomb(1_500_000, 200, "<w-bomb-2mb@evil.example>"),
        nested_bomb(7_500_000, 1000, "<w-bomb-10mb@evil.example>"),
    ]
    dovecot.append("INBOX", [*hostile, build_message(message_id="<w-after@op.example>")])
    env = {**ingest_worker_env(dovecot.port), "MEDIA_ROOT": str(tmp_path)}
    command = [sys.executable, "manage.py", "ingest_mail", "--source", "imap", "--once"]
    ballast = b"\x01" * (300 * MiB)  # this process big, as late in a full run: not counted
    status, output, usage = run_measured(command, env)
    del ballast
    assert status == 0, output
    assert "quarantined=2" in output, output
    assert QuarantinedEmail.objects.count() == 2
    assert EmailMessage.objects.filter(message_id="<w-after@op.example>").exists()
    assert disk_usage(tmp_path) == 0
    assert usage["cpu"] < 15, output
    size = sum(len(raw) for raw in hostile)  # 12.4 MB; before the fix the process grew by GBs
    peak = usage["maxrss_kib"] * 1024
    assert peak < 160 * MiB + 24 * size, f"peak RSS {peak / MiB:.0f} MiB for {size / MiB:.0f} MiB"


def body_of(content_type: str, text: str, message_id: str) -> bytes:
    return (
        f"From: a@evil.example\r\nTo: {MAILBOX_USER}\r\nMessage-ID: {message_id}\r\n"
        f"Subject: text\r\nContent-Type: {content_type}; charset=utf-8\r\n\r\n{text}\r\n"
    ).encode()


def test_pathological_text_and_html_are_read_in_linear_time(dovecot, imap_source, statuses):
    """Bodies that made the web-form JSON scan (a failed JSON decode costs the text before it)
    or the HTML parser (unterminated tags) quadratic: minutes for a few hundred kilobytes."""
    bodies = [
        body_of("text/plain", "{" * 2_000_000, "<braces@evil.example>"),
        body_of("text/plain", '{"a": ' * 300_000, "<json@evil.example>"),
        body_of("text/html", "<a " * 300_000, "<tags@evil.example>"),
        body_of("text/html", "<!--" * 300_000, "<comments@evil.example>"),
        body_of(
            "text/html", "<p>Опора 77-0001</p>" + "<div>" * 100_000 + "x", "<deep@evil.example>"
        ),
    ]
    dovecot.append("INBOX", bodies)
    started = time.process_time()
    report = ingest_folder(imap_source, "INBOX")
    cpu = time.process_time() - started
    assert report.result.stored == 5 and report.quarantined == 0
    assert cpu < 15, f"{cpu:.1f} s of CPU for {sum(map(len, bodies))} bytes"
    deep = EmailMessage.objects.get(message_id="<deep@evil.example>")
    assert deep.body_text.startswith("Опора 77-0001")
