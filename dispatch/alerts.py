"""Optional Telegram alerts when a worker starts failing and when it recovers.

Off unless ``TG_TOKEN`` and ``TG_DEFAULT_USER_ID`` are set. Only transitions are reported (first
failed cycle after a good one; first good cycle after failures), at most one message per worker
and kind every ``TG_ALERT_MIN_INTERVAL_SECONDS``. The message names the worker and the exception
type, never the error text (it may quote e-mail content). Sending happens after the heartbeat is
committed; a Telegram failure is logged and never breaks the worker.
"""

from __future__ import annotations

import logging
import threading
import time

import requests
from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

FAILURE, RECOVERY = "failure", "recovery"
TELEGRAM_MAX_CHARS = 4096
SEND_TIMEOUT_SECONDS = 10

_lock = threading.Lock()
_last_sent: dict[tuple[str, str], float] = {}


def alerts_enabled() -> bool:
    return bool(settings.TG_TOKEN and settings.TG_DEFAULT_USER_ID)


def error_type(error: str) -> str:
    """The exception class from the last line of a formatted traceback (``RuntimeError``)."""
    lines = [line for line in error.strip().splitlines() if line.strip()]
    if not lines:
        return "Error"
    return lines[-1].split(":", 1)[0].strip()[:120] or "Error"


def _allowed(worker: str, kind: str, now: float) -> bool:
    """Rate limit: one message per worker and kind per interval (per process)."""
    key = (worker, kind)
    with _lock:
        last = _last_sent.get(key)
        if last is not None and now - last < settings.TG_ALERT_MIN_INTERVAL_SECONDS:
            return False
        _last_sent[key] = now
        return True


def reset_rate_limit() -> None:
    """Forget previously sent alerts (tests, or a restart of the limiter)."""
    with _lock:
        _last_sent.clear()


def send_telegram(text: str) -> bool:
    """Post ``text`` to the configured chat; True when Telegram accepted it."""
    url = f"{settings.TG_API_URL.rstrip('/')}/bot{settings.TG_TOKEN}/sendMessage"
    payload = {"chat_id": settings.TG_DEFAULT_USER_ID, "text": text[:TELEGRAM_MAX_CHARS]}
    try:
        response = requests.post(url, json=payload, timeout=SEND_TIMEOUT_SECONDS)
    except requests.RequestException as exc:
        logger.warning("telegram alert not sent: %s", type(exc).__name__)
        return False
    if response.status_code != 200:
        logger.warning("telegram alert rejected: http=%s", response.status_code)
        return False
    return True


def _message(worker: str, kind: str, detail: str) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        if kind == FAILURE:
            return _("DISPATCH: worker %(worker)s failed (%(error)s).") % {
                "worker": worker,
                "error": detail,
            }
        return _("DISPATCH: worker %(worker)s recovered.") % {"worker": worker}


def _program_message(program: str, kind: str, detail: str) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        if kind == FAILURE:
            return _("DISPATCH: program %(program)s stopped unexpectedly (%(detail)s).") % {
                "program": program,
                "detail": detail,
            }
        return _("DISPATCH: program %(program)s is running again.") % {"program": program}


def program_outcome(program: str, kind: str, detail: str = "") -> bool:
    """Alert that a Supervisor program died (``FAILURE``) or runs again (``RECOVERY``).

    Called by the ``watch_programs`` event listener, outside any transaction. Returns True when
    a message was sent.
    """
    if not alerts_enabled():
        return False
    if not _allowed(f"program:{program}", kind, time.monotonic()):
        logger.info("program=%s %s alert suppressed by rate limit", program, kind)
        return False
    return send_telegram(_program_message(program, kind, detail))


def worker_outcome(worker: str, *, previous_failures: int, failures: int, error: str = "") -> None:
    """Alert on a failure/recovery transition of ``worker`` (called after each heartbeat)."""
    if not alerts_enabled():
        return
    if failures == 1 and previous_failures == 0:
        kind, detail = FAILURE, error_type(error)
    elif failures == 0 and previous_failures > 0:
        kind, detail = RECOVERY, ""
    else:
        return
    if not _allowed(worker, kind, time.monotonic()):
        logger.info("worker=%s %s alert suppressed by rate limit", worker, kind)
        return
    text = _message(worker, kind, detail)
    transaction.on_commit(lambda: send_telegram(text))
