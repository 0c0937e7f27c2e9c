"""A small fixed-window rate limit per client IP for account form submissions.

Counters live in Django's cache ("default"); with a per-process cache each web worker counts
separately, so the effective limit is at most ``workers × limit``.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from dispatch.client_ip import client_ip

_PERIODS = {"s": 1, "m": 60, "h": 3600}


def parse_rate(rate: str) -> tuple[int, int]:
    """``"10/m"`` → (10, 60)."""
    try:
        count, period = rate.split("/")
        return int(count), _PERIODS[period.strip().lower()[0]]
    except (ValueError, KeyError, IndexError) as exc:
        raise ImproperlyConfigured(f"rate must look like 10/m, got {rate!r}") from exc


def hit(scope: str, ident: str, rate: str) -> int:
    """Count one request; return 0 when allowed, else the seconds until the window ends."""
    limit, period = parse_rate(rate)
    window = int(time.time()) // period
    key = f"ratelimit:{scope}:{ident}:{window}"
    cache.add(key, 0, timeout=period + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=period + 1)
        count = 1
    if count <= limit:
        return 0
    return max(1, (window + 1) * period - int(time.time()))


def ratelimit_post(scope: str) -> Callable:
    """Limit POSTs to a view per client IP to ``settings.ACCOUNT_RATE_LIMIT``; 429 beyond."""

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method == "POST":
                retry = hit(scope, client_ip(request), settings.ACCOUNT_RATE_LIMIT)
                if retry:
                    response = render(
                        request, "users/rate_limited.html", {"retry_after": retry}, status=429
                    )
                    response["Retry-After"] = str(retry)
                    return response
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
