"""Dispatchers' load as the assignment sees it."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from users.models import User


def dispatchers_with_load() -> QuerySet[User]:
    """Active dispatchers with all open incidents and open incidents inside the load window."""
    since = timezone.now() - timedelta(hours=settings.ASSIGNMENT_WINDOW_HOURS)
    return (
        User.objects.dispatchers()
        .annotate(
            open_incidents=Count("incidents", filter=Q(incidents__is_finished=False)),
            recent_open_incidents=Count(
                "incidents",
                filter=Q(incidents__is_finished=False, incidents__created_at__gte=since),
            ),
        )
        .order_by("recent_open_incidents", "last_assigned_at", "id")
    )
