"""Secrets (IMAP password, tracker tokens, client secret) and mail bodies never reach the logs,
even at DEBUG level, during a real ingest from Dovecot and a push to the tracker."""

from __future__ import annotations

import logging
import secrets

import pytest

from dispatch.testing.dovecot import available, start_dovecot
from emails.ingest import ingest_folder
from emails.sources.base import SourceError
from emails.sources.imap import ImapSource
from emails.tests.conftest import MAILBOX_USER, build_message
from incidents.models import Incident
from yandex_tracker.client import TrackerClient
from yandex_tracker.fields import TrackerDirectory
from yandex_tracker.push import push_cycle

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def mailbox_password() -> str:
    return "pw-" + secrets.token_hex(12)


@pytest.fixture
def mailbox(mailbox_password):
    if not available():
        pytest.skip("dovecot-imapd is not installed")
    server = start_dovecot({MAILBOX_USER: mailbox_password})
    yield server
    server.stop()


def test_ingest_and_tracker_push_log_no_secret_and_no_body(
    mailbox, mailbox_password, defaults, tracker_settings, fake_tracker, caplog
):
    dovecot, password = mailbox, mailbox_password
    token = "robot-" + secrets.token_hex(16)
    refresh = "refresh-" + secrets.token_hex(16)
    fake_tracker.state.add_token(token, fake_tracker.state.robot_uid, refresh_token=refresh)
    tracker_settings.YT_REFRESH_TOKEN = refresh
    tracker_settings.YT_ACCESS_TOKEN = token
    body_marker = "BODY-" + secrets.token_hex(12)
    dovecot.append(
        "INBOX",
        [build_message("Нет питания на опоре", f"Опора без питания. {body_marker}")],
    )
    caplog.set_level(logging.DEBUG)
    wrong = ImapSource("127.0.0.1", dovecot.port, MAILBOX_USER, password + "x", ssl=False)
    with pytest.raises(SourceError):
        ingest_folder(wrong, "INBOX")
    source = ImapSource("127.0.0.1", dovecot.port, MAILBOX_USER, password, ssl=False)
    report = ingest_folder(source, "INBOX")
    assert report.result.stored == 1
    # the tracker fails once, then the access token expires: the robot refreshes it
    fake_tracker.state.inject(500, method="POST", path="/v2/issues")
    fake_tracker.state.expire_token(token)
    client = TrackerClient(sleep=lambda s: None)
    push_cycle(client, TrackerDirectory(client))
    push_cycle(client, TrackerDirectory(client))
    fresh = [t for t in fake_tracker.state.tokens if t not in {token, "robot-token"}]
    assert fresh  # the robot refreshed its token
    incident = Incident.objects.get()
    assert incident.code.startswith("DISP-")
    assert body_marker in "".join(c["description"] for c in fake_tracker.state.issues.values())

    text = caplog.text
    assert len(caplog.records) > 5  # the pipeline did log, at DEBUG level
    assert any(r.levelno >= logging.WARNING for r in caplog.records)  # failures were logged
    for secret in (
        password,
        token,
        refresh,
        tracker_settings.YT_CLIENT_SECRET,
        body_marker,
        *fresh,
    ):
        assert secret not in text, secret
