"""Logging: one line per event, secrets masked, JSON lines on request."""

import json
import logging
import logging.config
import sys

from dispatch.logging import LineFormatter, build_logging, mask_secrets


def _record(message: str, *args, exc_info=None) -> logging.LogRecord:
    return logging.LogRecord("emails.ingest", logging.ERROR, __file__, 1, message, args, exc_info)


def test_multiline_message_and_traceback_become_one_line():
    try:
        raise ValueError("bad\nvalue")
    except ValueError:
        record = _record("first\nsecond %s", "x", exc_info=sys.exc_info())
    line = LineFormatter().format(record)
    assert "\n" not in line
    assert "first\\nsecond x" in line
    assert "ValueError: bad\\nvalue" in line
    assert " ERROR emails.ingest pid=" in line


def test_credentials_are_masked():
    text = "login failed password=hunter2 Authorization: OAuth y0_secret token=abc /bot123:AAE-xyz/"
    masked = mask_secrets(text)
    for secret in ("hunter2", "y0_secret", "abc", "AAE-xyz"):
        assert secret not in masked
    assert "password=***" in masked


def test_json_lines_are_valid_json_with_the_fields():
    line = LineFormatter(json_lines=True).format(_record("hello %s", "world"))
    event = json.loads(line)
    assert event["message"] == "hello world"
    assert event["logger"] == "emails.ingest"
    assert event["level"] == "ERROR"


def test_long_messages_are_cut():
    line = LineFormatter().format(_record("x" * 10_000))
    assert len(line) < 2200
    assert line.endswith("…[cut]")


def test_config_has_per_app_loggers_and_an_optional_watched_file(tmp_path):
    config = build_logging(log_file=str(tmp_path / "dispatch.log"))
    assert {"emails", "incidents", "ts", "yandex_tracker", "users"} <= set(config["loggers"])
    assert config["handlers"]["file"]["class"] == "logging.handlers.WatchedFileHandler"
    logging.config.dictConfig(config)
    try:
        logging.getLogger("ts.import").warning("feed refused")
        logging.getLogger().handlers[-1].flush()
        assert "feed refused" in (tmp_path / "dispatch.log").read_text()
    finally:
        from django.conf import settings

        logging.config.dictConfig(settings.LOGGING)
