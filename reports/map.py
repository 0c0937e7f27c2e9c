"""The map's data: open incidents (the queue's filter) at their poles' coordinates."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse

from dispatch.csp import DIRECTIVES, build_policy
from incidents.models import Incident

POINT_LOOKUPS = (
    "pk",
    "code",
    "subject",
    "sla_state",
    "status__name",
    "pole__code",
    "pole__latitude",
    "pole__longitude",
)


def map_points(incidents: QuerySet[Incident]) -> dict:
    """Up to ``MAP_MAX_MARKERS`` incidents with coordinates (2 queries)."""
    located = incidents.filter(pole__latitude__isnull=False, pole__longitude__isnull=False)
    limit = settings.MAP_MAX_MARKERS
    rows = list(located.values_list(*POINT_LOOKUPS)[: limit + 1])
    points = [
        {
            "id": pk,
            "code": code or f"№{pk}",
            "subject": subject,
            "sla": sla,
            "status": status,
            "pole": pole,
            "lat": lat,
            "lon": lon,
            "url": reverse("console:incident", args=[pk]),
        }
        for pk, code, subject, sla, status, pole, lat, lon in rows[:limit]
    ]
    return {
        "points": points,
        "truncated": len(rows) > limit,
        "without_coordinates": incidents.count() - located.count() if len(rows) <= limit else None,
    }


def tile_origin(url: str) -> str | None:
    """The origin images come from for a Leaflet tile URL template (``{s}`` → any subdomain)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    host = parts.netloc.replace("{s}", "*")
    if "{" in host:
        return None
    return f"{parts.scheme}://{host}"


def map_policy() -> str:
    """The app's Content-Security-Policy, images also from the tile server when there is one."""
    origin = tile_origin(settings.MAP_TILE_URL)
    if origin is None:
        return build_policy()
    return build_policy(img_src=f"{DIRECTIVES['img-src']} {origin}")
