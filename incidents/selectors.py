"""Incident reads."""

from __future__ import annotations

from incidents.models import IncidentStatus, StatusKey


def get_status(key: StatusKey | str) -> IncidentStatus:
    """The status with this key (``load_defaults`` creates them all)."""
    return IncidentStatus.objects.get(key=str(key))
