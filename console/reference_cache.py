"""Reference lists the console offers on every view (the queue filters' statuses, types and
dispatchers; the incident page's types, subtypes, assignable dispatchers and РВР priorities), kept
in the process for ``CONSOLE_CHOICES_CACHE_SECONDS``.

Each list is a query and its ORM work on every page view although it changes a few times a year.
A save or delete of one of those models in this process drops every list at once (signals); other
web workers see the change within the cache time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.db.models.signals import post_delete, post_save

T = TypeVar("T")

_lists: dict[str, tuple[float, object]] = {}
_lock = threading.Lock()


def cached(name: str, load: Callable[[], T]) -> T:
    """``load()``, reused for ``CONSOLE_CHOICES_CACHE_SECONDS`` (0: loaded every time)."""
    seconds = settings.CONSOLE_CHOICES_CACHE_SECONDS
    if seconds <= 0:
        return load()
    now = time.monotonic()
    found = _lists.get(name)
    if found is not None and found[0] > now:
        return found[1]  # type: ignore[return-value]
    value = load()
    with _lock:
        _lists[name] = (now + seconds, value)
    return value


def clear(**_kwargs) -> None:
    """Drop every kept list (a signal receiver: any save or delete of the reference models)."""
    with _lock:
        _lists.clear()


def connect(*models) -> None:
    """Drop the kept lists whenever one of ``models`` is saved or deleted."""
    for model in models:
        post_save.connect(clear, sender=model, dispatch_uid=f"reference-cache-save-{model}")
        post_delete.connect(clear, sender=model, dispatch_uid=f"reference-cache-del-{model}")
