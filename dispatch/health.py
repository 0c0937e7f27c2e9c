"""Health report: is the database reachable, and when did each worker last finish a cycle?

Read by the ``healthcheck`` command (exit status for Docker/monitoring) and the ``/health/``
endpoint (JSON), with the counts of tracker pushes refused or waiting out a back-off. The report
holds names, times and counters only — never error texts, settings or anything from e-mails.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from dispatch.models import WorkerHeartbeat
from yandex_tracker.selectors import push_backlog

OK, FAILING, STALE = "ok", "failing", "stale"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None


def worker_state(beat: WorkerHeartbeat, *, now: datetime, max_age_seconds: int) -> str:
    """``failing`` when the last cycle failed, ``stale`` without a recent success, else ``ok``."""
    if beat.consecutive_failures:
        return FAILING
    if beat.last_success_at is None:
        return STALE
    if (now - beat.last_success_at).total_seconds() > max_age_seconds:
        return STALE
    return OK


def health_report(*, max_age_seconds: int | None = None) -> dict[str, Any]:
    """The whole report; ``status`` is ``ok`` only if the database answers and no worker is bad."""
    max_age = max_age_seconds if max_age_seconds is not None else settings.HEALTH_MAX_AGE_SECONDS
    now = timezone.now()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        beats = list(WorkerHeartbeat.objects.order_by("name"))
        tracker = push_backlog()
    except DatabaseError:
        return {"status": "error", "database": "unavailable", "checked_at": _iso(now)}
    workers = []
    for beat in beats:
        state = worker_state(beat, now=now, max_age_seconds=max_age)
        age = (now - beat.last_success_at).total_seconds() if beat.last_success_at else None
        workers.append(
            {
                "name": beat.name,
                "state": state,
                "last_success_at": _iso(beat.last_success_at),
                "seconds_since_success": round(age) if age is not None else None,
                "last_failure_at": _iso(beat.last_failure_at),
                "consecutive_failures": beat.consecutive_failures,
            }
        )
    # a refused push never reaches the tracker without an administrator
    healthy = all(worker["state"] == OK for worker in workers) and not tracker["refused"]
    return {
        "status": OK if healthy else "degraded",
        "database": OK,
        "checked_at": _iso(now),
        "max_age_seconds": max_age,
        "workers": workers,
        "tracker_push": tracker,
    }


def forget_worker(name: str) -> bool:
    """Delete the heartbeat of a worker that no longer runs (renamed or removed program)."""
    deleted, _ = WorkerHeartbeat.objects.filter(name=name).delete()
    return bool(deleted)


@never_cache
@require_GET
def health_view(request: HttpRequest) -> JsonResponse:
    """``GET /health/``: 200 when healthy, 503 otherwise (same JSON body)."""
    report = health_report()
    return JsonResponse(report, status=200 if report["status"] == OK else 503)
