"""Live incident queue: new and changed incidents as server-sent events.

The stream polls the database for incidents whose ``updated_at`` moved (any process may write them:
the mail worker, the tracker pull, the console), so it works the same on SQLite and PostgreSQL and
across machines. Polling looks back ``LIVE_OVERLAP`` to catch transactions that committed late; each
incident version is sent once per stream. Event ids are cursors: a client that reconnects with
``Last-Event-ID`` (browsers do this by themselves) resumes where it stopped.

Every poll first re-reads the listening user: once the account is deactivated or loses its
API role, the stream says so in a comment and ends (the reconnect is then refused).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from dispatch.api.permissions import can_read
from incidents.api.selectors import incidents_for_list
from incidents.api.serializers import IncidentSerializer
from incidents.models import Incident
from users.models import User

logger = logging.getLogger(__name__)

LIVE_OVERLAP = timedelta(seconds=10)
LIVE_REPLAY_MAX = timedelta(hours=1)
BATCH = 100


def parse_cursor(value: str | None, now: datetime | None = None) -> datetime:
    """A ``Last-Event-ID`` → the moment to resume from (bounded to an hour back); else now."""
    now = now or timezone.now()
    moment = parse_datetime(value.strip()) if value else None
    if moment is None or timezone.is_naive(moment):
        return now
    return min(max(moment, now - LIVE_REPLAY_MAX), now)


class IncidentFeed:
    """Incident versions changed since a cursor, each version yielded once, for one user
    while that user may still read the API (``revoked`` turns true when not)."""

    def __init__(self, since: datetime, user_id: int) -> None:
        self.cursor = since
        self.user_id = user_id
        self.revoked = False
        self.sent: dict[int, datetime] = {}

    def poll(self) -> list[tuple[str, dict]]:
        """Return ``(event id, incident representation)`` for versions not sent yet; nothing
        (and ``revoked`` set) once the user is no longer allowed to listen."""
        try:
            if connection.vendor == "sqlite":
                # Only matters for SQLite's shared cache (the in-memory test database): read
                # without table locks so that writers in other threads are never refused.
                with connection.cursor() as cursor:
                    cursor.execute("PRAGMA read_uncommitted = true")
            if not can_read(User.objects.filter(pk=self.user_id).first()):
                self.revoked = True
                return []
            return self._poll()
        except DatabaseError:
            logger.warning("live queue: database unavailable, retrying", exc_info=True)
            return []
        finally:
            connection.close()  # the stream's thread must not keep a connection between polls

    def _poll(self) -> list[tuple[str, dict]]:
        versions = Incident.objects.filter(updated_at__gte=self.cursor - LIVE_OVERLAP).values_list(
            "pk", "updated_at"
        )
        fresh = sorted(
            ((updated, pk) for pk, updated in versions if self.sent.get(pk) != updated),
        )[:BATCH]
        if not fresh:
            return []
        rows = {i.pk: i for i in incidents_for_list().filter(pk__in=[pk for _, pk in fresh])}
        events = []
        for updated, pk in fresh:
            incident = rows.get(pk)
            if incident is None:
                continue
            self.sent[pk] = incident.updated_at
            self.cursor = max(self.cursor, updated)
            events.append((self.cursor.isoformat(), IncidentSerializer(incident).data))
        horizon = self.cursor - LIVE_OVERLAP
        self.sent = {pk: at for pk, at in self.sent.items() if at >= horizon}
        return events


def format_event(event_id: str, incident: dict) -> str:
    data = json.dumps(incident, ensure_ascii=False, default=str)
    return f"id: {event_id}\nevent: incident\ndata: {data}\n\n"


PREAMBLE = "retry: 3000\n: connected\n\n"
KEEPALIVE = ": keepalive\n\n"
REVOKED = ": access revoked\n\n"


def _settings() -> tuple[float, float, float]:
    return (
        settings.API_LIVE_POLL_SECONDS,
        settings.API_LIVE_KEEPALIVE_SECONDS,
        settings.API_LIVE_MAX_SECONDS,
    )


async def stream_async(feed: IncidentFeed) -> AsyncIterator[str]:
    """The event stream under ASGI (uvicorn workers); ends after ``API_LIVE_MAX_SECONDS``."""
    poll, keepalive, max_seconds = _settings()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + max_seconds
    yield PREAMBLE
    last_write = loop.time()
    while loop.time() < deadline:
        for event_id, incident in await sync_to_async(feed.poll)():
            yield format_event(event_id, incident)
            last_write = loop.time()
        if feed.revoked:
            yield REVOKED
            return
        if loop.time() - last_write >= keepalive:
            yield KEEPALIVE
            last_write = loop.time()
        await asyncio.sleep(poll)


def stream_sync(feed: IncidentFeed) -> Iterator[str]:
    """The same stream under WSGI (development server): one thread per client."""
    poll, keepalive, max_seconds = _settings()
    deadline = time.monotonic() + max_seconds
    yield PREAMBLE
    last_write = time.monotonic()
    while time.monotonic() < deadline:
        for event_id, incident in feed.poll():
            yield format_event(event_id, incident)
            last_write = time.monotonic()
        if feed.revoked:
            yield REVOKED
            return
        if time.monotonic() - last_write >= keepalive:
            yield KEEPALIVE
            last_write = time.monotonic()
        time.sleep(poll)
