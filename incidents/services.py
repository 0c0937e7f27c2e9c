"""Incident writes: creation and status changes (every change recorded once in the history)."""

from __future__ import annotations

import unicodedata
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.db.models.expressions import RawSQL
from django.utils import timezone

from incidents.assignment import choose_dispatcher, lock_assignment, logger, mark_assigned
from incidents.models import (
    Incident,
    IncidentSource,
    IncidentStatusHistory,
    StatusKey,
)
from incidents.selectors import get_status, get_status_id
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


def _builtin_code():
    """The code ``PREFIX-<id>`` computed by the INSERT itself on PostgreSQL (no second UPDATE).

    ``currval`` is the id just drawn by the same row's ``DEFAULT`` (session-local, so safe with
    concurrent workers); elsewhere None and the code is set by an UPDATE after the insert.
    """
    if connection.vendor != "postgresql":
        return None
    return RawSQL(
        "%s || currval(pg_get_serial_sequence(%s, 'id'))",
        [f"{settings.INCIDENT_CODE_PREFIX}-", Incident._meta.db_table],
        output_field=Incident._meta.get_field("code"),
    )


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

    Inside a caller's transaction no savepoint is taken (a failure fails that transaction); the
    dispatcher is chosen before the insert, so the row is written once with its assignee.
    """
    builtin = code is None and not settings.YT_ENABLED
    with transaction.atomic(savepoint=False):
        new = get_status_id(StatusKey.NEW)
        lock_assignment()
        now = timezone.now()
        dispatcher = choose_dispatcher(now)
        incident = Incident.objects.create(
            incident_date=incident_date,
            subject=one_line(subject)[:1024],
            requester_email=one_line(requester_email)[:320],
            source=source,
            status_id=new,
            assignee=dispatcher,
            pole=pole,
            base_station=base_station,
            code=(_builtin_code() if builtin else None) or code,
        )
        if builtin:
            incident.code = f"{settings.INCIDENT_CODE_PREFIX}-{incident.pk}"
            if connection.vendor != "postgresql":
                Incident.objects.filter(pk=incident.pk).update(code=incident.code)
        IncidentStatusHistory.objects.create(
            incident=incident, status_id=new, actor=actor, user=user, created_at=incident.created_at
        )
        if dispatcher is None:
            logger.info("incident=%s: no dispatcher on shift, left unassigned", incident.pk)
        else:
            mark_assigned(dispatcher, now)
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
