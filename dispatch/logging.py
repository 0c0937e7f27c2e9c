"""Logging configuration: one line per event, per-app loggers, secrets masked.

``build_logging()`` returns the dict that ``settings.LOGGING`` uses. Every record becomes a single
line (``key=value`` text, or JSON with ``LOG_FORMAT=json``): newlines in messages and tracebacks
are escaped so a log collector never splits an event. Processes log to stdout; under Supervisor
each program's stdout goes to its own file in ``logs/``, rotated by Supervisor alone (one writer
per file, so rotation is safe with many processes). ``LOG_FILE`` adds a ``WatchedFileHandler``
(rotate it with logrotate; the handler reopens the file after a move).
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from typing import Any

# Values after these words are replaced by "***" (tokens, passwords, authorization headers).
_SECRET_RE = re.compile(
    r"(?i)((?:password|passwd|pswd|secret|token|authorization|api[_-]?key|cookie)"
    r"[\"']?\s*[:=]\s*[\"']?(?:oauth |bearer |basic )?)([^\s\"',;&]+)"
)
# Telegram bot tokens live inside URLs: /bot<digits>:<secret>/
_BOT_TOKEN_RE = re.compile(r"(/bot\d+:)[\w-]+")
MAX_MESSAGE_CHARS = 2000

APP_LOGGERS = ("dispatch", "emails", "incidents", "ts", "users", "yandex_tracker", "outbox")


def mask_secrets(text: str) -> str:
    """Replace credential values in ``text`` with ``***``."""
    text = _SECRET_RE.sub(r"\1***", text)
    return _BOT_TOKEN_RE.sub(r"\1***", text)


def _one_line(text: str) -> str:
    return text.replace("\r", "\\r").replace("\n", "\\n")


class LineFormatter(logging.Formatter):
    """``time level logger pid message [exc=...]`` on one line, secrets masked, long text cut."""

    def __init__(self, *args: Any, json_lines: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.json_lines = json_lines

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if len(message) > MAX_MESSAGE_CHARS:
            message = message[:MAX_MESSAGE_CHARS] + "…[cut]"
        message = mask_secrets(message)
        exc = ""
        if record.exc_info:
            exc = mask_secrets(self.formatException(record.exc_info))
        when = datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds")
        if self.json_lines:
            event = {
                "time": when,
                "level": record.levelname,
                "logger": record.name,
                "pid": record.process,
                "message": message,
            }
            if exc:
                event["exc"] = exc
            return json.dumps(event, ensure_ascii=False)
        line = f"{when} {record.levelname} {record.name} pid={record.process} {message}"
        if exc:
            line += f" exc={exc}"
        return _one_line(line)


def build_logging(
    *,
    level: str = "INFO",
    fmt: str = "text",
    log_file: str = "",
    stream: str = "stdout",
    sql_level: str = "WARNING",
) -> dict[str, Any]:
    """The ``LOGGING`` dict: stdout (or stderr) and optionally a watched file; per-app loggers."""
    if stream not in {"stdout", "stderr"}:
        raise ValueError(f"LOG_STREAM must be stdout or stderr, got {stream!r}")
    handlers: dict[str, Any] = {
        "stdout": {
            "class": "logging.StreamHandler",
            "formatter": "line",
            "stream": f"ext://sys.{stream}",
        }
    }
    if log_file:
        handlers["file"] = {
            "class": "logging.handlers.WatchedFileHandler",
            "formatter": "line",
            "filename": log_file,
            "encoding": "utf-8",
            "delay": True,
        }
    names = list(handlers)
    loggers: dict[str, Any] = {
        "django": {"level": "INFO"},
        "django.db.backends": {"level": sql_level},
        "django.request": {"level": "WARNING"},
        "gunicorn.error": {"level": "INFO", "handlers": names, "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": names, "propagate": False},
    }
    for app in APP_LOGGERS:
        loggers[app] = {"level": level}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "line": {"()": "dispatch.logging.LineFormatter", "json_lines": fmt == "json"},
        },
        "handlers": handlers,
        "root": {"handlers": names, "level": level},
        "loggers": loggers,
    }
