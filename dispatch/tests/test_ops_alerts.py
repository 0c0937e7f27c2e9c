"""Telegram alerts: sent on a worker's failure and recovery, rate-limited, never fatal."""

import threading

import pytest

from dispatch import alerts
from dispatch.tests.ops_support import FakeTelegram
from dispatch.workers import record_heartbeat

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def telegram(settings):
    server = FakeTelegram()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.TG_TOKEN = "123:secret"
    settings.TG_DEFAULT_USER_ID = "42"
    settings.TG_API_URL = server.url
    settings.TG_ALERT_MIN_INTERVAL_SECONDS = 600
    settings.LANGUAGE_CODE = "ru"
    alerts.reset_rate_limit()
    yield server
    server.shutdown()
    server.server_close()
    alerts.reset_rate_limit()


def test_failure_then_recovery_each_send_one_message(telegram):
    error = 'Traceback (most recent call last):\nRuntimeError: mailbox x@y.ru refused "pw"'
    record_heartbeat("ingest_mail:INBOX", summary="ok")
    record_heartbeat("ingest_mail:INBOX", error=error)
    record_heartbeat("ingest_mail:INBOX", error=error)  # still failing: no new message
    record_heartbeat("ingest_mail:INBOX", summary="ok")
    assert len(telegram.messages) == 2
    (path, failure), (_path, recovery) = telegram.messages
    assert path == "/bot123:secret/sendMessage"
    assert failure["chat_id"] == "42"
    assert "ingest_mail:INBOX" in failure["text"]
    assert "RuntimeError" in failure["text"]
    assert "x@y.ru" not in failure["text"]  # the error text is never sent
    assert "восстановился" in recovery["text"]


def test_flapping_worker_is_rate_limited(telegram):
    for _ in range(5):
        record_heartbeat("push_tracker", error="ValueError: x")
        record_heartbeat("push_tracker", summary="ok")
    assert len(telegram.messages) == 2  # one failure + one recovery per interval


def test_telegram_errors_do_not_break_the_worker(telegram):
    telegram.status = 500
    record_heartbeat("send_outbox", error="OSError: down")
    assert len(telegram.messages) == 1  # tried once, failure only logged


def test_no_alerts_without_a_token(settings, telegram):
    settings.TG_TOKEN = ""
    record_heartbeat("sla_sweep", error="ValueError: x")
    assert telegram.messages == []


def test_error_type_is_taken_from_the_last_traceback_line():
    assert alerts.error_type("Traceback...\n  File x\nKeyError: 'a'\n") == "KeyError"
    assert alerts.error_type("") == "Error"


def test_program_crash_and_recovery_alerts_are_rate_limited(telegram):
    assert alerts.program_outcome("mail_inbox", alerts.FAILURE, "exited")
    assert not alerts.program_outcome("mail_inbox", alerts.FAILURE, "exited")
    assert alerts.program_outcome("mail_inbox", alerts.RECOVERY)
    texts = [body["text"] for _path, body in telegram.messages]
    assert len(texts) == 2
    assert "mail_inbox" in texts[0] and "неожиданно" in texts[0]
