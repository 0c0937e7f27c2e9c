"""Writes of tracker state that other apps read (the tracker's users for assignment)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from yandex_tracker.models import TrackerUser


@transaction.atomic
def remember_users(users: list[dict]) -> None:
    """Replace the stored list of the tracker's active users with ``users`` (``/v2/users``)."""
    now = timezone.now()
    logins = []
    for user in users:
        login = str(user["login"]).lower()
        logins.append(login)
        TrackerUser.objects.update_or_create(
            login=login,
            defaults={
                "uid": str(user["uid"]),
                "display": user.get("display") or "",
                "seen_at": now,
            },
        )
    TrackerUser.objects.exclude(login__in=logins).delete()
