"""The next part of a folder is parsed in a parser process while the worker commits the one
before (``emails.parse_ahead``); parts are still committed in order, the cursor only after each
commit, and a parser process that dies stops the folder at the last committed part."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dispatch.testing.processes import child_pids
from emails import ingest, parse_ahead
from emails.ingest import ingest_folder
from emails.models import EmailLocation, EmailMessage, MailFolder, QuarantinedEmail
from emails.parse_ahead import ParserFailed
from emails.tests.conftest import build_message, ingest_worker_env
from emails.tests.test_hostile_mail_budget import nested_bomb
from incidents.models import Incident
from ts import recognition
from ts.tests.factories import make_pole

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
BODY = "Фото опоры 77-01234.\n" + "x" * 9000  # ~10 KB: two messages a part of 25,000 bytes


def _request(n: int) -> bytes:
    return build_message(f"Авария №{n}", BODY, message_id=f"<p{n}@op.example>")


def _reply(n: int) -> bytes:
    return build_message(
        f"RE: Авария №{n}", "Спасибо.", message_id=f"<r{n}@op.example>",
        in_reply_to=f"<p{n}@op.example>", references=[f"<p{n}@op.example>"],
    )  # fmt: skip


@pytest.fixture
def small_parts(monkeypatch, settings) -> None:
    settings.PARSING_EMAIL_PARSE_AHEAD = True
    monkeypatch.setattr(ingest, "MAX_BATCH_BYTES", 25_000)


def test_parts_parsed_ahead_are_threaded_and_committed_in_order(
    dovecot, imap_source, statuses, small_parts
):
    # requests 0-3, then their replies: each reply in a later part than its request
    dovecot.append("INBOX", [_request(n) for n in range(4)] + [_reply(n) for n in range(4)])
    dovecot.append("INBOX", [nested_bomb(1000, 40, "<deep@evil.example>")])
    pole = make_pole("77-01234")
    report = ingest_folder(imap_source, "INBOX", batch_size=3)
    assert report.parsed_ahead >= 2  # every part after the first
    assert report.result.stored == 8
    assert Incident.objects.count() == Incident.objects.filter(pole=pole).count() == 4
    for n in range(4):
        reply = EmailMessage.objects.get(message_id=f"<r{n}@op.example>")
        assert (
            reply.incident_id
            == EmailMessage.objects.get(message_id=f"<p{n}@op.example>").incident_id
        )
    reason = QuarantinedEmail.objects.get().error  # parsed in the parser process, quarantined
    assert "nested more than" in reason
    assert MailFolder.objects.get(name="INBOX").last_uid == 9
    assert EmailLocation.objects.count() == 8


@pytest.mark.parametrize("warm", [False, True])
def test_a_cold_worker_builds_its_pole_index_while_the_first_part_is_parsed(
    dovecot, imap_source, statuses, small_parts, warm
):
    dovecot.append("INBOX", [_request(n) for n in range(6)])
    pole = make_pole("77-01234")
    if warm:
        recognition.prepare_index()
    report = ingest_folder(imap_source, "INBOX")
    # cold: every part goes to the parser process; warm: the worker parses the first itself
    assert (report.batches, report.parsed_ahead) == (3, 2 if warm else 3)
    assert recognition.index_ready()
    assert Incident.objects.filter(pole=pole).count() == report.result.stored == 6


def test_the_parser_process_tokenises_what_recognition_reads_of_each_message():
    quoted = "Опора 77-05555 на месте.\n\n-----Original Message-----\nФото опоры 77-01234."
    request, reply = parse_ahead.parse_outcomes(
        [(_request(1), None), (build_message("RE: Авария", quoted, in_reply_to="<p1@x>"), None)],
        tokens=True,
    )
    # a request: subject and whole body (the incident it opens); a reply: its own text only
    assert (request.pole_tokens, request.reply_tokens) == (([], ["77-01234"]), None)
    assert (reply.pole_tokens, reply.reply_tokens) == (None, ([], ["77-05555"]))


def test_a_reply_parsed_ahead_fills_the_pole_its_incident_lacks_from_its_own_text(
    dovecot, imap_source, statuses, small_parts
):
    requests = [
        build_message(f"Авария №{n}", "Нет связи.\n" + "x" * 9000, message_id=f"<p{n}@op.example>")
        for n in range(4)
    ]
    own = "Это опора 77-01234.\n\n-----Original Message-----\nСм. опору 77-04321."
    replies = [
        build_message(
            f"RE: Авария №{n}",
            own if n % 2 else "Спасибо.\n> опора 77-04321",
            message_id=f"<r{n}@op.example>",
            in_reply_to=f"<p{n}@op.example>",
        )
        for n in range(4)
    ]
    dovecot.append("INBOX", requests + replies)
    pole = make_pole("77-01234")
    make_pole("77-04321")
    report = ingest_folder(imap_source, "INBOX", batch_size=3)
    assert report.parsed_ahead >= 2 and report.result.stored == 8
    poles = {
        EmailMessage.objects.get(message_id=f"<p{n}@op.example>").incident.pole for n in range(4)
    }
    assert poles == {pole, None}  # the odd replies name 77-01234; quoted poles count for none
    assert Incident.objects.filter(pole=pole).count() == 2


def test_a_reply_that_opens_an_incident_still_has_its_pole_recognised(
    dovecot, imap_source, statuses, small_parts
):
    orphan = build_message(
        "RE: Авария", BODY.replace("77-01234", "77-04321"), message_id="<orphan@op.example>",
        in_reply_to="<never-seen@op.example>", references=["<never-seen@op.example>"],
    )  # fmt: skip
    dovecot.append("INBOX", [_request(0), _request(1), orphan, _request(2)])
    make_pole("77-01234")
    other = make_pole("77-04321")
    report = ingest_folder(imap_source, "INBOX")
    assert report.parsed_ahead == report.batches >= 2  # the orphan was parsed in the process
    email = EmailMessage.objects.get(message_id="<orphan@op.example>")
    assert email.is_first and email.incident.pole == other


def test_a_poll_of_one_part_starts_no_parser_process(dovecot, imap_source, statuses, small_parts):
    dovecot.append("INBOX", [_request(0)])
    report = ingest_folder(imap_source, "INBOX")
    assert (report.result.stored, report.parsed_ahead) == (1, 0)
    assert ingest_folder(imap_source, "INBOX").parsed_ahead == 0  # nothing new


def test_a_dead_parser_process_stops_the_folder_at_the_last_committed_part(
    dovecot, imap_source, statuses, small_parts, monkeypatch
):
    worker_pid = os.getpid()
    parse = parse_ahead.parse_email

    def killed_in_the_parser_process(raw: bytes):
        if os.getpid() != worker_pid and b"<p3@" in raw:  # as the OOM killer would
            os.kill(os.getpid(), signal.SIGKILL)
        return parse(raw)

    monkeypatch.setattr(parse_ahead, "parse_email", killed_in_the_parser_process)
    dovecot.append("INBOX", [_request(n) for n in range(6)])  # parts: p0 p1 | p2 p3 | p4 p5
    with pytest.raises(ParserFailed, match=r"died while parsing \(killed by signal 9\)"):
        ingest_folder(imap_source, "INBOX", batch_size=100)
    assert MailFolder.objects.get(name="INBOX").last_uid == 2  # only the first part committed
    assert sorted(EmailMessage.objects.values_list("message_id", flat=True)) == [
        "<p0@op.example>",
        "<p1@op.example>",
    ]
    assert not QuarantinedEmail.objects.exists()

    monkeypatch.setattr(parse_ahead, "parse_email", parse)
    report = ingest_folder(imap_source, "INBOX", batch_size=100)
    assert report.result.stored == 4
    assert EmailMessage.objects.count() == EmailLocation.objects.count() == 6
    assert MailFolder.objects.get(name="INBOX").last_uid == 6


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def _worker_with_a_parser_process(dovecot) -> tuple[subprocess.Popen, set[int]]:
    """A real ``ingest_mail --loop`` busy with many parts, and its parser process's pid."""
    dovecot.append("INBOX", [_request(n) for n in range(120)])
    process = subprocess.Popen(
        [sys.executable, "manage.py", "ingest_mail", "--source", "imap", "--loop",
         "--interval", "0.2", "--batch-size", "4", "--folder", "INBOX"],
        cwd=ROOT, env=ingest_worker_env(dovecot.port),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    children: set[int] = set()
    while not children and time.monotonic() < deadline and process.poll() is None:
        children = set(child_pids(process.pid))
        time.sleep(0.01)
    assert children, "the worker started no parser process"
    return process, children


@pytest.mark.postgres
@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL])
def test_a_stopped_worker_leaves_no_parser_process_and_loses_nothing(dovecot, statuses, how):
    process, children = _worker_with_a_parser_process(dovecot)
    process.send_signal(how)
    output = process.communicate(timeout=60)[0].decode()
    if how == signal.SIGTERM:
        assert process.returncode == 0, output
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(pid) for pid in children)
    folder = MailFolder.objects.get(name="INBOX")
    uids = set(EmailLocation.objects.filter(folder=folder).values_list("uid", flat=True))
    assert uids == set(range(1, folder.last_uid + 1))  # whole parts, the cursor matches
    restarted = subprocess.run(
        [sys.executable, "manage.py", "ingest_mail", "--source", "imap", "--once",
         "--folder", "INBOX"],
        cwd=ROOT, env=ingest_worker_env(dovecot.port), capture_output=True, timeout=120,
    )  # fmt: skip
    assert restarted.returncode == 0, restarted.stdout.decode()
    assert EmailMessage.objects.count() == EmailLocation.objects.count() == 120
    assert Incident.objects.count() == 120
