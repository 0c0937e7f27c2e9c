"""A small sliding-window rate limit per client IP for account form submissions.

Counters live in the database (``dispatch.ratelimit``), shared by every web worker.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from dispatch.client_ip import client_ip
from dispatch.ratelimit import hit as shared_hit

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
    return shared_hit(scope, ident, *parse_rate(rate))


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
