"""Incident writes: creation and status changes (every change recorded once in the history)."""

from __future__ import annotations

import unicodedata
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from incidents.assignment import assign_incident
from incidents.models import (
    Incident,
    IncidentSource,
    IncidentStatusHistory,
    StatusKey,
)
from incidents.selectors import get_status
from incidents.sla import SlaResult, compute_sla

Actor = IncidentStatusHistory.Actor


def one_line(text: str) -> str:
    """One line of text: line breaks and other whitespace become one space, NUL etc. are dropped."""
    kept = "".join(
        " " if ch.isspace() else ch
        for ch in text or ""
        if unicodedata.category(ch) != "Cc" or ch.isspace()
    )
    return " ".join(kept.split())


@transaction.atomic
def create_incident(
    *,
    incident_date: datetime,
    subject: str = "",
    requester_email: str = "",
    source: str = IncidentSource.EMAIL,
    actor: str = Actor.EMAIL,
    user=None,
    pole=None,
    base_station=None,
    code: str | None = None,
) -> Incident:
    """Create an incident in status «Новый» with exactly one history row, assigned to the
    least-loaded dispatcher on shift (``incidents.assignment``).

    With the built-in tracker the incident code is ``<INCIDENT_CODE_PREFIX>-<id>``; with Yandex
    Tracker the code is the issue key, set when the issue is created.
    """
    new = get_status(StatusKey.NEW)
    incident = Incident.objects.create(
        incident_date=incident_date,
        subject=one_line(subject)[:1024],
        requester_email=one_line(requester_email)[:320],
        source=source,
        status=new,
        pole=pole,
        base_station=base_station,
        code=code,
    )
    if code is None and not settings.YT_ENABLED:
        incident.code = f"{settings.INCIDENT_CODE_PREFIX}-{incident.pk}"
        incident.save(update_fields=["code"])
    IncidentStatusHistory.objects.create(
        incident=incident, status=new, actor=actor, user=user, created_at=incident.created_at
    )
    assign_incident(incident)
    return incident


@transaction.atomic
def record_status(
    incident: Incident,
    key: StatusKey | str,
    *,
    actor: str,
    user=None,
    comment: str = "",
    at: datetime | None = None,
) -> IncidentStatusHistory | None:
    """Set the incident's status and append one history row; no-op if already in that status.

    Finishing statuses set ``is_finished``/``finished_at``; leaving them reopens the incident.
    Workflow rules (which transitions are allowed) are checked by the workflow layer.
    """
    status = get_status(key)
    locked = Incident.objects.select_for_update().get(pk=incident.pk)
    if locked.status_id == status.pk:
        return None
    moment = at or timezone.now()
    locked.status = status
    if status.is_final and not locked.is_finished:
        locked.is_finished, locked.finished_at = True, moment
    elif not status.is_final and locked.is_finished:
        locked.is_finished, locked.finished_at = False, None
    locked.save(update_fields=["status", "is_finished", "finished_at", "updated_at"])
    incident.status, incident.is_finished, incident.finished_at = (
        locked.status,
        locked.is_finished,
        locked.finished_at,
    )
    return IncidentStatusHistory.objects.create(
        incident=locked, status=status, actor=actor, user=user, comment=comment, created_at=moment
    )


def refresh_sla(incident: Incident, now: datetime | None = None) -> SlaResult:
    """Store the incident's current SLA deadline and state (the sweep does this in bulk)."""
    result = compute_sla(incident, now)
    Incident.objects.filter(pk=incident.pk).update(
        sla_deadline=result.deadline, sla_state=result.state
    )
    incident.sla_deadline, incident.sla_state = result.deadline, result.state
    return result
