"""Console writes: dispatcher edits of an incident, status changes, replies to the requester.

Status changes go through ``incidents.workflow`` (which queues the templated e-mails) and
replies through ``incidents.notifications.queue_reply`` (the outbox delivers them after commit).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from emails.outbox.models import OutboundEmail
from incidents import workflow
from incidents.models import Incident, IncidentStatusHistory, IncidentType
from incidents.notifications import queue_reply
from incidents.sla import compute_sla
from ts.models import BaseStation, Pole
from users.models import User

CONSOLE = IncidentStatusHistory.Actor.CONSOLE


@dataclass(frozen=True)
class IncidentEdits:
    """Validated values for the editable fields of an incident (see ``console.forms``)."""

    incident_type: IncidentType | None
    pole: Pole | None
    base_station: BaseStation | None
    assignee: User | None


EDITABLE = ("incident_type", "pole", "base_station", "assignee")


def update_incident(incident: Incident, edits: IncidentEdits) -> list[str]:
    """Apply ``edits``; recompute the SLA when anything changed. Returns the changed fields."""
    with transaction.atomic():
        locked = Incident.objects.select_for_update().get(pk=incident.pk)
        changed = [
            name
            for name in EDITABLE
            if getattr(locked, f"{name}_id") != getattr(getattr(edits, name), "pk", None)
        ]
        if not changed:
            return []
        for name in changed:
            setattr(locked, name, getattr(edits, name))
        sla = compute_sla(locked)
        locked.sla_deadline, locked.sla_state = sla.deadline, sla.state
        locked.save(update_fields=[*changed, "sla_deadline", "sla_state", "updated_at"])
    for name in changed:
        setattr(incident, name, getattr(edits, name))
    incident.sla_deadline, incident.sla_state = locked.sla_deadline, locked.sla_state
    return changed


def change_status(
    incident: Incident, to_key: str, *, user: User, comment: str = ""
) -> IncidentStatusHistory:
    """Move the incident along the workflow as ``user``; raises ``workflow.TransitionError``."""
    history = workflow.change_status(
        incident, to_key, actor=CONSOLE, user=user, comment=comment.strip()
    )
    _refresh_sla(incident)
    return history


def _refresh_sla(incident: Incident) -> None:
    """Keep the stored SLA state in step with a status change (finish or reopen)."""
    fresh = Incident.objects.select_related("incident_type").get(pk=incident.pk)
    sla = compute_sla(fresh)
    if (fresh.sla_deadline, fresh.sla_state) != (sla.deadline, sla.state):
        Incident.objects.filter(pk=incident.pk).update(
            sla_deadline=sla.deadline, sla_state=sla.state, updated_at=timezone.now()
        )
    incident.sla_deadline, incident.sla_state = sla.deadline, sla.state


def reply_to_requester(incident: Incident, body: str, *, user: User) -> OutboundEmail:
    """Queue the dispatcher's reply (raises ``NotificationError`` with the reason)."""
    with transaction.atomic():
        return queue_reply(incident, body, user=user, channel=settings.NOTIFICATION_CHANNEL)
