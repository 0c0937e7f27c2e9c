"""Incidents a dispatcher registers by hand (a phone call, a message from another channel):
opened like mail incidents (status «Новый», the code, least-loaded assignment), with an optional
first e-mail to the requester through the outbox."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from emails.outbox.models import OutboundEmail
from incidents.models import Incident, IncidentSource, IncidentType
from incidents.notifications import queue_reply
from incidents.services import create_incident, update_incident
from ts.models import BaseStation, Pole


@dataclass(frozen=True)
class ManualIncident:
    """What the dispatcher recorded (already validated: the base station is on the pole)."""

    subject: str
    requester_email: str = ""
    description: str = ""
    incident_type: IncidentType | None = None
    pole: Pole | None = None
    base_station: BaseStation | None = None
    notice: str = ""  # the first e-mail to the requester; "" sends none


def register_manual_incident(
    data: ManualIncident, *, actor: str, user, channel: str = "smtp"
) -> tuple[Incident, OutboundEmail | None]:
    """Open the incident and, if asked, queue the first e-mail to the requester — all or nothing
    (a refused e-mail raises ``NotificationError`` and no incident is left behind)."""
    with transaction.atomic():
        incident = create_incident(
            incident_date=timezone.now(),
            subject=data.subject,
            requester_email=data.requester_email,
            description=data.description,
            source=IncidentSource.MANUAL,
            actor=actor,
            user=user,
            pole=data.pole,
            base_station=data.base_station,
        )
        if data.incident_type is not None:  # validated, SLA started and logged like any edit
            update_incident(
                incident, changes={"incident_type": data.incident_type}, actor=actor, user=user
            )
        outbound = None
        if data.notice.strip():
            outbound = queue_reply(incident, data.notice, user=user, channel=channel)
    return incident, outbound
