"""Read queries of the incident API: everything a representation needs in a fixed query count."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from emails.models import EmailMessage
from incidents.models import Incident, IncidentStatus, IncidentStatusHistory, IncidentType


def incidents_for_list() -> QuerySet[Incident]:
    return Incident.objects.select_related(
        "status", "incident_type", "assignee", "pole__contractor", "base_station"
    ).prefetch_related(
        "base_station__operators",
        "pole__contractor__emails",
        Prefetch(
            "status_history",
            queryset=IncidentStatusHistory.objects.select_related("status", "user"),
        ),
    )


def incidents_for_detail() -> QuerySet[Incident]:
    return incidents_for_list().prefetch_related(
        Prefetch(
            "emails",
            queryset=EmailMessage.objects.order_by("sent_at", "id").prefetch_related(
                "recipients", "attachments"
            ),
        )
    )


def incident_emails(incident: Incident) -> QuerySet[EmailMessage]:
    return (
        EmailMessage.objects.filter(incident=incident)
        .order_by("sent_at", "id")
        .prefetch_related("recipients", "attachments")
    )


def incident_types() -> QuerySet[IncidentType]:
    return IncidentType.objects.order_by("name", "id")


def incident_statuses() -> QuerySet[IncidentStatus]:
    return IncidentStatus.objects.order_by("id")
