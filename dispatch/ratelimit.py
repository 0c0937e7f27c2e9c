"""Fixed-window rate limits counted in the database, shared by every web worker.

A per-process cache would let each worker count on its own (N workers = N × the limit). Each
hit is one conditional ``UPDATE … SET count = count + 1`` (or the insert that opens a window),
atomic on PostgreSQL and SQLite alike. Used by the account forms (``users.ratelimit``) and
the API throttles (``dispatch.api.throttling``).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from dispatch.models import RateCounter


def hit(scope: str, ident: str, limit: int, period: int) -> int:
    """Count one request of ``ident`` under ``scope``; 0 when within ``limit`` per ``period``
    seconds, else the seconds until the window ends (at least 1)."""
    now = time.time()
    window = int(now) // period
    key = f"{scope}:{ident}:{period}:{window}"[:255]
    with transaction.atomic():
        if not RateCounter.objects.filter(key=key).update(count=F("count") + 1):
            _open_window(key, datetime.fromtimestamp((window + 1) * period, tz=UTC))
        count = RateCounter.objects.filter(key=key).values_list("count", flat=True).get()
    if count <= limit:
        return 0
    return max(1, (window + 1) * period - int(now))


def _open_window(key: str, ends: datetime) -> None:
    """First hit of a window: insert its counter (or count on the one a rival just inserted)
    and drop counters of windows that are over."""
    try:
        with transaction.atomic():
            RateCounter.objects.create(key=key, count=1, expires_at=ends)
    except IntegrityError:
        RateCounter.objects.filter(key=key).update(count=F("count") + 1)
        return
    RateCounter.objects.filter(expires_at__lt=timezone.now()).delete()
