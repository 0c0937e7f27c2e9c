"""The OAuth token pair shared by every worker: one ``TrackerToken`` row, seeded from settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from yandex_tracker.models import TrackerToken


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str


def current_tokens() -> Tokens:
    """The stored token pair; the first call stores ``YT_ACCESS_TOKEN``/``YT_REFRESH_TOKEN``."""
    row = TrackerToken.objects.order_by("-updated_at", "-pk").first()
    if row is None:
        row, _created = TrackerToken.objects.get_or_create(
            pk=1,
            defaults={
                "access_token": settings.YT_ACCESS_TOKEN,
                "refresh_token": settings.YT_REFRESH_TOKEN,
            },
        )
    return Tokens(row.access_token, row.refresh_token)


@transaction.atomic
def store_tokens(access_token: str, refresh_token: str, expires_in: int | None) -> Tokens:
    """Persist a refreshed pair so that every worker (and the next start) uses it."""
    now = timezone.now()
    expires_at = now + timedelta(seconds=expires_in) if expires_in else None
    row = TrackerToken.objects.select_for_update().order_by("-updated_at", "-pk").first()
    if row is None:
        row = TrackerToken(pk=1)
    row.access_token = access_token
    row.refresh_token = refresh_token or row.refresh_token
    row.expires_at = expires_at
    row.updated_at = now
    row.save()
    return Tokens(row.access_token, row.refresh_token)
