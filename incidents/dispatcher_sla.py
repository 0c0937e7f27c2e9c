"""The dispatcher SLA: from the incident's arrival to the first action of a person on it
(a status change, an edit, a comment, a link, a work category), ``DISPATCHER_SLA_MINUTES``
(default 10) of calendar time."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple

from django.conf import settings
from django.utils import timezone

from incidents.models import Incident


class DispatcherSla(NamedTuple):
    deadline: datetime
    first_action_at: datetime | None
    is_breached: bool  # acted late, or not yet acted and past the deadline


def dispatcher_sla(incident: Incident, now: datetime | None = None) -> DispatcherSla:
    return dispatcher_sla_at(incident.incident_date, incident.first_action_at, now)


def dispatcher_sla_at(
    incident_date: datetime, first_action_at: datetime | None, now: datetime | None = None
) -> DispatcherSla:
    """``dispatcher_sla`` from the incident's arrival and first action."""
    deadline = incident_date + timedelta(minutes=settings.DISPATCHER_SLA_MINUTES)
    check = first_action_at or now or timezone.now()
    return DispatcherSla(deadline, first_action_at, check > deadline)
